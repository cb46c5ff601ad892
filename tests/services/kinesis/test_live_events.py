"""The live events Kinesis publishes to the sandbox's WebSocket (services/kinesis/events.py): a
stream created, changed (ACTIVE on the clock, a reshard, retention) and deleted once DELETING has
passed, and the flows of records put, read, iterators made and throttled calls (a call refused whole too)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, Server
from tests.live.test_websocket import login, open_socket, receive_until

pytestmark = pytest.mark.live


def test_stream_and_record_events(
    daphne: Server, make_sandbox: Callable[..., SandboxInfo], aws: Callable[..., Any], db_access: None
) -> None:
    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import clock_advance, clock_pause

    info = make_sandbox(username="kinesis-events")
    box = Sandbox.objects.get(pk=info.id)
    clock_pause(sandbox=box)
    kinesis = aws("kinesis", info=info)
    arn = f"arn:aws:kinesis:{info.region}:{info.account_id}:stream/watched"

    def resource(socket: Any, change: str) -> dict[str, Any]:
        return receive_until(socket, lambda e: e["type"] == f"resource.{change}" and e["arn"] == arn, timeout=10)

    def flow(socket: Any, kind: str) -> dict[str, Any]:
        return receive_until(socket, lambda e: e["type"] == "flow" and e["kind"] == kind, timeout=10)

    with open_socket(daphne, info.id, login(daphne, "kinesis-events", "pw-kinesis-events")) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "hello"
        kinesis.create_stream(StreamName="watched", ShardCount=1)
        created = resource(socket, "created")
        assert (created["service"], created["resource_type"], created["name"]) == ("kinesis", "stream", "watched")
        assert created["attributes"]["StreamStatus"] == "CREATING"
        assert created["attributes"]["OpenShardCount"] == 1
        clock_advance(sandbox=box, seconds=10)
        assert resource(socket, "changed")["attributes"]["StreamStatus"] == "ACTIVE"

        kinesis.put_records(StreamName="watched", Records=[{"Data": b"a", "PartitionKey": "k"}] * 3)
        put = flow(socket, "put")
        assert (put["source"], put["target"]) == ("client", arn)
        assert put["detail"] == {"records": 3, "bytes": 6, "shards": ["shardId-000000000000"]}

        iterator = kinesis.get_shard_iterator(
            StreamName="watched", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        made = flow(socket, "iterator")
        assert (made["source"], made["target"], made["detail"]["type"]) == (arn, "client", "TRIM_HORIZON")
        kinesis.get_records(ShardIterator=iterator)
        read = flow(socket, "read")
        assert read["detail"] == {"shard": "shardId-000000000000", "records": 3, "bytes": 6}

        # SubscribeToShard's events are reads too, naming the consumer (its marker on the lanes).
        consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="lanes")["Consumer"]["ConsumerARN"]
        clock_advance(sandbox=box, seconds=5)
        response = kinesis.subscribe_to_shard(
            ConsumerARN=consumer, ShardId="shardId-000000000000", StartingPosition={"Type": "TRIM_HORIZON"}
        )
        assert len(next(iter(response["EventStream"]))["SubscribeToShardEvent"]["Records"]) == 3
        response["EventStream"].close()
        pushed = flow(socket, "read")
        assert (pushed["source"], pushed["target"]) == (arn, "client")
        assert pushed["detail"] == {"shard": "shardId-000000000000", "records": 3, "bytes": 6, "consumer": "lanes"}

        big = [{"Data": b"x" * 600_000, "PartitionKey": "k"}] * 2
        assert kinesis.put_records(StreamName="watched", Records=big)["FailedRecordCount"] == 1
        throttled = flow(socket, "throttled")
        assert throttled["detail"]["operation"] == "PutRecords"
        assert throttled["detail"]["error_code"] == "ProvisionedThroughputExceededException"
        with pytest.raises(ClientError):  # refused whole: the call changed nothing, yet the throttle shows
            kinesis.put_record(StreamName="watched", Data=b"x" * 500_000, PartitionKey="k")
        assert flow(socket, "throttled")["detail"]["operation"] == "PutRecord"

        kinesis.increase_stream_retention_period(StreamName="watched", RetentionPeriodHours=48)
        assert resource(socket, "changed")["attributes"]["RetentionPeriodHours"] == 48
        kinesis.update_shard_count(StreamName="watched", TargetShardCount=2, ScalingType="UNIFORM_SCALING")
        changed = resource(socket, "changed")
        assert (changed["attributes"]["StreamStatus"], changed["attributes"]["OpenShardCount"]) == ("UPDATING", 2)
        clock_advance(sandbox=box, seconds=10)
        assert resource(socket, "changed")["attributes"]["StreamStatus"] == "ACTIVE"

        kinesis.delete_stream(StreamName="watched", EnforceConsumerDeletion=True)
        assert resource(socket, "changed")["attributes"]["StreamStatus"] == "DELETING"
        clock_advance(sandbox=box, seconds=5)
        assert resource(socket, "deleted")["name"] == "watched"
