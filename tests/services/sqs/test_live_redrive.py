"""Dead-letter queues: RedrivePolicy by maxReceiveCount, RedriveAllowPolicy, ListDeadLetterSourceQueues,
and message move tasks moving messages back out of a dead-letter queue."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.services.sqs.test_live_messages import counts
from tests.services.sqs.test_live_queues import error_of

pytestmark = pytest.mark.live

Advance = Callable[[float], None]


def arn_of(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def redrive(arn: str, count: int) -> str:
    return json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": count})


def test_message_moves_to_the_dead_letter_queue_after_max_receives(
    sqs: Any, make_queue: Callable[..., str], advance: Advance, paused: None
) -> None:
    dlq = make_queue("orders-dlq")
    dlq_arn = arn_of(sqs, dlq)
    source = make_queue("orders", VisibilityTimeout=10, RedrivePolicy=redrive(dlq_arn, 2))
    policy = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
    assert json.loads(policy) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}
    sent = sqs.send_message(QueueUrl=source, MessageBody="poison")
    for _ in range(2):
        assert sqs.receive_message(QueueUrl=source)["Messages"][0]["MessageId"] == sent["MessageId"]
        advance(10)
    assert counts(sqs, source) == (0, 0, 0)
    assert counts(sqs, dlq) == (1, 0, 0)
    [message] = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "poison"
    assert message["Attributes"]["DeadLetterQueueSourceArn"] == arn_of(sqs, source)
    assert message["Attributes"]["ApproximateReceiveCount"] == "3"
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [source]
    assert sqs.list_dead_letter_source_queues(QueueUrl=source)["queueUrls"] == []


def test_dead_letter_queue_keeps_the_original_enqueue_time(
    sqs: Any, make_queue: Callable[..., str], advance: Advance, paused: None
) -> None:
    dlq = make_queue(MessageRetentionPeriod=120)
    source = make_queue(VisibilityTimeout=60, RedrivePolicy=redrive(arn_of(sqs, dlq), 1))
    sqs.send_message(QueueUrl=source, MessageBody="aging")
    sqs.receive_message(QueueUrl=source)
    advance(60)
    assert counts(sqs, dlq) == (1, 0, 0)
    advance(60)  # 120 s after it was first sent: past the dead-letter queue's retention
    assert counts(sqs, dlq) == (0, 0, 0)


def test_removing_the_redrive_policy(sqs: Any, make_queue: Callable[..., str]) -> None:
    dlq = make_queue()
    source = make_queue(RedrivePolicy=redrive(arn_of(sqs, dlq), 3))
    sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": ""})
    assert "RedrivePolicy" not in sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["All"])["Attributes"]
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == []


@pytest.mark.parametrize(
    ("make_policy", "reason"),
    [
        (lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 0}), "1 to 1000"),
        (lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 1001}), "1 to 1000"),
        (lambda arn: json.dumps({"deadLetterTargetArn": arn + "-missing", "maxReceiveCount": 5}), "does not exist"),
        (lambda arn: json.dumps({"deadLetterTargetArn": arn}), "maxReceiveCount"),
        (lambda arn: "not json", "JSON"),
    ],
)
def test_bad_redrive_policies(
    sqs: Any, make_queue: Callable[..., str], make_policy: Callable[[str], str], reason: str
) -> None:
    dlq = make_queue()
    source = make_queue()
    with pytest.raises(ClientError) as caught:
        sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": make_policy(arn_of(sqs, dlq))})
    code, message, _ = error_of(caught)
    assert code == "InvalidParameterValue"
    assert reason in message


def test_dead_letter_queue_must_be_the_same_type(sqs: Any, make_queue: Callable[..., str]) -> None:
    fifo_dlq = make_queue(fifo=True)
    source = make_queue()
    with pytest.raises(ClientError) as caught:
        sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": redrive(arn_of(sqs, fifo_dlq), 3)})
    assert "same type" in error_of(caught)[1]


def test_redrive_allow_policy(sqs: Any, make_queue: Callable[..., str]) -> None:
    dlq = make_queue()
    allowed = make_queue()
    refused = make_queue()
    allow = {"redrivePermission": "byQueue", "sourceQueueArns": [arn_of(sqs, allowed)]}
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": json.dumps(allow)})
    stored = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["RedriveAllowPolicy"])["Attributes"]
    assert json.loads(stored["RedriveAllowPolicy"]) == allow
    sqs.set_queue_attributes(QueueUrl=allowed, Attributes={"RedrivePolicy": redrive(arn_of(sqs, dlq), 3)})
    with pytest.raises(ClientError) as caught:
        sqs.set_queue_attributes(QueueUrl=refused, Attributes={"RedrivePolicy": redrive(arn_of(sqs, dlq), 3)})
    assert error_of(caught)[0] == "InvalidParameterValue"
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": '{"redrivePermission": "denyAll"}'})
    with pytest.raises(ClientError):
        sqs.set_queue_attributes(QueueUrl=refused, Attributes={"RedrivePolicy": redrive(arn_of(sqs, dlq), 3)})
    too_many = {"redrivePermission": "byQueue", "sourceQueueArns": [arn_of(sqs, allowed)] * 11}
    with pytest.raises(ClientError) as caught:
        sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": json.dumps(too_many)})
    assert "10" in error_of(caught)[1]


def _fill_dead_letter_queue(sqs: Any, make_queue: Callable[..., str], advance: Advance, count: int) -> tuple[str, str]:
    dlq = make_queue()
    source = make_queue(VisibilityTimeout=5, RedrivePolicy=redrive(arn_of(sqs, dlq), 1))
    sqs.send_message_batch(QueueUrl=source, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(count)])
    while sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10).get("Messages"):
        pass
    advance(5)
    assert counts(sqs, dlq) == (count, 0, 0)
    return source, dlq


def test_message_move_task_redrives_to_the_source_at_its_rate(
    sqs: Any, make_queue: Callable[..., str], advance: Advance, paused: None
) -> None:
    source, dlq = _fill_dead_letter_queue(sqs, make_queue, advance, 7)
    dlq_arn = arn_of(sqs, dlq)
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=3)["TaskHandle"]
    with pytest.raises(ClientError) as caught:
        sqs.start_message_move_task(SourceArn=dlq_arn)
    assert "only one active task" in error_of(caught)[1].lower()
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert (task["Status"], task["TaskHandle"], task["ApproximateNumberOfMessagesToMove"]) == ("RUNNING", handle, 7)
    assert task["MaxNumberOfMessagesPerSecond"] == 3
    advance(0)  # the first second's messages move at once
    assert counts(sqs, source)[0] == 3
    advance(1)
    assert counts(sqs, source)[0] == 6
    advance(1)
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 7)
    assert "TaskHandle" not in task
    assert counts(sqs, source) == (7, 0, 0)
    assert counts(sqs, dlq) == (0, 0, 0)
    [message] = sqs.receive_message(QueueUrl=source, MessageSystemAttributeNames=["All"])["Messages"]
    assert "DeadLetterQueueSourceArn" not in message["Attributes"]
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"


def test_message_move_task_to_another_queue_and_cancel(
    sqs: Any, make_queue: Callable[..., str], advance: Advance, paused: None
) -> None:
    _, dlq = _fill_dead_letter_queue(sqs, make_queue, advance, 5)
    dlq_arn = arn_of(sqs, dlq)
    elsewhere = make_queue()
    handle = sqs.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=arn_of(sqs, elsewhere), MaxNumberOfMessagesPerSecond=2
    )["TaskHandle"]
    advance(0)
    assert sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"] == 2
    advance(10)
    assert counts(sqs, elsewhere) == (2, 0, 0)
    assert counts(sqs, dlq) == (3, 0, 0)
    tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
    assert [task["Status"] for task in tasks] == ["CANCELLED"]
    with pytest.raises(ClientError):
        sqs.cancel_message_move_task(TaskHandle=handle)
    with pytest.raises(ClientError) as caught:
        sqs.cancel_message_move_task(TaskHandle="bm90IGEgaGFuZGxl")
    assert error_of(caught)[0] == "ResourceNotFoundException"


def test_move_task_needs_a_dead_letter_queue(sqs: Any, make_queue: Callable[..., str], sandbox: Any) -> None:
    plain = make_queue()
    with pytest.raises(ClientError) as caught:
        sqs.start_message_move_task(SourceArn=arn_of(sqs, plain))
    assert "Dead Letter Queue" in error_of(caught)[1]
    with pytest.raises(ClientError) as caught:
        sqs.start_message_move_task(SourceArn=arn_of(sqs, plain) + "-gone")
    assert error_of(caught)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as caught:
        sqs.list_message_move_tasks(SourceArn=arn_of(sqs, plain) + "-gone")
    assert error_of(caught)[0] == "ResourceNotFoundException"
