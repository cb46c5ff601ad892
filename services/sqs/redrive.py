"""Dead-letter queues: the RedrivePolicy / RedriveAllowPolicy checks, moving a message that was
received maxReceiveCount times to its dead-letter queue, and message move tasks
(StartMessageMoveTask) that redrive messages out of a dead-letter queue at a rate, on the
sandbox clock.

A message is dead-lettered when its visibility timeout ends after its maxReceiveCount-th receive
(by the tick, or by a receive that finds it first): it keeps its MessageId, body, attributes and
receive count, and gains DeadLetterQueueSourceArn. Retention counts from the original enqueue time
on a standard queue and from the move on a FIFO queue, as on AWS.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from playground.live import wakeup
from playground.sandboxes.models import Sandbox
from services.sqs import events, fifo
from services.sqs.addressing import parse_queue_arn
from services.sqs.exceptions import InvalidParameterValue, ResourceNotFoundException, invalid_parameter
from services.sqs.models import Message, MessageMoveTask, Queue

if TYPE_CHECKING:
    from services.sqs.attributes import AttributeChanges

DEFAULT_MOVE_RATE = 500  # messages per sandbox second when the task names no rate (AWS: "optimized")
MAX_MOVE_RATE = 500
MOVE_STEP = dt.timedelta(seconds=1)
MAX_LISTED_TASKS = 10


# --- policies --------------------------------------------------------------------------------------


def apply_redrive_policies(queue: Queue, changes: AttributeChanges) -> None:
    """Set the queue's RedrivePolicy / RedriveAllowPolicy from a request, after checking its target."""
    from services.sqs.attributes import compact_json

    if changes.redrive_allow_policy is not None:
        queue.redrive_allow_policy = compact_json(changes.redrive_allow_policy) if changes.redrive_allow_policy else ""
    policy = changes.redrive_policy
    if policy is None:
        return
    if not policy:
        queue.redrive_policy = ""
        queue.dead_letter_target_arn = ""
        queue.max_receive_count = None
        return
    text = compact_json(policy)
    target_arn = policy["deadLetterTargetArn"]

    def refuse(reason: str) -> InvalidParameterValue:
        return InvalidParameterValue(f"Value {text} for parameter RedrivePolicy is invalid. Reason: {reason}")

    try:
        address = parse_queue_arn(target_arn, parameter="RedrivePolicy")
    except InvalidParameterValue:
        raise refuse("Invalid value for deadLetterTargetArn.") from None
    target = Queue.objects.filter(sandbox_id=queue.sandbox_id, arn=target_arn).first()
    if target is None or address.region != queue.region:
        raise refuse("Dead letter target does not exist.")
    if target.arn == queue.arn:
        raise refuse("A queue can't be its own dead-letter queue.")
    if target.fifo != queue.fifo:
        raise refuse("Dead-letter queue must be same type of queue as the source.")
    if not allows_source(target, queue.arn):
        raise refuse(f"Queue {target.arn} does not allow this queue to use it as a dead-letter queue.")
    queue.redrive_policy = text
    queue.dead_letter_target_arn = target_arn
    queue.max_receive_count = int(policy["maxReceiveCount"])


def allows_source(target: Queue, source_arn: str) -> bool:
    """The dead-letter queue's RedriveAllowPolicy admits this source (allowAll when it has none)."""
    if not target.redrive_allow_policy:
        return True
    policy: dict[str, Any] = json.loads(target.redrive_allow_policy)
    permission = policy.get("redrivePermission", "allowAll")
    if permission == "denyAll":
        return False
    if permission == "byQueue":
        return source_arn in policy.get("sourceQueueArns", [])
    return True


# --- dead-lettering --------------------------------------------------------------------------------


def exhausted(queue: Queue, message: Message) -> bool:
    """The message has been received maxReceiveCount times and is due for the dead-letter queue."""
    return bool(
        queue.dead_letter_target_arn and queue.max_receive_count and message.receive_count >= queue.max_receive_count
    )


def dead_letter_target(queue: Queue) -> Queue | None:
    if not queue.dead_letter_target_arn:
        return None
    target = Queue.objects.filter(sandbox_id=queue.sandbox_id, arn=queue.dead_letter_target_arn).first()
    if target is not None:
        target.sandbox = queue.sandbox
    return target


def move_message(message: Message, *, source: Queue, target: Queue, now: dt.datetime, kind: str) -> None:
    """Put a message into another queue, available at once."""
    message.queue = target
    message.visible_at = now
    message.wake_at = None
    message.receipt_token = ""
    if target.fifo:
        message.enqueued_at = now
        message.sequence_number = fifo.next_sequence_numbers(target, 1)[0]
    message.expires_at = message.enqueued_at + dt.timedelta(seconds=target.message_retention_period)
    if kind == "dead-lettered":
        message.dead_letter_source_arn = source.arn
    else:
        message.dead_letter_source_arn = ""
        message.receive_count = 0
        message.first_received_at = None
        message.received_at = None
    message.save()
    events.flow(
        source.sandbox,
        kind,
        source=source.arn,
        target=target.arn,
        item_id=message.message_id,
        now=now,
        detail={"receive_count": message.receive_count},
    )
    wakeup.notify(target.wake_channel)


def dead_letter(messages: Iterable[Message], *, source: Queue, now: dt.datetime) -> list[Message]:
    """Move exhausted messages to the source's dead-letter queue; the ones moved (none if it is gone)."""
    target = dead_letter_target(source)
    if target is None:
        return []
    moved = []
    for message in messages:
        move_message(message, source=source, target=target, now=now, kind="dead-lettered")
        moved.append(message)
    return moved


# --- message move tasks ----------------------------------------------------------------------------


def encode_task_handle(task: MessageMoveTask) -> str:
    raw = json.dumps({"taskId": task.task_id, "sourceArn": task.source_arn}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def _task_from_handle(sandbox: Sandbox, handle: str) -> MessageMoveTask:
    try:
        document = json.loads(base64.b64decode(handle.encode(), validate=True))
        task_id = str(document["taskId"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ResourceNotFoundException("Task does not exist.") from None
    task = MessageMoveTask.objects.filter(sandbox=sandbox, task_id=task_id).first()
    if task is None:
        raise ResourceNotFoundException("Task does not exist.")
    return task


def _queue_for_arn(sandbox: Sandbox, arn: str, *, parameter: str) -> Queue:
    parse_queue_arn(arn, parameter=parameter)
    queue = Queue.objects.filter(sandbox=sandbox, arn=arn).first()
    if queue is None:
        raise ResourceNotFoundException(f"The resource that you specified for the {parameter} parameter doesn't exist.")
    return queue


def move_task_start(
    *, sandbox: Sandbox, source_arn: str, destination_arn: str | None, max_per_second: int | None, now: dt.datetime
) -> MessageMoveTask:
    source = _queue_for_arn(sandbox, source_arn, parameter="SourceArn")
    if not Queue.objects.filter(sandbox=sandbox, dead_letter_target_arn=source.arn).exists():
        raise invalid_parameter("SourceArn", source_arn, "Source queue must be configured as a Dead Letter Queue.")
    if destination_arn:
        destination = _queue_for_arn(sandbox, destination_arn, parameter="DestinationArn")
        if destination.fifo != source.fifo:
            raise invalid_parameter(
                "DestinationArn", destination_arn, "Destination queue must be same type of queue as the source."
            )
        if destination.pk == source.pk:
            raise invalid_parameter("DestinationArn", destination_arn, "Source and destination must be different.")
    if max_per_second is not None and not 1 <= max_per_second <= MAX_MOVE_RATE:
        raise invalid_parameter(
            "MaxNumberOfMessagesPerSecond", max_per_second, f"Must be between 1 and {MAX_MOVE_RATE}."
        )
    if MessageMoveTask.objects.filter(sandbox=sandbox, source_arn=source.arn, status=MessageMoveTask.RUNNING).exists():
        raise InvalidParameterValue(
            "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
        )
    return MessageMoveTask.objects.create(
        sandbox=sandbox,
        task_id=str(uuid.uuid4()),
        source_arn=source.arn,
        destination_arn=destination_arn or "",
        max_per_second=max_per_second,
        to_move=Message.objects.filter(queue=source, expires_at__gt=now).count(),
        started_at=now,
        due_at=now,
    )


def move_task_cancel(*, sandbox: Sandbox, handle: str, now: dt.datetime) -> MessageMoveTask:
    task = _task_from_handle(sandbox, handle)
    if task.status != MessageMoveTask.RUNNING:
        raise InvalidParameterValue("Only a task with status RUNNING can be cancelled.")
    task.status = MessageMoveTask.CANCELLED
    task.due_at = None
    task.save(update_fields=["status", "due_at"])
    return task


def move_tasks_list(*, sandbox: Sandbox, source_arn: str, max_results: int | None) -> list[MessageMoveTask]:
    _queue_for_arn(sandbox, source_arn, parameter="SourceArn")
    if max_results is not None and not 1 <= max_results <= MAX_LISTED_TASKS:
        raise invalid_parameter("MaxResults", max_results, f"Must be between 1 and {MAX_LISTED_TASKS}.")
    return list(MessageMoveTask.objects.filter(sandbox=sandbox, source_arn=source_arn)[: max_results or 1])


def move_task_output(task: MessageMoveTask) -> dict[str, Any]:
    output: dict[str, Any] = {
        "Status": task.status,
        "SourceArn": task.source_arn,
        "ApproximateNumberOfMessagesMoved": task.moved,
        "ApproximateNumberOfMessagesToMove": task.to_move,
        "StartedTimestamp": int(task.started_at.timestamp() * 1000),
    }
    if task.status == MessageMoveTask.RUNNING:
        output["TaskHandle"] = encode_task_handle(task)
    if task.destination_arn:
        output["DestinationArn"] = task.destination_arn
    if task.max_per_second is not None:
        output["MaxNumberOfMessagesPerSecond"] = task.max_per_second
    if task.failure_reason:
        output["FailureReason"] = task.failure_reason
    return output


def run_move_tasks(sandbox: Sandbox, now: dt.datetime) -> None:
    """Move each due task's share of messages: its rate times the sandbox seconds since its last step."""
    from django.db import transaction

    due = list(
        MessageMoveTask.objects.filter(sandbox=sandbox, due_at__lte=now, status=MessageMoveTask.RUNNING).values_list(
            "pk", flat=True
        )
    )
    for task_pk in due:
        with transaction.atomic():
            task = (
                MessageMoveTask.objects.select_for_update(skip_locked=True)
                .filter(pk=task_pk, due_at__lte=now, status=MessageMoveTask.RUNNING)
                .first()
            )
            if task is not None:
                _step(sandbox, task, now)


def _step(sandbox: Sandbox, task: MessageMoveTask, now: dt.datetime) -> None:
    from services.sqs.receiving import prefer_index_order

    source = Queue.objects.filter(sandbox=sandbox, arn=task.source_arn).first()
    if source is None:
        _finish(task, MessageMoveTask.FAILED, "AWS.SimpleQueueService.NonExistentQueue")
        return
    source.sandbox = sandbox
    # Up to `rate` messages in each sandbox second since the start, the first second's at once: what
    # has moved depends only on the sandbox time, not on when (or how often) the tick came.
    rate = task.max_per_second or DEFAULT_MOVE_RATE
    seconds = math.floor((now - task.started_at).total_seconds()) + 1
    budget = min(rate * seconds, task.to_move) - task.moved
    prefer_index_order()
    rows = list(
        Message.objects.select_for_update(skip_locked=True)
        .filter(queue=source, visible_at__lte=now, expires_at__gt=now)
        .order_by("visible_at", "id")[: max(budget, 0)]
    )
    targets: dict[str, Queue | None] = {}
    for message in rows:
        arn = task.destination_arn or message.dead_letter_source_arn
        if arn not in targets:
            target = Queue.objects.filter(sandbox=sandbox, arn=arn).first() if arn else None
            if target is not None:
                target.sandbox = sandbox
            targets[arn] = target
        target = targets[arn]
        if target is None:
            _finish(task, MessageMoveTask.FAILED, "AWS.SimpleQueueService.NonExistentQueue")
            return
        move_message(message, source=source, target=target, now=now, kind="moved")
        task.moved += 1
    remaining = Message.objects.filter(queue=source, expires_at__gt=now).exists()
    if task.moved >= task.to_move or not remaining:
        _finish(task, MessageMoveTask.COMPLETED, "")
        return
    task.due_at = task.started_at + seconds * MOVE_STEP
    task.save()


def _finish(task: MessageMoveTask, status: str, reason: str) -> None:
    task.status = status
    task.failure_reason = reason
    task.due_at = None
    task.save()
