"""What other services may use of SNS (docs/services.md: services meet through public doors).

topic_policy(sandbox=, arn=)            the access policy of the sandbox's topic `arn` (its default
                                        one when none was set), or None when there is no such topic
publish_as_service(sandbox=, arn=, message=, subject=, now=)
                                        publish to the topic as an AWS service does (S3 event
                                        notifications); the message id
register_deliverer(protocol, Deliverer(...)), Note, Outcome
                                        how a service delivers a protocol SNS names but does
                                        not deliver itself (Lambda's `lambda`): delivery.py
"""

from __future__ import annotations

import datetime as dt

from playground.gateway.errors import AwsError
from playground.sandboxes.models import Sandbox
from services.sns.delivery import Deliverer, Note, Outcome, register_deliverer
from services.sns.publishing import topic_publish
from services.sns.topics import topic_attributes, topic_by_arn

__all__ = ["Deliverer", "Note", "Outcome", "publish_as_service", "register_deliverer", "topic_policy"]


def topic_policy(*, sandbox: Sandbox, arn: str) -> str | None:
    try:
        topic = topic_by_arn(sandbox=sandbox, arn=arn)
    except AwsError:
        return None
    return topic_attributes(topic)["Policy"]


def publish_as_service(*, sandbox: Sandbox, arn: str, message: str, subject: str | None, now: dt.datetime) -> str:
    topic = topic_by_arn(sandbox=sandbox, arn=arn, lock=True)
    return topic_publish(topic=topic, message=message, subject=subject, now=now).message_id
