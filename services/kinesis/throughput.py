"""Each shard's throughput limits, counted per second of the sandbox clock.

Writes: 1 MiB and 1,000 records a second per shard. Reads: 5 GetRecords calls and 2 MiB a second
per shard; a call may return up to 10 MiB, and the bytes over 2 MiB are carried into the next
seconds (2 MiB repaid per second), so that after a 10 MiB read the shard refuses reads for about
five seconds, as AWS documents. Over a limit: ProvisionedThroughputExceededException.

GetShardIterator takes 5 calls a second per shard, and the control-plane operations their
per-account or per-stream rates (CONTROL_PLANE_RATES, STREAM_RATES: LimitExceededException over them).

The counters live on the shard row and are reset when a call falls in a later second; a paused
clock keeps them, so a test advances the clock a second to start afresh.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from django.db import transaction

from playground.sandboxes.models import Sandbox
from services.kinesis.models import RateWindow, Shard

MIB = 1024 * 1024
WRITE_BYTES = MIB
WRITE_RECORDS = 1000
READ_CALLS = 5
READ_BYTES = 2 * MIB
ITERATOR_CALLS = 5
# Calls a second per account, from AWS's Kinesis Data Streams quotas page.
CONTROL_PLANE_RATES = {
    "CreateStream": 5,
    "DeleteStream": 5,
    "DescribeStream": 10,
    "DescribeStreamSummary": 20,
    "ListStreams": 5,
    "SplitShard": 5,
    "MergeShards": 5,
    "IncreaseStreamRetentionPeriod": 5,
    "DecreaseStreamRetentionPeriod": 5,
    "AddTagsToStream": 5,
    "RemoveTagsFromStream": 5,
    "ListTagsForStream": 5,
    "DescribeLimits": 1,
    "RegisterStreamConsumer": 5,
}
# Calls a second per stream, from the operations' API reference pages.
STREAM_RATES = {
    "ListShards": 1000,
    "DescribeStreamConsumer": 20,
    "ListStreamConsumers": 5,
    "DeregisterStreamConsumer": 5,
}


def second_of(now: dt.datetime) -> int:
    return int(now.timestamp())


class WriteWindow(Protocol):
    write_second: int
    write_bytes: int
    write_records: int


def write_fits(shard: WriteWindow, *, size: int, second: int) -> bool:
    """Whether one more record of `size` bytes fits in this second (second_of(now)); counts it when it does."""
    if shard.write_second != second:
        shard.write_second, shard.write_bytes, shard.write_records = second, 0, 0
    if shard.write_records + 1 > WRITE_RECORDS or shard.write_bytes + size > WRITE_BYTES:
        return False
    shard.write_records += 1
    shard.write_bytes += size
    return True


def read_allowed(shard: Shard, *, now: dt.datetime) -> bool:
    """Whether a GetRecords call may read the shard now; counts the call when it may."""
    second = second_of(now)
    if shard.read_second != second:
        elapsed = max(second - shard.read_second, 0)
        shard.read_bytes = max(shard.read_bytes - READ_BYTES * elapsed, 0)
        shard.read_second, shard.read_calls = second, 0
    if shard.read_calls + 1 > READ_CALLS or shard.read_bytes >= READ_BYTES:
        return False
    shard.read_calls += 1
    return True


def read_done(shard: Shard, *, size: int) -> None:
    shard.read_bytes += size


def iterator_allowed(shard: Shard, *, now: dt.datetime) -> bool:
    """GetShardIterator: 5 calls a second per open shard; counts the call when allowed."""
    second = second_of(now)
    if shard.iterator_second != second:
        shard.iterator_second, shard.iterator_calls = second, 0
    if shard.iterator_calls + 1 > ITERATOR_CALLS:
        return False
    shard.iterator_calls += 1
    return True


def call_allowed(*, sandbox: Sandbox, operation: str, now: dt.datetime, stream: str = "") -> bool:
    """A control-plane operation's rate limit per account (CONTROL_PLANE_RATES) or per stream
    (STREAM_RATES, `stream` naming it: region/name); counts the call when allowed (in a transaction
    of its own for the read-only operations, which run outside one)."""
    limit, key = CONTROL_PLANE_RATES.get(operation), operation
    if limit is None:
        limit, key = STREAM_RATES.get(operation), f"{operation} {stream}"
    if limit is None:
        return True
    second = second_of(now)
    with transaction.atomic():
        window, _ = RateWindow.objects.select_for_update().get_or_create(sandbox=sandbox, key=key)
        if window.second != second:
            window.second, window.calls = second, 0
        if window.calls + 1 > limit:
            return False
        window.calls += 1
        window.save(update_fields=["second", "calls"])
    return True
