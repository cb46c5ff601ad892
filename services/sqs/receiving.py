"""ReceiveMessage: checking the request, and claiming messages atomically.

A claim takes available messages (visible_at <= now) in order and makes them invisible with a new
receipt token in one transaction. On PostgreSQL the candidate rows are read with SELECT ... FOR
UPDATE SKIP LOCKED, so concurrent consumers never get the same message; on SQLite every write
transaction is serialized (BEGIN IMMEDIATE), which gives the same guarantee. FIFO receives first
lock the queue row, so the group rules (fifo.py) are decided by one receive at a time.

Waiting (long polling) is longpoll.py's; this module makes one attempt at `now`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Min, Value
from django.db.models.functions import Coalesce

from playground.gateway.specs import service_model
from services.kms.public import sse
from services.sqs import encryption, events, fifo, handles, redrive
from services.sqs.exceptions import InvalidAttributeName, OverLimit, invalid_parameter
from services.sqs.messages import (
    SYSTEM_ATTRIBUTES,
    chosen_system_attributes,
    message_attribute_selector,
    received_form,
)
from services.sqs.models import Message, Queue, ReceiveAttempt

MAX_IN_FLIGHT = 120_000
MAX_VISIBILITY = 43_200
MAX_WAIT = 20
ATTEMPT_INTERVAL = dt.timedelta(minutes=5)
# What ReceiveMessage's legacy AttributeNames takes: "All", the queue attribute names the model lists
# (AWS ignores them there) and the message system attribute names it returns.
_ATTRIBUTE_NAMES = frozenset(["All", *SYSTEM_ATTRIBUTES, *service_model("sqs").shape_for("QueueAttributeName").enum])
_ATTEMPT_ID_CHARACTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)


@dataclass(frozen=True)
class ReceiveRequest:
    max_messages: int
    visibility_timeout: int | None  # None: the queue's
    wait_seconds: int | None  # None: the queue's ReceiveMessageWaitTimeSeconds
    system_names: frozenset[str]
    selector: tuple[bool, set[str], tuple[str, ...]]
    attempt_id: str | None
    caller: sse.Caller | None = None  # the consumer, whom a KMS Decrypt made for the receive names


def check_receive(
    *,
    max_messages: int | None,
    visibility_timeout: int | None,
    wait_seconds: int | None,
    attribute_names: Iterable[str] | None,
    system_attribute_names: Iterable[str] | None,
    message_attribute_names: Iterable[str] | None,
    attempt_id: str | None,
    caller: sse.Caller | None = None,
) -> ReceiveRequest:
    if max_messages is not None and not 1 <= max_messages <= 10:
        raise invalid_parameter("MaxNumberOfMessages", max_messages, "Must be between 1 and 10, if provided.")
    if visibility_timeout is not None and not 0 <= visibility_timeout <= MAX_VISIBILITY:
        raise invalid_parameter(
            "VisibilityTimeout", visibility_timeout, f"Must be >= 0 and <= {MAX_VISIBILITY}, if provided."
        )
    if wait_seconds is not None and not 0 <= wait_seconds <= MAX_WAIT:
        raise invalid_parameter("WaitTimeSeconds", wait_seconds, f"Must be >= 0 and <= {MAX_WAIT}, if provided.")
    if attempt_id is not None and not (
        1 <= len(attempt_id) <= 128 and all(character in _ATTEMPT_ID_CHARACTERS for character in attempt_id)
    ):
        raise invalid_parameter(
            "ReceiveRequestAttemptId",
            attempt_id,
            "ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.",
        )
    for name in [*(attribute_names or []), *(system_attribute_names or [])]:
        if name not in _ATTRIBUTE_NAMES:
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
    for name in message_attribute_names or []:
        if not name or len(name) > 256:
            raise invalid_parameter("MessageAttributeName", name, "Message attribute names are 1 to 256 characters.")
    return ReceiveRequest(
        max_messages=max_messages or 1,
        visibility_timeout=visibility_timeout,
        wait_seconds=wait_seconds,
        system_names=frozenset(chosen_system_attributes(attribute_names, system_attribute_names)),
        selector=message_attribute_selector(message_attribute_names),
        attempt_id=attempt_id,
        caller=caller,
    )


def receive_once(queue: Queue, request: ReceiveRequest, *, now: dt.datetime) -> list[dict[str, Any]]:
    """One attempt: claim what is available now and render it (empty when nothing is)."""
    opener = encryption.Opener(queue, now=now, caller=request.caller)
    # Sealed bodies are opened before the claim commits: a KMS error leaves the messages untouched.
    with transaction.atomic():
        prefer_index_order()
        if queue.fifo:
            locked = Queue.objects.select_for_update().filter(pk=queue.pk).first()
            if locked is None:
                return []
            replayed = _replay_attempt(queue, request, opener, now=now)
            if replayed is not None:
                return replayed
            claimed = _claim_fifo(queue, request, now=now)
            if request.attempt_id and claimed:
                _remember_attempt(queue, request.attempt_id, claimed, now=now)
        else:
            claimed = _claim_standard(queue, request, now=now)
        return [_render(queue, message, request, opener) for message in claimed]


def prefer_index_order() -> None:
    """Make PostgreSQL walk the (queue, visible_at, id) index for the rest of this transaction.

    Until a table's first ANALYZE (autovacuum runs it within about a minute of the first writes),
    PostgreSQL takes it for nearly empty and reads every available message of a queue through a
    bitmap scan, to sort them all and keep 10: 20 ms at 10,000 messages instead of 0.1 ms.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_bitmapscan = off")


def _render(queue: Queue, message: Message, request: ReceiveRequest, opener: encryption.Opener) -> dict[str, Any]:
    handle = handles.encode(queue_pk=queue.pk, message_pk=message.pk, token=message.receipt_token)
    return received_form(
        message,
        body=opener.body(message),
        handle=handle,
        system_names=set(request.system_names),
        selector=request.selector,
    )


def next_visible_at(queue: Queue, *, now: dt.datetime) -> dt.datetime | None:
    """When the next invisible message of the queue becomes available, if any is waiting to."""
    found: dt.datetime | None = Message.objects.filter(queue=queue, visible_at__gt=now, expires_at__gt=now).aggregate(
        first=Min("visible_at")
    )["first"]
    return found


# --- claiming --------------------------------------------------------------------------------------


def _visibility(queue: Queue, request: ReceiveRequest) -> dt.timedelta:
    seconds = queue.visibility_timeout if request.visibility_timeout is None else request.visibility_timeout
    return dt.timedelta(seconds=seconds)


def _in_flight(queue: Queue, *, now: dt.datetime) -> int:
    return Message.objects.filter(queue=queue, visible_at__gt=now, receive_count__gt=0, expires_at__gt=now).count()


def _hand_out(queue: Queue, messages: list[Message], request: ReceiveRequest, *, now: dt.datetime) -> None:
    """Mark messages received, in one statement: a new receipt token (one per receive: a handle also
    names its message), one more receive, invisible for the visibility timeout."""
    visibility = _visibility(queue, request)
    token = handles.new_token()
    visible_at = now + visibility
    wake_at = visible_at if visibility else None
    for message in messages:
        if message.wake_at is not None and message.wake_at <= now and message.receive_count > 0:
            # Its timeout ended and the tick has not said so yet: tell the diagram before it goes out again.
            events.flow(
                queue.sandbox, "visible-again", source=queue.arn, target=queue.arn, item_id=message.message_id, now=now
            )
        message.receipt_token = token
        message.receive_count += 1
        message.first_received_at = message.first_received_at or now
        message.received_at = now
        message.visible_at = visible_at
        message.wake_at = wake_at
    Message.objects.filter(pk__in=[message.pk for message in messages]).update(
        receipt_token=token,
        receive_count=F("receive_count") + 1,
        first_received_at=Coalesce("first_received_at", Value(now)),
        received_at=now,
        visible_at=visible_at,
        wake_at=wake_at,
    )
    for message in messages:
        events.flow(
            queue.sandbox,
            "received",
            source=queue.arn,
            target=events.CLIENT,
            item_id=message.message_id,
            now=now,
            detail={"receive_count": message.receive_count},
        )


def _claim_standard(queue: Queue, request: ReceiveRequest, *, now: dt.datetime) -> list[Message]:
    wanted = request.max_messages
    if _in_flight(queue, now=now) >= MAX_IN_FLIGHT:
        raise OverLimit(f"The maximum number of in flight messages ({MAX_IN_FLIGHT}) has been reached.")
    claimed: list[Message] = []
    while len(claimed) < wanted:
        asked = wanted - len(claimed)
        candidates = Message.objects.select_for_update(skip_locked=True).filter(
            queue=queue, visible_at__lte=now, expires_at__gt=now
        )
        if claimed:  # a zero visibility timeout leaves them available: never twice in one answer
            candidates = candidates.exclude(pk__in=[message.pk for message in claimed])
        rows = list(candidates.order_by("visible_at", "id")[:asked])
        spent = [message for message in rows if redrive.exhausted(queue, message)]
        # Moved only when the dead-letter queue exists; AWS keeps delivering them from the source otherwise.
        moved = {message.pk for message in redrive.dead_letter(spent, source=queue, now=now)}
        fresh = [message for message in rows if message.pk not in moved]
        if fresh:
            _hand_out(queue, fresh, request, now=now)
            claimed.extend(fresh)
        if len(rows) < asked or not moved:
            break
    return claimed


def _claim_fifo(queue: Queue, request: ReceiveRequest, *, now: dt.datetime) -> list[Message]:
    if _in_flight(queue, now=now) >= MAX_IN_FLIGHT:
        return []  # AWS returns no error for FIFO queues at the in-flight limit, just no messages
    wanted = request.max_messages
    excluded = fifo.blocked_groups(queue, now=now)
    claimed: list[Message] = []
    while len(claimed) < wanted:
        group = fifo.oldest_available_group(queue, excluded=excluded, now=now)
        if group is None:
            break
        head = fifo.group_head(queue, group_id=group, limit=wanted - len(claimed), now=now)
        spent = [message for message in head if redrive.exhausted(queue, message)]
        if spent and redrive.dead_letter(spent, source=queue, now=now):
            continue  # the group's next messages move up; look at it again
        if head:
            _hand_out(queue, head, request, now=now)
            claimed.extend(head)
        excluded.add(group)
    return claimed


# --- FIFO receive attempts -------------------------------------------------------------------------


def _replay_attempt(
    queue: Queue, request: ReceiveRequest, opener: encryption.Opener, *, now: dt.datetime
) -> list[dict[str, Any]] | None:
    """The same messages and handles for a retried ReceiveRequestAttemptId, if nothing changed since."""
    if not request.attempt_id:
        return None
    attempt = ReceiveAttempt.objects.filter(queue=queue, attempt_id=request.attempt_id, expires_at__gt=now).first()
    if attempt is None:
        return None
    by_pk = Message.objects.in_bulk([pk for pk, _token, _visible in attempt.deliveries])
    replay = []
    for pk, token, visible_at in attempt.deliveries:
        message = by_pk.get(pk)
        if message is None or message.receipt_token != token or message.visible_at.isoformat() != visible_at:
            raise invalid_parameter(
                "ReceiveRequestAttemptId",
                request.attempt_id,
                "The receiveRequestAttemptId is not valid anymore since the receive call is not retryable.",
            )
        replay.append(_render(queue, message, request, opener))
    return replay


def _remember_attempt(queue: Queue, attempt_id: str, messages: list[Message], *, now: dt.datetime) -> None:
    deliveries = [[message.pk, message.receipt_token, message.visible_at.isoformat()] for message in messages]
    ReceiveAttempt.objects.update_or_create(
        queue=queue,
        attempt_id=attempt_id,
        defaults={"sandbox_id": queue.sandbox_id, "deliveries": deliveries, "expires_at": now + ATTEMPT_INTERVAL},
    )
