"""Peek for the inspector: a queue's messages as they stand, without receiving them
(services.sqs.peek does the reading)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.sandboxes.models import Sandbox
from services.sqs.peek import messages_peek
from services.sqs.queues import queue_by_arn


def queue_peek(*, sandbox: Sandbox, arn: str, now: dt.datetime, limit: int = 10) -> dict[str, Any] | None:
    """The queue's oldest messages (at most `limit`) with their state; None when there is no such queue."""
    queue = queue_by_arn(sandbox=sandbox, arn=arn)
    if queue is None:
        return None
    return {"queue": queue.arn, "now": now.isoformat(), "messages": messages_peek(queue, now=now, limit=limit)}
