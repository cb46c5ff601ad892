"""Event notifications through boto3 against the live server: to SQS queues and SNS topics, the
s3:TestEvent, AWS's record shape, prefix/suffix filters, destination policies and overlapping
configurations; and the live events a bucket publishes (counts, puts, deliveries)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, Server, error_of
from tests.live.test_websocket import login, open_socket, receive_until

pytestmark = pytest.mark.live


def queue_for_s3(sqs: Any, name: str, bucket: str, *, allow: bool = True) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if allow:
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "s3.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": arn,
                    "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}},
                }
            ],
        }
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, arn


def receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(message["Body"]) for message in messages]


def test_notifications_to_a_queue(aws: Callable[..., Any], s3: Any, bucket: str, sandbox: SandboxInfo) -> None:
    sqs = aws("sqs")
    url, arn = queue_for_s3(sqs, "s3-events", bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "uploads",
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                    "Filter": {
                        "Key": {
                            "FilterRules": [{"Name": "prefix", "Value": "in/"}, {"Name": "suffix", "Value": ".txt"}]
                        }
                    },
                }
            ]
        },
    )
    [test_event] = receive(sqs, url)
    assert test_event["Event"] == "s3:TestEvent"
    assert test_event["Service"] == "Amazon S3"
    assert test_event["Bucket"] == bucket
    stored = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    assert stored[0]["Id"] == "uploads"
    assert stored[0]["QueueArn"] == arn

    etag = s3.put_object(Bucket=bucket, Key="in/my report.txt", Body=b"12345")["ETag"]
    s3.put_object(Bucket=bucket, Key="in/image.png", Body=b"x")  # suffix does not match
    s3.put_object(Bucket=bucket, Key="out/other.txt", Body=b"x")  # prefix does not match
    [created] = receive(sqs, url)
    [record] = created["Records"]
    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["awsRegion"] == "us-east-1"
    assert record["s3"]["configurationId"] == "uploads"
    assert record["s3"]["bucket"] == {
        "name": bucket,
        "ownerIdentity": {"principalId": sandbox.account_id},
        "arn": f"arn:aws:s3:::{bucket}",
    }
    assert record["s3"]["object"]["key"] == "in/my+report.txt"
    assert record["s3"]["object"]["size"] == 5
    assert record["s3"]["object"]["eTag"] == etag.strip('"')
    assert record["s3"]["object"]["sequencer"]
    assert record["eventTime"].endswith("Z")

    s3.delete_object(Bucket=bucket, Key="in/my report.txt")
    [removed] = receive(sqs, url)
    assert removed["Records"][0]["eventName"] == "ObjectRemoved:Delete"
    assert "size" not in removed["Records"][0]["s3"]["object"]


def test_destination_policy_must_allow_s3(aws: Callable[..., Any], s3: Any, bucket: str) -> None:
    sqs = aws("sqs")
    _url, arn = queue_for_s3(sqs, "closed-queue", bucket, allow=False)
    config = {"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]}
    with pytest.raises(ClientError) as excinfo:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    assert error_of(excinfo) == ("InvalidArgument", 400, "Unable to validate the following destination configurations")
    assert excinfo.value.response["Error"]["ArgumentName1"] == arn
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)
    missing = arn.replace("closed-queue", "no-such-queue")
    with pytest.raises(ClientError) as excinfo:
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": missing, "Events": ["s3:ObjectCreated:*"]}]
            },
        )
    assert error_of(excinfo)[:2] == ("InvalidArgument", 400)
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=config, SkipDestinationValidation=True
    )
    assert s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"][0]["QueueArn"] == arn


def test_bad_configurations(aws: Callable[..., Any], s3: Any, bucket: str) -> None:
    _url, arn = queue_for_s3(aws("sqs"), "overlap", bucket)
    overlapping = {
        "QueueConfigurations": [
            {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]},
            {
                "QueueArn": arn,
                "Events": ["s3:ObjectCreated:Put"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "a/"}]}},
            },
        ]
    }
    with pytest.raises(ClientError) as excinfo:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=overlapping)
    assert error_of(excinfo) == (
        "InvalidArgument",
        400,
        "Configurations overlap. Configurations on the same bucket cannot share a common event type.",
    )
    with pytest.raises(ClientError) as excinfo:
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:Nothing"]}]},
        )
    assert error_of(excinfo) == ("InvalidArgument", 400, "The event is not supported for notifications")
    # Disjoint prefixes do not overlap.
    disjoint = {
        "QueueConfigurations": [
            {
                "QueueArn": arn,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "a/"}]}},
            },
            {
                "QueueArn": arn,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "b/"}]}},
            },
        ]
    }
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=disjoint)


def test_notifications_to_a_topic(aws: Callable[..., Any], s3: Any, bucket: str) -> None:
    sns, sqs = aws("sns"), aws("sqs")
    topic = sns.create_topic(Name="s3-topic")["TopicArn"]
    sns.set_topic_attributes(
        TopicArn=topic,
        AttributeName="Policy",
        AttributeValue=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "s3.amazonaws.com"},
                        "Action": "SNS:Publish",
                        "Resource": topic,
                        "Condition": {"StringEquals": {"aws:SourceAccount": topic.split(":")[4]}},
                    }
                ],
            }
        ),
    )
    url = sqs.create_queue(QueueName="from-topic")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
            }
        ]
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(queue_policy)})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:Put"]}]},
    )
    assert receive(sqs, url)[0]["Event"] == "s3:TestEvent"
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    s3.copy_object(Bucket=bucket, Key="copy", CopySource=f"{bucket}/k")  # ObjectCreated:Copy is not wanted
    [message] = receive(sqs, url)
    assert message["Records"][0]["eventName"] == "ObjectCreated:Put"
    assert message["Records"][0]["s3"]["object"]["key"] == "k"


def test_live_events_of_a_bucket(
    daphne: Server, make_sandbox: Callable[..., SandboxInfo], aws: Callable[..., Any], request: pytest.FixtureRequest
) -> None:
    username = f"s3-{request.node.name[:60]}"
    owned = make_sandbox(username=username)
    s3, sqs = aws("s3", info=owned), aws("sqs", info=owned)
    with open_socket(daphne, owned.id, login(daphne, username, f"pw-{username}")) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "hello"
        s3.create_bucket(Bucket="watched")
        created = receive_until(socket, lambda e: e["type"] == "resource.created" and e["service"] == "s3", timeout=5)
        assert created["arn"] == "arn:aws:s3:::watched"
        assert created["attributes"]["object_count"] == 0
        _url, arn = queue_for_s3(sqs, "watched-events", "watched")
        s3.put_bucket_notification_configuration(
            Bucket="watched",
            NotificationConfiguration={"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]},
        )
        s3.put_object(Bucket="watched", Key="a.txt", Body=b"12345")
        put = receive_until(socket, lambda e: e["type"] == "flow" and e.get("kind") == "put", timeout=5)
        assert put["target"] == "arn:aws:s3:::watched"
        assert put["detail"]["key"] == "a.txt"
        changed = receive_until(
            socket, lambda e: e["type"] == "resource.changed" and e["attributes"].get("object_count") == 1, timeout=5
        )
        assert changed["attributes"]["total_size"] == 5
        assert changed["attributes"]["notification_targets"] == [arn]
        delivered = receive_until(
            socket,
            lambda e: (
                e["type"] == "flow" and e.get("kind") == "notification" and e["detail"]["event"] != "s3:TestEvent"
            ),
            timeout=5,
        )
        assert (delivered["source"], delivered["target"]) == ("arn:aws:s3:::watched", arn)
        s3.delete_object(Bucket="watched", Key="a.txt")
        s3.delete_bucket(Bucket="watched")
        deleted = receive_until(socket, lambda e: e["type"] == "resource.deleted" and e["service"] == "s3", timeout=5)
        assert deleted["arn"] == "arn:aws:s3:::watched"
