"""Peek: the messages of a queue as they stand, without receiving them.

AWS has no such operation (its console's "poll for messages" is a ReceiveMessage that changes
visibility). The GUI's inspector needs a look that changes nothing: this reads the queue's rows,
says which are visible, in flight or delayed on the sandbox clock, and never writes. Sealed
bodies are opened as a receive would open them; when their KMS key cannot be used, the message is
listed with the reason in place of its body.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.sqs.encryption import Opener
from services.sqs.exceptions import SqsError
from services.sqs.models import Message, Queue

MAX_PEEK = 50


def _state(message: Message, now: dt.datetime) -> str:
    if message.visible_at <= now:
        return "visible"
    return "in_flight" if message.receive_count > 0 else "delayed"


def messages_peek(queue: Queue, *, now: dt.datetime, limit: int = 10) -> list[dict[str, Any]]:
    """The queue's oldest messages (at most `limit`, capped at MAX_PEEK) with their state."""
    limit = max(1, min(limit, MAX_PEEK))
    rows = Message.objects.filter(queue=queue, expires_at__gt=now).order_by("sent_at", "id")[:limit]
    opener = Opener(queue, now=now)
    peeked = []
    for message in rows:
        entry: dict[str, Any] = {
            "message_id": message.message_id,
            "attributes": message.attributes,
            "state": _state(message, now),
            "receive_count": message.receive_count,
            "sent_at": message.sent_at.isoformat(),
            "visible_at": message.visible_at.isoformat(),
            "expires_at": message.expires_at.isoformat(),
            "group_id": message.group_id,
            "dead_letter_source_arn": message.dead_letter_source_arn,
            "encrypted": message.sealed_body is not None,
        }
        try:
            entry["body"] = opener.body(message)
        except SqsError as problem:
            entry["body"] = None
            entry["body_error"] = f"{problem.code}: {problem.message}"
        peeked.append(entry)
    return peeked
