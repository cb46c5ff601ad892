"""SQS queues through boto3 against the live server: create, find, list, attributes, tags,
permissions, delete, and the errors each refuses bad input with."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo

pytestmark = pytest.mark.live


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_new_queue_has_aws_defaults(sqs: Any, make_queue: Callable[..., str], sandbox: SandboxInfo) -> None:
    url = make_queue("defaults")
    assert url.endswith(f"/{sandbox.account_id}/defaults")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["QueueArn"] == f"arn:aws:sqs:{sandbox.region}:{sandbox.account_id}:defaults"
    assert attributes["VisibilityTimeout"] == "30"
    assert attributes["MaximumMessageSize"] == "1048576"
    assert attributes["MessageRetentionPeriod"] == "345600"
    assert attributes["DelaySeconds"] == "0"
    assert attributes["ReceiveMessageWaitTimeSeconds"] == "0"
    assert attributes["SqsManagedSseEnabled"] == "true"
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "0"
    assert attributes["CreatedTimestamp"] == attributes["LastModifiedTimestamp"]
    assert "FifoQueue" not in attributes
    assert "RedrivePolicy" not in attributes


def test_fifo_queue_attributes(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue("orders", fifo=True, ContentBasedDeduplication="true")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["FifoQueue"] == "true"
    assert attributes["ContentBasedDeduplication"] == "true"
    assert attributes["DeduplicationScope"] == "queue"
    assert attributes["FifoThroughputLimit"] == "perQueue"
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}
    )
    chosen = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["FifoThroughputLimit", "DeduplicationScope"])
    assert chosen["Attributes"] == {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}


def test_get_queue_url_and_owner_account(sqs: Any, make_queue: Callable[..., str], sandbox: SandboxInfo) -> None:
    url = make_queue("findme")
    assert sqs.get_queue_url(QueueName="findme")["QueueUrl"] == url
    assert sqs.get_queue_url(QueueName="findme", QueueOwnerAWSAccountId=sandbox.account_id)["QueueUrl"] == url
    with pytest.raises(ClientError) as caught:
        sqs.get_queue_url(QueueName="findme", QueueOwnerAWSAccountId="111122223333")
    assert error_of(caught)[0] == "AWS.SimpleQueueService.NonExistentQueue"
    assert caught.value.response["Error"]["QueryErrorCode"] == "QueueDoesNotExist"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="nothing-here")


def test_aws_style_queue_urls_name_the_same_queue(
    sqs: Any, make_queue: Callable[..., str], sandbox: SandboxInfo
) -> None:
    url = make_queue("styles")
    sqs.send_message(QueueUrl=url, MessageBody="one")
    for form in (
        f"https://sqs.{sandbox.region}.amazonaws.com/{sandbox.account_id}/styles",
        f"https://queue.amazonaws.com/{sandbox.account_id}/styles",
        f"https://{sandbox.region}.queue.amazonaws.com/{sandbox.account_id}/styles",
        f"http://localhost:8000/{sandbox.account_id}/styles",
    ):
        attributes = sqs.get_queue_attributes(QueueUrl=form, AttributeNames=["ApproximateNumberOfMessages"])
        assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "1"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_attributes(QueueUrl=f"https://sqs.eu-west-1.amazonaws.com/{sandbox.account_id}/styles")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl="http://localhost:8000/111122223333/styles", MessageBody="x")
    sqs.send_message(QueueUrl="styles", MessageBody="x")  # a bare name, as AWS takes it
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl="ftp://example.com/styles", MessageBody="x")
    assert error_of(caught)[0] == "InvalidAddress"


def test_another_sandbox_never_sees_the_queue(
    aws: Callable[..., Any], make_queue: Callable[..., str], make_sandbox: Callable[..., SandboxInfo]
) -> None:
    url = make_queue("private")
    other = aws("sqs", info=make_sandbox("other"))
    assert "QueueUrls" not in other.list_queues()
    with pytest.raises(other.exceptions.QueueDoesNotExist):
        other.send_message(QueueUrl=url, MessageBody="sneaky")


def test_create_queue_is_idempotent_for_equal_attributes(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue("same", VisibilityTimeout=45)
    assert sqs.create_queue(QueueName="same", Attributes={"VisibilityTimeout": "45"})["QueueUrl"] == url
    assert sqs.create_queue(QueueName="same")["QueueUrl"] == url
    with pytest.raises(ClientError) as caught:
        sqs.create_queue(QueueName="same", Attributes={"VisibilityTimeout": "60"})
    code, message, _ = error_of(caught)
    assert code == "QueueAlreadyExists"
    assert caught.value.response["Error"]["QueryErrorCode"] == "QueueNameExists"
    assert "VisibilityTimeout" in message
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert attributes == {"VisibilityTimeout": "45"}


def test_list_queues_with_prefix_and_pages(sqs: Any, make_queue: Callable[..., str]) -> None:
    urls = [make_queue(f"page-{index}") for index in range(5)]
    make_queue("other-1")
    assert sorted(sqs.list_queues(QueueNamePrefix="page-")["QueueUrls"]) == urls
    first = sqs.list_queues(QueueNamePrefix="page-", MaxResults=2)
    assert first["QueueUrls"] == urls[:2]
    second = sqs.list_queues(QueueNamePrefix="page-", MaxResults=2, NextToken=first["NextToken"])
    third = sqs.list_queues(QueueNamePrefix="page-", MaxResults=2, NextToken=second["NextToken"])
    assert second["QueueUrls"] + third["QueueUrls"] == urls[2:]
    assert "NextToken" not in third
    paginated = [url for page in sqs.get_paginator("list_queues").paginate(PaginationConfig={"PageSize": 2})
                 for url in page.get("QueueUrls", [])]  # fmt: skip
    assert len(paginated) == 6
    assert sqs.list_queues(QueueNamePrefix="é" * 200_000).get("QueueUrls", []) == []  # longer than any name
    with pytest.raises(ClientError) as caught:
        sqs.list_queues(MaxResults=1001)
    assert error_of(caught)[0] == "InvalidParameterValue"


def test_deleted_queue_name_is_reusable_after_60_seconds(
    sqs: Any, make_queue: Callable[..., str], advance: Callable[[float], None], paused: None
) -> None:
    url = make_queue("short-lived")
    sqs.send_message(QueueUrl=url, MessageBody="gone with it")
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.receive_message(QueueUrl=url)
    with pytest.raises(ClientError) as caught:
        sqs.create_queue(QueueName="short-lived")
    code, message, _ = error_of(caught)
    assert code == "AWS.SimpleQueueService.QueueDeletedRecently"
    assert "60 seconds" in message
    advance(61)
    assert sqs.create_queue(QueueName="short-lived")["QueueUrl"] == url
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


@pytest.mark.parametrize(
    ("attributes", "code", "message_part"),
    [
        ({"VisibilityTimeout": "43201"}, "InvalidAttributeValue", "VisibilityTimeout"),
        ({"VisibilityTimeout": "-1"}, "InvalidAttributeValue", "VisibilityTimeout"),
        ({"MaximumMessageSize": "1023"}, "InvalidAttributeValue", "MaximumMessageSize"),
        ({"MaximumMessageSize": "1048577"}, "InvalidAttributeValue", "MaximumMessageSize"),
        ({"MessageRetentionPeriod": "59"}, "InvalidAttributeValue", "MessageRetentionPeriod"),
        ({"MessageRetentionPeriod": "1209601"}, "InvalidAttributeValue", "MessageRetentionPeriod"),
        ({"DelaySeconds": "901"}, "InvalidAttributeValue", "DelaySeconds"),
        ({"ReceiveMessageWaitTimeSeconds": "21"}, "InvalidAttributeValue", "ReceiveMessageWaitTimeSeconds"),
        ({"KmsDataKeyReusePeriodSeconds": "59"}, "InvalidAttributeValue", "KmsDataKeyReusePeriodSeconds"),
        ({"VisibilityTimeout": "ten"}, "InvalidAttributeValue", "VisibilityTimeout"),
        ({"Policy": "{not json"}, "InvalidAttributeValue", "Policy"),
        ({"ContentBasedDeduplication": "true"}, "InvalidAttributeName", "ContentBasedDeduplication"),
        ({"QueueArn": "arn:aws:sqs:us-east-1:1:x"}, "InvalidAttributeName", "QueueArn"),
        ({"Unheard": "1"}, "InvalidAttributeName", "Unheard"),
        ({"RedrivePolicy": '{"maxReceiveCount": 5}'}, "InvalidParameterValue", "deadLetterTargetArn"),
        ({"RedriveAllowPolicy": '{"redrivePermission": "sometimes"}'}, "InvalidParameterValue", "redrivePermission"),
    ],
)
def test_bad_attribute_values_are_refused_and_nothing_changes(
    sqs: Any, make_queue: Callable[..., str], attributes: dict[str, str], code: str, message_part: str
) -> None:
    url = make_queue(VisibilityTimeout=40)
    before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    with pytest.raises(ClientError) as caught:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "5", **attributes})
    found_code, message, status = error_of(caught)
    assert (found_code, status) == (code, 400)
    assert message_part in message
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"] == before
    with pytest.raises(ClientError) as caught:
        sqs.create_queue(QueueName="never-made", Attributes=attributes)
    assert error_of(caught)[0] == code
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="never-made")


@pytest.mark.parametrize(
    ("name", "attributes"),
    [
        ("x" * 81, {}),
        ("has space", {}),
        ("dots.not.allowed", {}),
        ("plain", {"FifoQueue": "true"}),
        ("looks.fifo", {}),
        ("x" * 76 + ".fifo", {"FifoQueue": "true"}),
    ],
)
def test_bad_queue_names_are_refused(sqs: Any, name: str, attributes: dict[str, str]) -> None:
    with pytest.raises(ClientError) as caught:
        sqs.create_queue(QueueName=name, Attributes=attributes)
    code, message, _ = error_of(caught)
    assert code == "InvalidParameterValue"
    assert "80" in message


def test_set_attributes_changes_the_queue_and_its_modified_time(
    sqs: Any, make_queue: Callable[..., str], advance: Callable[[float], None], paused: None
) -> None:
    url = make_queue()
    created = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["CreatedTimestamp"])["Attributes"]
    advance(10)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*"}]}
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "VisibilityTimeout": "120",
            "MaximumMessageSize": "2048",
            "MessageRetentionPeriod": "600",
            "DelaySeconds": "3",
            "ReceiveMessageWaitTimeSeconds": "2",
            "Policy": json.dumps(policy, indent=2),
            "KmsMasterKeyId": "alias/aws/sqs",
            "SqsManagedSseEnabled": "false",
        },
    )
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "120"
    assert attributes["MaximumMessageSize"] == "2048"
    assert attributes["MessageRetentionPeriod"] == "600"
    assert attributes["DelaySeconds"] == "3"
    assert attributes["ReceiveMessageWaitTimeSeconds"] == "2"
    assert json.loads(attributes["Policy"]) == policy
    assert attributes["KmsMasterKeyId"] == "alias/aws/sqs"
    assert attributes["KmsDataKeyReusePeriodSeconds"] == "300"
    assert attributes["SqsManagedSseEnabled"] == "false"
    assert attributes["CreatedTimestamp"] == created["CreatedTimestamp"]
    assert int(attributes["LastModifiedTimestamp"]) == int(created["CreatedTimestamp"]) + 10
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": "", "SqsManagedSseEnabled": "true"})
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert "Policy" not in attributes
    assert "KmsMasterKeyId" not in attributes
    assert attributes["SqsManagedSseEnabled"] == "true"


def test_unknown_attribute_name_in_get_queue_attributes(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue()
    with pytest.raises(ClientError) as caught:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Nonsense"])
    code, message, _ = error_of(caught)
    assert code == "InvalidAttributeName"
    assert "Nonsense" in message
    with pytest.raises(ClientError) as caught:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["FifoQueue"])
    assert error_of(caught)[0] == "InvalidAttributeName"


def test_tags(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue(tags={"team": "blue"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "blue"}
    sqs.tag_queue(QueueUrl=url, Tags={"env": "lab", "team": "red"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "red", "env": "lab"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "absent"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "lab"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["env"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)
    with pytest.raises(ClientError) as caught:
        sqs.tag_queue(QueueUrl=url, Tags={f"k{index}": "v" for index in range(51)})
    code, message, _ = error_of(caught)
    assert code == "InvalidParameterValue"
    assert message == f"Too many tags added for queue {url.rsplit('/', 1)[1]}."
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)


def test_add_and_remove_permission_edit_the_policy(
    sqs: Any, make_queue: Callable[..., str], sandbox: SandboxInfo
) -> None:
    url = make_queue("shared")
    sqs.add_permission(QueueUrl=url, Label="partner", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    statement = policy["Statement"][0]
    assert statement["Sid"] == "partner"
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert statement["Action"] == "SQS:SendMessage"
    assert statement["Resource"] == f"arn:aws:sqs:{sandbox.region}:{sandbox.account_id}:shared"
    with pytest.raises(ClientError) as caught:
        sqs.add_permission(QueueUrl=url, Label="partner", AWSAccountIds=["111122223333"], Actions=["ReceiveMessage"])
    assert error_of(caught)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as caught:
        sqs.add_permission(QueueUrl=url, Label="owner", AWSAccountIds=["111122223333"], Actions=["DeleteQueue"])
    assert "Only the queue owner" in error_of(caught)[1]
    sqs.remove_permission(QueueUrl=url, Label="partner")
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})
    with pytest.raises(ClientError) as caught:
        sqs.remove_permission(QueueUrl=url, Label="partner")
    assert error_of(caught)[0] == "InvalidParameterValue"


def test_purge_queue_once_a_minute(
    sqs: Any, make_queue: Callable[..., str], advance: Callable[[float], None], paused: None
) -> None:
    url = make_queue("purgeable")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(index), "MessageBody": "m"} for index in range(3)])
    sqs.receive_message(QueueUrl=url)
    sqs.purge_queue(QueueUrl=url)
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
    sqs.send_message(QueueUrl=url, MessageBody="after the purge")
    with pytest.raises(ClientError) as caught:
        sqs.purge_queue(QueueUrl=url)
    code, message, status = error_of(caught)
    assert (code, status) == ("AWS.SimpleQueueService.PurgeQueueInProgress", 403)
    assert "60 seconds" in message
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "after the purge"
    advance(60)
    sqs.purge_queue(QueueUrl=url)
