"""FIFO queues: order per message group, a group held back while one of its messages is in flight,
deduplication for five minutes, and the FIFO-only rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.services.sqs.test_live_messages import counts
from tests.services.sqs.test_live_queues import error_of

pytestmark = pytest.mark.live

Advance = Callable[[float], None]


def bodies(response: dict[str, Any]) -> list[str]:
    return [message["Body"] for message in response.get("Messages", [])]


def test_order_within_a_group_and_group_blocking(
    sqs: Any, make_queue: Callable[..., str], advance: Advance, paused: None
) -> None:
    url = make_queue(fifo=True, VisibilityTimeout=30)
    for index in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"a{index}", MessageGroupId="A", MessageDeduplicationId=f"a{index}")
        sqs.send_message(QueueUrl=url, MessageBody=f"b{index}", MessageGroupId="B", MessageDeduplicationId=f"b{index}")
    # As many of one group as possible first, in order.
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)
    assert bodies(first) == ["a0", "a1"]
    # Group A is in flight: only B comes out now.
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert bodies(second) == ["b0", "b1", "b2"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert counts(sqs, url) == (1, 5, 0)
    # Deleting only a0 does not free the group: a1 is still in flight.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["Messages"][0]["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["Messages"][1]["ReceiptHandle"])
    assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)) == ["a2"]
    # Both groups come back after their timeout, the group of the oldest message first.
    advance(30)
    assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)) == ["b0", "b1", "b2", "a2"]


def test_sequence_numbers_increase_and_come_back(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    first = sqs.send_message(QueueUrl=url, MessageBody="one", MessageGroupId="g")
    second = sqs.send_message(QueueUrl=url, MessageBody="two", MessageGroupId="g")
    assert len(first["SequenceNumber"]) == 20
    assert int(second["SequenceNumber"]) > int(first["SequenceNumber"])
    [message] = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"]
    assert message["Attributes"]["SequenceNumber"] == first["SequenceNumber"]
    assert message["Attributes"]["MessageGroupId"] == "g"
    assert len(message["Attributes"]["MessageDeduplicationId"]) == 64  # SHA-256 of the body


def test_deduplication_lasts_five_minutes(
    sqs: Any, make_queue: Callable[..., str], advance: Advance, paused: None
) -> None:
    url = make_queue(fifo=True)
    first = sqs.send_message(QueueUrl=url, MessageBody="pay 10", MessageGroupId="g", MessageDeduplicationId="p1")
    again = sqs.send_message(QueueUrl=url, MessageBody="pay 10", MessageGroupId="g", MessageDeduplicationId="p1")
    assert again["MessageId"] == first["MessageId"]
    assert again["SequenceNumber"] == first["SequenceNumber"]
    # Even once consumed, the id stays taken for the interval.
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    advance(299)
    sqs.send_message(QueueUrl=url, MessageBody="pay 10", MessageGroupId="g", MessageDeduplicationId="p1")
    assert counts(sqs, url) == (0, 0, 0)
    advance(1)
    third = sqs.send_message(QueueUrl=url, MessageBody="pay 10", MessageGroupId="g", MessageDeduplicationId="p1")
    assert third["MessageId"] != first["MessageId"]
    assert counts(sqs, url) == (1, 0, 0)


def test_content_based_deduplication(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "1", "MessageBody": "same", "MessageGroupId": "g"},
            {"Id": "2", "MessageBody": "same", "MessageGroupId": "h"},
            {"Id": "3", "MessageBody": "other", "MessageGroupId": "g"},
            {"Id": "4", "MessageBody": "same", "MessageGroupId": "g", "MessageDeduplicationId": "explicit"},
        ],
    )
    ids = {entry["Id"]: entry["MessageId"] for entry in result["Successful"]}
    assert ids["1"] == ids["2"]
    assert len(set(ids.values())) == 3
    assert counts(sqs, url) == (3, 0, 0)


def test_deduplication_scoped_per_message_group(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue(fifo=True, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
    a = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="a", MessageDeduplicationId="d")
    b = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="b", MessageDeduplicationId="d")
    assert a["MessageId"] != b["MessageId"]
    assert counts(sqs, url) == (2, 0, 0)


def test_receive_request_attempt_id_retries_return_the_same_messages(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue(fifo=True, ContentBasedDeduplication="true")
    for body in ("1", "2", "3"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1")
    retry = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1")
    assert [m["ReceiptHandle"] for m in retry["Messages"]] == [m["ReceiptHandle"] for m in first["Messages"]]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["Messages"][0]["ReceiptHandle"])
    with pytest.raises(ClientError) as caught:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1")
    code, message, _ = error_of(caught)
    assert code == "InvalidParameterValue"
    assert "not retryable" in message


def test_fifo_delete_with_an_expired_handle_fails(
    sqs: Any, make_queue: Callable[..., str], advance: Advance, paused: None
) -> None:
    url = make_queue(fifo=True, ContentBasedDeduplication="true", VisibilityTimeout=10)
    sqs.send_message(QueueUrl=url, MessageBody="late", MessageGroupId="g")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    advance(10)
    with pytest.raises(ClientError) as caught:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert error_of(caught)[0] == "ReceiptHandleIsInvalid"
    assert counts(sqs, url) == (1, 0, 0)


@pytest.mark.parametrize(
    ("kwargs", "code", "message_part"),
    [
        ({"MessageBody": "x", "MessageDeduplicationId": "d"}, "MissingParameter", "MessageGroupId"),
        ({"MessageBody": "x", "MessageGroupId": "g"}, "InvalidParameterValue", "ContentBasedDeduplication"),
        (
            {"MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d", "DelaySeconds": 5},
            "InvalidParameterValue",
            "DelaySeconds",
        ),
        (
            {"MessageBody": "x", "MessageGroupId": "g" * 129, "MessageDeduplicationId": "d"},
            "InvalidParameterValue",
            "128",
        ),
        (
            {"MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "with space"},
            "InvalidParameterValue",
            "MessageDeduplicationId",
        ),
    ],
)
def test_fifo_send_rules(
    sqs: Any, make_queue: Callable[..., str], kwargs: dict[str, Any], code: str, message_part: str
) -> None:
    url = make_queue(fifo=True)
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=url, **kwargs)
    found_code, message, _ = error_of(caught)
    assert found_code == code
    assert message_part in message
    assert counts(sqs, url) == (0, 0, 0)


def test_fifo_attributes_need_a_fifo_queue_and_stay_fifo(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue(fifo=True)
    with pytest.raises(ClientError) as caught:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "false"})
    assert error_of(caught)[0] == "InvalidAttributeValue"
    with pytest.raises(ClientError) as caught:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoThroughputLimit": "perMessageGroupId"})
    assert error_of(caught)[0] == "InvalidAttributeValue"
    with pytest.raises(ClientError) as caught:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"DeduplicationScope": "everything"})
    assert error_of(caught)[0] == "InvalidAttributeValue"
