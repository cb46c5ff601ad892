"""REST views of a sandbox: the sandbox itself, its keys, its clock, its diagram, its events and
calls, and the /aws/ door through which the GUI makes AWS calls as the AWS console does.

As with IAM, a key's secret is in the answer that creates the key (a new sandbox, a new or rotated
key) and in no other: listing or reading keys never shows one, to the owner either.

LIMITATION: the calls cursor is the call record's id. Each server process writes its records in
batches (gateway/calllog.py), so with several server processes a record may commit after one with
a greater id was already served, and a client polling with ?after= would step over it. The events
cursor has no such gap: a sandbox's `seq` is handed out in commit order (live/store.py).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from playground.api import serializers as s
from playground.api.access import sandbox_or_404
from playground.api.base import ApiView
from playground.api.presenters import call_dict, sandbox_dict
from playground.catalog import aws_services
from playground.classroom.models import Enrollment
from playground.classroom.services import refuse_if_frozen, sandbox_clock
from playground.errors import LimitReached, NotAllowed
from playground.gateway.encoding import jsonable, params_from_json
from playground.gateway.errors import AwsError, NotEmulated
from playground.gateway.handler import invoke
from playground.gateway.models import ApiCall
from playground.gateway.registry import provider_for
from playground.gateway.specs import service_model
from playground.graph import resource_detail, sandbox_graph
from playground.live.models import LiveEvent
from playground.sandboxes.access import Role, visible_sandboxes
from playground.sandboxes.keys import (
    NoSuchKey,
    credential_dict,
    key_create,
    key_delete,
    key_rotate,
    key_set_active,
    long_term_keys,
    new_credential_dict,
)
from playground.sandboxes.models import Clock
from playground.sandboxes.services import sandbox_create, sandbox_delete, sandbox_reset

MAX_PAGE = 1000
REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
ERRORS = {400: s.ErrorResponse, 403: s.ErrorResponse, 404: s.ErrorResponse}


def _int_param(request: Request, name: str, default: int, *, low: int = 0, high: int = 2**62) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: "a whole number"}) from None
    if not low <= value <= high:
        raise ValidationError({name: f"from {low} to {high}"})
    return value


class SandboxList(ApiView):
    @extend_schema(responses={200: s.SandboxResponse(many=True)}, summary="The sandboxes you own or teach")
    def get(self, request: Request) -> Response:
        sandboxes = visible_sandboxes(request.user).select_related("owner").order_by("pk")
        return Response(
            [sandbox_dict(box, Role.OWNER if box.owner_id == request.user.pk else Role.INSTRUCTOR) for box in sandboxes]
        )

    @extend_schema(request=s.SandboxCreateRequest, responses={201: s.NewSandboxResponse, **ERRORS})
    def post(self, request: Request) -> Response:
        data = s.SandboxCreateRequest(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        if not user.is_staff and user.sandboxes.count() >= settings.MAX_SANDBOXES_PER_USER:
            raise LimitReached(f"You may own at most {settings.MAX_SANDBOXES_PER_USER} sandboxes.")
        sandbox, key, secret = sandbox_create(
            name=data.validated_data["name"], owner=user, region=data.validated_data.get("region")
        )
        body = sandbox_dict(sandbox, Role.OWNER)
        body["credentials"] = new_credential_dict(key, secret)
        return Response(body, status=status.HTTP_201_CREATED)


class SandboxDetail(ApiView):
    @extend_schema(responses={200: s.SandboxResponse, **ERRORS})
    def get(self, request: Request, sandbox_id: int) -> Response:
        sandbox, role = sandbox_or_404(request, sandbox_id)
        return Response(sandbox_dict(sandbox, role))

    @extend_schema(responses={204: None, **ERRORS}, summary="Delete the sandbox with everything in it")
    def delete(self, request: Request, sandbox_id: int) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id, owner_only=True)
        if Enrollment.objects.filter(sandbox=sandbox).exists():
            raise NotAllowed("A classroom sandbox is removed by the classroom's instructor.")
        sandbox_delete(sandbox=sandbox)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SandboxReset(ApiView):
    @extend_schema(request=None, responses={200: s.SandboxResponse, **ERRORS}, summary="Delete every resource")
    def post(self, request: Request, sandbox_id: int) -> Response:
        sandbox, role = sandbox_or_404(request, sandbox_id)
        if role == Role.OWNER:
            refuse_if_frozen(sandbox)
        sandbox.clock = Clock.current(sandbox.pk)
        sandbox_reset(sandbox=sandbox)
        return Response(sandbox_dict(sandbox, role))


class CredentialList(ApiView):
    @extend_schema(responses={200: s.CredentialResponse(many=True), **ERRORS}, summary="The access keys, no secrets")
    def get(self, request: Request, sandbox_id: int) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id)
        return Response([credential_dict(key) for key in long_term_keys(sandbox).order_by("pk")])

    @extend_schema(
        request=None,
        responses={201: s.NewCredentialResponse, **ERRORS},
        summary="A new access key: the answer holds its secret, which no later answer shows",
    )
    def post(self, request: Request, sandbox_id: int) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id, owner_only=True)
        refuse_if_frozen(sandbox)
        key, secret = key_create(sandbox=sandbox)
        return Response(new_credential_dict(key, secret), status=status.HTTP_201_CREATED)


class CredentialDetail(ApiView):
    @extend_schema(responses={200: s.CredentialResponse, **ERRORS}, summary="One access key, no secret")
    def get(self, request: Request, sandbox_id: int, access_key_id: str) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id)
        key = long_term_keys(sandbox).filter(access_key_id=access_key_id).first()
        if key is None:
            raise NoSuchKey(f"The Access Key with id {access_key_id} cannot be found.")
        return Response(credential_dict(key))

    @extend_schema(
        request=s.CredentialStatusRequest,
        responses={200: s.CredentialResponse, **ERRORS},
        summary="Deactivate or reactivate an access key (IAM's UpdateAccessKey)",
    )
    def patch(self, request: Request, sandbox_id: int, access_key_id: str) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id, owner_only=True)
        refuse_if_frozen(sandbox)
        data = s.CredentialStatusRequest(data=request.data)
        data.is_valid(raise_exception=True)
        active = data.validated_data["status"] == "Active"
        key = key_set_active(sandbox=sandbox, access_key_id=access_key_id, active=active)
        return Response(credential_dict(key))

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: Request, sandbox_id: int, access_key_id: str) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id, owner_only=True)
        key_delete(sandbox=sandbox, access_key_id=access_key_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CredentialRotate(ApiView):
    @extend_schema(
        request=None,
        responses={201: s.NewCredentialResponse, **ERRORS},
        summary="A new key replacing this one, which becomes inactive; the answer holds the new secret",
    )
    def post(self, request: Request, sandbox_id: int, access_key_id: str) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id, owner_only=True)
        refuse_if_frozen(sandbox)
        key, secret = key_rotate(sandbox=sandbox, access_key_id=access_key_id)
        return Response(new_credential_dict(key, secret), status=status.HTTP_201_CREATED)


class ClockDetail(ApiView):
    @extend_schema(responses={200: s.ClockResponse, **ERRORS})
    def get(self, request: Request, sandbox_id: int) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id)
        return Response(Clock.current(sandbox.pk).as_dict())


class ClockAction(ApiView):
    """POST /clock/pause/, /clock/resume/, /clock/speed/ {"speed"}, /clock/advance/ {"seconds"}."""

    action = ""

    def post(self, request: Request, sandbox_id: int) -> Response:
        sandbox, role = sandbox_or_404(request, sandbox_id)
        speed = seconds = 0.0
        if self.action == "speed":
            data = s.SpeedRequest(data=request.data)
            data.is_valid(raise_exception=True)
            speed = data.validated_data["speed"]
        elif self.action == "advance":
            data = s.AdvanceRequest(data=request.data)
            data.is_valid(raise_exception=True)
            seconds = data.validated_data["seconds"]
        clock = sandbox_clock(sandbox=sandbox, action=self.action, speed=speed, seconds=seconds, role=role)
        return Response(clock.as_dict())


class ClockPause(ClockAction):
    action = "pause"

    @extend_schema(request=None, responses={200: s.ClockResponse, **ERRORS})
    def post(self, request: Request, sandbox_id: int) -> Response:
        return super().post(request, sandbox_id)


class ClockResume(ClockAction):
    action = "resume"

    @extend_schema(request=None, responses={200: s.ClockResponse, **ERRORS})
    def post(self, request: Request, sandbox_id: int) -> Response:
        return super().post(request, sandbox_id)


class ClockSpeed(ClockAction):
    action = "speed"

    @extend_schema(request=s.SpeedRequest, responses={200: s.ClockResponse, **ERRORS})
    def post(self, request: Request, sandbox_id: int) -> Response:
        return super().post(request, sandbox_id)


class ClockAdvance(ClockAction):
    action = "advance"

    @extend_schema(request=s.AdvanceRequest, responses={200: s.ClockResponse, **ERRORS})
    def post(self, request: Request, sandbox_id: int) -> Response:
        return super().post(request, sandbox_id)


REGION = OpenApiParameter("region", str, description="Only this region's resources")


class Graph(ApiView):
    @extend_schema(parameters=[REGION], responses={200: s.GraphResponse, **ERRORS}, summary="What the diagram draws")
    def get(self, request: Request, sandbox_id: int) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id)
        now = Clock.current(sandbox.pk).now()
        region = request.query_params.get("region") or None
        return Response(jsonable(sandbox_graph(sandbox=sandbox, now=now, region=region)))


class Resource(ApiView):
    @extend_schema(
        parameters=[OpenApiParameter("arn", str, required=True)],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
        summary="A resource's details by ARN",
    )
    def get(self, request: Request, sandbox_id: int) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id)
        arn = request.query_params.get("arn", "")
        if not arn:
            raise ValidationError({"arn": "the resource's ARN is required"})
        detail = resource_detail(sandbox=sandbox, arn=arn, now=Clock.current(sandbox.pk).now())
        if detail is None:
            return Response({"code": "ResourceNotFoundException", "message": f"No resource {arn}."}, status=404)
        return Response(jsonable(detail))


class Events(ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="Events with a greater `seq` (default 0: from the oldest kept)"),
            OpenApiParameter("limit", int, description=f"At most this many (1 to {MAX_PAGE}, default 200)"),
            OpenApiParameter("type", str, description="Only these event types (comma-separated)"),
        ],
        responses={200: s.EventsResponse, **ERRORS},
        summary="Live events since a cursor",
    )
    def get(self, request: Request, sandbox_id: int) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id)
        after = _int_param(request, "after", 0)
        limit = _int_param(request, "limit", 200, low=1, high=MAX_PAGE)
        events = LiveEvent.objects.filter(sandbox=sandbox, seq__gt=after)
        types = [kind for kind in request.query_params.get("type", "").split(",") if kind]
        if types:
            events = events.filter(type__in=types)
        rows = list(events.order_by("seq").values_list("seq", "payload")[: limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        return Response(
            {"results": [payload for _, payload in rows], "after": rows[-1][0] if rows else after, "more": more}
        )


class Calls(ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="Calls with a greater `id`"),
            OpenApiParameter("limit", int, description=f"At most this many (1 to {MAX_PAGE}, default 200)"),
            OpenApiParameter("service", str),
            OpenApiParameter("operation", str),
        ],
        responses={200: s.CallsResponse, **ERRORS},
        summary="The AWS API call log since a cursor",
    )
    def get(self, request: Request, sandbox_id: int) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id)
        after = _int_param(request, "after", 0)
        limit = _int_param(request, "limit", 200, low=1, high=MAX_PAGE)
        calls = ApiCall.objects.filter(sandbox=sandbox, pk__gt=after)
        for field in ("service", "operation"):
            if request.query_params.get(field):
                calls = calls.filter(**{field: request.query_params[field]})
        rows = list(calls.order_by("pk").values(*[f for f in s.CallResponse().fields])[: limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        return Response(
            {"results": [call_dict(row) for row in rows], "after": rows[-1]["id"] if rows else after, "more": more}
        )


class AwsCall(ApiView):
    @extend_schema(
        parameters=[OpenApiParameter("region", str, description="Default: the sandbox's region")],
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
        summary="Run an AWS operation (params and result as boto3 has them; blobs base64, times ISO 8601)",
    )
    def post(self, request: Request, sandbox_id: int, service: str, operation: str) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id, owner_only=True)
        refuse_if_frozen(sandbox)
        if service not in aws_services() or provider_for(service) is None:
            raise NotEmulated(f"Playground does not emulate the AWS service '{service}'.")
        try:
            model = service_model(service).operation_model(operation)
        except Exception:
            raise AwsError(f"The action {operation} is not valid for this web service.", code="InvalidAction") from None
        region = request.query_params.get("region") or None
        if region is not None and not REGION_NAME.match(region):
            raise ValidationError({"region": "a region name such as us-east-1"})
        params = params_from_json(model, request.data)
        result: Any = invoke(
            sandbox=sandbox,
            service=service,
            operation=operation,
            params=params,
            region=region,
            source_ip=request.META.get("REMOTE_ADDR", ""),
        )
        return Response(jsonable(result))
