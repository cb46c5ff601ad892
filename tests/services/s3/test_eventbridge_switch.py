"""S3's EventBridge switch end to end: PutBucketNotificationConfiguration with
EventBridgeConfiguration {} makes the bucket send "Object Created", "Object Deleted" and "Object
Tags Added" / "Object Tags Deleted" events, in AWS's shape, to the default bus of its region, where
a rule delivers them to an SQS queue; turning the switch off stops them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any


def _queue(sqs: Any) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"s3-eb-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": arn}]})})  # fmt: skip
    return url, arn


def _bodies(sqs: Any, url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        found.extend(json.loads(message["Body"]) for message in batch)
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_object_events_reach_a_rule_through_the_default_bus(
    s3: Any, aws: Callable[..., Any], make_bucket: Callable[..., str], sandbox: Any
) -> None:
    events, sqs = aws("events"), aws("sqs")
    bucket = make_bucket(versioned=True)
    url, arn = _queue(sqs)
    rule = f"created-{uuid.uuid4().hex[:6]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["aws.s3"], "detail-type": ["Object Created"],
                                                        "detail": {"bucket": {"name": [bucket]}}}))  # fmt: skip
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])

    s3.put_object(Bucket=bucket, Key="before.txt", Body=b"not sent")
    assert _bodies(sqs, url) == []  # the switch is off
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    assert s3.get_bucket_notification_configuration(Bucket=bucket)["EventBridgeConfiguration"] == {}

    put = s3.put_object(Bucket=bucket, Key="photos/cat 1.jpg", Body=b"meow")
    [event] = _bodies(sqs, url)
    assert {key: event[key] for key in ("version", "detail-type", "source", "account", "region", "resources")} == {
        "version": "0", "detail-type": "Object Created", "source": "aws.s3", "account": sandbox.account_id,
        "region": sandbox.region, "resources": [f"arn:aws:s3:::{bucket}"],
    }  # fmt: skip
    detail = event["detail"]
    assert detail["bucket"] == {"name": bucket}
    assert detail["object"]["key"] == "photos/cat 1.jpg"  # not URL-encoded, unlike the S3 event record
    assert detail["object"]["size"] == 4
    assert detail["object"]["etag"] == put["ETag"].strip('"')
    assert detail["object"]["version-id"] == put["VersionId"]
    assert detail["reason"] == "PutObject"
    assert detail["requester"] == sandbox.account_id
    assert {"version", "request-id", "source-ip-address"} <= set(detail)

    # Deletes and tags, through a second rule on the same source.
    other = f"changes-{uuid.uuid4().hex[:6]}"
    pattern = {"source": ["aws.s3"], "detail-type": ["Object Deleted", "Object Tags Added", "Object Tags Deleted"]}
    events.put_rule(Name=other, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=other, Targets=[{"Id": "q", "Arn": arn}])
    s3.put_object_tagging(Bucket=bucket, Key="photos/cat 1.jpg", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.delete_object_tagging(Bucket=bucket, Key="photos/cat 1.jpg")
    s3.delete_object(Bucket=bucket, Key="photos/cat 1.jpg")  # versioned: a delete marker
    s3.delete_object(Bucket=bucket, Key="photos/cat 1.jpg", VersionId=put["VersionId"])
    got = _bodies(sqs, url)
    assert [item["detail-type"] for item in got] == [
        "Object Tags Added", "Object Tags Deleted", "Object Deleted", "Object Deleted",
    ]  # fmt: skip
    assert got[0]["detail"]["object"] == {"key": "photos/cat 1.jpg", "etag": put["ETag"].strip('"'),
                                          "version-id": put["VersionId"]}  # fmt: skip
    assert [item["detail"]["deletion-type"] for item in got[2:]] == ["Delete Marker Created", "Permanently Deleted"]
    assert got[3]["detail"]["reason"] == "DeleteObject"

    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="after.txt", Body=b"not sent")
    assert _bodies(sqs, url) == []


def test_tagging_sends_its_s3_event_to_a_queue_configuration(
    s3: Any, aws: Callable[..., Any], bucket: str, sandbox: Any
) -> None:
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName=f"s3-tags-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Statement": [{
        "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": arn}]})})  # fmt: skip
    s3.put_object(Bucket=bucket, Key="report.csv", Body=b"a,b")
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        {"QueueArn": arn, "Events": ["s3:ObjectTagging:*"]}]})  # fmt: skip
    assert json.loads(_bodies_raw(sqs, url)[0])["Event"] == "s3:TestEvent"
    s3.put_object_tagging(Bucket=bucket, Key="report.csv", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.delete_object_tagging(Bucket=bucket, Key="report.csv")
    names = [json.loads(body)["Records"][0]["eventName"] for body in _bodies_raw(sqs, url)]
    assert names == ["ObjectTagging:Put", "ObjectTagging:Delete"]


def _bodies_raw(sqs: Any, url: str) -> list[str]:
    return [json.dumps(body) for body in _bodies(sqs, url)]
