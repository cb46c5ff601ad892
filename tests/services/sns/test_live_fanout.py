"""Publishing to a topic fans out to its SQS subscribers: the envelope as AWS writes it, raw
delivery, message attributes, MessageStructure=json, and the queue policy AWS requires."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo
from tests.services.sns.conftest import Subscribed

pytestmark = pytest.mark.live

ENVELOPE_KEYS = [
    "Type",
    "MessageId",
    "TopicArn",
    "Subject",
    "Message",
    "Timestamp",
    "SignatureVersion",
    "Signature",
    "SigningCertURL",
    "UnsubscribeURL",
    "MessageAttributes",
]


def test_one_publish_reaches_three_queues(
    sns: Any,
    make_topic: Callable[..., str],
    subscribe_queue: Callable[..., Subscribed],
    drain: Callable[..., list[dict[str, Any]]],
) -> None:
    topic = make_topic("orders")
    queues = [subscribe_queue(topic) for _ in range(3)]
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert sorted(item["Endpoint"] for item in listed) == sorted(queue.queue_arn for queue in queues)
    message_id = sns.publish(TopicArn=topic, Message="order 42 placed")["MessageId"]
    for queue in queues:
        [received] = drain(queue.queue_url, expect=1)
        envelope = json.loads(received["Body"])
        assert (envelope["Type"], envelope["MessageId"], envelope["TopicArn"], envelope["Message"]) == (
            "Notification", message_id, topic, "order 42 placed",
        )  # fmt: skip
        assert envelope["UnsubscribeURL"].endswith(f"SubscriptionArn={queue.subscription_arn.replace(':', '%3A')}")
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (attributes["SubscriptionsConfirmed"], attributes["SubscriptionsPending"]) == ("3", "0")


def test_envelope_has_aws_members_in_aws_order(
    sns: Any,
    make_topic: Callable[..., str],
    subscribe_queue: Callable[..., Subscribed],
    drain: Callable[..., list[dict[str, Any]]],
) -> None:
    topic = make_topic()
    queue = subscribe_queue(topic)
    sns.publish(
        TopicArn=topic,
        Message="hello",
        Subject="Greeting",
        MessageAttributes={
            "color": {"DataType": "String", "StringValue": "red"},
            "size": {"DataType": "Number", "StringValue": "12.5"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
            "tags": {"DataType": "String.Array", "StringValue": '["a", "b"]'},
        },
    )
    [received] = drain(queue.queue_url, expect=1)
    body = received["Body"]
    assert body.startswith('{\n  "Type" : "Notification",\n  "MessageId" : "')
    envelope = json.loads(body)
    assert list(envelope) == ENVELOPE_KEYS
    assert envelope["Subject"] == "Greeting"
    assert envelope["SignatureVersion"] == "1"
    assert envelope["Timestamp"].endswith("Z")
    assert len(envelope["Timestamp"]) == 24
    assert envelope["MessageAttributes"] == {
        "color": {"Type": "String", "Value": "red"},
        "size": {"Type": "Number", "Value": "12.5"},
        "blob": {"Type": "Binary", "Value": base64.b64encode(b"\x00\x01").decode()},
        "tags": {"Type": "String.Array", "Value": '["a", "b"]'},
    }
    # Enveloped messages carry no SQS message attributes of their own.
    assert "MessageAttributes" not in received


def test_raw_delivery_sends_the_body_alone_with_attributes_as_sqs_attributes(
    sns: Any,
    make_topic: Callable[..., str],
    subscribe_queue: Callable[..., Subscribed],
    drain: Callable[..., list[dict[str, Any]]],
) -> None:
    topic = make_topic()
    raw = subscribe_queue(topic, raw=True)
    wrapped = subscribe_queue(topic)
    sns.publish(
        TopicArn=topic,
        Message='{"order": 42}',
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "physical"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\xff"},
        },
    )
    [plain] = drain(raw.queue_url, expect=1)
    assert plain["Body"] == '{"order": 42}'
    assert plain["MessageAttributes"] == {
        "kind": {"DataType": "String", "StringValue": "physical"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\xff"},
    }
    assert plain["Attributes"]["SenderId"]
    [enveloped] = drain(wrapped.queue_url, expect=1)
    assert json.loads(enveloped["Body"])["Message"] == '{"order": 42}'
    attributes = sns.get_subscription_attributes(SubscriptionArn=raw.subscription_arn)["Attributes"]
    assert attributes["RawMessageDelivery"] == "true"


def test_message_structure_json_gives_each_protocol_its_message(
    sns: Any,
    make_topic: Callable[..., str],
    subscribe_queue: Callable[..., Subscribed],
    drain: Callable[..., list[dict[str, Any]]],
) -> None:
    topic = make_topic()
    queue = subscribe_queue(topic)
    sns.publish(
        TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "for all", "sqs": "for queues"})
    )
    [received] = drain(queue.queue_url, expect=1)
    assert json.loads(received["Body"])["Message"] == "for queues"
    with pytest.raises(sns.exceptions.InvalidParameterException) as missing:
        sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"sqs": "x"}))
    assert missing.value.response["Error"]["Message"] == (
        "Invalid parameter: Message Structure - No default entry in JSON message body"
    )
    with pytest.raises(sns.exceptions.InvalidParameterException) as broken:
        sns.publish(TopicArn=topic, MessageStructure="json", Message="{not json")
    assert broken.value.response["Error"]["Message"] == (
        "Invalid parameter: Message Structure - JSON message body failed to parse"
    )


def test_a_queue_whose_policy_does_not_allow_the_topic_gets_nothing_and_the_reason_is_shown(
    sns: Any,
    make_topic: Callable[..., str],
    subscribe_queue: Callable[..., Subscribed],
    drain: Callable[..., list[dict[str, Any]]],
    flows: Callable[..., list[dict[str, Any]]],
) -> None:
    topic = make_topic()
    refused = subscribe_queue(topic, allow=False)
    allowed = subscribe_queue(topic)
    message_id = sns.publish(TopicArn=topic, Message="secret")["MessageId"]
    drain(allowed.queue_url, expect=1)
    drain(refused.queue_url, expect=0)
    [failed] = flows("failed", item_id=message_id)
    assert (failed["source"], failed["target"]) == (topic, refused.queue_arn)
    assert failed["detail"]["error_code"] == "AccessDenied"
    assert "no policy allowing sns.amazonaws.com" in failed["detail"]["reason"]
    [delivered] = flows("delivered", item_id=message_id)
    assert delivered["target"] == allowed.queue_arn


def test_a_policy_for_another_topic_or_a_deny_refuses_delivery(
    sns: Any,
    sqs: Any,
    make_topic: Callable[..., str],
    subscribe_queue: Callable[..., Subscribed],
    drain: Callable[..., list[dict[str, Any]]],
    flows: Callable[..., list[dict[str, Any]]],
) -> None:
    from tests.services.sns.conftest import allow_topic

    topic = make_topic()
    other = make_topic()
    queue = subscribe_queue(topic, allow=False)
    sqs.set_queue_attributes(QueueUrl=queue.queue_url, Attributes={"Policy": allow_topic(queue.queue_arn, other)})
    first = sns.publish(TopicArn=topic, Message="one")["MessageId"]
    [failed] = flows("failed", item_id=first)
    assert "no statement of the queue policy allows" in failed["detail"]["reason"]
    document = json.loads(allow_topic(queue.queue_arn, topic))
    document["Statement"].append({"Sid": "no", "Effect": "Deny", "Principal": "*", "Action": "sqs:*",
                                  "Resource": queue.queue_arn})  # fmt: skip
    sqs.set_queue_attributes(QueueUrl=queue.queue_url, Attributes={"Policy": json.dumps(document)})
    second = sns.publish(TopicArn=topic, Message="two")["MessageId"]
    [denied] = flows("failed", item_id=second)
    assert "denies it (statement no)" in denied["detail"]["reason"]
    drain(queue.queue_url, expect=0)


def test_publish_checks_its_input_as_aws_does(sns: Any, make_topic: Callable[..., str], sandbox: SandboxInfo) -> None:
    topic = make_topic()
    cases: list[tuple[dict[str, Any], str | None]] = [
        ({"Message": ""}, "Invalid parameter: Empty message"),
        ({"Message": "x" * 262_145}, "Invalid parameter: Message too long"),
        ({"Message": "x", "Subject": "a\nb"}, None),
        (
            {"Message": "x", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "abc"}}},
            "Invalid parameter: MessageAttributes Reason: Could not cast message attribute 'n' value to number.",
        ),
        (
            {"Message": "x", "MessageAttributes": {"n": {"DataType": "Integer", "StringValue": "1"}}},
            "Invalid parameter: MessageAttributes Reason: The message attribute 'n' has an invalid message attribute "
            "type, the set of supported type prefixes is Binary, Number, and String.",
        ),
        (
            {"Message": "x", "MessageDeduplicationId": "d"},
            "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
            "parameter that is not valid for this topic type",
        ),
    ]
    for extra, expected in cases:
        with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
            sns.publish(TopicArn=topic, **extra)
        if expected:
            assert refused.value.response["Error"]["Message"] == expected
    with pytest.raises(sns.exceptions.NotFoundException) as missing:
        sns.publish(TopicArn=f"arn:aws:sns:{sandbox.region}:{sandbox.account_id}:nope", Message="x")
    assert missing.value.response["Error"]["Message"] == "Topic does not exist"
    # Exactly at the limit is accepted: 262,144 bytes of message and attributes together.
    sns.publish(TopicArn=topic, Message="x" * 262_144)
