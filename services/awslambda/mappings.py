"""Event source mappings, and SQS's poller on the sandbox clock (Kinesis streams poll in
stream_mappings.py). An enabled SQS mapping looks at its queue each second of sandbox time; with a
batching window it waits for a full batch or the window's end; it receives up to BatchSize
messages (with the queue's visibility timeout), runs the function with them once, and deletes
what was processed: all of them on success, all but the reported `batchItemFailures` with
ReportBatchItemFailures, none on a function error (the messages return when their visibility
timeout ends, and the queue's redrive policy moves them to its dead-letter queue after
maxReceiveCount receives)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

from playground.sandboxes.models import Sandbox
from services.awslambda import invoking, stream_mappings
from services.awslambda.exceptions import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from services.awslambda.models import EventSourceMapping, Function

SETTLE = dt.timedelta(seconds=1)
POLL_EVERY = dt.timedelta(seconds=1)


def _queue(sandbox: Sandbox, arn: str) -> Any:
    from services.sqs.public import queue_by_arn

    return queue_by_arn(sandbox=sandbox, arn=arn)


def _check_batch(*, fifo: bool, batch_size: int, window: int) -> None:
    if fifo and batch_size > 10:
        raise InvalidParameterValueException("Batch size must be between 1 and 10 for FIFO queues.")
    if batch_size > 10 and window < 1:
        raise InvalidParameterValueException(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
        )


def mapping_create(*, function: Function, params: dict[str, Any], now: dt.datetime) -> EventSourceMapping:
    source = params.get("EventSourceArn") or ""
    sandbox = function.sandbox
    if stream_mappings.is_stream(source):
        _check_unique(function, source)
        return stream_mappings.create(function=function, params=params, now=now)
    if ":sqs:" not in source:
        raise InvalidParameterValueException(
            "Playground maps SQS queues and Kinesis streams to functions; other event sources (DynamoDB, Kafka, "
            "MQ) are not emulated yet."
        )
    if params.get("StartingPosition"):
        raise InvalidParameterValueException("StartingPosition is not valid for SQS event sources.")
    queue = _queue(sandbox, source)
    if queue is None:
        raise InvalidParameterValueException(
            "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error "
            "Message: The specified queue does not exist for this wsdl version."
        )
    batch_size = params.get("BatchSize") or 10
    window = params.get("MaximumBatchingWindowInSeconds") or 0
    _check_batch(fifo=queue.fifo, batch_size=batch_size, window=window)
    if queue.visibility_timeout < function.timeout:
        raise InvalidParameterValueException(
            f"Queue visibility timeout: {queue.visibility_timeout} seconds is less than Function timeout: "
            f"{function.timeout} seconds"
        )
    _check_unique(function, source)
    enabled = params.get("Enabled", True)
    return EventSourceMapping.objects.create(
        sandbox=sandbox, uuid=str(uuid.uuid4()), region=function.region, function=function, source_arn=source,
        batch_size=batch_size, window=window, enabled=enabled,
        report_failures="ReportBatchItemFailures" in (params.get("FunctionResponseTypes") or []),
        state="Creating", settles_at=now + SETTLE, last_modified=now, poll_at=now + SETTLE,
    )  # fmt: skip


def _check_unique(function: Function, source: str) -> None:
    existing = EventSourceMapping.objects.filter(sandbox=function.sandbox, function=function, source_arn=source).first()
    if existing is not None:
        kind = "Kinesis" if stream_mappings.is_stream(source) else "SQS"
        raise ResourceConflictException(
            f'An event source mapping with {kind} arn (" {source} ") and function (" {function.name} ") already '
            f"exists. Please update or delete the existing mapping with UUID {existing.uuid}"
        )


def find(*, sandbox: Sandbox, mapping_uuid: str) -> EventSourceMapping:
    mapping = (
        EventSourceMapping.objects.select_related("function", "sandbox")
        .filter(sandbox=sandbox, uuid=mapping_uuid)
        .first()
    )
    if mapping is None:
        raise ResourceNotFoundException("The resource you requested does not exist.")
    return mapping


def state_of(mapping: EventSourceMapping, *, now: dt.datetime) -> str:
    if mapping.settles_at is not None and mapping.settles_at > now:
        return mapping.state
    return "Enabled" if mapping.enabled else "Disabled"


def description(mapping: EventSourceMapping, *, now: dt.datetime) -> dict[str, Any]:
    described: dict[str, Any] = {
        "UUID": mapping.uuid,
        "BatchSize": mapping.batch_size,
        "MaximumBatchingWindowInSeconds": mapping.window,
        "EventSourceArn": mapping.source_arn,
        "FunctionArn": mapping.function.arn,
        "LastModified": mapping.last_modified,
        "State": state_of(mapping, now=now),
        "StateTransitionReason": "USER_INITIATED",
        "FunctionResponseTypes": ["ReportBatchItemFailures"] if mapping.report_failures else [],
        "EventSourceMappingArn": mapping.arn,
    }
    if stream_mappings.is_stream(mapping.source_arn):
        described.update(stream_mappings.description(mapping))
    return described


def mapping_update(*, mapping: EventSourceMapping, params: dict[str, Any], now: dt.datetime) -> EventSourceMapping:
    if mapping.settles_at is not None and mapping.settles_at > now:
        raise ResourceInUse(mapping)
    batch_size = params.get("BatchSize", mapping.batch_size)
    window = params.get("MaximumBatchingWindowInSeconds", mapping.window)
    if stream_mappings.is_stream(mapping.source_arn):
        stream_mappings.update(mapping=mapping, params=params)
    else:
        queue = _queue(mapping.sandbox, mapping.source_arn)
        _check_batch(fifo=bool(queue and queue.fifo), batch_size=batch_size, window=window)
    if params.get("FunctionName"):
        from services.awslambda import functions

        mapping.function = functions.find(sandbox=mapping.sandbox, region=mapping.region, name=params["FunctionName"])
    mapping.batch_size, mapping.window = batch_size, window
    if "Enabled" in params:
        mapping.enabled = params["Enabled"]
    if "FunctionResponseTypes" in params:
        mapping.report_failures = "ReportBatchItemFailures" in (params["FunctionResponseTypes"] or [])
    mapping.state = ("Enabling" if mapping.enabled else "Disabling") if "Enabled" in params else "Updating"
    mapping.settles_at = now + SETTLE
    mapping.poll_at = now + SETTLE
    mapping.gather_until = None
    mapping.last_modified = now
    mapping.save()
    return mapping


def ResourceInUse(mapping: EventSourceMapping) -> Exception:
    from services.awslambda.exceptions import ResourceInUseException

    return ResourceInUseException(f"Cannot update the event source mapping '{mapping.uuid}' because it is in use.")


def mapping_delete(*, mapping: EventSourceMapping, now: dt.datetime) -> dict[str, Any]:
    described = description(mapping, now=now)
    described["State"] = "Deleting"
    mapping.delete()
    return described


# --- the poller ------------------------------------------------------------------------------------


def _record(message: dict[str, Any], *, queue_arn: str, region: str) -> dict[str, Any]:
    attributes = dict(message.get("Attributes") or {})
    message_attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        entry: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            entry["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
        message_attributes[name] = entry
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _failed_ids(payload: bytes) -> set[str] | None:
    """The messageIds a ReportBatchItemFailures answer names; None when the answer is not one
    (then AWS treats the whole batch as failed when it is malformed, as succeeded when empty)."""
    try:
        answer = json.loads(payload or b"null")
    except ValueError:
        return None
    if not isinstance(answer, dict) or answer.get("batchItemFailures") in (None, []):
        return set()
    failures = answer["batchItemFailures"]
    if not isinstance(failures, list):
        return None
    ids = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier:
            return None
        ids.add(str(identifier))
    return ids


def poll_due(sandbox: Sandbox, now: dt.datetime) -> None:
    due = EventSourceMapping.objects.filter(sandbox=sandbox, poll_at__lte=now).select_related("function", "sandbox")
    for mapping in list(due):
        if not EventSourceMapping.objects.filter(pk=mapping.pk, poll_at=mapping.poll_at).update(
            poll_at=now + POLL_EVERY
        ):
            continue  # another worker polls it
        if mapping.settles_at is not None and mapping.settles_at <= now:
            EventSourceMapping.objects.filter(pk=mapping.pk).update(
                settles_at=None, state="Enabled" if mapping.enabled else "Disabled"
            )
        if not mapping.enabled:
            EventSourceMapping.objects.filter(pk=mapping.pk).update(poll_at=None)
            continue
        if stream_mappings.is_stream(mapping.source_arn):
            stream_mappings.poll(mapping, now=now)
        else:
            _poll(mapping, now=now)


def _poll(mapping: EventSourceMapping, *, now: dt.datetime) -> None:
    from services.sqs.public import messages_delete, messages_receive, visible_count

    queue = _queue(mapping.sandbox, mapping.source_arn)
    if queue is None:
        EventSourceMapping.objects.filter(pk=mapping.pk).update(last_result="PROBLEM: Queue does not exist")
        return
    if mapping.window > 0:
        visible = visible_count(queue=queue, now=now)
        if visible == 0:
            EventSourceMapping.objects.filter(pk=mapping.pk).update(gather_until=None)
            return
        gather_until = mapping.gather_until or now + dt.timedelta(seconds=mapping.window)
        if visible < mapping.batch_size and now < gather_until:
            EventSourceMapping.objects.filter(pk=mapping.pk).update(
                gather_until=gather_until, poll_at=min(gather_until, now + POLL_EVERY)
            )
            return
    messages: list[dict[str, Any]] = []
    while len(messages) < mapping.batch_size:
        got = messages_receive(queue=queue, max_messages=min(10, mapping.batch_size - len(messages)), now=now)
        if not got:
            break
        messages += got
    EventSourceMapping.objects.filter(pk=mapping.pk).update(gather_until=None)
    if not messages:
        return
    records = [_record(message, queue_arn=queue.arn, region=mapping.region) for message in messages]
    payload = json.dumps({"Records": records}).encode()
    try:
        result = invoking.run(function=mapping.function, payload=payload, kind="SQS", source=queue.arn, now=now)
    except TooManyRequestsException:
        return  # the messages come back after their visibility timeout
    if result.function_error is not None:
        EventSourceMapping.objects.filter(pk=mapping.pk).update(last_result="PROBLEM: Function call failed")
        return
    failed = _failed_ids(result.payload) if mapping.report_failures else set()
    if failed is None:
        EventSourceMapping.objects.filter(pk=mapping.pk).update(last_result="PROBLEM: Function response is invalid")
        return
    done = [message["ReceiptHandle"] for message in messages if message["MessageId"] not in failed]
    if done:
        messages_delete(queue=queue, receipt_handles=done, now=now)
    EventSourceMapping.objects.filter(pk=mapping.pk).update(last_result="OK")
