"""A firehose subscription: each published message becomes one record of the delivery stream,
the JSON envelope or (RawMessageDelivery) the bare message, delivered to S3 on the clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.services.sns.conftest import unique

ROLE = "arn:aws:iam::123456789012:role/sns-to-firehose"


def test_firehose_subscription_delivers_records(
    sns: Any, aws: Callable[..., Any], make_topic: Callable[..., str], paused: None, advance: Callable[[float], None]
) -> None:
    firehose, s3 = aws("firehose"), aws("s3")
    bucket = unique("b")
    s3.create_bucket(Bucket=bucket)
    hose_arn = firehose.create_delivery_stream(
        DeliveryStreamName=unique("h"),
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
                                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}},
    )["DeliveryStreamARN"]  # fmt: skip
    advance(5)
    topic = make_topic()
    raw_topic = make_topic()
    sns.subscribe(TopicArn=topic, Protocol="firehose", Endpoint=hose_arn, Attributes={"SubscriptionRoleArn": ROLE})
    sns.subscribe(TopicArn=raw_topic, Protocol="firehose", Endpoint=hose_arn,
                  Attributes={"SubscriptionRoleArn": ROLE, "RawMessageDelivery": "true"})  # fmt: skip
    message_id = sns.publish(TopicArn=topic, Message="order o-7 placed")["MessageId"]
    sns.publish(TopicArn=raw_topic, Message="raw o-8")
    advance(60)
    [item] = s3.list_objects_v2(Bucket=bucket)["Contents"]
    body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
    envelope, end = json.JSONDecoder().raw_decode(body)
    assert (envelope["Type"], envelope["MessageId"], envelope["Message"]) == ("Notification", message_id,
                                                                             "order o-7 placed")  # fmt: skip
    assert body[end:] == "raw o-8"
