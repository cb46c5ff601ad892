"""What other services may use of SQS (docs/services.md: services meet through public doors).

queue_by_arn(sandbox=, arn=)   the queue an ARN names, or None
Outgoing                       a message to send: body, attributes, group and deduplication ids
check_message(queue, outgoing) the checks SendMessage makes, raising SQS's error
messages_send / message_send   send checked messages as a given sender (SNS delivering to a
                               subscribed queue or a dead-letter queue)
"""

from __future__ import annotations

from services.sqs.messages import Outgoing, check_message, message_send, messages_send
from services.sqs.queues import queue_by_arn

__all__ = ["Outgoing", "check_message", "message_send", "messages_send", "queue_by_arn"]
