"""The SNS commands a student types, through the real `aws` executable: create a topic, subscribe a
queue, publish, list the topic's subscriptions, and see the message in the queue."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo
from tests.services.sns.conftest import allow_topic

pytestmark = pytest.mark.live


def test_create_subscribe_publish_list(aws_cli: Callable[..., Any], sqs: Any, sandbox: SandboxInfo) -> None:
    topic = json.loads(aws_cli("sns", "create-topic", "--name", "cli-orders").stdout)["TopicArn"]
    assert topic == f"arn:aws:sns:{sandbox.region}:{sandbox.account_id}:cli-orders"

    url = sqs.create_queue(QueueName="cli-billing")["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{sandbox.region}:{sandbox.account_id}:cli-billing"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": allow_topic(queue_arn, topic)})
    subscribed = json.loads(
        aws_cli(
            "sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", queue_arn
        ).stdout
    )
    assert subscribed["SubscriptionArn"].startswith(f"{topic}:")

    published = json.loads(
        aws_cli(
            "sns", "publish", "--topic-arn", topic, "--message", "book",
            "--message-attributes", '{"kind": {"DataType": "String", "StringValue": "physical"}}',
        ).stdout
    )  # fmt: skip
    listed = json.loads(aws_cli("sns", "list-subscriptions-by-topic", "--topic-arn", topic).stdout)
    assert listed["Subscriptions"] == [
        {
            "SubscriptionArn": subscribed["SubscriptionArn"],
            "Owner": sandbox.account_id,
            "Protocol": "sqs",
            "Endpoint": queue_arn,
            "TopicArn": topic,
        }
    ]
    received = json.loads(aws_cli("sqs", "receive-message", "--queue-url", url).stdout)
    envelope = json.loads(received["Messages"][0]["Body"])
    assert (envelope["MessageId"], envelope["Message"]) == (published["MessageId"], "book")
    assert envelope["MessageAttributes"] == {"kind": {"Type": "String", "Value": "physical"}}

    refused = aws_cli("sns", "publish", "--topic-arn", f"{topic}-missing", "--message", "x", check=False)
    assert refused.returncode != 0
    assert "NotFound" in refused.stderr
    assert "Topic does not exist" in refused.stderr
