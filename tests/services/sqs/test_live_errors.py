"""SQS errors as AWS's API reference and AWS itself give them, through boto3 and the CLI: the code
boto3 reports, the HTTP status, the headers (x-amzn-query-error carries the query-era code) and
the message; and the documented behaviours around them (a queue named by its bare name, message
attribute wildcards)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo

pytestmark = pytest.mark.live


def refusal(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str, str]:
    """(code, status, x-amzn-query-error header, message) of a refused call."""
    response = caught.value.response
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/x-amz-json-1.0"
    assert headers["x-amzn-requestid"]
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        headers.get("x-amzn-query-error", ""),
        response["Error"]["Message"],
    )


# --- a queue's bare name in QueueUrl -------------------------------------------------------------------


def test_a_queue_is_found_by_its_bare_name(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue("orders", fifo=True)
    sqs.send_message(QueueUrl="orders.fifo", MessageBody="by name", MessageGroupId="g", MessageDeduplicationId="1")
    [message] = sqs.receive_message(QueueUrl="orders.fifo")["Messages"]
    assert message["Body"] == "by name"
    sqs.delete_message(QueueUrl="orders.fifo", ReceiptHandle=message["ReceiptHandle"])
    assert sqs.get_queue_attributes(QueueUrl="orders.fifo", AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert url.endswith("/orders.fifo")
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl="no-such-queue", MessageBody="x")
    assert refusal(caught) == (
        "AWS.SimpleQueueService.NonExistentQueue",
        400,
        "AWS.SimpleQueueService.NonExistentQueue;Sender",
        "The specified queue does not exist.",
    )


def test_the_cli_takes_a_bare_queue_name(aws_cli: Any, make_queue: Callable[..., str]) -> None:
    make_queue("cli-named")
    aws_cli("sqs", "send-message", "--queue-url", "cli-named", "--message-body", "hello")
    received = aws_cli("sqs", "receive-message", "--queue-url", "cli-named")
    assert '"Body": "hello"' in received.stdout


# --- DelaySeconds ----------------------------------------------------------------------------------------


def test_a_fifo_queue_refuses_a_per_message_delay(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue(fifo=True)
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d", DelaySeconds=5)
    assert refusal(caught) == (
        "InvalidParameterValue",
        400,
        "InvalidParameterValue;Sender",
        "Value 5 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for "
        "this queue type.",
    )


def test_a_batch_fails_only_the_entry_delayed_over_900_seconds(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue()
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "MessageBody": "x", "DelaySeconds": 900},
            {"Id": "late", "MessageBody": "y", "DelaySeconds": 901},
        ],
    )
    assert [entry["Id"] for entry in result["Successful"]] == ["ok"]
    assert result["Failed"] == [
        {
            "Id": "late",
            "SenderFault": True,
            "Code": "InvalidParameterValue",
            "Message": "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.",
        }
    ]
    assert result["ResponseMetadata"]["HTTPStatusCode"] == 200


# --- ReceiveMessage's MessageAttributeNames ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["All"], {"Custom.a", "Custom.b", "other"}),
        ([".*"], {"Custom.a", "Custom.b", "other"}),
        (["Custom.*"], {"Custom.a", "Custom.b"}),
        (["other"], {"other"}),
        (["Custom.*", "other"], {"Custom.a", "Custom.b", "other"}),
        (["nothing.*"], set()),
    ],
)
def test_message_attribute_names_take_all_and_wildcards(
    sqs: Any, make_queue: Callable[..., str], names: list[str], expected: set[str]
) -> None:
    url = make_queue()
    attributes = {name: {"DataType": "String", "StringValue": name} for name in ("Custom.a", "Custom.b", "other")}
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)
    [message] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=names)["Messages"]
    assert set(message.get("MessageAttributes", {})) == expected
    assert ("MD5OfMessageAttributes" in message) == bool(expected)


def test_the_cli_receives_every_attribute_with_the_dot_star_wildcard(
    aws_cli: Any, make_queue: Callable[..., str]
) -> None:
    url = make_queue()
    aws_cli(
        "sqs", "send-message", "--queue-url", url, "--message-body", "x",
        "--message-attributes", '{"Custom.a": {"DataType": "String", "StringValue": "1"}}',
    )  # fmt: skip
    received = aws_cli("sqs", "receive-message", "--queue-url", url, "--message-attribute-names", ".*")
    assert '"Custom.a"' in received.stdout


# --- TagQueue ---------------------------------------------------------------------------------------------


def test_tagging_with_no_tags_is_missing_the_parameter(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue(tags={"team": "blue"})
    with pytest.raises(ClientError) as caught:
        sqs.tag_queue(QueueUrl=url, Tags={})
    assert refusal(caught) == (
        "MissingParameter",
        400,
        "MissingParameter;Sender",
        "The request must contain the parameter Tags.",
    )
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "blue"}


def test_more_than_fifty_tags_are_refused_and_nothing_changes(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue("tagged", tags={f"old{index}": "v" for index in range(45)})
    with pytest.raises(ClientError) as caught:
        sqs.tag_queue(QueueUrl=url, Tags={f"new{index}": "v" for index in range(6)})
    assert refusal(caught) == (
        "InvalidParameterValue",
        400,
        "InvalidParameterValue;Sender",
        "Too many tags added for queue tagged.",
    )
    assert len(sqs.list_queue_tags(QueueUrl=url)["Tags"]) == 45
    sqs.tag_queue(QueueUrl=url, Tags={f"new{index}": "v" for index in range(5)})  # exactly 50 is fine
    assert len(sqs.list_queue_tags(QueueUrl=url)["Tags"]) == 50
    with pytest.raises(ClientError) as caught:
        sqs.create_queue(QueueName="overtagged", tags={f"k{index}": "v" for index in range(51)})
    assert refusal(caught)[3] == "Too many tags added for queue overtagged."


# --- unknown attribute names --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["VisibilityTimeout ", "visibilitytimeout", "Bogus"])
def test_an_unknown_attribute_is_named_as_sent(sqs: Any, make_queue: Callable[..., str], name: str) -> None:
    url = make_queue()
    expected = ("InvalidAttributeName", 400, "InvalidAttributeName;Sender", f"Unknown Attribute {name}.")
    for call in (
        lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes={name: "30"}),
        lambda: sqs.create_queue(QueueName="named-wrong", Attributes={name: "30"}),
        lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name]),
        lambda: sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=[name]),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert refusal(caught) == expected


def test_an_unknown_attribute_is_named_before_the_queue_is_looked_up(sqs: Any, sandbox: SandboxInfo) -> None:
    with pytest.raises(ClientError) as caught:
        sqs.set_queue_attributes(QueueUrl="absent", Attributes={"VisibilityTimeout ": "30"})
    assert refusal(caught)[3] == "Unknown Attribute VisibilityTimeout ."


def test_the_cli_names_the_unknown_attribute(aws_cli: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue()
    result = aws_cli(
        "sqs", "set-queue-attributes", "--queue-url", url, "--attributes", '{"VisibilityTimeout ": "30"}', check=False
    )
    assert result.returncode != 0
    assert "InvalidAttributeName" in result.stderr
    assert "Unknown Attribute VisibilityTimeout ." in result.stderr


# --- the error's name in the header and the body ------------------------------------------------------


def test_a_missing_queue_is_named_by_the_shape_id_and_its_query_code(sqs: Any, sandbox: SandboxInfo) -> None:
    with pytest.raises(ClientError) as caught:
        sqs.get_queue_attributes(QueueUrl=f"https://localhost/{sandbox.account_id}/nowhere")
    response = caught.value.response
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-errortype"] == "com.amazonaws.sqs#QueueDoesNotExist"
    assert refusal(caught) == (
        "AWS.SimpleQueueService.NonExistentQueue",
        400,
        "AWS.SimpleQueueService.NonExistentQueue;Sender",
        "The specified queue does not exist.",
    )
    assert response["Error"]["QueryErrorCode"] == "QueueDoesNotExist"
