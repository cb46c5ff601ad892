"""What EC2's REST endpoints (views.py) read and write: request serializers check the input,
response serializers document the output in the OpenAPI schema."""

from __future__ import annotations

from rest_framework import serializers


class _Where(serializers.Serializer):
    region = serializers.CharField(max_length=32, required=False, allow_blank=True)


class _Flow(_Where):
    protocol = serializers.CharField(max_length=8, required=False, allow_blank=True, default="tcp")
    port = serializers.IntegerField(min_value=0, max_value=65535, required=False, allow_null=True, default=0)
    source = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True, default=None)
    source_ip = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True, default=None)


class TrafficRequest(_Flow):
    target = serializers.CharField(max_length=64)


class TrafficResponse(serializers.Serializer):
    action = serializers.ChoiceField(choices=["ACCEPT", "REJECT"])
    target = serializers.CharField()
    port = serializers.IntegerField()
    protocol = serializers.CharField()
    source = serializers.CharField()
    time = serializers.DateTimeField()


class LoadRequest(_Where):
    instance = serializers.CharField(max_length=32)
    profile = serializers.CharField(max_length=16)
    percent = serializers.FloatField(required=False, allow_null=True, default=None)
    schedule = serializers.JSONField(required=False, allow_null=True, default=None)


class LoadResponse(serializers.Serializer):
    instance = serializers.CharField()
    profile = serializers.CharField()
    percent = serializers.FloatField(allow_null=True)
    schedule = serializers.CharField(required=False)


class ProfileWhere(_Where):
    instance = serializers.CharField(max_length=32)


class ProfileRequest(_Flow, ProfileWhere):
    target = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True, default=None)
    packets_per_minute = serializers.IntegerField(required=False, allow_null=True, default=60)


class ProfileResponse(serializers.Serializer):
    profile = serializers.JSONField(allow_null=True)
