"""The live events Lambda publishes (the platform's types; Lambda needs no type of its own).

    resource.created / resource.changed   a function, with its attributes (State,
                                           LastUpdateStatus, Runtime, Handler, Timeout, MemorySize)
    resource.deleted                       a function
    flow, kind:
      invoke     caller -> function   an invocation ran (detail: request_id, type (RequestResponse,
                                      Event, SQS, SNS, ...), cold, duration_ms, init_ms, error_type,
                                      log: its last lines); `caller` is "client" for Invoke, the
                                      queue or topic ARN for a mapping or subscription
      queued     client -> function   an Event invocation was queued (detail: request_id)
      destination function -> target an Event invocation's record went to its destination or DLQ
                                      (detail: request_id, condition: Success | Failure)

Every event is sent when the transaction that caused it commits (playground.live.bus).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from playground.live.bus import publish_flow, publish_resource
from playground.sandboxes.models import Sandbox

if TYPE_CHECKING:
    from services.awslambda.models import Function

SERVICE = "awslambda"
RESOURCE_TYPE = "function"
CLIENT = "client"


def function_attributes(function: Function, *, now: dt.datetime) -> dict[str, Any]:
    from services.awslambda.functions import state_of

    state, update_status = state_of(function, now=now)
    return {
        "State": state, "LastUpdateStatus": update_status, "Runtime": function.runtime,
        "Handler": function.handler, "Timeout": function.timeout, "MemorySize": function.memory_size,
    }  # fmt: skip


def function_changed(sandbox: Sandbox, *, function: Function, verb: str, now: dt.datetime) -> None:
    attributes = function_attributes(function, now=now) if verb != "deleted" else None
    extra = {"attributes": attributes} if attributes is not None else {}
    publish_resource(
        sandbox, verb, service=SERVICE, resource_type=RESOURCE_TYPE, arn=function.arn, name=function.name,
        now=now, **extra,
    )  # fmt: skip


def invoked(sandbox: Sandbox, *, function: Function, source: str, now: dt.datetime, **detail: Any) -> None:
    publish_flow(
        sandbox, service=SERVICE, kind="invoke", source=source or CLIENT, target=function.arn,
        item_id=str(detail.get("request_id", "")), now=now, detail=detail,
    )  # fmt: skip


def queued(sandbox: Sandbox, *, function: Function, request_id: str, now: dt.datetime) -> None:
    publish_flow(
        sandbox, service=SERVICE, kind="queued", source=CLIENT, target=function.arn, item_id=request_id, now=now,
        detail={"request_id": request_id},
    )  # fmt: skip


def destination(
    sandbox: Sandbox, *, function: Function, target: str, request_id: str, condition: str, now: dt.datetime
) -> None:
    publish_flow(
        sandbox, service=SERVICE, kind="destination", source=function.arn, target=target, item_id=request_id,
        now=now, detail={"request_id": request_id, "condition": condition},
    )  # fmt: skip
