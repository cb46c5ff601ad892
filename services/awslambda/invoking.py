"""Invoking a function: synchronously (RequestResponse, and the internal invokes of mappings),
asynchronously (Event: Lambda's own queue, retried on the sandbox clock, then its destinations
or dead-letter queue), or not at all (DryRun). The code runs in runtime.py's warm environments,
never inside a database transaction: a handler calling back into this sandbox through boto3 must
find the database free."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from playground.sandboxes.models import AccessKey, Clock, Sandbox
from services.awslambda import concurrency, events, logs, metrics, runtime, sandboxing
from services.awslambda.exceptions import TooManyRequestsException
from services.awslambda.models import AsyncInvocation, Function

LOG = logging.getLogger(__name__)

MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_ASYNC_PAYLOAD = 1024 * 1024  # 256 KB before 2025; AWS raised Event payloads to 1 MB
RETRY_DELAYS = (dt.timedelta(minutes=1), dt.timedelta(minutes=2))
LEASE = dt.timedelta(minutes=20)
CREDENTIAL_LIFETIME = dt.timedelta(hours=12)
TAIL_BYTES = 4096


@dataclass
class Result:
    request_id: str
    payload: bytes
    function_error: str | None  # "Unhandled" when the handler (or the runtime) failed
    log: str
    error_type: str = ""


def _credentials(function: Function) -> dict[str, str]:
    """Temporary keys of the function's execution role, as Lambda gives its runtime."""
    now = Clock.current(function.sandbox_id).now()
    role_name = function.role.rpartition("/")[2] or "lambda-role"
    key, secret = AccessKey.issue(
        sandbox=function.sandbox, now=now, temporary=True, expires_at=now + CREDENTIAL_LIFETIME,
        principal_arn=f"arn:aws:sts::{function.sandbox.account_id}:assumed-role/{role_name}/{function.name}",
    )  # fmt: skip
    return {"AWS_ACCESS_KEY_ID": key.access_key_id, "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_SESSION_TOKEN": key.session_token}  # fmt: skip


def _environment(function: Function) -> dict[str, str]:
    return {
        **{str(k): str(v) for k, v in function.environment.items()},
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "PYTHONUNBUFFERED": "1",
        "AWS_REGION": function.region,
        "AWS_DEFAULT_REGION": function.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"{dt.date.today():%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}",
        "_HANDLER": function.handler,
        **_credentials(function),
    }


def _spec(function: Function) -> runtime.Spec:
    return runtime.Spec(
        key=f"{function.arn}#{function.revision_id}", handler=function.handler, memory_mb=function.memory_size,
        code=lambda: bytes(function.code), environment=lambda: _environment(function), endpoint=function.endpoint,
        limit=runtime.MAX_ENVIRONMENTS if function.reserved_concurrency is None else function.reserved_concurrency,
    )  # fmt: skip


def _not_running(request_id: str) -> runtime.Outcome:
    message = (
        f"RequestId: {request_id} Error: this Playground does not run function code "
        f"(PLAYGROUND_LAMBDA_EXECUTION={sandboxing.EXECUTION}; bubblewrap "
        f"{'works' if sandboxing.bubblewrap_works() else 'is not usable here'})"
    )
    return runtime.Outcome(ok=False, error={"errorType": "Runtime.Unavailable", "errorMessage": message}, log=message)


def run(
    *,
    function: Function,
    payload: bytes,
    kind: str,
    source: str,
    now: dt.datetime,
    request_id: str | None = None,
) -> Result:
    """Run the function once, now, outside any transaction; record and publish the invocation.
    TooManyRequestsException when all its environments are busy."""
    request_id = request_id or str(uuid.uuid4())
    isolation = sandboxing.mode()
    running: int | None = None
    lease: concurrency.Lease | None = None
    try:
        if isolation == "off":
            outcome = _not_running(request_id)
        else:
            request = {
                "request_id": request_id, "event": payload.decode("utf-8", "replace") or "{}",
                "function_name": function.name, "invoked_function_arn": function.arn, "memory": function.memory_size,
                "log_group_name": logs.group_name(function), "log_stream_name": logs.stream_name(function, now),
            }  # fmt: skip
            try:
                lease = concurrency.take(function)
                running = lease.running if lease is not None else 1
                outcome = runtime.invoke(spec=_spec(function), isolation=isolation, request=request,
                                         timeout=function.timeout)  # fmt: skip
            except (TooManyRequestsException, runtime.Busy) as refused:
                with transaction.atomic():
                    metrics.throttled(function, now=now)
                if isinstance(refused, runtime.Busy):
                    raise TooManyRequestsException(
                        "Rate Exceeded.", fields={"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}
                    ) from refused
                raise
        if outcome.ok:
            answer, function_error, error_type = outcome.result, None, ""
        else:
            error = dict(outcome.error or {})
            answer = json.dumps(error).encode()
            function_error, error_type = "Unhandled", str(error.get("errorType", ""))
        log = logs.lines(
            request_id=request_id, output=outcome.log, duration_ms=outcome.duration_ms,
            memory_mb=function.memory_size, max_memory_mb=outcome.max_memory_mb, init_ms=outcome.init_ms,
        )  # fmt: skip
        _record_run(function, request_id=request_id, kind=kind, source=source, now=now, log=log, payload=payload,
                    answer=answer, outcome=outcome, error_type=error_type, failed=function_error is not None,
                    running=running, lease=lease)  # fmt: skip
        lease = None  # the metrics call gave it back, in the same round trip to Redis
    finally:
        concurrency.give_back(lease)  # however the invocation ended short of its metrics
    return Result(request_id=request_id, payload=answer, function_error=function_error, log=log,
                  error_type=error_type)  # fmt: skip


def _record_run(
    function: Function, *, request_id: str, kind: str, source: str, now: dt.datetime, log: str, payload: bytes,
    answer: bytes, outcome: runtime.Outcome, error_type: str, failed: bool, running: int | None,
    lease: concurrency.Lease | None,
) -> None:  # fmt: skip
    """The invocation's row and log, its live event and its metrics, in one transaction."""
    with transaction.atomic():
        logs.write(
            function=function, request_id=request_id, kind=kind, source=source, at=now, log=log, event=payload,
            result=answer, duration_ms=outcome.duration_ms, init_ms=outcome.init_ms, error_type=error_type,
        )  # fmt: skip
        events.invoked(
            function.sandbox, function=function, source=source, now=now, request_id=request_id, type=kind,
            cold=outcome.cold, duration_ms=round(outcome.duration_ms, 2),
            init_ms=round(outcome.init_ms, 2) if outcome.init_ms is not None else None,
            error_type=error_type, log=log.splitlines()[-12:],
        )  # fmt: skip
        metrics.invoked(function, duration_ms=outcome.duration_ms, failed=failed, running=running, now=now,
                        release=(lease.key, lease.member) if lease is not None else None)  # fmt: skip


def tail(log: str) -> str:
    """LogType Tail: the last 4 KB of the invocation's log, base64."""
    return base64.b64encode(log.encode()[-TAIL_BYTES:]).decode()


# --- asynchronous invocation -----------------------------------------------------------------------


def enqueue(
    *, function: Function, payload: bytes, now: dt.datetime, kind: str = "Event", source: str = ""
) -> AsyncInvocation:
    """Put an Event invocation on the function's queue: the tick runs it (at once when the clock
    moves), and retries it on the sandbox clock."""
    queued = AsyncInvocation.objects.create(
        sandbox=function.sandbox, function=function, request_id=str(uuid.uuid4()), kind=kind, source=source,
        payload=payload, queued_at=now, due_at=now,
    )  # fmt: skip
    events.queued(function.sandbox, function=function, request_id=queued.request_id, now=now)
    return queued


def _record(function: Function, queued: AsyncInvocation, result: Result, *, condition: str, now: dt.datetime) -> str:
    try:
        request_payload: Any = json.loads(bytes(queued.payload) or b"null")
    except ValueError:
        request_payload = bytes(queued.payload).decode("utf-8", "replace")
    try:
        response_payload: Any = json.loads(result.payload or b"null")
    except ValueError:
        response_payload = result.payload.decode("utf-8", "replace")
    context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if result.function_error:
        context["functionError"] = result.function_error
    return json.dumps({
        "version": "1.0",
        "timestamp": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "requestContext": {"requestId": queued.request_id, "functionArn": f"{function.arn}:$LATEST",
                           "condition": condition, "approximateInvokeCount": queued.attempts},
        "requestPayload": request_payload,
        "responseContext": context,
        "responsePayload": response_payload,
    })  # fmt: skip


def _send(sandbox: Sandbox, *, target: str, body: str, attributes: dict[str, Any] | None, now: dt.datetime) -> bool:
    """Into an SQS queue or an SNS topic (a destination or a dead-letter queue); False when the
    target is missing or refuses it (the record is dropped, as AWS drops what it cannot deliver)."""
    try:
        if ":sqs:" in target:
            from services.sqs.public import Outgoing, message_send, queue_by_arn

            queue = queue_by_arn(sandbox=sandbox, arn=target)
            if queue is None:
                return False
            message_send(queue, Outgoing(body=body, attributes=attributes), sender_id="AROALAMBDA", now=now)
            return True
        if ":sns:" in target:
            from services.sns.public import publish_as_service

            publish_as_service(sandbox=sandbox, arn=target, message=body, subject=None, now=now)
            return True
    except Exception:
        LOG.warning("Lambda could not send to %s", target, exc_info=True)
    return False


def send_record(function: Function, *, target: str, body: str, now: dt.datetime, condition: str = "") -> bool:
    """An invocation record to a destination: an SQS queue, an SNS topic, another function (an
    Event invocation with the record as its event) or an EventBridge bus (the event "Lambda
    Function Invocation Result - Success/Failure", source "lambda", the record as its detail)."""
    sandbox = function.sandbox
    if ":function:" in target:
        from services.awslambda import functions

        destination = functions.by_arn(sandbox=sandbox, arn=target)
        if destination is None:
            return False
        with transaction.atomic():
            enqueue(function=destination, payload=body.encode(), now=now, kind="Lambda", source=function.arn)
        return True
    if ":event-bus/" in target:
        from services.eventbridge.public import EventsError, emit

        region, bus = target.split(":")[3], target.rpartition("/")[2]
        result = "Success" if condition == "Success" else "Failure"
        try:
            with transaction.atomic():
                emit(sandbox=sandbox, region=region or function.region, source="lambda",
                     detail_type=f"Lambda Function Invocation Result - {result}", detail=json.loads(body),
                     resources=[target, f"{function.arn}:$LATEST"], now=now, bus_name=bus)  # fmt: skip
        except EventsError as error:
            LOG.warning("Lambda could not send to %s: %s", target, error.message)
            return False
        return True
    return _send(sandbox, target=target, body=body, attributes=None, now=now)


def _finish(function: Function, queued: AsyncInvocation, result: Result, *, now: dt.datetime) -> None:
    sandbox = function.sandbox
    if result.function_error is None:
        if function.on_success:
            send_record(function, target=function.on_success, condition="Success",
                        body=_record(function, queued, result, condition="Success", now=now), now=now)  # fmt: skip
            events.destination(sandbox, function=function, target=function.on_success, request_id=queued.request_id,
                               condition="Success", now=now)  # fmt: skip
        return
    if function.on_failure:
        condition = "EventAgeExceeded" if result.error_type == "EventAgeExceeded" else "RetriesExhausted"
        send_record(function, target=function.on_failure, condition=condition,
                    body=_record(function, queued, result, condition=condition, now=now), now=now)  # fmt: skip
        events.destination(sandbox, function=function, target=function.on_failure, request_id=queued.request_id,
                           condition="Failure", now=now)  # fmt: skip
    if function.dead_letter_arn:
        try:
            message = json.loads(result.payload).get("errorMessage", "")
        except (ValueError, AttributeError):
            message = ""
        attributes = {
            "RequestID": {"DataType": "String", "StringValue": queued.request_id},
            "ErrorCode": {"DataType": "Number", "StringValue": "200"},
            "ErrorMessage": {"DataType": "String", "StringValue": str(message)[:1000] or result.error_type or "error"},
        }
        if not _send(sandbox, target=function.dead_letter_arn, body=bytes(queued.payload).decode("utf-8", "replace"),
                     attributes=attributes, now=now):  # fmt: skip
            metrics.dead_letter_error(function, now=now)
        events.destination(sandbox, function=function, target=function.dead_letter_arn,
                           request_id=queued.request_id, condition="Failure", now=now)  # fmt: skip


def run_due(sandbox: Sandbox, now: dt.datetime) -> None:
    """Run the Event invocations whose time has come: each claimed by moving its due time past a
    lease, run outside any transaction, then finished, or put back for its next retry."""
    for queued in list(AsyncInvocation.objects.filter(sandbox=sandbox, due_at__lte=now).order_by("due_at", "id")[:20]):
        if not AsyncInvocation.objects.filter(pk=queued.pk, due_at=queued.due_at).update(due_at=now + LEASE):
            continue  # another worker took it
        function = Function.objects.select_related("sandbox").filter(pk=queued.function_id).first()
        if function is None:
            continue
        if now - queued.queued_at > dt.timedelta(seconds=function.max_event_age):
            result = Result(queued.request_id, b'{"errorMessage": "Event age exceeded"}', "Unhandled", "",
                            "EventAgeExceeded")  # fmt: skip
            _finish(function, queued, result, now=now)
            queued.delete()
            continue
        queued.attempts += 1
        try:
            result = run(function=function, payload=bytes(queued.payload), kind=queued.kind, source=queued.source,
                         now=now, request_id=queued.request_id)  # fmt: skip
        except TooManyRequestsException:
            AsyncInvocation.objects.filter(pk=queued.pk).update(due_at=now + dt.timedelta(seconds=1))
            continue  # throttled: tried again later, as Lambda retries throttled events
        if result.function_error is None or queued.attempts > min(function.max_retries, len(RETRY_DELAYS)):
            _finish(function, queued, result, now=now)
            queued.delete()
        else:
            AsyncInvocation.objects.filter(pk=queued.pk).update(
                attempts=queued.attempts, due_at=now + RETRY_DELAYS[queued.attempts - 1]
            )
