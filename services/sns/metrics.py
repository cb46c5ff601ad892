"""SNS's AWS/SNS metrics, published through CloudWatch's public door: NumberOfMessagesPublished
(per publish) and NumberOfNotificationsFailed (per delivery given up, dead-lettered or lost), each
a Count with the TopicName dimension, on the sandbox clock."""

from __future__ import annotations

import datetime as dt

from playground.sandboxes.models import Sandbox
from services.cloudwatch.public import metric_put

NAMESPACE = "AWS/SNS"


def _put(sandbox: Sandbox, topic_arn: str, name: str, now: dt.datetime) -> None:
    parts = topic_arn.split(":")
    if len(parts) < 6:
        return
    metric_put(sandbox=sandbox, region=parts[3], namespace=NAMESPACE, name=name, value=1.0, unit="Count",
               dimensions={"TopicName": parts[5]}, now=now)  # fmt: skip


def message_published(*, sandbox: Sandbox, topic_arn: str, now: dt.datetime) -> None:
    _put(sandbox, topic_arn, "NumberOfMessagesPublished", now)


def notification_failed(*, sandbox: Sandbox, topic_arn: str, now: dt.datetime) -> None:
    _put(sandbox, topic_arn, "NumberOfNotificationsFailed", now)
