"""The record of every AWS API call: what CloudTrail serves and the activity panel shows."""

from __future__ import annotations

from django.db import models

from playground.sandboxes.models import Sandbox


class ApiCall(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="api_calls")
    at = models.DateTimeField()  # sandbox-clock time
    request_id = models.CharField(max_length=64)
    service = models.CharField(max_length=64)
    operation = models.CharField(max_length=128)
    region = models.CharField(max_length=32)
    access_key_id = models.CharField(max_length=32, blank=True, default="")
    principal_arn = models.CharField(max_length=512, blank=True, default="")
    source_ip = models.CharField(max_length=64, blank=True, default="")
    user_agent = models.CharField(max_length=512, blank=True, default="")
    params = models.JSONField(default=dict)  # secrets and payload bodies removed
    error_code = models.CharField(max_length=128, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    http_status = models.PositiveSmallIntegerField(default=200)
    duration_ms = models.FloatField(default=0.0)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["sandbox", "at"]), models.Index(fields=["sandbox", "service", "operation"])]

    def __str__(self) -> str:
        return f"{self.service}:{self.operation} {self.error_code or 'OK'}"
