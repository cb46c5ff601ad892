"""A Kinesis data stream as the source of a delivery stream, through boto3 and the sandbox clock:
records put to the Kinesis stream after the delivery stream was created reach S3 once the buffer's
interval has passed (counted from their arrival), those put before are not read, and PutRecord to
the delivery stream is refused as AWS refuses it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of
from tests.services.firehose.conftest import ROLE

pytestmark = pytest.mark.live

Objects = Callable[[str], list[tuple[str, bytes]]]


def test_records_put_to_the_kinesis_stream_are_delivered_on_the_clock(
    aws: Callable[..., Any], firehose: Any, bucket: str, advance: Callable[[float], None], paused: None,
    objects: Objects,
) -> None:  # fmt: skip
    kinesis = aws("kinesis")
    source = f"src-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=source, ShardCount=2)
    advance(30)
    source_arn = kinesis.describe_stream_summary(StreamName=source)["StreamDescriptionSummary"]["StreamARN"]
    kinesis.put_record(StreamName=source, Data=b"before\n", PartitionKey="a")  # before the delivery stream
    advance(1)
    name = f"fh-{uuid.uuid4().hex[:8]}"
    firehose.create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": source_arn, "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
        },
    )  # fmt: skip
    advance(5)
    described = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    assert described["DeliveryStreamStatus"] == "ACTIVE"
    assert described["Source"]["KinesisStreamSourceDescription"]["KinesisStreamARN"] == source_arn
    kinesis.put_records(
        StreamName=source, Records=[{"Data": f"r{i}\n".encode(), "PartitionKey": f"k{i}"} for i in range(6)]
    )
    advance(30)
    assert objects(bucket) == []
    advance(30)
    [(key, body)] = objects(bucket)
    assert sorted(body.decode().splitlines()) == [f"r{i}" for i in range(6)]
    assert key.startswith(f"{described['CreateTimestamp']:%Y/%m/%d/}")
    kinesis.put_record(StreamName=source, Data=b"later\n", PartitionKey="z")
    advance(61)
    bodies = [body for _, body in objects(bucket)]
    assert len(bodies) == 2
    assert b"later\n" in bodies

    with pytest.raises(ClientError) as caught:
        firehose.put_record(DeliveryStreamName=name, Record={"Data": b"direct"})
    code, status, message = error_of(caught)
    assert (code, status) == ("InvalidArgumentException", 400)
    assert "KinesisStreamAsSource" in message
