"""Streams through boto3: create (provisioned and on-demand), the status on the sandbox clock,
describe, summary, list, delete, retention, tags, capacity mode, encryption and the errors AWS
gives for each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, error_of
from tests.services.kinesis.conftest import unchecked

pytestmark = pytest.mark.live

MAX = 2**128 - 1


def test_a_new_stream_is_creating_then_active_on_the_clock(
    kinesis: Any, advance: Callable[[float], None], paused: None, sandbox: SandboxInfo
) -> None:
    kinesis.create_stream(StreamName="clicks", ShardCount=2)
    summary = kinesis.describe_stream_summary(StreamName="clicks")["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "CREATING"
    assert summary["StreamARN"] == f"arn:aws:kinesis:{sandbox.region}:{sandbox.account_id}:stream/clicks"
    assert summary["OpenShardCount"] == 2
    assert summary["RetentionPeriodHours"] == 24
    assert summary["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert summary["EncryptionType"] == "NONE"
    with pytest.raises(ClientError) as caught:
        kinesis.put_record(StreamName="clicks", Data=b"x", PartitionKey="k")
    assert error_of(caught) == (
        "ResourceNotFoundException",
        400,
        f"Stream clicks under account {sandbox.account_id} not found.",
    )
    advance(10)
    description = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]
    assert description["StreamStatus"] == "ACTIVE"
    assert description["HasMoreShards"] is False
    assert [shard["ShardId"] for shard in description["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    assert [shard["HashKeyRange"] for shard in description["Shards"]] == [
        {"StartingHashKey": "0", "EndingHashKey": str(2**127 - 1)},
        {"StartingHashKey": str(2**127), "EndingHashKey": str(MAX)},
    ]
    assert "EndingSequenceNumber" not in description["Shards"][0]["SequenceNumberRange"]


def test_hash_ranges_split_the_space_as_aws_does(kinesis: Any, make_stream: Callable[..., str]) -> None:
    name = make_stream(3)
    shards = kinesis.list_shards(StreamName=name)["Shards"]
    assert [(s["HashKeyRange"]["StartingHashKey"], s["HashKeyRange"]["EndingHashKey"]) for s in shards] == [
        ("0", "113427455640312821154458202477256070484"),
        ("113427455640312821154458202477256070485", "226854911280625642308916404954512140969"),
        ("226854911280625642308916404954512140970", str(MAX)),
    ]


def test_on_demand_stream_starts_with_four_shards(kinesis: Any, make_stream: Callable[..., str]) -> None:
    name = make_stream(None, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 4


def test_create_errors(
    kinesis: Any, aws: Callable[..., Any], make_stream: Callable[..., str], sandbox: SandboxInfo
) -> None:
    name = make_stream(1)
    with pytest.raises(ClientError) as caught:
        kinesis.create_stream(StreamName=name, ShardCount=1)
    assert error_of(caught) == (
        "ResourceInUseException",
        400,
        f"Stream {name} under account {sandbox.account_id} already exists.",
    )
    with pytest.raises(ClientError) as caught:
        kinesis.create_stream(StreamName="bad name", ShardCount=1)
    code, status, message = error_of(caught)
    assert (code, status) == ("ValidationException", 400)
    assert "'bad name' at 'streamName'" in message
    with pytest.raises(ClientError) as caught:
        unchecked(aws).create_stream(StreamName="zero", ShardCount=0)
    code, status, message = error_of(caught)
    assert (code, status) == ("ValidationException", 400)
    assert "Member must have value greater than or equal to 1" in message
    with pytest.raises(ClientError) as caught:
        kinesis.create_stream(StreamName="too-many", ShardCount=501)
    code, status, message = error_of(caught)
    assert (code, status) == ("LimitExceededException", 400)
    assert message.startswith(f"This request would exceed the shard limit for the account {sandbox.account_id}")
    with pytest.raises(ClientError) as caught:
        kinesis.create_stream(StreamName="od", ShardCount=2, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    assert error_of(caught)[:2] == ("InvalidArgumentException", 400)


def test_missing_stream_is_resource_not_found_everywhere(kinesis: Any, sandbox: SandboxInfo) -> None:
    expected = ("ResourceNotFoundException", 400, f"Stream nowhere under account {sandbox.account_id} not found.")
    calls: list[Callable[[], Any]] = [
        lambda: kinesis.describe_stream(StreamName="nowhere"),
        lambda: kinesis.describe_stream_summary(StreamName="nowhere"),
        lambda: kinesis.delete_stream(StreamName="nowhere"),
        lambda: kinesis.list_shards(StreamName="nowhere"),
        lambda: kinesis.put_record(StreamName="nowhere", Data=b"x", PartitionKey="k"),
        lambda: kinesis.put_records(StreamName="nowhere", Records=[{"Data": b"x", "PartitionKey": "k"}]),
        lambda: kinesis.get_shard_iterator(
            StreamName="nowhere", ShardId="shardId-000000000000", ShardIteratorType="LATEST"
        ),
        lambda: kinesis.increase_stream_retention_period(StreamName="nowhere", RetentionPeriodHours=48),
        lambda: kinesis.add_tags_to_stream(StreamName="nowhere", Tags={"a": "b"}),
        lambda: kinesis.list_tags_for_stream(StreamName="nowhere"),
        lambda: kinesis.update_shard_count(StreamName="nowhere", TargetShardCount=2, ScalingType="UNIFORM_SCALING"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as caught:
            call()
        assert error_of(caught) == expected
        assert caught.value.response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"
        assert caught.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]


def test_stream_arn_names_the_stream_too(kinesis: Any, make_stream: Callable[..., str], sandbox: SandboxInfo) -> None:
    name = make_stream(1)
    arn = f"arn:aws:kinesis:{sandbox.region}:{sandbox.account_id}:stream/{name}"
    assert kinesis.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]["StreamName"] == name
    put = kinesis.put_record(StreamARN=arn, Data=b"by arn", PartitionKey="k")
    assert put["ShardId"] == "shardId-000000000000"


def test_list_streams_pages(kinesis: Any, make_stream: Callable[..., str]) -> None:
    for name in ("b-stream", "a-stream", "c-stream"):
        make_stream(1, name=name)
    first = kinesis.list_streams(Limit=2)
    assert first["StreamNames"] == ["a-stream", "b-stream"]
    assert first["HasMoreStreams"] is True
    assert [s["StreamStatus"] for s in first["StreamSummaries"]] == ["ACTIVE", "ACTIVE"]
    second = kinesis.list_streams(NextToken=first["NextToken"])
    assert second["StreamNames"] == ["c-stream"]
    assert second["HasMoreStreams"] is False
    assert kinesis.list_streams(ExclusiveStartStreamName="a-stream")["StreamNames"] == ["b-stream", "c-stream"]


def test_delete_passes_through_deleting(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None, sandbox: SandboxInfo
) -> None:
    name = make_stream(1)
    kinesis.delete_stream(StreamName=name)
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] == "DELETING"
    advance(5)
    with pytest.raises(ClientError) as caught:
        kinesis.describe_stream(StreamName=name)
    assert error_of(caught)[0] == "ResourceNotFoundException"
    assert name not in kinesis.list_streams()["StreamNames"]
    kinesis.create_stream(StreamName=name, ShardCount=1)  # the name is free again


def test_a_creating_stream_cannot_be_deleted(kinesis: Any, paused: None, sandbox: SandboxInfo) -> None:
    kinesis.create_stream(StreamName="young", ShardCount=1)
    with pytest.raises(ClientError) as caught:
        kinesis.delete_stream(StreamName="young")
    assert error_of(caught) == (
        "ResourceInUseException", 400,
        f"Stream young under account {sandbox.account_id} not ACTIVE, instead in state CREATING",
    )  # fmt: skip


def test_retention_increase_and_decrease_with_their_limits(kinesis: Any, make_stream: Callable[..., str]) -> None:
    name = make_stream(1)
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=168)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["RetentionPeriodHours"] == 168
    cases = [
        (kinesis.increase_stream_retention_period, 48,
         f"Requested retention period (48 hours) for stream {name} can not be shorter than existing retention "
         "period (168 hours). Use DecreaseRetentionPeriod API."),
        (kinesis.decrease_stream_retention_period, 200,
         f"Requested retention period (200 hours) for stream {name} can not be longer than existing retention "
         "period (168 hours). Use IncreaseRetentionPeriod API."),
        (kinesis.decrease_stream_retention_period, 12,
         "Minimum allowed retention period is 24 hours. Requested retention period (12 hours) is too short."),
        (kinesis.increase_stream_retention_period, 8761,
         "Maximum allowed retention period is 8760 hours. Requested retention period (8761 hours) is too long."),
    ]  # fmt: skip
    for call, hours, message in cases:
        with pytest.raises(ClientError) as caught:
            call(StreamName=name, RetentionPeriodHours=hours)
        assert error_of(caught) == ("InvalidArgumentException", 400, message)
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["RetentionPeriodHours"] == 24


def test_tags_on_a_stream(kinesis: Any, make_stream: Callable[..., str], sandbox: SandboxInfo) -> None:
    name = make_stream(1, Tags={"team": "data"})
    kinesis.add_tags_to_stream(StreamName=name, Tags={"env": "lab", "cost": "1"})
    listed = kinesis.list_tags_for_stream(StreamName=name, Limit=2)
    assert listed["Tags"] == [{"Key": "cost", "Value": "1"}, {"Key": "env", "Value": "lab"}]
    assert listed["HasMoreTags"] is True
    assert kinesis.list_tags_for_stream(StreamName=name, ExclusiveStartTagKey="env")["Tags"] == [
        {"Key": "team", "Value": "data"}
    ]
    kinesis.remove_tags_from_stream(StreamName=name, TagKeys=["cost", "team"])
    arn = f"arn:aws:kinesis:{sandbox.region}:{sandbox.account_id}:stream/{name}"
    kinesis.tag_resource(ResourceARN=arn, Tags={"owner": "me"})
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "env", "Value": "lab"}, {"Key": "owner", "Value": "me"}
    ]  # fmt: skip
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["owner"])
    with pytest.raises(ClientError) as caught:
        kinesis.add_tags_to_stream(StreamName=name, Tags={f"k{i}": "v" for i in range(50)})
    assert error_of(caught) == (
        "InvalidArgumentException", 400,
        f"Failed to add tags to stream {name} under account {sandbox.account_id} because a given stream cannot "
        "have more than 50 tags.",
    )  # fmt: skip


def test_stream_mode_switch(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], sandbox: SandboxInfo
) -> None:
    name = make_stream(2)
    arn = f"arn:aws:kinesis:{sandbox.region}:{sandbox.account_id}:stream/{name}"
    kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert (summary["StreamModeDetails"]["StreamMode"], summary["StreamStatus"]) == ("ON_DEMAND", "UPDATING")
    advance(10)
    with pytest.raises(ClientError) as caught:
        kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "PROVISIONED"})
    assert error_of(caught)[:2] == ("LimitExceededException", 400)


def test_encryption_with_a_kms_key(
    kinesis: Any, aws: Callable[..., Any], make_stream: Callable[..., str], advance: Callable[[float], None]
) -> None:
    name = make_stream(1)
    key = aws("kms").create_key()["KeyMetadata"]["KeyId"]
    kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=key)
    with pytest.raises(ClientError) as caught:
        kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/none")
    assert error_of(caught)[:2] == ("ResourceInUseException", 400)  # UPDATING meanwhile
    advance(10)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert (summary["EncryptionType"], summary["KeyId"]) == ("KMS", key)
    assert kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")["EncryptionType"] == "KMS"
    with pytest.raises(ClientError) as caught:
        kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/none")
    code, status, message = error_of(caught)
    assert (code, status) == ("KMSNotFoundException", 400)
    assert "alias/none" in message

    # A key disabled afterwards fails puts and reads of the stream, as AWS's KMS* errors.
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="LATEST")
    aws("kms").disable_key(KeyId=key)
    with pytest.raises(ClientError) as caught:
        kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")
    assert error_of(caught)[:2] == ("KMSDisabledException", 400)
    with pytest.raises(ClientError) as caught:
        kinesis.get_records(ShardIterator=iterator["ShardIterator"])
    assert error_of(caught)[:2] == ("KMSDisabledException", 400)
    aws("kms").enable_key(KeyId=key)
    kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")

    kinesis.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=key)
    advance(10)
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["EncryptionType"] == "NONE"
    kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["KeyId"] == "alias/aws/kinesis"


def test_describe_limits_counts_open_shards(kinesis: Any, make_stream: Callable[..., str]) -> None:
    make_stream(3)
    limits = kinesis.describe_limits()
    assert (limits["ShardLimit"], limits["OpenShardCount"]) == (500, 3)
