"""Each shard's limits on the sandbox clock (paused, so that one sandbox second lasts as long as
the test needs): 1,000 records and 1 MiB written a second, 5 GetRecords calls and 2 MiB read a
second, ProvisionedThroughputExceededException per entry in PutRecords and for the whole call
elsewhere; and resharding: split, merge and UpdateShardCount, read across the lineage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, error_of
from tests.services.kinesis.conftest import key_for_shard

pytestmark = pytest.mark.live

SHARD0 = "shardId-000000000000"
MIB = 1024 * 1024


def _iterator(kinesis: Any, name: str, shard_id: str = SHARD0) -> str:
    return str(
        kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    )


def test_a_shard_takes_1000_records_a_second(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None,
    sandbox: SandboxInfo,
) -> None:  # fmt: skip
    name = make_stream(1)
    entries = [{"Data": b"r", "PartitionKey": "k"} for _ in range(500)]
    assert kinesis.put_records(StreamName=name, Records=entries)["FailedRecordCount"] == 0
    assert kinesis.put_records(StreamName=name, Records=entries)["FailedRecordCount"] == 0
    third = kinesis.put_records(StreamName=name, Records=entries[:3])
    assert third["FailedRecordCount"] == 3
    assert third["Records"][0] == {
        "ErrorCode": "ProvisionedThroughputExceededException",
        "ErrorMessage": f"Rate exceeded for shard {SHARD0} in stream {name} under account {sandbox.account_id}.",
    }
    with pytest.raises(ClientError) as caught:
        kinesis.put_record(StreamName=name, Data=b"r", PartitionKey="k")
    assert error_of(caught) == (
        "ProvisionedThroughputExceededException", 400,
        f"Rate exceeded for shard {SHARD0} in stream {name} under account {sandbox.account_id}.",
    )  # fmt: skip
    advance(1)
    kinesis.put_record(StreamName=name, Data=b"r", PartitionKey="k")


def test_a_shard_takes_1_mib_a_second_and_put_records_fails_only_what_is_over(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None
) -> None:
    name = make_stream(2)
    key0, key1 = key_for_shard(0, 2), key_for_shard(1, 2)
    half = b"x" * (MIB // 2 - 10)
    entries = [{"Data": half, "PartitionKey": key} for key in (key0, key1, key0, key1, key0, key1)]
    answer = kinesis.put_records(StreamName=name, Records=entries)
    assert answer["FailedRecordCount"] == 2
    codes = [entry.get("ErrorCode") for entry in answer["Records"]]
    assert codes == [None, None, None, None, "ProvisionedThroughputExceededException"] * 1 + [
        "ProvisionedThroughputExceededException"
    ]
    advance(1)
    assert kinesis.put_records(StreamName=name, Records=entries[:2])["FailedRecordCount"] == 0


def test_five_get_records_calls_a_second_per_shard(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None
) -> None:
    name = make_stream(1)
    iterator = _iterator(kinesis, name)
    for _ in range(5):
        iterator = kinesis.get_records(ShardIterator=iterator)["NextShardIterator"]
    with pytest.raises(ClientError) as caught:
        kinesis.get_records(ShardIterator=iterator)
    assert error_of(caught)[:2] == ("ProvisionedThroughputExceededException", 400)
    advance(1)
    kinesis.get_records(ShardIterator=iterator)


def test_reading_10_mib_blocks_the_shard_for_the_next_seconds(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None
) -> None:
    name = make_stream(1)
    for _ in range(10):
        kinesis.put_record(StreamName=name, Data=b"x" * (MIB - 1), PartitionKey="k")  # 1 MiB with the key
        advance(1)
    page = kinesis.get_records(ShardIterator=_iterator(kinesis, name))
    assert len(page["Records"]) == 10
    for _ in range(4):
        advance(1)
        with pytest.raises(ClientError) as caught:
            kinesis.get_records(ShardIterator=page["NextShardIterator"])
        assert error_of(caught)[0] == "ProvisionedThroughputExceededException"
    advance(1)
    assert kinesis.get_records(ShardIterator=page["NextShardIterator"])["Records"] == []


def test_a_call_returns_10_mib_and_leaves_the_rest(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None
) -> None:
    """Eleven records of 1 MiB: the first call returns ten (its 10 MiB), and how far behind the
    eleventh is; the next call, once the shard's read limit allows it, returns the eleventh."""
    name = make_stream(1)
    for index in range(11):
        kinesis.put_record(StreamName=name, Data=bytes([index]) * (MIB - 1), PartitionKey="k")
        advance(1)
    page = kinesis.get_records(ShardIterator=_iterator(kinesis, name), Limit=10_000)
    assert [record["Data"][:1] for record in page["Records"]] == [bytes([index]) for index in range(10)]
    assert page["MillisBehindLatest"] == 1000  # the eleventh arrived a second ago
    advance(5)
    rest = kinesis.get_records(ShardIterator=page["NextShardIterator"])
    assert [record["Data"][:1] for record in rest["Records"]] == [bytes([10])]
    assert len(rest["Records"][0]["Data"]) == MIB - 1
    assert rest["MillisBehindLatest"] == 0


def test_split_then_merge_read_across_the_lineage(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], sandbox: SandboxInfo
) -> None:
    name = make_stream(1)
    kinesis.put_record(StreamName=name, Data=b"before split", PartitionKey="k")
    kinesis.split_shard(StreamName=name, ShardToSplit=SHARD0, NewStartingHashKey=str(2**127))
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] == "UPDATING"
    with pytest.raises(ClientError) as caught:
        kinesis.split_shard(StreamName=name, ShardToSplit=SHARD0, NewStartingHashKey="5")
    assert error_of(caught) == (
        "ResourceInUseException", 400,
        f"Stream {name} under account {sandbox.account_id} not ACTIVE, instead in state UPDATING",
    )  # fmt: skip
    put = kinesis.put_record(StreamName=name, Data=b"after split", PartitionKey="k")  # writes go on while UPDATING
    assert put["ShardId"] in ("shardId-000000000001", "shardId-000000000002")
    advance(10)
    shards = {shard["ShardId"]: shard for shard in kinesis.list_shards(StreamName=name)["Shards"]}
    assert list(shards) == ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]
    assert "EndingSequenceNumber" in shards[SHARD0]["SequenceNumberRange"]
    assert shards["shardId-000000000001"]["ParentShardId"] == SHARD0
    assert shards["shardId-000000000001"]["HashKeyRange"]["EndingHashKey"] == str(2**127 - 1)
    assert shards["shardId-000000000002"]["HashKeyRange"]["StartingHashKey"] == str(2**127)

    # The closed parent is still readable; at its end, ChildShards names where to go next.
    page = kinesis.get_records(ShardIterator=_iterator(kinesis, name))
    assert [record["Data"] for record in page["Records"]] == [b"before split"]
    assert "NextShardIterator" not in page
    assert [child["ShardId"] for child in page["ChildShards"]] == ["shardId-000000000001", "shardId-000000000002"]
    assert page["ChildShards"][0]["ParentShards"] == [SHARD0]
    child = kinesis.get_records(ShardIterator=_iterator(kinesis, name, put["ShardId"]))
    assert [record["Data"] for record in child["Records"]] == [b"after split"]

    kinesis.merge_shards(
        StreamName=name, ShardToMerge="shardId-000000000001", AdjacentShardToMerge="shardId-000000000002"
    )
    advance(10)
    merged = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert [(s["ShardId"], s["ParentShardId"], s["AdjacentParentShardId"]) for s in merged] == [
        ("shardId-000000000003", "shardId-000000000001", "shardId-000000000002")
    ]
    assert merged[0]["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(2**128 - 1)}
    assert kinesis.put_record(StreamName=name, Data=b"merged", PartitionKey="k")["ShardId"] == "shardId-000000000003"
    trim = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_TRIM_HORIZON"})["Shards"]
    assert [shard["ShardId"] for shard in trim] == [SHARD0]
    after = kinesis.list_shards(
        StreamName=name, ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000001"}
    )
    assert [shard["ShardId"] for shard in after["Shards"]] == ["shardId-000000000002", "shardId-000000000003"]


def test_reshard_errors(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], sandbox: SandboxInfo
) -> None:
    name = make_stream(3)
    account = sandbox.account_id
    with pytest.raises(ClientError) as caught:
        kinesis.split_shard(StreamName=name, ShardToSplit=SHARD0, NewStartingHashKey="0")
    assert error_of(caught) == (
        "InvalidArgumentException", 400,
        f"NewStartingHashKey 0 used in SplitShard() on shard {SHARD0} in stream {name} under account {account} is "
        "not both greater than one plus the shard's StartingHashKey 0 and less than the shard's EndingHashKey "
        "113427455640312821154458202477256070484.",
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        kinesis.merge_shards(StreamName=name, ShardToMerge=SHARD0, AdjacentShardToMerge="shardId-000000000002")
    assert error_of(caught) == (
        "InvalidArgumentException", 400,
        f"Shards {SHARD0} and shardId-000000000002 in stream {name} under account {account} are not an adjacent "
        "pair of shards eligible for merging",
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000007", NewStartingHashKey="5")
    assert error_of(caught)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as caught:
        kinesis.update_shard_count(StreamName=name, TargetShardCount=7, ScalingType="UNIFORM_SCALING")
    assert error_of(caught)[:2] == ("LimitExceededException", 400)
    kinesis.split_shard(StreamName=name, ShardToSplit=SHARD0, NewStartingHashKey="5")
    advance(10)
    with pytest.raises(ClientError) as caught:
        kinesis.split_shard(StreamName=name, ShardToSplit=SHARD0, NewStartingHashKey="6")
    assert error_of(caught) == (
        "InvalidArgumentException", 400,
        f"Shard {SHARD0} in stream {name} under account {account} has already been merged or split, and thus is "
        "not eligible for merging or splitting.",
    )  # fmt: skip


def test_update_shard_count_scales_uniformly(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None]
) -> None:
    name = make_stream(2)
    answer = kinesis.update_shard_count(StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    assert (answer["CurrentShardCount"], answer["TargetShardCount"], answer["StreamName"]) == (2, 4, name)
    advance(10)
    open_shards = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert len(open_shards) == 4
    assert [s["ParentShardId"] for s in open_shards] == [
        "shardId-000000000000", "shardId-000000000000", "shardId-000000000001", "shardId-000000000001"
    ]  # fmt: skip
    assert open_shards[1]["HashKeyRange"]["StartingHashKey"] == str(2**128 // 4)
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == 4
    kinesis.update_shard_count(StreamName=name, TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    advance(10)
    three = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert [(s["ParentShardId"], s.get("AdjacentParentShardId")) for s in three] == [
        ("shardId-000000000002", "shardId-000000000003"),
        ("shardId-000000000003", "shardId-000000000004"),
        ("shardId-000000000004", "shardId-000000000005"),
    ]


def test_list_shards_pages_with_a_token(kinesis: Any, make_stream: Callable[..., str], aws: Callable[..., Any]) -> None:
    name = make_stream(5)
    first = kinesis.list_shards(StreamName=name, MaxResults=2)
    assert [shard["ShardId"] for shard in first["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    second = kinesis.list_shards(NextToken=first["NextToken"], MaxResults=2)
    assert [shard["ShardId"] for shard in second["Shards"]] == ["shardId-000000000002", "shardId-000000000003"]
    with pytest.raises(ClientError) as caught:
        kinesis.list_shards(StreamName=name, NextToken=first["NextToken"])
    assert error_of(caught) == (
        "InvalidArgumentException",
        400,
        "NextToken and StreamName cannot be provided together.",
    )


def test_list_shards_token_expires(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None
) -> None:
    name = make_stream(3)
    token = kinesis.list_shards(StreamName=name, MaxResults=1)["NextToken"]
    advance(301)
    with pytest.raises(ClientError) as caught:
        kinesis.list_shards(NextToken=token)
    assert error_of(caught)[:2] == ("ExpiredNextTokenException", 400)


def test_closed_shards_go_once_past_retention(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None
) -> None:
    name = make_stream(1)
    kinesis.split_shard(StreamName=name, ShardToSplit=SHARD0, NewStartingHashKey=str(2**127))
    advance(24 * 3600 + 1)
    shards = kinesis.list_shards(StreamName=name)["Shards"]
    assert [shard["ShardId"] for shard in shards] == ["shardId-000000000001", "shardId-000000000002"]
    assert shards[0]["ParentShardId"] == SHARD0


def test_control_plane_rates_per_account(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None,
    sandbox: SandboxInfo,
) -> None:  # fmt: skip
    name = make_stream(1)
    for _ in range(10):
        kinesis.describe_stream(StreamName=name)
    with pytest.raises(ClientError) as caught:
        kinesis.describe_stream(StreamName=name)
    assert error_of(caught) == (
        "LimitExceededException",
        400,
        f"Rate exceeded for stream {name} under account {sandbox.account_id}.",
    )
    kinesis.describe_stream_summary(StreamName=name)  # a limit of its own
    kinesis.describe_limits()
    with pytest.raises(ClientError) as caught:
        kinesis.describe_limits()
    assert error_of(caught) == ("LimitExceededException", 400, f"Rate exceeded for account {sandbox.account_id}.")
    advance(1)
    kinesis.describe_stream(StreamName=name)
    kinesis.describe_limits()


def test_get_shard_iterator_five_a_second_per_shard(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None,
    sandbox: SandboxInfo,
) -> None:  # fmt: skip
    name = make_stream(2)
    for _ in range(5):
        kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="LATEST")
    with pytest.raises(ClientError) as caught:
        kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="LATEST")
    assert error_of(caught) == (
        "ProvisionedThroughputExceededException", 400,
        f"Rate exceeded for shard {SHARD0} in stream {name} under account {sandbox.account_id}.",
    )  # fmt: skip
    kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000001", ShardIteratorType="LATEST")
    advance(1)
    kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="LATEST")
