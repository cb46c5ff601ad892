"""FIFO queue rules: sequence numbers, the 5-minute deduplication interval, and which messages of
which message groups a receive may hand out.

Ordering: messages of one group are handed out in sequence order, and none while an earlier one
of the group is in flight. A receive fills itself from the group of the oldest available message
first, then from the next group, as AWS does ("as many messages with the same message group ID as
possible"). Callers hold the queue row's lock (SELECT ... FOR UPDATE), so two receives never pick
the head of the same group at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F

from services.sqs.models import DeduplicationRecord, Message, Queue

DEDUPLICATION_INTERVAL = dt.timedelta(minutes=5)
SEQUENCE_BASE = 10**19  # sequence numbers print as 20 digits, as AWS's do


def next_sequence_numbers(queue: Queue, count: int) -> list[str]:
    """`count` new sequence numbers, increasing; the queue row's update serializes concurrent senders."""
    Queue.objects.filter(pk=queue.pk).update(last_sequence=F("last_sequence") + count)
    last = Queue.objects.filter(pk=queue.pk).values_list("last_sequence", flat=True).get()
    queue.last_sequence = last
    return [str(SEQUENCE_BASE + number) for number in range(last - count + 1, last + 1)]


def content_deduplication_id(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def deduplication_key(queue: Queue, *, deduplication_id: str, group_id: str) -> str:
    if queue.deduplication_scope == "messageGroup":
        return f"{group_id}\n{deduplication_id}"
    return deduplication_id


@dataclass(frozen=True)
class Duplicate:
    message_id: str
    sequence_number: str


def find_duplicate(queue: Queue, *, key: str, now: dt.datetime) -> Duplicate | None:
    record = DeduplicationRecord.objects.filter(queue=queue, key=key).first()
    if record is None:
        return None
    if record.expires_at > now:
        return Duplicate(record.message_id, record.sequence_number)
    record.delete()
    return None


def remember(queue: Queue, *, key: str, message_id: str, sequence_number: str, now: dt.datetime) -> Duplicate | None:
    """Record a send for deduplication; the earlier send's ids when a concurrent one got there first."""
    try:
        with transaction.atomic():
            DeduplicationRecord.objects.create(
                sandbox_id=queue.sandbox_id,
                queue=queue,
                key=key,
                message_id=message_id,
                sequence_number=sequence_number,
                expires_at=now + DEDUPLICATION_INTERVAL,
            )
    except IntegrityError:
        return find_duplicate(queue, key=key, now=now)
    return None


def blocked_groups(queue: Queue, *, now: dt.datetime) -> set[str]:
    """Groups with a message in flight: none of their messages may be handed out."""
    return set(
        Message.objects.filter(queue=queue, visible_at__gt=now, receive_count__gt=0, expires_at__gt=now)
        .values_list("group_id", flat=True)
        .distinct()
    )


def oldest_available_group(queue: Queue, *, excluded: set[str], now: dt.datetime) -> str | None:
    rows = Message.objects.filter(queue=queue, visible_at__lte=now, expires_at__gt=now)
    if excluded:
        rows = rows.exclude(group_id__in=excluded)
    return rows.order_by("sequence_number").values_list("group_id", flat=True).first()


def group_head(queue: Queue, *, group_id: str, limit: int, now: dt.datetime) -> list[Message]:
    """The group's next messages in order, up to the first one not available yet."""
    rows = list(
        Message.objects.filter(queue=queue, group_id=group_id, expires_at__gt=now).order_by("sequence_number")[:limit]
    )
    head = []
    for message in rows:
        if message.visible_at > now:
            break
        head.append(message)
    return head
