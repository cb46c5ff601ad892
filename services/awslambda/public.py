"""What other services may use of Lambda (docs/services.md: services meet through public doors).

invoke_as_service(sandbox=, function_arn=, payload=, service_principal=, source_arn=, now=,
                  invocation_type="Event", kind=None) -> str
    Invoke a function as an AWS service does (SNS, S3 notifications, EventBridge rules,
    CloudWatch alarms, Logs subscription filters): the function's resource policy must let
    `service_principal` (e.g. "events.amazonaws.com") call lambda:InvokeFunction for `source_arn`
    (AddPermission), else AccessDeniedException. `payload` is the event (bytes, str, or a
    JSON-ready dict or list). "Event" (the default, as these services invoke) queues it on the
    function's asynchronous queue, with its retries, destinations and dead-letter queue, and
    returns at once; "RequestResponse" runs it now (call it outside any transaction: the handler
    may call back into the sandbox). `kind` labels the invocation in the diagram and the
    function's log ("SNS", "S3", "EventBridge"; the principal's first part by default). Returns
    the invocation's request id. ResourceNotFoundException when there is no such function.
function_exists(sandbox=, function_arn=) -> bool
service_may_invoke(sandbox=, function_arn=, service_principal=, source_arn=) -> bool
    whether the function exists and its resource policy lets the service invoke it for
    `source_arn` (S3 checks this when a notification configuration names the function)
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from playground.gateway.errors import AwsError
from playground.sandboxes.models import Sandbox
from services.awslambda import functions, invoking, permissions
from services.awslambda.exceptions import ResourceNotFoundException

__all__ = [
    "AccessDeniedException",
    "ResourceNotFoundException",
    "function_exists",
    "invoke_as_service",
    "service_may_invoke",
]


class AccessDeniedException(AwsError):
    code = "AccessDeniedException"
    status = 403


def function_exists(*, sandbox: Sandbox, function_arn: str) -> bool:
    return functions.by_arn(sandbox=sandbox, arn=function_arn) is not None


def service_may_invoke(*, sandbox: Sandbox, function_arn: str, service_principal: str, source_arn: str) -> bool:
    function = functions.by_arn(sandbox=sandbox, arn=function_arn)
    return function is not None and permissions.allows(
        function, service_principal=service_principal, source_arn=source_arn, source_account=sandbox.account_id
    )


def invoke_as_service(
    *,
    sandbox: Sandbox,
    function_arn: str,
    payload: Any,
    service_principal: str,
    source_arn: str,
    now: dt.datetime,
    invocation_type: str = "Event",
    kind: str | None = None,
) -> str:
    function = functions.by_arn(sandbox=sandbox, arn=function_arn)
    if function is None:
        raise ResourceNotFoundException(f"Function not found: {function_arn}")
    if not permissions.allows(
        function, service_principal=service_principal, source_arn=source_arn, source_account=sandbox.account_id
    ):
        raise AccessDeniedException(
            f"{service_principal} is not authorized to perform: lambda:InvokeFunction on resource: {function.arn}"
        )
    data = payload if isinstance(payload, bytes) else (payload.encode() if isinstance(payload, str)
                                                        else json.dumps(payload).encode())  # fmt: skip
    label = kind or service_principal.split(".")[0].upper()
    if invocation_type == "RequestResponse":
        return invoking.run(function=function, payload=data, kind=label, source=source_arn, now=now).request_id
    return invoking.enqueue(function=function, payload=data, now=now, kind=label, source=source_arn).request_id


def invoke_with_role(
    *, sandbox: Sandbox, function_arn: str, payload: Any, source_arn: str, now: dt.datetime, kind: str
) -> tuple[bytes, str | None]:
    """Run a function now (RequestResponse) for a service that calls Lambda with a role of its own
    (Firehose's data transformation: AWS checks the role's lambda:InvokeFunction, which the
    playground does not, and no resource policy); answer (response payload, function error:
    "Unhandled" when the handler failed, else None). Call it outside any transaction.
    ResourceNotFoundException when there is no such function; TooManyRequestsException when all
    its environments are busy."""
    function = functions.by_arn(sandbox=sandbox, arn=function_arn)
    if function is None:
        raise ResourceNotFoundException(f"Function not found: {function_arn}")
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    result = invoking.run(function=function, payload=data, kind=kind, source=source_arn, now=now)
    return result.payload, result.function_error
