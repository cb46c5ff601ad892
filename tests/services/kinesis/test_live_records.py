"""Records through boto3: partition key -> MD5 -> shard, sequence numbers, order per key, the size
limits, every iterator type, GetRecords' paging, MillisBehindLatest, iterator expiry and the
rolling window, all on the sandbox clock; three consumers reading one window independently."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, error_of
from tests.services.kinesis.conftest import key_for_shard, unchecked

pytestmark = pytest.mark.live

SHARD0 = "shardId-000000000000"


def _read_all(kinesis: Any, name: str, shard_id: str, kind: str = "TRIM_HORIZON", **extra: Any) -> list[dict[str, Any]]:
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType=kind, **extra)[
        "ShardIterator"
    ]
    return list(kinesis.get_records(ShardIterator=iterator)["Records"])


def test_partition_key_goes_to_the_shard_its_md5_names(kinesis: Any, make_stream: Callable[..., str]) -> None:
    name = make_stream(4)
    for shard in range(4):
        put = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey=key_for_shard(shard, 4))
        assert put["ShardId"] == f"shardId-{shard:012d}"
        assert len(put["SequenceNumber"]) == 56
        assert put["EncryptionType"] == "NONE"
    explicit = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="any", ExplicitHashKey=str(2**128 - 1))
    assert explicit["ShardId"] == "shardId-000000000003"


def test_order_per_partition_key_and_increasing_sequence_numbers(kinesis: Any, make_stream: Callable[..., str]) -> None:
    name = make_stream(2)
    sent = []
    for index in range(20):
        key = f"user-{index % 3}"
        put = kinesis.put_record(StreamName=name, Data=f"{key}:{index}".encode(), PartitionKey=key)
        sent.append((put["ShardId"], put["SequenceNumber"], key, index))
    for shard in ("shardId-000000000000", "shardId-000000000001"):
        numbers = [int(number) for shard_id, number, _, _ in sent if shard_id == shard]
        assert numbers == sorted(numbers)
        assert len(set(numbers)) == len(numbers)
    seen: dict[str, list[int]] = {}
    for shard in ("shardId-000000000000", "shardId-000000000001"):
        for record in _read_all(kinesis, name, shard):
            key, index = record["Data"].decode().split(":")
            assert record["PartitionKey"] == key
            seen.setdefault(key, []).append(int(index))
    assert seen == {f"user-{k}": [i for i in range(20) if i % 3 == k] for k in range(3)}


def test_put_records_reports_each_entry(kinesis: Any, make_stream: Callable[..., str]) -> None:
    name = make_stream(2)
    answer = kinesis.put_records(
        StreamName=name, Records=[{"Data": f"r{i}".encode(), "PartitionKey": f"p{i}"} for i in range(10)]
    )
    assert answer["FailedRecordCount"] == 0
    assert len(answer["Records"]) == 10
    assert all(entry["ShardId"].startswith("shardId-") and entry["SequenceNumber"] for entry in answer["Records"])
    assert answer["EncryptionType"] == "NONE"


def test_record_size_limits(kinesis: Any, aws: Callable[..., Any], make_stream: Callable[..., str]) -> None:
    name = make_stream(1)
    kinesis.put_record(StreamName=name, Data=b"x" * (1024 * 1024 - 1), PartitionKey="k")  # 1 MiB with the key
    with pytest.raises(ClientError) as caught:
        kinesis.put_record(StreamName=name, Data=b"x" * (1024 * 1024), PartitionKey="k")
    assert error_of(caught) == (
        "ValidationException", 400,
        "1 validation error detected: Value at 'data' failed to satisfy constraint: Member must have length less "
        "than or equal to 1048576",
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        kinesis.put_records(StreamName=name, Records=[{"Data": b"x" * (1024 * 1024), "PartitionKey": "k"}])
    assert error_of(caught)[0] == "ValidationException"
    assert "'records.1.member.data'" in error_of(caught)[2]
    six = [{"Data": b"x" * (1024 * 1024 - 10), "PartitionKey": "k"} for _ in range(6)]
    with pytest.raises(ClientError) as caught:
        kinesis.put_records(StreamName=name, Records=six)
    assert error_of(caught)[:2] == ("InvalidArgumentException", 400)
    with pytest.raises(ClientError) as caught:
        unchecked(aws).put_records(StreamName=name, Records=[{"Data": b"x", "PartitionKey": "k"}] * 501)
    code, status, message = error_of(caught)
    assert (code, status) == ("ValidationException", 400)
    assert "Member must have length less than or equal to 500" in message
    with pytest.raises(ClientError) as caught:
        kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k", ExplicitHashKey=str(2**128))
    assert error_of(caught) == (
        "InvalidArgumentException", 400,
        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was "
        f"{2**128}",
    )  # fmt: skip


def test_every_iterator_type(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None
) -> None:
    name = make_stream(1)
    numbers = []
    for index in range(5):
        numbers.append(
            kinesis.put_record(StreamName=name, Data=f"r{index}".encode(), PartitionKey="k")["SequenceNumber"]
        )
        advance(60)

    def datas(records: list[dict[str, Any]]) -> list[bytes]:
        advance(1)  # a shard serves five GetRecords calls a second; the clock is paused
        return [record["Data"] for record in records]

    assert datas(_read_all(kinesis, name, SHARD0)) == [b"r0", b"r1", b"r2", b"r3", b"r4"]
    assert datas(_read_all(kinesis, name, SHARD0, "LATEST")) == []
    at = {"StartingSequenceNumber": numbers[2]}
    assert datas(_read_all(kinesis, name, SHARD0, "AT_SEQUENCE_NUMBER", **at)) == [b"r2", b"r3", b"r4"]
    assert datas(_read_all(kinesis, name, SHARD0, "AFTER_SEQUENCE_NUMBER", **at)) == [b"r3", b"r4"]
    records = _read_all(kinesis, name, SHARD0)
    third = records[3]["ApproximateArrivalTimestamp"]
    assert datas(_read_all(kinesis, name, SHARD0, "AT_TIMESTAMP", Timestamp=third)) == [b"r3", b"r4"]
    assert datas(_read_all(kinesis, name, SHARD0, "AT_TIMESTAMP", Timestamp=third - dt.timedelta(seconds=1))) == [
        b"r3", b"r4"
    ]  # fmt: skip
    latest = kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="LATEST")["ShardIterator"]
    kinesis.put_record(StreamName=name, Data=b"after latest", PartitionKey="k")
    advance(1)
    assert [record["Data"] for record in kinesis.get_records(ShardIterator=latest)["Records"]] == [b"after latest"]


def test_iterator_errors(
    kinesis: Any, aws: Callable[..., Any], make_stream: Callable[..., str], sandbox: SandboxInfo
) -> None:
    name = make_stream(2)
    first = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey=key_for_shard(0, 2))["SequenceNumber"]
    with pytest.raises(ClientError) as caught:
        kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000009", ShardIteratorType="LATEST")
    assert error_of(caught) == (
        "ResourceNotFoundException", 400,
        f"Shard shardId-000000000009 in stream {name} under account {sandbox.account_id} does not exist",
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        kinesis.get_shard_iterator(
            StreamName=name, ShardId="shardId-000000000001", ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=first,
        )  # fmt: skip
    assert error_of(caught) == (
        "InvalidArgumentException", 400,
        "Invalid StartingSequenceNumber. It encodes shardId-000000000000, while it was used in a call to a shard "
        "with shardId-000000000001",
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="AT_SEQUENCE_NUMBER")
    assert error_of(caught)[:2] == ("InvalidArgumentException", 400)
    with pytest.raises(ClientError) as caught:
        kinesis.get_shard_iterator(
            StreamName=name, ShardId=SHARD0, ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber="12345"
        )
    assert error_of(caught)[:2] == ("InvalidArgumentException", 400)
    with pytest.raises(ClientError) as caught:
        unchecked(aws).get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="SOMEWHERE")
    assert error_of(caught)[:2] == ("ValidationException", 400)
    with pytest.raises(ClientError) as caught:
        kinesis.get_records(ShardIterator="AAAAAAAAAAFakeIterator==")
    assert error_of(caught) == ("InvalidArgumentException", 400, "Invalid ShardIterator.")


def test_iterators_expire_after_five_minutes_of_sandbox_time(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None
) -> None:
    name = make_stream(1)
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    advance(300)
    following = kinesis.get_records(ShardIterator=iterator)["NextShardIterator"]  # exactly 5 minutes: still good
    advance(301)
    with pytest.raises(ClientError) as caught:
        kinesis.get_records(ShardIterator=following)
    code, status, message = error_of(caught)
    assert (code, status) == ("ExpiredIteratorException", 400)
    assert message.startswith("Iterator expired. The iterator was created at time ")
    assert message.endswith("which is further in the future than the tolerated delay of 300000 milliseconds.")


def test_get_records_pages_with_limit_and_reports_lag(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None
) -> None:
    name = make_stream(1)
    kinesis.put_records(StreamName=name, Records=[{"Data": f"{i}".encode(), "PartitionKey": "k"} for i in range(5)])
    advance(7)
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    page = kinesis.get_records(ShardIterator=iterator, Limit=2)
    assert [record["Data"] for record in page["Records"]] == [b"0", b"1"]
    assert page["MillisBehindLatest"] == 7000
    page = kinesis.get_records(ShardIterator=page["NextShardIterator"], Limit=10)
    assert [record["Data"] for record in page["Records"]] == [b"2", b"3", b"4"]
    assert page["MillisBehindLatest"] == 0
    page = kinesis.get_records(ShardIterator=page["NextShardIterator"])
    assert page["Records"] == []
    assert page["NextShardIterator"]


def test_records_past_retention_are_trimmed(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None
) -> None:
    name = make_stream(1)
    kinesis.put_record(StreamName=name, Data=b"old", PartitionKey="k")
    advance(23 * 3600)
    kinesis.put_record(StreamName=name, Data=b"new", PartitionKey="k")
    assert [r["Data"] for r in _read_all(kinesis, name, SHARD0)] == [b"old", b"new"]
    advance(3600)
    assert [r["Data"] for r in _read_all(kinesis, name, SHARD0)] == [b"new"]
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    advance(3600)
    assert [r["Data"] for r in _read_all(kinesis, name, SHARD0)] == [b"new"]  # 24 h old, kept for 48 now
    advance(47 * 3600)  # 49 hours old
    assert _read_all(kinesis, name, SHARD0) == []


def test_three_consumers_read_one_window_independently(kinesis: Any, make_stream: Callable[..., str]) -> None:
    name = make_stream(1)
    kinesis.put_records(StreamName=name, Records=[{"Data": f"e{i}".encode(), "PartitionKey": "k"} for i in range(6)])
    iterators = [
        kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for _ in range(3)
    ]
    reads = []
    for limit, iterator in zip((1, 3, 6), iterators, strict=True):
        reads.append([r["Data"] for r in kinesis.get_records(ShardIterator=iterator, Limit=limit)["Records"]])
    assert reads == [[b"e0"], [b"e0", b"e1", b"e2"], [b"e0", b"e1", b"e2", b"e3", b"e4", b"e5"]]
    # Reading removes nothing: a fourth consumer arriving later sees the whole window too.
    assert len(_read_all(kinesis, name, SHARD0)) == 6
