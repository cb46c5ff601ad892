"""Putting records: the size limits, the shard a record goes to, sequence numbers and the write
throughput of each shard.

PutRecord refuses the whole call when its shard is over its write limit; PutRecords puts what
fits and fails the other entries one by one (ErrorCode ProvisionedThroughputExceededException),
in the order given, as AWS does, so a producer's retry of the failed entries is what it tests.
"""

from __future__ import annotations

import bisect
import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from playground.db import insert_many, select_values, update_many
from services.kinesis import events, metrics, sequences, throughput
from services.kinesis.exceptions import (
    InvalidArgumentException,
    ShardThrottled,
    ValidationException,
)
from services.kinesis.models import Record, Shard, Stream

MAX_RECORD_BYTES = 1024 * 1024  # data and partition key together
MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024
MAX_PUT_RECORDS = 500


def _size(data: bytes, partition_key: str) -> int:
    return len(data) + (len(partition_key) if partition_key.isascii() else len(partition_key.encode()))


class Incoming:
    """A record to put (PutRecords brings 500 of them a call: a plain slotted class)."""

    __slots__ = ("data", "explicit_hash_key", "partition_key", "size")

    def __init__(self, *, data: bytes, partition_key: str, explicit_hash_key: str | None = None) -> None:
        self.data, self.partition_key, self.explicit_hash_key = data, partition_key, explicit_hash_key
        self.size = _size(data, partition_key)


def check_size(record: Incoming, *, path: str) -> None:
    if record.size > MAX_RECORD_BYTES:
        raise _too_large(path)


def _too_large(path: str) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value at '{path}' failed to satisfy constraint: Member must have length "
        f"less than or equal to {MAX_RECORD_BYTES}"
    )


def target_key(partition_key: str, explicit_hash_key: str | None) -> bytes:
    """The record's hash key as 16 big-endian bytes (sequences.hash_digest)."""
    if explicit_hash_key is None:
        return sequences.hash_digest(partition_key)
    key = int(explicit_hash_key)
    if key > sequences.MAX_HASH_KEY:
        raise InvalidArgumentException(
            f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
            f"Specified value was {explicit_hash_key}"
        )
    return sequences.key_bytes(key)


def throttled(stream: Stream, shard: OpenShard) -> str:
    return (
        f"Rate exceeded for shard {shard.shard_id} in stream {stream.name} under account {stream.sandbox.account_id}."
    )


@dataclass
class OpenShard:
    """What a put needs of an open shard, read without building a model instance per shard (a
    stream may have thousands), and what the put did to it."""

    pk: int
    number: int
    start: bytes  # the starting hash key as 16 big-endian bytes
    last_counter: int
    write_second: int
    write_bytes: int
    write_records: int
    shard_id: str = field(init=False)
    prefix: str = field(init=False)  # of its sequence numbers
    put_records: int = 0  # by this call
    put_bytes: int = 0
    refused: int = 0

    def __post_init__(self) -> None:
        self.shard_id = f"shardId-{self.number:012d}"
        self.prefix = sequences.shard_prefix(self.number)


_OPEN_FIELDS = ("id", "number", "starting_hash_key", "last_counter", "write_second", "write_bytes", "write_records")


def _locked_open_shards(stream: Stream) -> list[OpenShard]:
    rows = select_values(Shard, _OPEN_FIELDS, "stream_id = %s AND closed_at IS NULL", [stream.pk], lock=True)
    return [
        OpenShard(pk, number, sequences.key_bytes(int(start)), counter, second, size, count)
        for pk, number, start, counter, second, size, count in rows
    ]


class Router:
    """The open shards by starting hash key, for a binary search per record (a stream may have
    thousands of shards and a PutRecords call 500 records)."""

    def __init__(self, open_shards: list[OpenShard]) -> None:
        self.shards = sorted(open_shards, key=lambda shard: shard.start)
        self.starts = [shard.start for shard in self.shards]

    def shard_for(self, key: bytes) -> OpenShard:
        return self.shards[bisect.bisect_right(self.starts, key) - 1]


def _insert(stream: Stream, rows: list[tuple[OpenShard, int, Incoming]], *, now: dt.datetime) -> None:
    """Store the records in one insert_many: PutRecords' 500 rows through Model instances and
    bulk_create cost more server time than everything else in the call together."""
    if rows:
        arrived, expires = _times(stream, now)
        sandbox_id = stream.sandbox_id
        insert_many(
            Record,
            _RECORD_FIELDS,
            (
                (sandbox_id, shard.pk, counter, record.partition_key, record.data, record.size, arrived, expires)
                for shard, counter, record in rows
            ),
        )


_RECORD_FIELDS = ("sandbox", "shard", "counter", "partition_key", "data", "size", "arrived_at", "expires_at")


def _times(stream: Stream, now: dt.datetime) -> tuple[Any, Any]:
    """A record's arrival and expiry as the database takes them. Arrival times have AWS's
    precision, milliseconds: what a client reads back (the CBOR form carries milliseconds) and
    sends as AT_TIMESTAMP names the record exactly."""
    ops = connection.ops
    at = now.replace(microsecond=now.microsecond // 1000 * 1000)
    return (
        ops.adapt_datetimefield_value(at),
        ops.adapt_datetimefield_value(at + dt.timedelta(hours=stream.retention_hours)),
    )


def _save_shards(touched: dict[int, OpenShard]) -> None:
    """Each touched shard's newest counter and write window, in one update_many."""
    if touched:
        fields = ["last_counter", "write_second", "write_bytes", "write_records"]
        update_many(
            Shard, fields, ((*(getattr(shard, name) for name in fields), shard.pk) for shard in touched.values())
        )


def put_record(stream: Stream, record: Incoming, *, now: dt.datetime) -> dict[str, Any]:
    started = time.perf_counter()
    check_size(record, path="data")
    key = target_key(record.partition_key, record.explicit_hash_key)
    shard = Router(_locked_open_shards(stream)).shard_for(key)
    second = throughput.second_of(now)
    if not throughput.write_fits(shard, size=record.size, second=second):
        # The provider publishes the throttled flow and counts the metric once this rolls back.
        raise ShardThrottled(throttled(stream, shard), stream=stream, shard_id=shard.shard_id, operation="PutRecord")
    shard.last_counter += 1
    _insert(stream, [(shard, shard.last_counter, record)], now=now)
    _save_shards({shard.pk: shard})
    events.records_put(stream.sandbox, stream=stream, count=1, size=record.size, shards=[shard.shard_id], now=now)
    metrics.put_record_counted(
        stream, shard_id=shard.shard_id, size=record.size, latency_ms=(time.perf_counter() - started) * 1000, now=now
    )
    return {
        "ShardId": shard.shard_id,
        "SequenceNumber": sequences.sequence_number(shard.number, shard.last_counter),
        "EncryptionType": stream.encryption_type,
    }


Entry = tuple[bytes, str, str | None]  # data, partition key, explicit hash key


def check_batch(sizes: list[int]) -> None:
    if max(sizes, default=0) > MAX_RECORD_BYTES:
        for index, size in enumerate(sizes, start=1):
            if size > MAX_RECORD_BYTES:
                raise _too_large(f"records.{index}.member.data")
    total = sum(sizes)
    if total > MAX_PUT_RECORDS_BYTES:
        raise InvalidArgumentException(
            f"Records size exceeds {MAX_PUT_RECORDS_BYTES // (1024 * 1024)} MB limit: {total} bytes."
        )


def put_records(stream: Stream, entries: list[Entry], *, now: dt.datetime) -> dict[str, Any]:
    """PutRecords of `entries` (data, partition key, explicit hash key), in one pass: each record
    is routed, counted against its shard's write limit and numbered; the rows go to the database
    in one insert_many, the touched shards' counters in one update_many, and the call's live event
    and metric samples once."""
    started = time.perf_counter()
    sizes = [_size(data, partition_key) for data, partition_key, _ in entries]
    check_batch(sizes)
    keys = [target_key(partition_key, explicit) for _, partition_key, explicit in entries]
    router = Router(_locked_open_shards(stream))
    shard_list, starts, find = router.shards, router.starts, bisect.bisect_right
    second = throughput.second_of(now)
    fits = throughput.write_fits
    touched: dict[int, OpenShard] = {}
    sandbox_id = stream.sandbox_id
    arrived, expires = _times(stream, now)
    rows: list[tuple[Any, ...]] = []
    results: list[dict[str, Any]] = []
    for (data, partition_key, _), size, key in zip(entries, sizes, keys, strict=True):
        shard = shard_list[find(starts, key) - 1]
        touched[shard.pk] = shard
        if not fits(shard, size=size, second=second):
            results.append(
                {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": throttled(stream, shard)}
            )
            shard.refused += 1
            continue
        counter = shard.last_counter = shard.last_counter + 1
        shard.put_records += 1
        shard.put_bytes += size
        rows.append((sandbox_id, shard.pk, counter, partition_key, data, size, arrived, expires))
        results.append({"ShardId": shard.shard_id, "SequenceNumber": shard.prefix + sequences.counter_digits(counter)})
    if rows:
        insert_many(Record, _RECORD_FIELDS, rows)
    _save_shards(touched)
    failed = len(entries) - len(rows)
    put = {shard.shard_id: (shard.put_records, shard.put_bytes) for shard in touched.values() if shard.put_records}
    refused = {shard.shard_id: shard.refused for shard in touched.values() if shard.refused}
    size = sum(found[1] for found in put.values())
    if rows:
        events.records_put(
            stream.sandbox, stream=stream, count=len(rows), size=size, shards=sorted(put), now=now,
        )  # fmt: skip
    if failed:
        events.throttled(stream.sandbox, stream=stream, operation="PutRecords", shards=sorted(refused), now=now)
    metrics.put_records_counted(
        stream, total=len(entries), size=size, put=put, throttled=refused,
        latency_ms=(time.perf_counter() - started) * 1000, now=now,
    )  # fmt: skip
    return {"FailedRecordCount": failed, "Records": results, "EncryptionType": stream.encryption_type}
