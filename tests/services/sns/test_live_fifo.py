"""FIFO topics: order within a message group, the group and deduplication ids passed to FIFO
queues, content-based deduplication over five minutes of the sandbox clock, and the rules AWS
applies to FIFO publishing and subscribing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.services.sns.conftest import Subscribed

pytestmark = pytest.mark.live


def test_messages_arrive_in_order_per_group_with_their_ids(
    sns: Any,
    sqs: Any,
    make_topic: Callable[..., str],
    subscribe_queue: Callable[..., Subscribed],
) -> None:
    topic = make_topic(fifo=True)
    queue = subscribe_queue(topic, fifo=True)
    sequence_numbers = []
    for index in range(12):
        group = "even" if index % 2 == 0 else "odd"
        answer = sns.publish(
            TopicArn=topic, Message=f"m{index}", MessageGroupId=group, MessageDeduplicationId=f"dedup-{index}"
        )
        sequence_numbers.append(int(answer["SequenceNumber"]))
    assert sequence_numbers == sorted(sequence_numbers)
    assert len(set(sequence_numbers)) == 12
    seen: dict[str, list[int]] = {"even": [], "odd": []}
    for _ in range(20):
        batch = sqs.receive_message(
            QueueUrl=queue.queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            envelope = json.loads(message["Body"])
            index = int(envelope["Message"][1:])
            group = message["Attributes"]["MessageGroupId"]
            assert message["Attributes"]["MessageDeduplicationId"] == f"dedup-{index}"
            assert int(envelope["SequenceNumber"]) == sequence_numbers[index]
            seen[group].append(index)
            sqs.delete_message(QueueUrl=queue.queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert seen == {"even": list(range(0, 12, 2)), "odd": list(range(1, 12, 2))}


def test_content_based_deduplication_within_five_minutes_of_the_sandbox_clock(
    sns: Any,
    make_topic: Callable[..., str],
    subscribe_queue: Callable[..., Subscribed],
    drain: Callable[..., list[dict[str, Any]]],
    paused: None,
    advance: Callable[[float], None],
) -> None:
    topic = make_topic(fifo=True, ContentBasedDeduplication="true")
    queue = subscribe_queue(topic, fifo=True, raw=True)
    first = sns.publish(TopicArn=topic, Message="same", MessageGroupId="g")
    again = sns.publish(TopicArn=topic, Message="same", MessageGroupId="g")
    assert (again["MessageId"], again["SequenceNumber"]) == (first["MessageId"], first["SequenceNumber"])
    [received] = drain(queue.queue_url, expect=1)
    assert received["Body"] == "same"
    advance(301)
    later = sns.publish(TopicArn=topic, Message="same", MessageGroupId="g")
    assert later["MessageId"] != first["MessageId"]
    drain(queue.queue_url, expect=1)


def test_a_fifo_topic_feeds_standard_queues_too(
    sns: Any,
    make_topic: Callable[..., str],
    subscribe_queue: Callable[..., Subscribed],
    drain: Callable[..., list[dict[str, Any]]],
) -> None:
    topic = make_topic(fifo=True)
    queue = subscribe_queue(topic)
    sns.publish(TopicArn=topic, Message="hi", MessageGroupId="g", MessageDeduplicationId="d")
    [received] = drain(queue.queue_url, expect=1)
    assert json.loads(received["Body"])["Message"] == "hi"


def test_fifo_rules(sns: Any, sqs: Any, make_topic: Callable[..., str]) -> None:
    fifo = make_topic(fifo=True)
    with pytest.raises(sns.exceptions.InvalidParameterException) as no_group:
        sns.publish(TopicArn=fifo, Message="x", MessageDeduplicationId="d")
    assert no_group.value.response["Error"]["Message"] == (
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    )
    with pytest.raises(sns.exceptions.InvalidParameterException) as no_dedup:
        sns.publish(TopicArn=fifo, Message="x", MessageGroupId="g")
    assert no_dedup.value.response["Error"]["Message"] == (
        "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly"
    )
    standard = make_topic()
    url = sqs.create_queue(QueueName="ledger.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
        sns.subscribe(TopicArn=standard, Protocol="sqs", Endpoint=arn)
    assert refused.value.response["Error"]["Message"] == (
        "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard "
        "SNS topics"
    )
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.subscribe(TopicArn=fifo, Protocol="email", Endpoint="someone@example.com")
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.create_topic(Name="plain", Attributes={"FifoTopic": "true"})
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.create_topic(Name="named.fifo")
    attributes = sns.get_topic_attributes(TopicArn=fifo)["Attributes"]
    assert (attributes["FifoTopic"], attributes["ContentBasedDeduplication"]) == ("true", "false")


def test_publish_batch_to_a_fifo_topic(
    sns: Any,
    make_topic: Callable[..., str],
    subscribe_queue: Callable[..., Subscribed],
    drain: Callable[..., list[dict[str, Any]]],
) -> None:
    topic = make_topic(fifo=True)
    queue = subscribe_queue(topic, fifo=True, raw=True)
    answer = sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": "a", "Message": "one", "MessageGroupId": "g", "MessageDeduplicationId": "1"},
            {"Id": "b", "Message": "two", "MessageGroupId": "g"},
            {"Id": "c", "Message": "three", "MessageGroupId": "g", "MessageDeduplicationId": "3"},
        ],
    )
    assert [item["Id"] for item in answer["Successful"]] == ["a", "c"]
    [failure] = answer["Failed"]
    assert (failure["Id"], failure["Code"], failure["SenderFault"]) == ("b", "InvalidParameter", True)
    assert [item["Body"] for item in drain(queue.queue_url)] == ["one", "three"]
