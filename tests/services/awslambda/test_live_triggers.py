"""What invokes a function besides Invoke: an SQS event source mapping (batch size, batching
window on the clock, ReportBatchItemFailures, failures back to the queue and on to its DLQ), an
SNS topic's lambda subscription (allowed by the function's policy), and the policy operations."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, error_of

# The handler reports each record's body to an output queue, and fails the bodies starting "bad".
REPORTER = """
import boto3, json, os
sqs = boto3.client("sqs")
def handler(event, context):
    failures = []
    for record in event["Records"]:
        body = record["body"] if "body" in record else record["Sns"]["Message"]
        sqs.send_message(QueueUrl=os.environ["OUT"], MessageBody=json.dumps({"body": body, "n": len(event["Records"])}))
        if body.startswith("bad"):
            failures.append({"itemIdentifier": record["messageId"]})
    if os.environ.get("RAISE") and failures:
        raise RuntimeError("a bad record")
    return {"batchItemFailures": failures}
"""


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in got:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in got]


def test_sqs_mapping_batches_with_window_and_reports_failures(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None]
) -> None:
    sqs = aws("sqs")
    out = sqs.create_queue(QueueName="out")["QueueUrl"]
    source = sqs.create_queue(QueueName="in", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    source_arn = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = make_function(REPORTER, Environment={"Variables": {"OUT": out}})
    mapping = lam.create_event_source_mapping(
        EventSourceArn=source_arn, FunctionName=name, BatchSize=3, MaximumBatchingWindowInSeconds=5,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )  # fmt: skip
    assert mapping["State"] == "Creating"
    advance(1)
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Enabled"
    sqs.send_message(QueueUrl=source, MessageBody="one")
    sqs.send_message(QueueUrl=source, MessageBody="bad two")
    advance(1)  # the poller sees 2 messages: the window of 5 s starts
    advance(4)
    assert _drain(sqs, out) == []  # it waits for a full batch of 3, or the window's end
    advance(1)
    assert sorted(m["body"] for m in _drain(sqs, out)) == ["bad two", "one"]
    counts = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "1"  # only the reported failure stays
    assert counts["ApproximateNumberOfMessages"] == "0"
    advance(30)  # its visibility timeout ends: it comes back alone once the window passes again
    advance(5)
    assert [m["body"] for m in _drain(sqs, out)] == ["bad two"]
    with pytest.raises(ClientError) as caught:
        lam.create_event_source_mapping(EventSourceArn=source_arn, FunctionName=name)
    code, status, message = error_of(caught)
    assert (code, status) == ("ResourceConflictException", 409)
    assert mapping["UUID"] in message
    lam.delete_event_source_mapping(UUID=mapping["UUID"])
    with pytest.raises(ClientError) as caught:
        lam.get_event_source_mapping(UUID=mapping["UUID"])
    assert error_of(caught) == ("ResourceNotFoundException", 404, "The resource you requested does not exist.")


def test_failed_batches_go_back_and_on_to_the_dead_letter_queue(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None]
) -> None:
    sqs = aws("sqs")
    out = sqs.create_queue(QueueName="out")["QueueUrl"]
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    source = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "10", "RedrivePolicy": redrive})
    source_arn = sqs.get_queue_attributes(QueueUrl=source["QueueUrl"], AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    name = make_function(REPORTER, Environment={"Variables": {"OUT": out, "RAISE": "1"}})
    lam.create_event_source_mapping(EventSourceArn=source_arn, FunctionName=name, BatchSize=10)
    advance(1)
    sqs.send_message(QueueUrl=source["QueueUrl"], MessageBody="bad always")
    advance(1)  # received once: the function raises
    advance(11)  # back after the visibility timeout: received a second time, raises again
    advance(11)  # a third receive would pass maxReceiveCount: SQS moves it to the DLQ
    assert [m["body"] for m in _drain(sqs, out)] == ["bad always", "bad always"]
    moved = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert moved[0]["Body"] == "bad always"


def test_sns_invokes_a_function_its_policy_allows(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None],
    sandbox: SandboxInfo,
) -> None:  # fmt: skip
    sqs, sns = aws("sqs"), aws("sns")
    out = sqs.create_queue(QueueName="out")["QueueUrl"]
    topic = sns.create_topic(Name="news")["TopicArn"]
    name = make_function(REPORTER, Environment={"Variables": {"OUT": out}})
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="refused")
    advance(1)
    assert _drain(sqs, out) == []  # no permission for sns.amazonaws.com yet
    statement = lam.add_permission(
        FunctionName=name, StatementId="sns", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com",
        SourceArn=topic,
    )  # fmt: skip
    assert json.loads(statement["Statement"])["Principal"] == {"Service": "sns.amazonaws.com"}
    with pytest.raises(ClientError) as caught:
        lam.add_permission(FunctionName=name, StatementId="sns", Action="lambda:InvokeFunction",
                           Principal="sns.amazonaws.com")  # fmt: skip
    assert error_of(caught) == (
        "ResourceConflictException", 409,
        "The statement id (sid) provided already exists. Please choose a new statement id, or remove the existing "
        "statement.",
    )  # fmt: skip
    sns.publish(TopicArn=topic, Message="hello")
    advance(1)
    assert [m["body"] for m in _drain(sqs, out)] == ["hello"]
    policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    assert policy["Statement"][0]["Condition"] == {"ArnLike": {"AWS:SourceArn": topic}}
    lam.remove_permission(FunctionName=name, StatementId="sns")
    with pytest.raises(ClientError) as caught:
        lam.get_policy(FunctionName=name)
    assert error_of(caught) == ("ResourceNotFoundException", 404, "The resource you requested does not exist.")
    with pytest.raises(ClientError) as caught:
        lam.remove_permission(FunctionName=name, StatementId="sns")
    assert error_of(caught) == ("ResourceNotFoundException", 404, "Statement sns is not found in resource policy.")


def test_event_invocation_retries_then_goes_to_its_dead_letter_queue(
    lam: Any, aws: Callable[..., Any], make_function: Callable[..., str], advance: Callable[[float], None]
) -> None:
    sqs = aws("sqs")
    dlq = sqs.create_queue(QueueName="fn-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = make_function("def handler(e, c):\n    raise KeyError('x')\n", DeadLetterConfig={"TargetArn": dlq_arn})
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"job": 1}')
    advance(0.1)  # first attempt
    advance(60)  # first retry after a minute
    assert "Messages" not in sqs.receive_message(QueueUrl=dlq)
    advance(120)  # second retry after two more: then the event goes to the DLQ
    moved = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"][0]
    assert json.loads(moved["Body"]) == {"job": 1}
    assert moved["MessageAttributes"]["ErrorMessage"]["StringValue"] == "'x'"
