"""SQS's AWS/SQS metrics, published through CloudWatch's public door, with the QueueName
dimension, on the sandbox clock: NumberOfMessagesSent (Count, per send) and, once a minute while
the sandbox is active, the levels ApproximateNumberOfMessagesVisible (Count) and
ApproximateAgeOfOldestMessage (Seconds) of every queue."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Min, Q

from playground.sandboxes.models import Sandbox
from services.cloudwatch.public import Gauge, gauges, metric_put
from services.sqs.models import Message, Queue

NAMESPACE = "AWS/SQS"


def messages_sent(queue: Queue, *, count: int, now: dt.datetime) -> None:
    metric_put(sandbox=queue.sandbox, region=queue.region, namespace=NAMESPACE, name="NumberOfMessagesSent",
               value=float(count), unit="Count", dimensions={"QueueName": queue.name}, now=now)  # fmt: skip


@gauges("sqs")
def queue_levels(sandbox: Sandbox, now: dt.datetime) -> list[Gauge]:
    levels = []
    rows = Queue.objects.filter(sandbox=sandbox)
    for queue in rows:
        held = Message.objects.filter(queue=queue, expires_at__gt=now).aggregate(
            visible=Count("id", filter=Q(visible_at__lte=now)), oldest=Min("sent_at")
        )
        oldest = held["oldest"]
        age = max((now - oldest).total_seconds(), 0.0) if oldest else 0.0
        where = {"QueueName": queue.name}
        levels.append(Gauge(NAMESPACE, "ApproximateNumberOfMessagesVisible", float(held["visible"]), where, "Count",
                            queue.region))  # fmt: skip
        levels.append(Gauge(NAMESPACE, "ApproximateAgeOfOldestMessage", float(int(age)), where, "Seconds",
                            queue.region))  # fmt: skip
    return levels
