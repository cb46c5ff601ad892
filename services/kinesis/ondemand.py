"""On-demand streams scale with their traffic, as AWS documents: a new on-demand stream takes
4 MiB and 4,000 records a second of writes (4 shards), and adapts to up to double the peak write
throughput it has seen. Here, after each put to an ACTIVE on-demand stream, when the writes of
the current sandbox second pass half of the open shards' capacity (bytes or records), the open
shards double (uniform scaling, the new shards naming the closed ones as parents) and the stream
is UPDATING for a while, so the next second may take twice the traffic. A single hot partition
key still meets its shard's 1 MiB a second, as on AWS.

LIMITATIONS: AWS scales on its own schedule (and down again over time); here the doubling is
immediate on the sandbox clock and the stream never scales down. A scaling that would pass the
account's shard limit does not happen.
"""

from __future__ import annotations

import datetime as dt

from services.kinesis import shards, streams, throughput
from services.kinesis.exceptions import LimitExceededException
from services.kinesis.models import ACTIVE, ON_DEMAND, Stream


def scale_on_traffic(stream: Stream, *, now: dt.datetime) -> bool:
    """Double an on-demand stream's open shards when this second's writes passed half of them;
    whether it did."""
    if stream.mode != ON_DEMAND or streams.status_of(stream, now=now) != ACTIVE:
        return False
    second = throughput.second_of(now)
    current = shards.open_shards(stream)
    written = [shard for shard in current if shard.write_second == second]
    size = sum(shard.write_bytes for shard in written)
    count = sum(shard.write_records for shard in written)
    capacity = len(current)
    if size * 2 <= capacity * throughput.WRITE_BYTES and count * 2 <= capacity * throughput.WRITE_RECORDS:
        return False
    try:
        shards.reshape(stream, current, target=min(capacity * 2, shards.MAX_SHARDS_PER_STREAM), now=now)
    except LimitExceededException:
        return False  # the account's shard limit: no room to grow
    streams.reshard_started(stream, now=now)
    return True
