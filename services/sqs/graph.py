"""The SQS part of a sandbox's diagram: one node per queue, one edge per dead-letter queue link,
and an "encryption" edge from a KMS key to each queue whose KmsMasterKeyId names a key of the
sandbox. describe(arn) gives a queue's attributes, tags and its 100 oldest messages' metadata
(never a body), which the lab checks read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.sandboxes.models import Sandbox
from services.kms.public import resolve_key_arn
from services.sqs.models import Message, Queue
from services.sqs.queues import queue_attributes_all, queue_by_arn, queue_counts


def graph(*, sandbox: Sandbox, now: dt.datetime, region: str | None) -> dict[str, list[dict[str, Any]]]:
    """{"nodes": [...], "edges": [...]}: nodes keyed by queue ARN, edges from a source queue to its
    dead-letter queue (labelled with maxReceiveCount)."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    rows = Queue.objects.filter(sandbox=sandbox).order_by("region", "name")
    queues = list(rows.filter(region=region) if region else rows)
    known = {queue.arn for queue in queues}
    for queue in queues:
        counts = queue_counts(queue, now=now)
        nodes.append(
            {
                "id": queue.arn,
                "service": "sqs",
                "type": "queue",
                "name": queue.name,
                "region": queue.region,
                "fifo": queue.fifo,
                "visible": counts["ApproximateNumberOfMessages"],
                "in_flight": counts["ApproximateNumberOfMessagesNotVisible"],
                "delayed": counts["ApproximateNumberOfMessagesDelayed"],
            }
        )
        if queue.dead_letter_target_arn and queue.dead_letter_target_arn in known:
            edges.append(
                {
                    "id": f"{queue.arn}->{queue.dead_letter_target_arn}",
                    "source": queue.arn,
                    "target": queue.dead_letter_target_arn,
                    "type": "dead-letter",
                    "label": f"after {queue.max_receive_count} receives",
                    "max_receive_count": queue.max_receive_count,
                }
            )
        key_arn = (
            resolve_key_arn(sandbox=sandbox, region=queue.region, key_id=queue.kms_master_key_id)
            if queue.kms_master_key_id
            else None
        )
        if key_arn:
            edges.append(
                {"id": f"{key_arn}->{queue.arn}", "source": key_arn, "target": queue.arn, "type": "encryption"}
            )
    return {"nodes": nodes, "edges": edges}


def describe(*, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    queue = queue_by_arn(sandbox=sandbox, arn=arn)
    if queue is None:
        return None
    rows = Message.objects.filter(queue=queue, expires_at__gt=now).order_by("sent_at", "id")[:100]
    messages = [
        {
            "message_id": message.message_id,
            "state": "visible"
            if message.visible_at <= now
            else ("in_flight" if message.receive_count > 0 else "delayed"),
            "receive_count": message.receive_count,
            "size": message.size,
            "sent_at": message.sent_at.isoformat(),
            "group_id": message.group_id,
            "dead_letter_source_arn": message.dead_letter_source_arn,
        }
        for message in rows
    ]
    return {"attributes": queue_attributes_all(queue, now=now), "tags": dict(queue.tags), "messages": messages}
