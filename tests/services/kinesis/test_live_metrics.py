"""Kinesis's AWS/Kinesis metrics in CloudWatch, read back with boto3's GetMetricStatistics after
the sandbox clock has moved past the minute: the stream-level metrics of puts, reads and
throttled calls, the shard-level ones EnableEnhancedMonitoring turns on, and an alarm on
IncomingRecords."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo
from tests.services.kinesis.conftest import key_for_shard

pytestmark = pytest.mark.live

SHARD0, SHARD1 = "shardId-000000000000", "shardId-000000000001"


@pytest.fixture
def cloudwatch(aws: Callable[..., Any]) -> Any:
    return aws("cloudwatch")


@pytest.fixture
def now(sandbox: SandboxInfo, db_access: None, paused: None) -> Callable[[], dt.datetime]:
    from playground.sandboxes.models import Sandbox

    def read() -> dt.datetime:
        return Sandbox.objects.get(pk=sandbox.id).clock.now()

    return read


@pytest.fixture
def minute_start(now: Callable[[], dt.datetime], advance: Callable[[float], None]) -> Callable[[], dt.datetime]:
    """minute_start(): move the clock to 1 s past the next minute; returns that minute."""

    def move() -> dt.datetime:
        advance(60 - now().timestamp() % 60 + 1)
        return now().replace(second=0, microsecond=0)

    return move


def stats(
    cloudwatch: Any, name: str, minute: dt.datetime, *, stream: str, shard: str | None = None,
    statistics: tuple[str, ...] = ("Sum", "SampleCount", "Minimum", "Maximum"),
) -> list[dict[str, Any]]:  # fmt: skip
    dimensions = [{"Name": "StreamName", "Value": stream}] + ([{"Name": "ShardId", "Value": shard}] if shard else [])
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/Kinesis", MetricName=name, Dimensions=dimensions, StartTime=minute,
        EndTime=minute + dt.timedelta(minutes=1), Period=60, Statistics=list(statistics),
    )["Datapoints"]  # fmt: skip
    return [{key: point[key] for key in (*statistics, "Unit")} for point in points]


def test_puts_and_reads_are_counted_once_a_minute_per_stream(
    kinesis: Any, cloudwatch: Any, make_stream: Callable[..., str], advance: Callable[[float], None],
    minute_start: Callable[[], dt.datetime],
) -> None:  # fmt: skip
    name = make_stream(2)
    minute = minute_start()
    key = key_for_shard(0, 2)  # key-N: 5 bytes
    kinesis.put_record(StreamName=name, Data=b"x" * 96, PartitionKey=key)  # 101 bytes with its key
    kinesis.put_records(StreamName=name, Records=[{"Data": b"y" * 5, "PartitionKey": key} for _ in range(3)])
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="TRIM_HORIZON")
    kinesis.get_records(ShardIterator=iterator["ShardIterator"])
    assert stats(cloudwatch, "IncomingRecords", minute, stream=name) == []  # the minute is not over
    advance(60)
    incoming = stats(cloudwatch, "IncomingRecords", minute, stream=name)
    assert incoming == [{"Sum": 4.0, "SampleCount": 2.0, "Minimum": 1.0, "Maximum": 3.0, "Unit": "Count"}]
    assert stats(cloudwatch, "IncomingBytes", minute, stream=name) == [
        {"Sum": 131.0, "SampleCount": 2.0, "Minimum": 30.0, "Maximum": 101.0, "Unit": "Bytes"}
    ]
    assert stats(cloudwatch, "PutRecord.Success", minute, stream=name, statistics=("Sum",)) == [
        {"Sum": 1.0, "Unit": "Count"}
    ]
    assert stats(cloudwatch, "PutRecord.Bytes", minute, stream=name, statistics=("Sum",)) == [
        {"Sum": 101.0, "Unit": "Bytes"}
    ]
    assert stats(cloudwatch, "PutRecords.TotalRecords", minute, stream=name, statistics=("Sum",)) == [
        {"Sum": 3.0, "Unit": "Count"}
    ]
    assert stats(cloudwatch, "PutRecords.SuccessfulRecords", minute, stream=name, statistics=("Sum",)) == [
        {"Sum": 3.0, "Unit": "Count"}
    ]
    assert stats(cloudwatch, "PutRecords.ThrottledRecords", minute, stream=name, statistics=("Sum",)) == [
        {"Sum": 0.0, "Unit": "Count"}
    ]
    latency = stats(cloudwatch, "PutRecords.Latency", minute, stream=name, statistics=("SampleCount",))
    assert latency == [{"SampleCount": 1.0, "Unit": "Milliseconds"}]
    assert stats(cloudwatch, "GetRecords.Records", minute, stream=name, statistics=("Sum",)) == [
        {"Sum": 4.0, "Unit": "Count"}
    ]
    assert stats(cloudwatch, "GetRecords.Bytes", minute, stream=name, statistics=("Sum",)) == [
        {"Sum": 131.0, "Unit": "Bytes"}
    ]
    assert stats(cloudwatch, "GetRecords.Success", minute, stream=name, statistics=("Sum",)) == [
        {"Sum": 1.0, "Unit": "Count"}
    ]
    # The clock is paused: the records are 0 ms old when read.
    assert stats(cloudwatch, "GetRecords.IteratorAgeMilliseconds", minute, stream=name, statistics=("Maximum",)) == [
        {"Maximum": 0.0, "Unit": "Milliseconds"}
    ]
    listed = cloudwatch.list_metrics(Namespace="AWS/Kinesis", Dimensions=[{"Name": "StreamName", "Value": name}])
    names = {metric["MetricName"] for metric in listed["Metrics"]}
    assert {"WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded", "GetRecords.Latency"} <= names
    assert all(len(metric["Dimensions"]) == 1 for metric in listed["Metrics"])  # no shard-level metrics unasked


def test_iterator_age_is_how_old_the_last_record_read_is(
    kinesis: Any, cloudwatch: Any, make_stream: Callable[..., str], advance: Callable[[float], None],
    minute_start: Callable[[], dt.datetime],
) -> None:  # fmt: skip
    name = make_stream(1)
    kinesis.put_record(StreamName=name, Data=b"old", PartitionKey="k")
    minute = minute_start()
    advance(20)
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="TRIM_HORIZON")
    kinesis.get_records(ShardIterator=iterator["ShardIterator"])
    advance(60)
    [point] = stats(cloudwatch, "GetRecords.IteratorAgeMilliseconds", minute, stream=name, statistics=("Maximum",))
    assert 21_000 <= point["Maximum"] < 82_000


def test_throttled_puts_and_reads_are_counted(
    kinesis: Any, cloudwatch: Any, make_stream: Callable[..., str], advance: Callable[[float], None],
    minute_start: Callable[[], dt.datetime],
) -> None:  # fmt: skip
    name = make_stream(1)
    minute = minute_start()
    entries = [{"Data": b"r", "PartitionKey": "k"} for _ in range(500)]
    kinesis.put_records(StreamName=name, Records=entries)
    kinesis.put_records(StreamName=name, Records=entries)
    assert kinesis.put_records(StreamName=name, Records=entries[:3])["FailedRecordCount"] == 3
    with pytest.raises(ClientError):
        kinesis.put_record(StreamName=name, Data=b"r", PartitionKey="k")
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="LATEST")["ShardIterator"]
    for _ in range(5):
        iterator = kinesis.get_records(ShardIterator=iterator)["NextShardIterator"]
    with pytest.raises(ClientError):
        kinesis.get_records(ShardIterator=iterator)
    advance(60)
    assert stats(cloudwatch, "WriteProvisionedThroughputExceeded", minute, stream=name, statistics=("Sum",)) == [
        {"Sum": 4.0, "Unit": "Count"}
    ]
    assert stats(cloudwatch, "PutRecords.ThrottledRecords", minute, stream=name, statistics=("Sum",)) == [
        {"Sum": 3.0, "Unit": "Count"}
    ]
    assert stats(cloudwatch, "PutRecords.Success", minute, stream=name, statistics=("Sum", "SampleCount")) == [
        {"Sum": 2.0, "SampleCount": 3.0, "Unit": "Count"}
    ]
    assert stats(cloudwatch, "PutRecord.Success", minute, stream=name, statistics=("Sum", "SampleCount")) == [
        {"Sum": 0.0, "SampleCount": 1.0, "Unit": "Count"}
    ]
    assert stats(cloudwatch, "ReadProvisionedThroughputExceeded", minute, stream=name, statistics=("Sum",)) == [
        {"Sum": 1.0, "Unit": "Count"}
    ]
    assert stats(cloudwatch, "GetRecords.Success", minute, stream=name, statistics=("Sum", "SampleCount")) == [
        {"Sum": 5.0, "SampleCount": 6.0, "Unit": "Count"}
    ]


def test_enhanced_monitoring_adds_the_shard_level_metrics_it_names(
    kinesis: Any, cloudwatch: Any, make_stream: Callable[..., str], advance: Callable[[float], None],
    minute_start: Callable[[], dt.datetime],
) -> None:  # fmt: skip
    name = make_stream(2)
    kinesis.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["IncomingRecords", "OutgoingBytes"])
    minute = minute_start()
    key0, key1 = key_for_shard(0, 2), key_for_shard(1, 2)
    kinesis.put_records(StreamName=name, Records=[{"Data": b"abc", "PartitionKey": key} for key in (key0, key1, key1)])
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD1, ShardIteratorType="TRIM_HORIZON")
    kinesis.get_records(ShardIterator=iterator["ShardIterator"])
    advance(60)
    assert stats(cloudwatch, "IncomingRecords", minute, stream=name, shard=SHARD0, statistics=("Sum",)) == [
        {"Sum": 1.0, "Unit": "Count"}
    ]
    assert stats(cloudwatch, "IncomingRecords", minute, stream=name, shard=SHARD1, statistics=("Sum",)) == [
        {"Sum": 2.0, "Unit": "Count"}
    ]
    assert stats(cloudwatch, "OutgoingBytes", minute, stream=name, shard=SHARD1, statistics=("Sum",)) == [
        {"Sum": 2.0 * (3 + len(key1)), "Unit": "Bytes"}
    ]
    assert stats(cloudwatch, "IncomingBytes", minute, stream=name, shard=SHARD0, statistics=("Sum",)) == []
    assert stats(cloudwatch, "IncomingRecords", minute, stream=name, statistics=("Sum",)) == [
        {"Sum": 3.0, "Unit": "Count"}
    ]


def test_an_alarm_on_incoming_records_fires(
    kinesis: Any, cloudwatch: Any, make_stream: Callable[..., str], advance: Callable[[float], None],
    minute_start: Callable[[], dt.datetime],
) -> None:  # fmt: skip
    name = make_stream(1)
    minute_start()
    cloudwatch.put_metric_alarm(
        AlarmName="busy", Namespace="AWS/Kinesis", MetricName="IncomingRecords",
        Dimensions=[{"Name": "StreamName", "Value": name}], Statistic="Sum", Period=60, EvaluationPeriods=1,
        Threshold=10.0, ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    kinesis.put_records(StreamName=name, Records=[{"Data": b"c", "PartitionKey": str(i)} for i in range(25)])
    advance(60)  # the minute is over: its datapoints are published before the alarm evaluates it
    alarm = cloudwatch.describe_alarms(AlarmNames=["busy"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM", alarm["StateReason"]
    assert "[25.0 (" in alarm["StateReason"]
