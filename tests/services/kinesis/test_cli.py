"""The common Kinesis commands through the real `aws` executable, and the errors a student meets
first, as the CLI prints them (code and message on stderr)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo

pytestmark = pytest.mark.live


def test_cli_stream_round_trip(aws_cli: Callable[..., Any], advance: Callable[[float], None]) -> None:
    aws_cli("kinesis", "create-stream", "--stream-name", "cli-stream", "--shard-count", "2")
    advance(10)
    aws_cli("kinesis", "wait", "stream-exists", "--stream-name", "cli-stream")
    summary = json.loads(aws_cli("kinesis", "describe-stream-summary", "--stream-name", "cli-stream").stdout)
    assert summary["StreamDescriptionSummary"]["OpenShardCount"] == 2
    assert json.loads(aws_cli("kinesis", "list-streams").stdout)["StreamNames"] == ["cli-stream"]
    put = json.loads(
        aws_cli(
            "kinesis", "put-record", "--stream-name", "cli-stream", "--partition-key", "user-1",
            "--data", "hello from the cli",
        ).stdout
    )  # fmt: skip
    iterator = json.loads(
        aws_cli(
            "kinesis", "get-shard-iterator", "--stream-name", "cli-stream", "--shard-id", put["ShardId"],
            "--shard-iterator-type", "TRIM_HORIZON",
        ).stdout
    )["ShardIterator"]  # fmt: skip
    records = json.loads(aws_cli("kinesis", "get-records", "--shard-iterator", iterator).stdout)["Records"]
    assert [base64.b64decode(record["Data"]) for record in records] == [b"hello from the cli"]
    assert records[0]["SequenceNumber"] == put["SequenceNumber"]
    shards = json.loads(aws_cli("kinesis", "list-shards", "--stream-name", "cli-stream").stdout)["Shards"]
    assert len(shards) == 2
    aws_cli(
        "kinesis", "increase-stream-retention-period", "--stream-name", "cli-stream", "--retention-period-hours", "48"
    )
    aws_cli(
        "kinesis", "update-shard-count", "--stream-name", "cli-stream", "--target-shard-count", "4",
        "--scaling-type", "UNIFORM_SCALING",
    )  # fmt: skip
    advance(10)
    aws_cli("kinesis", "add-tags-to-stream", "--stream-name", "cli-stream", "--tags", "team=data")
    tags = json.loads(aws_cli("kinesis", "list-tags-for-stream", "--stream-name", "cli-stream").stdout)["Tags"]
    assert tags == [{"Key": "team", "Value": "data"}]
    aws_cli("kinesis", "delete-stream", "--stream-name", "cli-stream")


def test_cli_errors(aws_cli: Callable[..., Any], advance: Callable[[float], None], sandbox: SandboxInfo) -> None:
    missing = aws_cli("kinesis", "describe-stream", "--stream-name", "nowhere", check=False)
    assert missing.returncode != 0
    assert "An error occurred (ResourceNotFoundException) when calling the DescribeStream operation" in missing.stderr
    assert f"Stream nowhere under account {sandbox.account_id} not found." in missing.stderr

    aws_cli("kinesis", "create-stream", "--stream-name", "twice", "--shard-count", "1")
    again = aws_cli("kinesis", "create-stream", "--stream-name", "twice", "--shard-count", "1", check=False)
    assert "(ResourceInUseException)" in again.stderr
    assert f"Stream twice under account {sandbox.account_id} already exists." in again.stderr
    advance(10)

    short = aws_cli(
        "kinesis", "decrease-stream-retention-period", "--stream-name", "twice", "--retention-period-hours", "12",
        check=False,
    )  # fmt: skip
    assert "(InvalidArgumentException)" in short.stderr
    assert "Minimum allowed retention period is 24 hours." in short.stderr

    expired = aws_cli("kinesis", "get-records", "--shard-iterator", "bogus", check=False)
    assert "(InvalidArgumentException)" in expired.stderr
    assert "Invalid ShardIterator." in expired.stderr


def test_cli_expired_iterator_and_throttling(
    aws_cli: Callable[..., Any], advance: Callable[[float], None], paused: None, kinesis: Any
) -> None:
    aws_cli("kinesis", "create-stream", "--stream-name", "slow", "--shard-count", "1")
    advance(10)
    iterator = json.loads(
        aws_cli(
            "kinesis", "get-shard-iterator", "--stream-name", "slow", "--shard-id", "shardId-000000000000",
            "--shard-iterator-type", "LATEST",
        ).stdout
    )["ShardIterator"]  # fmt: skip
    advance(301)
    expired = aws_cli("kinesis", "get-records", "--shard-iterator", iterator, check=False)
    assert "An error occurred (ExpiredIteratorException) when calling the GetRecords operation" in expired.stderr
    assert "tolerated delay of 300000 milliseconds" in expired.stderr

    for _ in range(2):
        kinesis.put_records(StreamName="slow", Records=[{"Data": b"x", "PartitionKey": "k"}] * 500)
    throttled = aws_cli(
        "kinesis", "put-record", "--stream-name", "slow", "--partition-key", "k", "--data", "x", check=False
    )
    assert "(ProvisionedThroughputExceededException)" in throttled.stderr
    assert "Rate exceeded for shard shardId-000000000000 in stream slow" in throttled.stderr
