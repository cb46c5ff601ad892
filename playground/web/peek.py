"""Peek: the messages of an SQS queue as they stand, without receiving them.

AWS has no such operation (its console's "poll for messages" is a ReceiveMessage that changes
visibility). The inspector needs a look that changes nothing, so this reads the queue's rows and
says which are visible, in flight or delayed, on the sandbox clock. It never writes.

LIMITATION: this reads services.sqs's models directly because SQS has no read-only domain
function for it yet; it belongs in services/sqs (a `messages_peek(queue=..., now=..., limit=...)`)
and this module should then call that.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.sandboxes.models import Sandbox
from services.sqs.models import Message
from services.sqs.queues import queue_by_arn

MAX_PEEK = 50


def _state(message: Message, now: dt.datetime) -> str:
    if message.visible_at <= now:
        return "visible"
    return "in_flight" if message.receive_count > 0 else "delayed"


def queue_peek(*, sandbox: Sandbox, arn: str, now: dt.datetime, limit: int = 10) -> dict[str, Any] | None:
    """The queue's oldest messages (at most `limit`) with their state; None when there is no such queue."""
    queue = queue_by_arn(sandbox=sandbox, arn=arn)
    if queue is None:
        return None
    limit = max(1, min(limit, MAX_PEEK))
    rows = Message.objects.filter(queue=queue, expires_at__gt=now).order_by("sent_at", "id")[:limit]
    messages = [
        {
            "message_id": message.message_id,
            "body": message.body,
            "attributes": message.attributes,
            "state": _state(message, now),
            "receive_count": message.receive_count,
            "sent_at": message.sent_at.isoformat(),
            "visible_at": message.visible_at.isoformat(),
            "expires_at": message.expires_at.isoformat(),
            "group_id": message.group_id,
            "dead_letter_source_arn": message.dead_letter_source_arn,
        }
        for message in rows
    ]
    return {"queue": queue.arn, "now": now.isoformat(), "messages": messages}
