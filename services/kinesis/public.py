"""What other services may use of Kinesis Data Streams (docs/services.md: services meet through
public doors).

records_put     put records to a stream as PutRecords does (the same checks, shard routing,
                throughput limits, live events and wake-ups), for the services that deliver to a
                stream: CloudWatch Logs subscription filters
stream_shards, shard_start, shard_records
                read a stream shard by shard, as Lambda's event source mappings and Firehose's
                KinesisStreamAsSource do (outside the shards' GetRecords throughput)
KinesisError    the base of Kinesis's errors, which a caller maps to its own
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.live import wakeup
from playground.sandboxes.models import Sandbox
from services.kinesis import encryption, ondemand, records, shards, streams, subscriptions
from services.kinesis.exceptions import KinesisError

__all__ = [
    "KinesisError",
    "records_put",
    "shard_records",
    "shard_start",
    "stream_shards",
]


def records_put(
    *, sandbox: Sandbox, region: str, stream_arn: str, records_in: list[tuple[bytes, str]], now: dt.datetime
) -> dict[str, Any]:
    """PutRecords to the stream `stream_arn` names: `records_in` is [(data, partition key)]. Returns
    PutRecords' output (FailedRecordCount, Records); raises KinesisError where PutRecords would
    fail the whole call (ResourceNotFoundException for a stream that is not ACTIVE, ...)."""
    stream = streams.find_writable(sandbox=sandbox, region=region, name=None, arn=stream_arn, now=now)
    encryption.check_stream_key(stream, now=now)
    output = records.put_records(stream, [(data, key, None) for data, key in records_in], now=now)
    ondemand.scale_on_traffic(stream, now=now)
    wakeup.notify(subscriptions.wake_channel(stream.pk))
    return output


# --- reading, as Lambda's event source mappings and Firehose's Kinesis source do -----------------
#
# stream_shards(sandbox=, stream_arn=, now=) -> list[dict] | None
#     the stream's shards that still hold records, oldest first: {"shard_id", "parents", "open",
#     "last" (the newest record's counter)}; None when there is no such stream (or it is gone)
# shard_start(sandbox=, stream_arn=, shard_id=, position=, timestamp=, now=) -> int
#     the counter after which a reader starting at TRIM_HORIZON, LATEST or AT_TIMESTAMP reads
# shard_records(sandbox=, stream_arn=, shard_id=, after=, limit=, now=) -> list[dict]
#     the records after counter `after` still within retention, at most `limit`: {"counter",
#     "sequence_number", "partition_key", "data", "arrived_at", "encrypted"}


def _stream_of(sandbox: Sandbox, stream_arn: str, now: dt.datetime) -> Any:
    stream = streams.by_arn(sandbox=sandbox, arn=stream_arn)
    if stream is None or streams.is_gone(stream, now=now):
        return None
    return stream


def stream_shards(*, sandbox: Sandbox, stream_arn: str, now: dt.datetime) -> list[dict[str, Any]] | None:

    stream = _stream_of(sandbox, stream_arn, now)
    if stream is None:
        return None
    return [
        {"shard_id": shard.shard_id, "parents": list(shard.parents), "open": shard.is_open, "last": shard.last_counter}
        for shard in shards.live_shards(stream, now=now)
    ]


def _shard_of(stream: Any, shard_id: str) -> Any:
    number = shards.shard_number(shard_id)
    return None if number is None else stream.shards.filter(number=number).first()


def shard_start(
    *, sandbox: Sandbox, stream_arn: str, shard_id: str, position: str, timestamp: dt.datetime | None,
    now: dt.datetime,
) -> int:  # fmt: skip
    from services.kinesis import reading

    stream = _stream_of(sandbox, stream_arn, now)
    shard = _shard_of(stream, shard_id) if stream is not None else None
    if shard is None:
        return 0
    return reading.start_position(stream, shard, kind=position, sequence_number=None, timestamp=timestamp)


def shard_records(
    *, sandbox: Sandbox, stream_arn: str, shard_id: str, after: int, limit: int, now: dt.datetime
) -> list[dict[str, Any]]:
    from services.kinesis import sequences
    from services.kinesis.models import Record

    stream = _stream_of(sandbox, stream_arn, now)
    shard = _shard_of(stream, shard_id) if stream is not None else None
    if shard is None:
        return []
    rows = (
        Record.objects.filter(shard=shard, counter__gt=after, expires_at__gt=now)
        .order_by("counter")
        .values_list("counter", "partition_key", "data", "arrived_at")[:limit]
    )
    encrypted = stream.encryption_type == "KMS"
    return [
        {"counter": counter, "sequence_number": sequences.sequence_number(shard.number, counter),
         "partition_key": key, "data": bytes(data), "arrived_at": arrived_at, "encrypted": encrypted}
        for counter, key, data, arrived_at in rows
    ]  # fmt: skip
