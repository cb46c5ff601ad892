"""What other services may use of SQS (docs/services.md: services meet through public doors).

queue_by_arn(sandbox=, arn=)   the queue an ARN names, or None
Outgoing                       a message to send: body, attributes, group and deduplication ids
check_message(queue, outgoing) the checks SendMessage makes, raising SQS's error
messages_send / message_send   send checked messages as a given sender (SNS delivering to a
                               subscribed queue or a dead-letter queue); service_principal=
                               "sns.amazonaws.com" records each send in CloudTrail as that
                               service's SendMessage (a data event)
visible_count(queue=, now=)    how many messages a receive could take now (a Lambda mapping's
                               batching window)
messages_receive(queue=, max_messages=, now=)
                               receive as ReceiveMessage does with every attribute (Lambda's
                               poller): up to 10 messages in ReceiveMessage's output form, with the
                               queue's visibility timeout, its redrive policy applied
messages_delete(queue=, receipt_handles=, now=)
                               delete received messages (a batch a function processed)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from services.sqs.messages import Outgoing, check_message, message_send, messages_send
from services.sqs.models import Queue
from services.sqs.queues import queue_by_arn, queue_counts
from services.sqs.receiving import check_receive, receive_once
from services.sqs.visibility import messages_delete as _messages_delete

__all__ = [
    "Outgoing",
    "check_message",
    "message_send",
    "messages_delete",
    "messages_receive",
    "messages_send",
    "queue_by_arn",
    "visible_count",
]


def visible_count(*, queue: Queue, now: dt.datetime) -> int:
    return queue_counts(queue, now=now)["ApproximateNumberOfMessages"]


def messages_receive(*, queue: Queue, max_messages: int, now: dt.datetime) -> list[dict[str, Any]]:
    request = check_receive(
        max_messages=max(1, min(max_messages, 10)), visibility_timeout=None, wait_seconds=0,
        attribute_names=None, system_attribute_names=["All"], message_attribute_names=["All"], attempt_id=None,
    )  # fmt: skip
    return receive_once(queue, request, now=now)


def messages_delete(*, queue: Queue, receipt_handles: list[str], now: dt.datetime) -> None:
    with transaction.atomic():  # the deletes lock their rows, as DeleteMessageBatch's do
        _messages_delete(queue=queue, receipt_handles=receipt_handles, now=now)
