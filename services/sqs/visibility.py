"""What happens to a received message: deleted by its receipt handle, its visibility timeout
changed, or back to available when the timeout ends; and retention expiry.

Receipt-handle rules, as on AWS:
- a handle that is not one of this queue's: ReceiptHandleIsInvalid;
- DeleteMessage with the newest handle deletes the message (even after its timeout ended); with an
  older handle of a re-received message it succeeds without deleting (standard queues) or fails
  with ReceiptHandleIsInvalid (FIFO queues, where an expired handle is refused too); deleting a
  message already deleted succeeds;
- ChangeMessageVisibility needs the newest handle of a message still in flight: an older handle
  or a deleted message is InvalidParameterValue, a message whose timeout already ended is
  MessageNotInflight; the new timeout counts from now and may not reach beyond 12 hours after the
  receive.

The tick (tasks.py) calls `release_due` and `expire_due`, which find rows by the indexed
`wake_at` / `expires_at` columns, claim them with SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL)
or inside SQLite's serialized write transaction, and publish what happened.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from playground.live import wakeup
from playground.sandboxes.models import Sandbox
from services.sqs import events, handles, redrive
from services.sqs.exceptions import MessageNotInflight, ReceiptHandleIsInvalid, SqsError, invalid_parameter
from services.sqs.models import Message, Queue

MAX_VISIBILITY = 43_200
TICK_BATCH = 500


# --- by receipt handle -----------------------------------------------------------------------------


def messages_delete(*, queue: Queue, receipt_handles: list[str], now: dt.datetime) -> list[SqsError | None]:
    """Delete messages by receipt handle, in one statement; per handle None (deleted, already gone,
    or stale: nothing deleted) or the error that handle gets."""
    outcomes: list[SqsError | None] = []
    parsed: list[handles.ReceiptHandle | None] = []
    for text in receipt_handles:
        try:
            parsed.append(handles.decode(text, queue_pk=queue.pk))
            outcomes.append(None)
        except SqsError as error:
            parsed.append(None)
            outcomes.append(error)
    wanted = {handle.message_pk for handle in parsed if handle is not None}
    rows = {
        message.pk: message
        for message in Message.objects.select_for_update()
        .filter(queue=queue, pk__in=wanted)
        .only("pk", "message_id", "receipt_token", "visible_at")
    }
    doomed: dict[int, Message] = {}
    for index, handle in enumerate(parsed):
        message = rows.get(handle.message_pk) if handle is not None else None
        if handle is None or message is None:
            continue  # a bad handle (its error is set), or a message already deleted: AWS answers success
        current = message.receipt_token == handle.token
        if queue.fifo and (not current or message.visible_at <= now):
            outcomes[index] = ReceiptHandleIsInvalid(f'The receipt handle "{receipt_handles[index]}" has expired.')
        elif current:
            doomed[message.pk] = message
    if doomed:
        Message.objects.filter(pk__in=list(doomed)).delete()
        for message in doomed.values():
            events.flow(
                queue.sandbox, "deleted", source=queue.arn, target=events.CLIENT, item_id=message.message_id, now=now
            )
        if queue.fifo:
            wakeup.notify(queue.wake_channel)  # the next messages of their groups may go out now
    return outcomes


def message_delete(*, queue: Queue, receipt_handle: str, now: dt.datetime) -> None:
    """Delete the message a receipt handle names (a stale handle of a standard queue deletes nothing)."""
    [error] = messages_delete(queue=queue, receipt_handles=[receipt_handle], now=now)
    if error is not None:
        raise error


def check_visibility_timeout(value: int | None) -> int:
    if value is None or not 0 <= value <= MAX_VISIBILITY:
        raise invalid_parameter("VisibilityTimeout", value, f"Must be >= 0 and <= {MAX_VISIBILITY}, if provided.")
    return value


def visibility_change(*, queue: Queue, receipt_handle: str, timeout: int | None, now: dt.datetime) -> None:
    seconds = check_visibility_timeout(timeout)
    handle = handles.decode(receipt_handle, queue_pk=queue.pk)
    message = Message.objects.select_for_update().filter(pk=handle.message_pk, queue=queue).first()
    if message is None or message.receipt_token != handle.token:
        raise invalid_parameter(
            "ReceiptHandle",
            receipt_handle,
            "Message does not exist or is not available for visibility timeout change.",
        )
    if message.visible_at <= now or message.receive_count == 0:
        raise MessageNotInflight("The specified message isn't in flight.")
    visible_at = now + dt.timedelta(seconds=seconds)
    received_at = message.received_at or now
    if visible_at - received_at > dt.timedelta(seconds=MAX_VISIBILITY):
        raise invalid_parameter(
            "VisibilityTimeout",
            seconds,
            f"Total VisibilityTimeout for the message is beyond the limit [{MAX_VISIBILITY} seconds]",
        )
    message.visible_at = visible_at
    message.wake_at = visible_at if seconds else None
    message.save(update_fields=["visible_at", "wake_at"])
    if not seconds:
        events.flow(
            queue.sandbox, "visible-again", source=queue.arn, target=queue.arn, item_id=message.message_id, now=now
        )
        wakeup.notify(queue.wake_channel)


# --- the tick --------------------------------------------------------------------------------------


def release_due(sandbox: Sandbox, now: dt.datetime) -> int:
    """Messages whose invisibility ended by `now`: published as visible again (or dead-lettered when
    they were received maxReceiveCount times), and long polls on their queues woken."""
    released = 0
    while True:
        with transaction.atomic():
            rows = list(
                Message.objects.select_for_update(skip_locked=True)
                .filter(sandbox=sandbox, wake_at__lte=now)
                .order_by("wake_at", "id")[:TICK_BATCH]
            )
            if not rows:
                return released
            Message.objects.filter(pk__in=[row.pk for row in rows]).update(wake_at=None)
            queues = {queue.pk: queue for queue in Queue.objects.filter(pk__in={row.queue_id for row in rows})}
            woken: set[str] = set()
            for message in rows:
                queue = queues[message.queue_id]
                queue.sandbox = sandbox
                message.wake_at = None
                if message.visible_at > now or message.expires_at <= now:
                    continue
                if redrive.exhausted(queue, message) and redrive.dead_letter([message], source=queue, now=now):
                    continue
                if message.receive_count > 0:
                    events.flow(
                        sandbox,
                        "visible-again",
                        source=queue.arn,
                        target=queue.arn,
                        item_id=message.message_id,
                        now=now,
                        detail={"receive_count": message.receive_count},
                    )
                woken.add(queue.wake_channel)
            wakeup.notify(*sorted(woken))
            released += len(rows)
        if len(rows) < TICK_BATCH:
            return released


def expire_due(sandbox: Sandbox, now: dt.datetime) -> int:
    """Messages past their queue's retention period: deleted, each published as expired."""
    expired = 0
    while True:
        with transaction.atomic():
            rows = list(
                Message.objects.select_for_update(skip_locked=True)
                .filter(sandbox=sandbox, expires_at__lte=now)
                .order_by("expires_at", "id")[:TICK_BATCH]
            )
            if not rows:
                break
            Message.objects.filter(pk__in=[row.pk for row in rows]).delete()
            arns = dict(Queue.objects.filter(pk__in={row.queue_id for row in rows}).values_list("pk", "arn"))
            for message in rows:
                events.flow(
                    sandbox,
                    "expired",
                    source=arns[message.queue_id],
                    target=arns[message.queue_id],
                    item_id=message.message_id,
                    now=now,
                )
            expired += len(rows)
        if len(rows) < TICK_BATCH:
            break
    return expired
