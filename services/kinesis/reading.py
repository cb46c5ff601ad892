"""Reading a shard: shard iterators and GetRecords.

An iterator is a token, not a row: the stream, the shard, the counter after which it reads and the
sandbox time it was made, sealed with an HMAC under the server's SECRET_KEY so that a changed
token is refused. It expires ITERATOR_SECONDS (5 minutes) of sandbox time after it was made
(ExpiredIteratorException with AWS's wording); every GetRecords answer hands out a fresh one.

GetRecords returns the records after the iterator's position that are still within the retention
period (a position past trimmed records starts at the oldest one left), at most Limit (default
and maximum 10,000) and 10 MiB, and MillisBehindLatest: how far the oldest record it did not
return lies behind the sandbox clock (0 when it returned everything). At the end of a closed
shard there is no NextShardIterator: ChildShards names the shards to read next.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import struct
import time
from typing import Any

from django.conf import settings
from django.db import connection

from playground.db import find_one, select_values, update_many
from playground.sandboxes.models import Sandbox
from services.kinesis import encryption, events, metrics, sequences, shards, streams, throughput
from services.kinesis.exceptions import (
    ExpiredIteratorException,
    InvalidArgumentException,
    ProvisionedThroughputExceededException,
    ResourceNotFoundException,
    ShardThrottled,
)
from services.kinesis.models import Record, Shard, Stream

_ROW_FIELDS = ("counter", "partition_key", "data", "size", "arrived_at")
_READ_FIELDS = ("read_second", "read_calls", "read_bytes", "read_position", "read_at")
ITERATOR_SECONDS = 300
MAX_RECORDS = 10_000
MAX_BYTES = 10 * 1024 * 1024
_LAYOUT = struct.Struct(">QQqq")  # stream pk, shard pk, position counter, made at (epoch ms)
_MAC_BYTES = 16
Row = tuple[int, str, bytes | memoryview, int, dt.datetime]  # counter, partition key, data, size, arrival


def _mac(payload: bytes) -> bytes:
    key = hashlib.sha256(b"kinesis-iterator:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]


def _iterator(shard: Shard, *, position: int, now: dt.datetime) -> str:
    payload = _LAYOUT.pack(shard.stream_id, shard.pk, position, int(now.timestamp() * 1000))
    return base64.b64encode(b"\x00\x01" + payload + _mac(payload)).decode()


def _open_iterator(token: str) -> tuple[int, int, int, int]:
    try:
        raw = base64.b64decode(token.encode(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    payload, mac = raw[2 : 2 + _LAYOUT.size], raw[2 + _LAYOUT.size :]
    if raw[:2] != b"\x00\x01" or len(payload) != _LAYOUT.size or not hmac.compare_digest(mac, _mac(payload)):
        raise InvalidArgumentException("Invalid ShardIterator.")
    stream_pk, shard_pk, position, made_ms = _LAYOUT.unpack(payload)
    return stream_pk, shard_pk, position, made_ms


def _java_date(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


# --- GetShardIterator --------------------------------------------------------------------------


def shard_iterator(
    stream: Stream,
    *,
    shard_id: str,
    kind: str,
    sequence_number: str | None,
    timestamp: dt.datetime | None,
    now: dt.datetime,
) -> str:
    shard = shards.find_shard(stream, shard_id, now=now)
    account = stream.sandbox.account_id
    position = start_position(stream, shard, kind=kind, sequence_number=sequence_number, timestamp=timestamp)
    if not throughput.iterator_allowed(shard, now=now):
        raise ProvisionedThroughputExceededException(
            f"Rate exceeded for shard {shard_id} in stream {stream.name} under account {account}."
        )
    shard.save(update_fields=["iterator_second", "iterator_calls"])
    events.iterator_made(stream.sandbox, stream=stream, shard=shard, kind=kind, now=now)
    return _iterator(shard, position=position, now=now)


def start_position(
    stream: Stream,
    shard: Shard,
    *,
    kind: str,
    sequence_number: str | None,
    timestamp: dt.datetime | None,
    operation: str = "GetShardIterator",
) -> int:
    """The counter after which a reader starting at this position reads (GetShardIterator's and
    SubscribeToShard's StartingPosition)."""
    shard_id, account = shard.shard_id, stream.sandbox.account_id
    if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        if sequence_number is None:
            raise InvalidArgumentException(f"StartingSequenceNumber must be specified for ShardIteratorType {kind}.")
        parsed = sequences.parse_sequence_number(sequence_number)
        if parsed is not None and parsed[0] != shard.number:
            raise InvalidArgumentException(
                f"Invalid StartingSequenceNumber. It encodes shardId-{parsed[0]:012d}, while it was used in a call "
                f"to a shard with {shard_id}"
            )
        if parsed is None or parsed[1] > shard.last_counter:
            raise InvalidArgumentException(
                f"StartingSequenceNumber {sequence_number} used in {operation} on shard {shard_id} in stream "
                f"{stream.name} under account {account} is invalid because it did not come from this stream."
            )
        position = parsed[1] - 1 if kind == "AT_SEQUENCE_NUMBER" else parsed[1]
    elif sequence_number is not None:
        raise InvalidArgumentException(f"StartingSequenceNumber must not be specified for ShardIteratorType {kind}.")
    elif kind == "AT_TIMESTAMP":
        if timestamp is None:
            raise InvalidArgumentException("Timestamp must be specified for ShardIteratorType AT_TIMESTAMP.")
        before = Record.objects.filter(shard=shard, arrived_at__lt=timestamp).order_by("-counter").first()
        position = before.counter if before is not None else 0
    elif timestamp is not None:
        raise InvalidArgumentException(f"Timestamp must not be specified for ShardIteratorType {kind}.")
    elif kind == "LATEST":
        position = shard.last_counter
    else:  # TRIM_HORIZON
        position = 0
    return position


# --- GetRecords --------------------------------------------------------------------------------


def get_records(*, sandbox: Sandbox, region: str, iterator: str, limit: int | None, now: dt.datetime) -> dict[str, Any]:
    started = time.perf_counter()
    stream_pk, shard_pk, position, made_ms = _open_iterator(iterator)
    made = dt.datetime.fromtimestamp(made_ms / 1000, tz=dt.UTC)
    if int(now.timestamp() * 1000) - made_ms > ITERATOR_SECONDS * 1000:
        raise ExpiredIteratorException(
            f"Iterator expired. The iterator was created at time {_java_date(made)} while right now it is "
            f"{_java_date(now)} which is further in the future than the tolerated delay of "
            f"{ITERATOR_SECONDS * 1000} milliseconds."
        )
    # Plain statements (playground/db.py): the ORM's query building cost GetRecords, the hot read,
    # more than its queries.
    shard = find_one(Shard, lock=True, id=shard_pk, stream=stream_pk, sandbox=sandbox)
    stream = find_one(Stream, id=stream_pk) if shard is not None else None
    if shard is not None and stream is not None:
        shard.stream = stream
        stream.sandbox = sandbox  # the ARN and messages name the account: no second query for it
    if stream is None or shard is None or streams.is_gone(stream, now=now) or stream.region != region:
        raise ResourceNotFoundException("Shard referenced by the ShardIterator does not exist.")
    if shard.expires_at is not None and shard.expires_at <= now:
        raise ResourceNotFoundException(
            f"Shard {shard.shard_id} in stream {stream.name} under account {sandbox.account_id} does not exist"
        )
    encryption.check_stream_key(stream, now=now)
    if not throughput.read_allowed(shard, now=now):
        # The provider publishes the throttled flow and counts the metric once this rolls back.
        raise ShardThrottled(
            f"Rate exceeded for shard {shard.shard_id} in stream {stream.name} under account {sandbox.account_id}.",
            stream=stream, shard_id=shard.shard_id, operation="GetRecords",
        )  # fmt: skip
    taken, following, size = _records_after(shard, position, wanted=limit or MAX_RECORDS, now=now)
    throughput.read_done(shard, size=size)
    end = taken[-1][0] if taken else max(position, trimmed_before(shard, now=now))
    shard.read_position, shard.read_at = end, now  # the diagram's readers marker, in the same save
    # One UPDATE by primary key without the ORM's per-save compiling (GetRecords is the hot read).
    read_at = connection.ops.adapt_datetimefield_value(now)
    update_many(Shard, _READ_FIELDS, [(shard.read_second, shard.read_calls, shard.read_bytes, end, read_at, shard.pk)])
    behind = 0 if following is None else max(int((now - following[4]).total_seconds() * 1000), 0)
    output: dict[str, Any] = {
        "Records": records_output(stream, shard, taken),
        "MillisBehindLatest": behind,
    }
    if shard.ending_counter is not None and end >= shard.ending_counter:
        output["ChildShards"] = child_shards(shard)
    else:
        output["NextShardIterator"] = _iterator(shard, position=end, now=now)
    if taken:
        events.records_read(sandbox, stream=stream, shard=shard, count=len(taken), size=size, now=now)
    age = max(int((now - taken[-1][4]).total_seconds() * 1000), 0) if taken else 0
    metrics.get_records_counted(
        stream, shard_id=shard.shard_id, records=len(taken), size=size, age_ms=age,
        latency_ms=(time.perf_counter() - started) * 1000, now=now,
    )  # fmt: skip
    return output


def _records_after(shard: Shard, position: int, *, wanted: int, now: dt.datetime) -> tuple[list[Row], Row | None, int]:
    """(the records a GetRecords returns, the oldest one it leaves for the next call, their bytes):
    up to `wanted` records after `position`, within the call's 10 MiB (the first always).

    Two statements: the records' sizes, then the data of those taken and the one after. Up to
    10,001 records of up to 1 MiB each are never read into memory to return 10 MiB of them. The
    shard is locked for the call, so no record comes between the two. Plain rows, not model
    instances: GetRecords returns up to 10,000 records a call."""
    where = "shard_id = %s AND counter > %s AND expires_at > %s"
    expiry = connection.ops.adapt_datetimefield_value(now)
    sizes = select_values(Record, ("counter", "size"), where, [shard.pk, position, expiry, wanted + 1],
                          tail="ORDER BY counter LIMIT %s")  # fmt: skip
    if not sizes:
        return [], None, 0
    count = size = 0
    for _, record_size in sizes:
        if count == wanted or (count and size + record_size > MAX_BYTES):
            break
        count += 1
        size += record_size
    last = sizes[min(count, len(sizes) - 1)][0]  # the last taken, or the one after them
    rows: list[Row] = select_values(
        Record, _ROW_FIELDS, f"{where} AND counter <= %s", [shard.pk, position, expiry, last], tail="ORDER BY counter"
    )
    return rows[:count], rows[count] if len(rows) > count else None, size


def child_shards(shard: Shard) -> list[dict[str, Any]]:
    """The ChildShards of a closed shard's last read."""
    return [
        {
            "ShardId": child.shard_id,
            "ParentShards": list(child.parents),
            "HashKeyRange": {"StartingHashKey": child.starting_hash_key, "EndingHashKey": child.ending_hash_key},
        }
        for child in shards.children_of(shard)
    ]


def trimmed_before(shard: Shard, *, now: dt.datetime) -> int:
    """The counter before the oldest record still held (so a position in trimmed records moves on)."""
    oldest = Record.objects.filter(shard=shard, expires_at__gt=now).order_by("counter").first()
    return (oldest.counter - 1) if oldest is not None else shard.last_counter


def records_output(stream: Stream, shard: Shard, rows: list[Row]) -> list[dict[str, Any]]:
    """The Records of a read: what every record shares (the shard's sequence number prefix,
    encryption) worked out once."""
    prefix, digits = sequences.shard_prefix(shard.number), sequences.counter_digits
    output = [
        {
            "SequenceNumber": prefix + digits(counter),
            "ApproximateArrivalTimestamp": arrived_at,
            "Data": bytes(data),
            "PartitionKey": partition_key,
        }
        for counter, partition_key, data, _, arrived_at in rows
    ]
    if stream.encryption_type == "KMS":
        for record in output:
            record["EncryptionType"] = "KMS"
    return output
