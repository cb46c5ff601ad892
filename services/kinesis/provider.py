"""Kinesis Data Streams: the stream, shard, record and tag operations of botocore's kinesis
model, over JSON 1.1 and the JSON-in-CBOR form the Java SDKs and the KCL send (the gateway reads
both). Each method reads its parameters and calls one domain function:

    streams.py     create / find / describe / list / delete, status on the clock, retention,
                   tags, capacity mode, encryption, enhanced monitoring, account limits
    shards.py      hash key ranges, resharding (split, merge, uniform scaling), ListShards
    records.py     PutRecord / PutRecords: sizes, partition key -> shard, sequence numbers
    reading.py     shard iterators and GetRecords
    subscriptions.py  SubscribeToShard's event stream
    throughput.py  the per-shard write and read limits on the sandbox clock
    retention.py   the rolling window (the tick trims records and removes expired closed shards)
    sequences.py   sequence numbers and hash keys
    events.py      the live events; graph.py the diagram

LIMITATIONS (deliberate differences from AWS):
- Enhanced fan-out: consumers are registered, described, listed and deregistered (CREATING and
  DELETING for 5 s of sandbox time, at most 20 a stream); SubscribeToShard streams events
  (subscriptions.py): one at once, then one each time records arrive. Resource
  policies, account settings, warm throughput, maximum record size above 1 MiB and the newer
  channel and queue operations answer NotImplemented.
- On-demand streams start with 4 shards and double them at once when a second's writes pass
  half their capacity (ondemand.py); they never scale down. Their per-shard limits are those of a
  provisioned shard. UpdateStreamMode switches the mode and keeps the shards.
- A stream is CREATING for 10 s of sandbox time, UPDATING for 10 s after a reshard, a mode change
  or an encryption change, DELETING for 5 s. A reshard's child shards open at once (AWS opens them
  when UPDATING ends).
- UpdateShardCount closes every open shard and opens the target count over even ranges; a child
  whose range overlaps more than two parents names only the first two as ParentShardId and
  AdjacentParentShardId (AWS reaches such counts through intermediate shards). GetRecords'
  ChildShards lists every child of a closed shard.
- StartStreamEncryption needs a usable symmetric key (KMSNotFoundException, KMSDisabledException,
  ...), and every put and read of an encrypted stream checks the key again (a key disabled later
  fails them with KMSDisabledException); the stream and its records say KMS, but records are
  stored as sent, not sealed under a data key.
- The per-account rates of the control-plane operations (CreateStream 5 a second, DescribeStream
  10, DescribeStreamSummary 20, ListStreams 5, RegisterStreamConsumer 5, ...:
  throughput.CONTROL_PLANE_RATES), the per-stream ones (ListShards 1,000 a second,
  DescribeStreamConsumer 20, ListStreamConsumers and DeregisterStreamConsumer 5:
  throughput.STREAM_RATES) and GetShardIterator's 5 a second per shard are enforced on the sandbox
  clock; the rates of the other operations are not. The per-shard data limits, the
  500-shard account limit, UpdateShardCount's 10 calls a day and the mode switch's limits are.
  Metrics: AWS/Kinesis stream-level and enhanced shard-level metrics, one datapoint per minute
  (metrics.py).
- Sequence numbers are 56 digits that encode the shard and a counter; they increase per shard
  but carry no time, and are not comparable across shards in the way AWS's are.
- Error messages follow AWS's wording where it is known; the others are worded after them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.db import transaction

from playground.gateway.registry import Provider, own_transactions, register
from playground.gateway.request import RequestContext
from playground.live import wakeup
from services.kinesis import (
    consumers,
    encryption,
    events,
    metrics,
    ondemand,
    reading,
    records,
    shards,
    streams,
    subscriptions,
    throughput,
)
from services.kinesis.exceptions import (
    InvalidArgumentException,
    LimitExceededException,
    ResourceNotFoundException,
    ShardThrottled,
)
from services.kinesis.models import Stream


def _stream(ctx: RequestContext, params: dict[str, Any], *, lock: bool = False) -> Stream:
    return streams.find(
        sandbox=ctx.sandbox, region=ctx.region, name=params.get("StreamName"), arn=params.get("StreamARN"),
        now=ctx.now, lock=lock,
    )  # fmt: skip


def _active(ctx: RequestContext, params: dict[str, Any]) -> Stream:
    return streams.find_active(
        sandbox=ctx.sandbox, region=ctx.region, name=params.get("StreamName"), arn=params.get("StreamARN"), now=ctx.now
    )


def _writable(ctx: RequestContext, params: dict[str, Any]) -> Stream:
    return streams.find_writable(
        sandbox=ctx.sandbox, region=ctx.region, name=params.get("StreamName"), arn=params.get("StreamARN"), now=ctx.now
    )


def _rate(ctx: RequestContext, params: dict[str, Any]) -> None:
    """AWS's per-account rate of a control-plane operation (throughput.CONTROL_PLANE_RATES)."""
    if throughput.call_allowed(sandbox=ctx.sandbox, operation=ctx.operation, now=ctx.now):
        return
    name = params.get("StreamName") or str(params.get("StreamARN", "")).rpartition("/")[2]
    where = f"stream {name} under account {ctx.account_id}" if name else f"account {ctx.account_id}"
    raise LimitExceededException(f"Rate exceeded for {where}.")


def _stream_rate(ctx: RequestContext, name: str) -> None:
    """AWS's per-stream rate of an operation (throughput.STREAM_RATES); `name` the stream's."""
    if throughput.call_allowed(
        sandbox=ctx.sandbox, operation=ctx.operation, now=ctx.now, stream=f"{ctx.region}/{name}"
    ):
        return
    raise LimitExceededException(f"Rate exceeded for stream {name} under account {ctx.account_id}.")


@contextlib.contextmanager
def _counting_throttles(ctx: RequestContext) -> Iterator[None]:
    """A PutRecord or GetRecords refused whole for its shard's limit changes nothing (its
    transaction rolled back); its throttled flow and its metrics are then recorded in one of their own."""
    try:
        yield
    except ShardThrottled as refused:
        with transaction.atomic():
            metrics.throttled_call_counted(
                refused.stream, operation=refused.operation, shard_id=refused.shard_id, now=ctx.now
            )
            events.throttled(
                ctx.sandbox, stream=refused.stream, operation=refused.operation, shards=[refused.shard_id], now=ctx.now
            )
        raise


def _incoming(entry: dict[str, Any]) -> records.Incoming:
    return records.Incoming(
        data=entry["Data"], partition_key=entry["PartitionKey"], explicit_hash_key=entry.get("ExplicitHashKey")
    )


@register
class KinesisProvider(Provider):
    service = "kinesis"

    # --- streams -----------------------------------------------------------------------------

    def create_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _rate(ctx, params)
        streams.stream_create(
            sandbox=ctx.sandbox, region=ctx.region, name=params["StreamName"], shard_count=params.get("ShardCount"),
            mode=params.get("StreamModeDetails", {}).get("StreamMode"), tags=params.get("Tags"), now=ctx.now,
        )  # fmt: skip
        return {}

    @own_transactions
    def describe_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _rate(ctx, params)
        stream = _stream(ctx, params)
        described = streams.description(
            stream, limit=params.get("Limit"), exclusive_start_shard_id=params.get("ExclusiveStartShardId"), now=ctx.now
        )
        return {"StreamDescription": described}

    @own_transactions
    def describe_stream_summary(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _rate(ctx, params)
        return {"StreamDescriptionSummary": streams.summary(_stream(ctx, params), now=ctx.now)}

    @own_transactions
    def list_streams(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _rate(ctx, params)
        return streams.stream_list(
            sandbox=ctx.sandbox, region=ctx.region, limit=params.get("Limit"),
            exclusive_start=params.get("ExclusiveStartStreamName"), next_token=params.get("NextToken"), now=ctx.now,
        )  # fmt: skip

    def delete_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _rate(ctx, params)
        stream = _stream(ctx, params, lock=True)
        streams.stream_delete(
            stream, enforce_consumer_deletion=bool(params.get("EnforceConsumerDeletion")), now=ctx.now
        )
        return {}

    @own_transactions
    def describe_limits(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _rate(ctx, params)
        return streams.limits(sandbox=ctx.sandbox, region=ctx.region)

    def increase_stream_retention_period(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _rate(ctx, params)
        stream = _active(ctx, params)
        streams.retention_change(stream, hours=params["RetentionPeriodHours"], increase=True, now=ctx.now)
        return {}

    def decrease_stream_retention_period(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _rate(ctx, params)
        stream = _active(ctx, params)
        streams.retention_change(stream, hours=params["RetentionPeriodHours"], increase=False, now=ctx.now)
        return {}

    def update_stream_mode(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = streams.find_active(
            sandbox=ctx.sandbox, region=ctx.region, name=None, arn=params["StreamARN"], now=ctx.now
        )
        streams.mode_update(stream, mode=params["StreamModeDetails"]["StreamMode"], now=ctx.now)
        return {}

    def start_stream_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = _active(ctx, params)
        key_arn = encryption.usable_key_arn(sandbox=ctx.sandbox, region=ctx.region, key_id=params["KeyId"], now=ctx.now)
        streams.encryption_start(stream, key_arn=key_arn, key_id=params["KeyId"], now=ctx.now)
        return {}

    def stop_stream_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = _active(ctx, params)
        streams.encryption_stop(stream, now=ctx.now)
        return {}

    def enable_enhanced_monitoring(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return streams.monitoring_change(_active(ctx, params), metrics=params["ShardLevelMetrics"], enable=True)

    def disable_enhanced_monitoring(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return streams.monitoring_change(_active(ctx, params), metrics=params["ShardLevelMetrics"], enable=False)

    # --- tags --------------------------------------------------------------------------------

    def add_tags_to_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _rate(ctx, params)
        streams.tags_add(_stream(ctx, params, lock=True), tags=params["Tags"], now=ctx.now)
        return {}

    def remove_tags_from_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _rate(ctx, params)
        streams.tags_remove(_stream(ctx, params, lock=True), keys=params["TagKeys"])
        return {}

    @own_transactions
    def list_tags_for_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _rate(ctx, params)
        return streams.tags_list(
            _stream(ctx, params), exclusive_start=params.get("ExclusiveStartTagKey"), limit=params.get("Limit")
        )

    def _by_resource_arn(self, ctx: RequestContext, arn: str) -> Stream:
        if ":stream/" not in arn:
            raise ResourceNotFoundException(f"Resource {arn} not found.")
        return streams.find(sandbox=ctx.sandbox, region=ctx.region, name=None, arn=arn, now=ctx.now, lock=True)

    def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        streams.tags_add(self._by_resource_arn(ctx, params["ResourceARN"]), tags=params["Tags"], now=ctx.now)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        streams.tags_remove(self._by_resource_arn(ctx, params["ResourceARN"]), keys=params["TagKeys"])
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        listed = streams.tags_list(self._by_resource_arn(ctx, params["ResourceARN"]), exclusive_start=None, limit=200)
        return {"Tags": listed["Tags"]}

    # --- shards ------------------------------------------------------------------------------

    @own_transactions
    def list_shards(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        token = params.get("NextToken")
        named = params.get("StreamName") or params.get("StreamARN")
        if token is not None:
            if named or params.get("ExclusiveStartShardId") or params.get("StreamCreationTimestamp"):
                raise InvalidArgumentException(
                    "NextToken and StreamName cannot be provided together."
                    if named
                    else "NextToken and ExclusiveStartShardId cannot be provided together."
                )
            name, after = shards.read_list_token(token, now=ctx.now)
            stream = streams.find(sandbox=ctx.sandbox, region=ctx.region, name=name, arn=None, now=ctx.now)
        else:
            stream = _stream(ctx, params)
            after = None
        _stream_rate(ctx, stream.name)
        return shards.shard_list(
            stream, exclusive_start_shard_id=params.get("ExclusiveStartShardId"), max_results=params.get("MaxResults"),
            shard_filter=params.get("ShardFilter"), after_number=after, now=ctx.now,
        )  # fmt: skip

    def split_shard(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _rate(ctx, params)
        stream = _active(ctx, params)
        shards.split(
            stream, shard_id=params["ShardToSplit"], new_starting_hash_key=params["NewStartingHashKey"], now=ctx.now
        )
        streams.reshard_started(stream, now=ctx.now)
        return {}

    def merge_shards(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _rate(ctx, params)
        stream = _active(ctx, params)
        shards.merge(
            stream, shard_id=params["ShardToMerge"], adjacent_shard_id=params["AdjacentShardToMerge"], now=ctx.now
        )
        streams.reshard_started(stream, now=ctx.now)
        return {}

    def update_shard_count(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = _active(ctx, params)
        target = params["TargetShardCount"]
        current = shards.scale_uniformly(stream, target=target, now=ctx.now)
        streams.reshard_started(stream, now=ctx.now)
        return {
            "StreamName": stream.name,
            "CurrentShardCount": current,
            "TargetShardCount": target,
            "StreamARN": stream.arn,
        }

    # --- enhanced fan-out consumers ------------------------------------------------------------

    def register_stream_consumer(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _rate(ctx, params)
        consumer = consumers.register(
            sandbox=ctx.sandbox, region=ctx.region, stream_arn=params["StreamARN"], name=params["ConsumerName"],
            now=ctx.now,
        )  # fmt: skip
        return {"Consumer": consumers.description(consumer, now=ctx.now, with_stream=False)}

    @own_transactions
    def describe_stream_consumer(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        consumer = consumers.find(
            sandbox=ctx.sandbox, region=ctx.region, stream_arn=params.get("StreamARN"),
            name=params.get("ConsumerName"), consumer_arn=params.get("ConsumerARN"), now=ctx.now,
        )  # fmt: skip
        _stream_rate(ctx, consumer.stream.name)
        return {"ConsumerDescription": consumers.description(consumer, now=ctx.now, with_stream=True)}

    @own_transactions
    def list_stream_consumers(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _stream_rate(ctx, str(params["StreamARN"]).rpartition("/")[2])
        return consumers.listing(
            sandbox=ctx.sandbox, region=ctx.region, stream_arn=params["StreamARN"],
            max_results=params.get("MaxResults"), next_token=params.get("NextToken"), now=ctx.now,
        )  # fmt: skip

    def deregister_stream_consumer(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        consumer = consumers.find(
            sandbox=ctx.sandbox, region=ctx.region, stream_arn=params.get("StreamARN"),
            name=params.get("ConsumerName"), consumer_arn=params.get("ConsumerARN"), now=ctx.now,
        )  # fmt: skip
        _stream_rate(ctx, consumer.stream.name)
        consumers.deregister(consumer, now=ctx.now)
        return {}

    @own_transactions
    def subscribe_to_shard(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        events = subscriptions.subscribe(
            sandbox=ctx.sandbox, region=ctx.region, consumer_arn=params["ConsumerARN"], shard_id=params["ShardId"],
            starting=params["StartingPosition"], now=ctx.now,
        )  # fmt: skip
        return {"EventStream": events}

    # --- records -----------------------------------------------------------------------------

    @own_transactions  # a throttled call rolls back, then its refusal is counted (_counting_throttles)
    def put_record(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with _counting_throttles(ctx), transaction.atomic():
            stream = _writable(ctx, params)
            encryption.check_stream_key(stream, now=ctx.now)
            output = records.put_record(stream, _incoming(params), now=ctx.now)
            ondemand.scale_on_traffic(stream, now=ctx.now)
        wakeup.notify(subscriptions.wake_channel(stream.pk))  # open SubscribeToShard streams look again
        return output

    def put_records(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = _writable(ctx, params)
        encryption.check_stream_key(stream, now=ctx.now)
        entries = [(entry["Data"], entry["PartitionKey"], entry.get("ExplicitHashKey")) for entry in params["Records"]]
        output = records.put_records(stream, entries, now=ctx.now)
        ondemand.scale_on_traffic(stream, now=ctx.now)
        wakeup.notify(subscriptions.wake_channel(stream.pk))
        return output

    def get_shard_iterator(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = _writable(ctx, params)
        iterator = reading.shard_iterator(
            stream, shard_id=params["ShardId"], kind=params["ShardIteratorType"],
            sequence_number=params.get("StartingSequenceNumber"), timestamp=params.get("Timestamp"), now=ctx.now,
        )  # fmt: skip
        return {"ShardIterator": iterator}

    @own_transactions
    def get_records(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with _counting_throttles(ctx), transaction.atomic():
            return reading.get_records(
                sandbox=ctx.sandbox, region=ctx.region, iterator=params["ShardIterator"], limit=params.get("Limit"),
                now=ctx.now,
            )  # fmt: skip
