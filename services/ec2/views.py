"""EC2's own REST endpoints (under /ec2/, services/ec2/urls.py), for what has no AWS operation:
simulated traffic and simulated CPU load. The GUI's inspector calls them; so can a script, with the
REST API's token (`Authorization: Token ...`) or the browser session (with its CSRF token):

    POST /ec2/sandboxes/<id>/traffic/  {"target": "i-...", "port": 443, "protocol": "tcp",
                                        "source": "i-..." or "source_ip": "203.0.113.9", "region": ...}
        -> {"action": "ACCEPT" | "REJECT", ...}   one flow (traffic.py), drawn and flow-logged
    POST /ec2/sandboxes/<id>/load/     {"instance": "i-...", "profile": "idle" | "steady" | "spiky",
                                        "percent": 80, "region": ...}
        -> {"instance", "profile", "percent"}     the instance's CPU load (load.py)
                                       {"instance": "i-...", "profile": "schedule", "schedule":
                                        [{"at": "09:00" or "+30", "percent": 80}, ...] or "09:00=80 17:00=5"}
        -> {"instance", "profile", "percent", "schedule": [{"at": "HH:MM", "percent"}, ...]}
    GET    /ec2/sandboxes/<id>/traffic-profile/?instance=i-...   -> {"profile": {...} or null}
    POST   /ec2/sandboxes/<id>/traffic-profile/  {"instance": "i-...", "target": "i-...", "source": "i-..."
                                        or "source_ip": ..., "protocol", "port", "packets_per_minute"}
        -> {"profile": {...}}    the instance's standing flow, sent every minute (profiles.py)
    DELETE /ec2/sandboxes/<id>/traffic-profile/?instance=i-...   -> {"profile": null}   clears it

Only the sandbox's owner may (an instructor's view is read-only: 404 as for a stranger). Errors are
EC2's, as {"code", "message"} with their status (playground.api.errors).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from playground.api.access import sandbox_or_404
from playground.api.base import ApiView
from playground.api.serializers import ErrorResponse
from playground.sandboxes.models import Clock
from services.ec2 import load, network, profiles, traffic
from services.ec2.serializers import (
    LoadRequest,
    LoadResponse,
    ProfileRequest,
    ProfileResponse,
    ProfileWhere,
    TrafficRequest,
    TrafficResponse,
)

ERRORS = {400: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse}


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _blank_none(value: str | None) -> str | None:
    return value or None


class TrafficView(ApiView):
    @extend_schema(request=TrafficRequest, responses={200: TrafficResponse, **ERRORS}, summary="Send one flow")
    def post(self, request: Request, sandbox_id: int) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id, owner_only=True)
        data = _valid(TrafficRequest, request.data)
        region = data.get("region") or sandbox.default_region
        target = data["target"]
        port = int(data.get("port") or 0)
        protocol = data.get("protocol") or "tcp"
        source = _blank_none(data.get("source"))
        source_ip = _blank_none(data.get("source_ip"))
        now = Clock.current(sandbox.pk).now()
        with transaction.atomic():
            network.ensure_default(sandbox=sandbox, region=region, now=now)
            action = traffic.traffic_send(
                sandbox=sandbox, region=region, target=str(target), port=port, protocol=protocol, source=source,
                source_ip=source_ip, now=now,
            )  # fmt: skip
        return Response({
            "action": action, "target": target, "port": port, "protocol": protocol,
            "source": source or source_ip or traffic.DEFAULT_SOURCE_IP, "time": now.isoformat(),
        })  # fmt: skip


class LoadView(ApiView):
    @extend_schema(request=LoadRequest, responses={200: LoadResponse, **ERRORS}, summary="Set an instance's CPU load")
    def post(self, request: Request, sandbox_id: int) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id, owner_only=True)
        data = _valid(LoadRequest, request.data)
        region = data.get("region") or sandbox.default_region
        instance_id = data["instance"]
        profile = data["profile"]
        percent = data.get("percent")
        now = Clock.current(sandbox.pk).now()
        with transaction.atomic():
            instance = load.load_set(
                sandbox=sandbox, region=region, instance_id=instance_id, profile=profile, percent=percent,
                schedule=data.get("schedule"), now=now,
            )  # fmt: skip
        answer: dict[str, Any] = {
            "instance": instance.instance_id, "profile": instance.cpu_profile, "percent": instance.cpu_percent
        }  # fmt: skip
        if instance.cpu_profile == "schedule":
            answer["schedule"] = load.schedule_text(instance.cpu_schedule)
        return Response(answer)


class TrafficProfileView(ApiView):
    def _where(self, request: Request, sandbox_id: int) -> tuple[Any, str, str]:
        sandbox, _ = sandbox_or_404(request, sandbox_id, owner_only=True)
        data = _valid(ProfileWhere, request.data if request.method == "POST" else request.query_params)
        return sandbox, str(data.get("region") or sandbox.default_region), data["instance"]

    @extend_schema(
        parameters=[ProfileWhere], responses={200: ProfileResponse, **ERRORS}, summary="An instance's traffic profile"
    )
    def get(self, request: Request, sandbox_id: int) -> Response:
        sandbox, region, instance_id = self._where(request, sandbox_id)
        found = profiles.profile_get(sandbox=sandbox, region=region, instance_id=instance_id)
        return Response({"profile": profiles.profile_view(found)})

    @extend_schema(request=ProfileRequest, responses={200: ProfileResponse, **ERRORS}, summary="Set a traffic profile")
    def post(self, request: Request, sandbox_id: int) -> Response:
        sandbox, region, instance_id = self._where(request, sandbox_id)
        data = _valid(ProfileRequest, request.data)
        rate = data.get("packets_per_minute")
        now = Clock.current(sandbox.pk).now()
        with transaction.atomic():
            network.ensure_default(sandbox=sandbox, region=region, now=now)
            profile = profiles.profile_set(
                sandbox=sandbox, region=region, instance_id=instance_id, target=_blank_none(data.get("target")),
                source=_blank_none(data.get("source")), source_ip=_blank_none(data.get("source_ip")),
                protocol=data.get("protocol") or "tcp", port=int(data.get("port") or 0),
                packets_per_minute=int(rate if rate is not None else 60), now=now,
            )  # fmt: skip
        return Response({"profile": profiles.profile_view(profile)})

    @extend_schema(
        parameters=[ProfileWhere], responses={200: ProfileResponse, **ERRORS}, summary="Clear a traffic profile"
    )
    def delete(self, request: Request, sandbox_id: int) -> Response:
        sandbox, region, instance_id = self._where(request, sandbox_id)
        profiles.profile_clear(sandbox=sandbox, region=region, instance_id=instance_id)
        return Response({"profile": None})
