"""SubscribeToShard through boto3, read as the event stream botocore parses: the records already
there, then new ones as they are put, the 5-minute subscription ending on the sandbox clock, the
5-second ResourceInUseException, the end of a closed shard with ChildShards, and the 2 MiB a
second a consumer reads from a shard. The clock is paused and moved by `advance`; nothing sleeps."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

from tests.conftest import SandboxInfo, Server, _start_server, _stop, error_of

pytestmark = pytest.mark.live

SHARD = "shardId-000000000000"


def _consumer(kinesis: Any, sandbox: SandboxInfo, name: str, advance: Callable[[float], None]) -> str:
    stream_arn = f"arn:aws:kinesis:{sandbox.region}:{sandbox.account_id}:stream/{name}"
    arn: str = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="efo")["Consumer"]["ConsumerARN"]
    advance(5)  # CREATING -> ACTIVE
    return arn


def test_events_arrive_as_records_are_put_until_five_minutes_pass(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None,
    sandbox: SandboxInfo,
) -> None:  # fmt: skip
    name = make_stream(1)
    consumer = _consumer(kinesis, sandbox, name, advance)
    first = [kinesis.put_record(StreamName=name, Data=f"r{i}".encode(), PartitionKey="k") for i in range(3)]

    response = kinesis.subscribe_to_shard(
        ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "TRIM_HORIZON"}
    )
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/vnd.amazon.eventstream"
    events = iter(response["EventStream"])
    event = next(events)["SubscribeToShardEvent"]
    assert [r["Data"] for r in event["Records"]] == [b"r0", b"r1", b"r2"]
    assert [r["SequenceNumber"] for r in event["Records"]] == [p["SequenceNumber"] for p in first]
    assert event["ContinuationSequenceNumber"] == first[-1]["SequenceNumber"]
    assert event["MillisBehindLatest"] == 0
    assert "ChildShards" not in event

    # AWS: a second call with the same consumer and shard within 5 seconds is refused.
    with pytest.raises(ClientError) as caught:
        kinesis.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "LATEST"})
    assert error_of(caught)[:2] == ("ResourceInUseException", 400)

    later = kinesis.put_records(
        StreamName=name, Records=[{"Data": b"r3", "PartitionKey": "k"}, {"Data": b"r4", "PartitionKey": "k"}]
    )
    event = next(events)["SubscribeToShardEvent"]
    assert [r["Data"] for r in event["Records"]] == [b"r3", b"r4"]
    assert event["ContinuationSequenceNumber"] == later["Records"][-1]["SequenceNumber"]

    advance(300)  # the subscription lasts 5 minutes of sandbox time
    assert list(events) == []

    # Continue where the last event said, as a consumer that re-subscribes does.
    again = kinesis.subscribe_to_shard(
        ConsumerARN=consumer, ShardId=SHARD,
        StartingPosition={"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": event["ContinuationSequenceNumber"]},
    )  # fmt: skip
    resumed = iter(again["EventStream"])
    assert next(resumed)["SubscribeToShardEvent"]["Records"] == []
    kinesis.put_record(StreamName=name, Data=b"r5", PartitionKey="k")
    assert [r["Data"] for r in next(resumed)["SubscribeToShardEvent"]["Records"]] == [b"r5"]
    again["EventStream"].close()


def test_a_closed_shard_ends_with_its_child_shards(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None,
    sandbox: SandboxInfo,
) -> None:  # fmt: skip
    name = make_stream(1)
    consumer = _consumer(kinesis, sandbox, name, advance)
    kinesis.put_record(StreamName=name, Data=b"before", PartitionKey="k")
    kinesis.split_shard(StreamName=name, ShardToSplit=SHARD, NewStartingHashKey=str(2**127))
    advance(10)
    response = kinesis.subscribe_to_shard(
        ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "TRIM_HORIZON"}
    )
    events = [e["SubscribeToShardEvent"] for e in response["EventStream"]]
    assert [r["Data"] for e in events for r in e["Records"]] == [b"before"]
    last = events[-1]
    assert "ContinuationSequenceNumber" not in last or last["ContinuationSequenceNumber"] is None
    assert sorted(c["ShardId"] for c in last["ChildShards"]) == ["shardId-000000000001", "shardId-000000000002"]
    assert all(c["ParentShards"] == [SHARD] for c in last["ChildShards"])


def test_a_consumer_reads_two_mib_a_second_from_a_shard(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None,
    sandbox: SandboxInfo,
) -> None:  # fmt: skip
    name = make_stream(1)
    consumer = _consumer(kinesis, sandbox, name, advance)
    blob = b"x" * (800 * 1024)
    for _ in range(3):  # 800 KiB a second stays within the shard's 1 MiB/s of writes
        kinesis.put_record(StreamName=name, Data=blob, PartitionKey="k")
        advance(1)
    response = kinesis.subscribe_to_shard(
        ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "TRIM_HORIZON"}
    )
    events = iter(response["EventStream"])
    event = next(events)["SubscribeToShardEvent"]
    assert len(event["Records"]) == 2  # a third 800 KiB would pass 2 MiB in this second
    assert event["MillisBehindLatest"] == 1000  # the record left behind arrived a second ago
    advance(1)
    event = next(events)["SubscribeToShardEvent"]
    assert len(event["Records"]) == 1
    assert event["MillisBehindLatest"] == 0
    response["EventStream"].close()


def test_subscribe_errors(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None,
    sandbox: SandboxInfo,
) -> None:  # fmt: skip
    name = make_stream(1)
    stream_arn = f"arn:aws:kinesis:{sandbox.region}:{sandbox.account_id}:stream/{name}"
    creating = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="new")["Consumer"]["ConsumerARN"]
    with pytest.raises(ClientError) as caught:
        kinesis.subscribe_to_shard(ConsumerARN=creating, ShardId=SHARD, StartingPosition={"Type": "LATEST"})
    assert error_of(caught)[:2] == ("ResourceInUseException", 400)
    advance(5)
    with pytest.raises(ClientError) as caught:
        kinesis.subscribe_to_shard(
            ConsumerARN=creating, ShardId="shardId-000000000009", StartingPosition={"Type": "LATEST"}
        )
    assert error_of(caught)[:2] == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as caught:
        kinesis.subscribe_to_shard(ConsumerARN=f"{stream_arn}/consumer/nobody:1", ShardId=SHARD,
                                   StartingPosition={"Type": "LATEST"})  # fmt: skip
    assert error_of(caught)[:2] == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as caught:
        kinesis.subscribe_to_shard(ConsumerARN=creating, ShardId=SHARD, StartingPosition={"Type": "AT_SEQUENCE_NUMBER"})
    assert error_of(caught)[:2] == ("InvalidArgumentException", 400)


def test_a_later_subscription_takes_over_and_a_deregistered_consumer_ends_it(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None,
    sandbox: SandboxInfo,
) -> None:  # fmt: skip
    name = make_stream(1)
    consumer = _consumer(kinesis, sandbox, name, advance)
    first = kinesis.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "LATEST"})
    old = iter(first["EventStream"])
    assert next(old)["SubscribeToShardEvent"]["Records"] == []
    advance(5)  # AWS: a call 5 seconds or more later takes the subscription over
    second = kinesis.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "LATEST"})
    new = iter(second["EventStream"])
    assert next(new)["SubscribeToShardEvent"]["Records"] == []
    with pytest.raises(EventStreamError) as caught:
        next(old)
    assert caught.value.response["Error"]["Code"] == "ResourceInUseException"

    kinesis.deregister_stream_consumer(ConsumerARN=consumer)
    with pytest.raises(EventStreamError) as caught:
        next(new)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.fixture
def two_thread_server(daphne: Server) -> Iterator[Server]:
    """A server of the test's own that answers AWS calls on two threads."""
    server = _start_server("daphne-two-threads", dict(daphne.env, PLAYGROUND_GATEWAY_THREADS="2"))
    yield server
    _stop(server.process)


def test_a_client_that_leaves_frees_its_thread(
    two_thread_server: Server, aws: Callable[..., Any], make_stream: Callable[..., str],
    advance: Callable[[float], None], paused: None, sandbox: SandboxInfo,
) -> None:  # fmt: skip
    """On a paused clock a subscription never ends by itself: each one whose client closes it must
    still give its thread back, or two of them would leave this server no thread to answer with."""
    name = make_stream(3)
    consumer = _consumer(aws("kinesis"), sandbox, name, advance)
    kinesis = aws("kinesis", server=two_thread_server, config=Config(retries={"max_attempts": 0}, read_timeout=20))
    for shard in ("shardId-000000000000", "shardId-000000000001", "shardId-000000000002"):
        response = kinesis.subscribe_to_shard(
            ConsumerARN=consumer, ShardId=shard, StartingPosition={"Type": "TRIM_HORIZON"}
        )
        assert next(iter(response["EventStream"]))["SubscribeToShardEvent"]["Records"] == []
        response["EventStream"].close()  # the client leaves while the server waits for records
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == 3
    log = two_thread_server.log_text()
    assert "Traceback" not in log
    assert "generator already executing" not in log
