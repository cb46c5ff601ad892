"""Kinesis as the Java SDKs and the KCL speak it: AWS JSON 1.1 encoded as CBOR
(`application/x-amz-cbor-1.1`), blobs as byte strings, timestamps as tag 1 holding epoch
milliseconds, errors as a CBOR map with `__type` and `message`. The same stream is read through
boto3's JSON afterwards: both forms meet the same records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cbor2
import pytest
import requests
from botocore.eventstream import EventStreamBuffer

from tests.conftest import SandboxInfo, Server
from tests.signing import signed_request

pytestmark = pytest.mark.live

AMZ_CBOR = "application/x-amz-cbor-1.1"


def call(daphne: Server, sandbox: SandboxInfo, operation: str, document: dict[str, Any]) -> requests.Response:
    return signed_request(
        daphne.url + "/",
        service="kinesis",
        access_key_id=sandbox.access_key_id,
        secret_access_key=sandbox.secret_access_key,
        body=cbor2.dumps(document),
        headers={"Content-Type": AMZ_CBOR, "X-Amz-Target": f"Kinesis_20131202.{operation}"},
        region=sandbox.region,
    )


def ok(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.content[:300]
    assert response.headers["Content-Type"] == AMZ_CBOR
    document: dict[str, Any] = cbor2.loads(response.content) if response.content else {}
    return document


def test_a_java_sdk_round_trip_in_cbor(
    daphne: Server, sandbox: SandboxInfo, kinesis: Any, advance: Callable[[float], None]
) -> None:
    ok(call(daphne, sandbox, "CreateStream", {"StreamName": "java", "ShardCount": 1}))
    advance(10)
    put = ok(call(daphne, sandbox, "PutRecord", {"StreamName": "java", "PartitionKey": "k", "Data": b"\x00\xffjava"}))
    assert put["ShardId"] == "shardId-000000000000"
    batch = ok(
        call(daphne, sandbox, "PutRecords", {"StreamName": "java", "Records": [{"PartitionKey": "k", "Data": b"two"}]})
    )
    assert batch["FailedRecordCount"] == 0
    iterator = ok(
        call(
            daphne,
            sandbox,
            "GetShardIterator",
            {"StreamName": "java", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"},
        )
    )["ShardIterator"]
    raw = call(daphne, sandbox, "GetRecords", {"ShardIterator": iterator}).content
    # A timestamp is tag 1 (0xc1) around an unsigned integer of epoch milliseconds (0x1b: 8 bytes);
    # cbor2 would read tag 1 as seconds, so the tag is looked at, then dropped, before decoding.
    marker = cbor2.dumps("ApproximateArrivalTimestamp")
    at = raw.index(marker) + len(marker)
    assert raw[at : at + 2] == b"\xc1\x1b"
    millis = int.from_bytes(raw[at + 2 : at + 10], "big")
    assert abs(millis / 1000 - put_time(kinesis)) < 3600
    document = cbor2.loads(raw.replace(b"\xc1\x1b", b"\x1b"))
    first = document["Records"][0]
    assert first["Data"] == b"\x00\xffjava"  # a CBOR byte string, not base64 text
    assert first["SequenceNumber"] == put["SequenceNumber"]
    assert first["ApproximateArrivalTimestamp"] == millis
    # AT_TIMESTAMP as the Java SDK sends it: tag 1 around epoch milliseconds, here the first
    # record's own arrival, so both records are read from it.
    at = ok(
        call(
            daphne, sandbox, "GetShardIterator",
            {"StreamName": "java", "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_TIMESTAMP",
             "Timestamp": cbor2.CBORTag(1, millis)},
        )
    )["ShardIterator"]  # fmt: skip
    again = cbor2.loads(
        call(daphne, sandbox, "GetRecords", {"ShardIterator": at}).content.replace(b"\xc1\x1b", b"\x1b")
    )
    assert [record["Data"] for record in again["Records"]] == [b"\x00\xffjava", b"two"]

    # boto3, over JSON, reads the records the CBOR client wrote.
    shard_iterator = kinesis.get_shard_iterator(
        StreamName="java", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=shard_iterator)["Records"]] == [
        b"\x00\xffjava",
        b"two",
    ]


def put_time(kinesis: Any) -> float:
    """The sandbox clock's time, as the stream's creation stamp (read over JSON) tells it."""
    summary = kinesis.describe_stream_summary(StreamName="java")["StreamDescriptionSummary"]
    return float(summary["StreamCreationTimestamp"].timestamp())


def test_errors_in_cbor(daphne: Server, sandbox: SandboxInfo) -> None:
    response = call(daphne, sandbox, "DescribeStream", {"StreamName": "absent"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == AMZ_CBOR
    document = cbor2.loads(response.content)
    assert document["__type"] == "ResourceNotFoundException"
    assert document["message"] == f"Stream absent under account {sandbox.account_id} not found."
    expired = call(daphne, sandbox, "GetRecords", {"ShardIterator": "not-an-iterator"})
    assert cbor2.loads(expired.content)["__type"] == "InvalidArgumentException"


def test_subscribe_to_shard_in_cbor(
    daphne: Server, sandbox: SandboxInfo, kinesis: Any, make_stream: Callable[..., str],
    advance: Callable[[float], None], paused: None,
) -> None:  # fmt: skip
    """The event stream as a Java SDK reads it: each event's payload a CBOR map. The shard is
    closed first, so the stream ends after its last event and the whole body can be read."""
    name = make_stream(1)
    stream_arn = f"arn:aws:kinesis:{sandbox.region}:{sandbox.account_id}:stream/{name}"
    consumer = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="java")["Consumer"]["ConsumerARN"]
    advance(5)
    kinesis.put_record(StreamName=name, Data=b"\x00cbor", PartitionKey="k")
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    advance(10)
    response = call(
        daphne, sandbox, "SubscribeToShard",
        {"ConsumerARN": consumer, "ShardId": "shardId-000000000000", "StartingPosition": {"Type": "TRIM_HORIZON"}},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.amazon.eventstream"
    buffer = EventStreamBuffer()
    buffer.add_data(response.content)
    messages = list(buffer)
    assert [m.headers[":event-type"] for m in messages] == ["initial-response", "SubscribeToShardEvent"]
    assert all(m.headers[":content-type"] == AMZ_CBOR for m in messages)
    event = cbor2.loads(messages[1].payload.replace(b"\xc1\x1b", b"\x1b"))
    assert [record["Data"] for record in event["Records"]] == [b"\x00cbor"]
    assert len(event["ChildShards"]) == 2
