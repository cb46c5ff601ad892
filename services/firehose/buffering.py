"""The buffer of a delivery stream, on the sandbox clock, as AWS documents it: records wait until
the buffer holds SizeInMBs or its oldest record has waited IntervalInSeconds, whichever comes
first. A put that brings the buffer to the size flushes at once (an object closes with the record
that reaches SizeInMBs; what is left under it waits for its own interval); the tick, or
advancing the clock, flushes every
buffer whose interval has passed, dated when it passed. Nothing is written before either.

A delivery to S3 that fails (no such bucket, the policy refuses) keeps the records and tries
again RETRY_SECONDS later. An HTTP endpoint batch is tried at once and then every RETRY_SECONDS
until RetryOptions.DurationInSeconds has passed; then it goes to the S3 backup under the error
prefix (http-endpoint-failed). S3BackupMode AllData also writes every batch to the backup bucket.
While an S3 delivery fails, the stream takes at most BACKLOG_BUFFERS buffers' worth of records;
past that, puts are refused with ServiceUnavailableException.

With dynamic partitioning each partition has a buffer of its own (its BufferedBatch rows, by
`partition`): the MetadataExtraction query's keys are taken as records are put, a partition is
flushed whole when its own interval has passed and its full objects at once when it reaches the
size, and each is written as its own object under its evaluated Prefix (_partitioned). A Lambda's
partitionKeys are known after the function has run, so such a stream's records are partitioned
when its buffer flushes.

With a Lambda transformation (transforming.py), a flush is planned and its records run through the
function outside any transaction, then delivered under the stream's lock (_flush_transformed); a
full buffer of such a stream is due at once and flushed by the next tick. Record format conversion
(converting.py) turns an object's records into Parquet or ORC as it is written.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Sum

from playground.db import insert_instances
from playground.sandboxes.models import Sandbox
from services.firehose import converting, delivery, destinations, events, jq, metrics, prefixes, streams, transforming
from services.firehose.delivery import DeliveryFailed, Item
from services.firehose.exceptions import InvalidArgumentException
from services.firehose.models import ACTIVE, EXTENDED_S3, HTTP_ENDPOINT, BufferedBatch, DeliveryStream, HttpBatch

MAX_RECORD_BYTES = 1_024_000
MAX_BATCH_RECORDS = 500
MAX_BATCH_BYTES = 4 * 1024 * 1024
RETRY_SECONDS = 30
# While its destination fails, a stream holds at most this many buffers' worth of records; past
# that a put is refused with ServiceUnavailableException ("Slow down."), per record in a batch.
BACKLOG_BUFFERS = 4
SLOW_DOWN = "Slow down."
MAX_FLUSHES_A_RUN = 200
KINESIS_READ = "DataReadFromKinesisStream"
# Dynamic partitioning failures: the error-output-type and error codes of records it cannot place.
PARTITIONING_FAILED = "partitioning-failed"
METADATA_EXTRACTION_FAILED = "DynamicPartitioning.MetadataExtractionFailed"
PARTITION_KEY_MISSING = "DynamicPartitioning.PartitionKeyMissing"
# AWS's quota of active partitions (buffers) per stream; records for more go under the error prefix.
MAX_ACTIVE_PARTITIONS = 500
ACTIVE_PARTITIONS_EXCEEDED = "DynamicPartitioning.ActivePartitionExceeded"
ACTIVE_PARTITIONS_MESSAGE = (
    f"activePartitionExceeded: the stream already has {MAX_ACTIVE_PARTITIONS} active partitions, its quota."
)


@dataclass(frozen=True)
class Put:
    record_ids: list[str | None]  # None: refused with ServiceUnavailableException (SLOW_DOWN)
    encrypted: bool

    @property
    def failed(self) -> int:
        return sum(1 for record_id in self.record_ids if record_id is None)


def record_ids(count: int) -> list[str]:
    """Opaque ids as long as AWS's (128 characters), from one read of the random source."""
    pool = base64.b64encode(os.urandom(96 * count)).decode()
    return [pool[index * 128 : (index + 1) * 128] for index in range(count)]


def _encrypted(stream: DeliveryStream) -> bool:
    return bool(stream.encryption and stream.encryption.get("Status") == "ENABLED")


def _admitted(stream: DeliveryStream, records: list[bytes], limit: int) -> int:
    """How many of the records (from the first) the stream takes: all, unless its destination is
    failing and its backlog would pass BACKLOG_BUFFERS buffers."""
    if not stream.failure:
        return len(records)
    room = BACKLOG_BUFFERS * limit - stream.buffer_bytes
    count = 0
    for data in records:
        if len(data) > room:
            break
        room -= len(data)
        count += 1
    return count


def put(
    stream: DeliveryStream, *, records: list[bytes], now: dt.datetime, operation: str = "PutRecordBatch",
    locked: bool = False,
) -> Put:  # fmt: skip
    """Buffer records (already checked) in order; flush at once when the buffer reaches its size
    (a stream with a Lambda transformation flushes at the next tick instead: its function runs
    outside any transaction). `operation` names the metrics the put counts in; `locked`: the
    caller read `stream` with its row lock, in this transaction."""
    streams.check_key(stream, now=now)
    limit, _ = destinations.buffering(stream.destination_kind, stream.destination)
    if not locked:
        sandbox = stream.sandbox
        stream = DeliveryStream.objects.select_for_update().get(pk=stream.pk)
        stream.sandbox = sandbox
    locked_stream = stream
    taken = records[: _admitted(locked_stream, records, limit)]
    ids: list[str | None] = [*record_ids(len(taken)), *([None] * (len(records) - len(taken)))]
    if not taken:
        return Put(record_ids=ids, encrypted=_encrypted(stream))
    buffer(locked_stream, records=taken, arrived_at=now, now=now, operation=operation)
    return Put(record_ids=ids, encrypted=_encrypted(stream))


def buffer(
    locked: DeliveryStream, *, records: list[bytes], arrived_at: dt.datetime, now: dt.datetime, operation: str
) -> None:
    """Add records to a locked stream's buffer (one row), count them, and flush what is full."""
    limit, interval = destinations.buffering(locked.destination_kind, locked.destination)
    size = sum(len(data) for data in records)
    groups = _partitions(locked, records)
    batches = []
    for (partition, error), grouped in groups.items():
        sizes = [len(data) for data in grouped]
        batches.append(BufferedBatch(
            sandbox_id=locked.sandbox_id, stream=locked, data=b"".join(grouped), sizes=sizes, count=len(grouped),
            size=sum(sizes), arrived_at=arrived_at, partition=partition, error=error,
        ))  # fmt: skip
    insert_instances(BufferedBatch, batches)  # a plain statement: every put stores its batch
    locked.buffer_bytes += size
    locked.buffer_records += len(records)
    locked.records_in += len(records)
    if locked.flush_at is None:
        locked.flush_at = arrived_at + dt.timedelta(seconds=interval)
    # A failing destination waits for its retry; with dynamic partitioning each partition fills apart.
    if destinations.dynamic_partitioning(locked.destination):
        full = not locked.failure and bool(_full_partitions(locked, limit, among=set(groups)))
    else:
        full = locked.buffer_bytes >= limit and not locked.failure
    transformed = transforming.processor_of(locked.destination) is not None
    if full and transformed:
        locked.flush_at = min(locked.flush_at, now)
    counted = metrics.incoming(locked, operation=operation, records=len(records), size=size, now=now)
    locked.save(update_fields=["buffer_bytes", "buffer_records", "records_in", "flush_at", *counted])
    events.flow(
        locked.sandbox, "put", source=events.CLIENT if operation != KINESIS_READ else locked.source_stream_arn,
        target=locked.arn, now=now, records=len(records), bytes=size, buffered_records=locked.buffer_records,
        buffered_bytes=locked.buffer_bytes, next_flush_at=locked.flush_at.isoformat(),
    )  # fmt: skip
    if full and not transformed:
        flush(locked, at=now, reason="size")


def _partitions(stream: DeliveryStream, records: list[bytes]) -> dict[tuple[str, str], list[bytes]]:
    """The records by partition ((keys as canonical JSON, error), in order of first record): with
    dynamic partitioning by a MetadataExtraction query alone, the query's keys of each record;
    otherwise (no partitioning, or a Lambda giving the keys when the buffer flushes) one group."""
    query = transforming.query_of(stream.destination) if destinations.dynamic_partitioning(stream.destination) else None
    if query is None or transforming.processor_of(stream.destination) is not None:
        return {("", ""): records}
    prefix = stream.destination.get("Prefix", "")
    active = set(
        BufferedBatch.objects.filter(stream=stream).exclude(partition="").values_list("partition", flat=True).distinct()
    )
    groups: dict[tuple[str, str], list[bytes]] = {}
    for data in records:
        try:
            keys = {transforming.QUERY_KEYS: jq.evaluate(query, data)}
            partition = _canonical(_used_keys(prefix, keys))
            group = (partition, "")
            if partition not in active and len(active) >= MAX_ACTIVE_PARTITIONS:
                group = ("", _error(ACTIVE_PARTITIONS_EXCEEDED, ACTIVE_PARTITIONS_MESSAGE))
            else:
                active.add(partition)
        except jq.QueryFailed as problem:
            group = ("", _error(METADATA_EXTRACTION_FAILED, str(problem)))
        groups.setdefault(group, []).append(data)
    return groups


def _error(code: str, message: str) -> str:
    """A buffered record's partitioning failure, as BufferedBatch.error keeps it."""
    return f"{code}\n{message}"[:512]


def _canonical(keys: dict[str, dict[str, str]]) -> str:
    return json.dumps(keys, sort_keys=True, separators=(",", ":"))


def _full_partitions(
    stream: DeliveryStream, limit: int, among: set[tuple[str, str]] | None = None
) -> set[tuple[str, str]]:
    """The partitions (of `among`, or all) whose buffer holds SizeInMBs."""
    sums = (
        BufferedBatch.objects.filter(stream=stream)
        .values_list("partition", "error")
        .annotate(total=Sum("size"))
        .filter(total__gte=limit)
    )
    return {(partition, error) for partition, error, _ in sums if among is None or (partition, error) in among}


def check_batch(records: list[bytes]) -> None:
    total = sum(len(data) for data in records)
    if total > MAX_BATCH_BYTES:
        raise InvalidArgumentException(f"Records size exceeds 4 MB limit: the request's records total {total} bytes.")


def _chunks(items: list[Item], limit: int) -> list[list[Item]]:
    """Objects as the buffer fills them: one closes with the record that brings it to the size."""
    chunks: list[list[Item]] = [[]]
    size = 0
    for item in items:
        if size >= limit:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += len(item.data)
    return chunks


def _consume(rows: list[BufferedBatch], delivered: int) -> None:
    """Take the first `delivered` records off the buffer's rows (deleting or trimming them)."""
    gone = []
    for row in rows:
        if delivered <= 0:
            break
        if delivered >= row.count:
            gone.append(row.pk)
            delivered -= row.count
            continue
        cut = sum(row.sizes[:delivered])
        row.data = bytes(row.data)[cut:]
        row.sizes = row.sizes[delivered:]
        row.count -= delivered
        row.size -= cut
        row.save(update_fields=["data", "sizes", "count", "size"])
        break
    if gone:
        BufferedBatch.objects.filter(pk__in=gone).delete()


@dataclass
class Plan:
    """What a flush delivers: the buffer's rows when it started, their records, the objects they
    make (each closes with the record that reaches the size), and for a Lambda transformation
    what the function made of each object's records."""

    rows: list[BufferedBatch]
    items: list[Item]
    chunks: list[list[Item]]
    transformed: list[transforming.Transformed] | None = None
    # Dynamic partitioning: each partition's rows, and the partition each chunk is of.
    partitions: list[list[BufferedBatch]] = field(default_factory=list)
    chunk_partition: list[int] = field(default_factory=list)


def _row_items(row: BufferedBatch) -> list[Item]:
    keys = json.loads(row.partition) if row.partition else None
    return [Item(data=data, arrived_at=row.arrived_at, keys=keys, error=row.error) for data in row.records()]


def plan(stream: DeliveryStream, *, reason: str, at: dt.datetime | None = None) -> Plan:
    """The objects a flush at `at` writes. Each partition (one, without dynamic partitioning) is
    delivered whole once its interval has passed (a size flush: its full objects only)."""
    limit, interval = destinations.buffering(stream.destination_kind, stream.destination)
    rows = list(BufferedBatch.objects.filter(stream=stream).order_by("id"))
    dynamic = destinations.dynamic_partitioning(stream.destination)
    by_partition: dict[tuple[str, str], list[BufferedBatch]] = {}
    for row in rows:
        by_partition.setdefault((row.partition, row.error) if dynamic else ("", ""), []).append(row)
    work = Plan(rows=rows, items=[], chunks=[])
    for index, partition_rows in enumerate(by_partition.values()):
        items = [item for row in partition_rows for item in _row_items(row)]
        chunks = _chunks(items, limit) if items else []
        if dynamic and at is not None:
            whole = partition_rows[0].arrived_at + dt.timedelta(seconds=interval) <= at
        else:
            whole = reason != "size"
        if not whole and chunks and sum(len(item.data) for item in chunks[-1]) < limit:
            chunks.pop()  # a size flush delivers the full objects only
        work.items.extend(items)
        work.partitions.append(partition_rows)
        work.chunks.extend(chunks)
        work.chunk_partition.extend([index] * len(chunks))
    return work


def flush(stream: DeliveryStream, *, at: dt.datetime, reason: str, planned: Plan | None = None) -> None:
    """Deliver the buffer of a locked stream row (`planned`: as planned, and transformed, before
    the lock was taken)."""
    limit, interval = destinations.buffering(stream.destination_kind, stream.destination)
    work = planned or plan(stream, reason=reason, at=at)
    delivered = delivered_bytes = 0
    delivered_by_partition = [0] * len(work.partitions)
    for index, chunk in enumerate(work.chunks):
        result = work.transformed[index] if work.transformed is not None else None
        try:
            with transaction.atomic():
                _deliver(stream, items=chunk, at=at, reason=reason, transformed=result)
        except DeliveryFailed as problem:
            stream.failure = f"{problem.code}: {problem.message}"[:512]
            retry_at = at + dt.timedelta(seconds=RETRY_SECONDS)
            events.flow(
                stream.sandbox, "failed", source=stream.arn, target=_target(stream), now=at,
                error_code=problem.code, reason=problem.message, records=len(chunk), retry_at=retry_at.isoformat(),
            )  # fmt: skip
            if stream.destination_kind == EXTENDED_S3:
                metrics.delivered_to_s3(stream, records=0, size=0, oldest=at, ok=False, now=at)
            break
        delivered += len(chunk)
        delivered_by_partition[work.chunk_partition[index]] += len(chunk)
        delivered_bytes += sum(len(item.data) for item in chunk)
        stream.failure = ""
    for partition_rows, count in zip(work.partitions, delivered_by_partition, strict=True):
        _consume(partition_rows, count)
    # Puts may have added records since the plan was made (a transformation runs unlocked).
    stream.buffer_records = max(stream.buffer_records - delivered, 0)
    stream.buffer_bytes = max(stream.buffer_bytes - delivered_bytes, 0)
    oldest = BufferedBatch.objects.filter(stream=stream).order_by("id").values_list("arrived_at", flat=True).first()
    if oldest is None:
        stream.buffer_records = stream.buffer_bytes = 0
        stream.flush_at = None
    elif stream.failure:
        stream.flush_at = at + dt.timedelta(seconds=RETRY_SECONDS)
    elif (
        _full_partitions(stream, limit)
        if destinations.dynamic_partitioning(stream.destination)
        else stream.buffer_bytes >= limit
    ):
        stream.flush_at = at  # more than one object's worth came in meanwhile: due again
    else:
        stream.flush_at = oldest + dt.timedelta(seconds=interval)
    stream.save(update_fields=["buffer_records", "buffer_bytes", "flush_at", "failure", "records_out", "objects_out",
                               "last_delivery", *metrics.FIELDS])  # fmt: skip
    events.stream_event(stream.sandbox, "changed", stream=stream, now=at)


def _target(stream: DeliveryStream) -> str:
    if stream.destination_kind == HTTP_ENDPOINT:
        return str(stream.destination["EndpointConfiguration"]["Url"])
    return str(stream.destination["BucketARN"])


def _deliver(
    stream: DeliveryStream, *, items: list[Item], at: dt.datetime, reason: str,
    transformed: transforming.Transformed | None = None,
) -> None:  # fmt: skip
    """One object's worth of records to the destination (after their transformation, when the
    stream has one: its failures go under the error prefix, `processing-failed`)."""
    sandbox = stream.sandbox
    source_items = items
    if transformed is not None:
        items = transformed.ok
        _failed_processing(stream, transformed, at=at)
    size = sum(len(item.data) for item in items)
    if stream.destination_kind == EXTENDED_S3:
        config = stream.destination
        key = None
        written = 0
        parts: list[tuple[dict[str, dict[str, str]] | None, list[Item]]]
        if destinations.dynamic_partitioning(config):
            parts = _partitioned(stream, items, at=at, transformed=transformed is not None)
        else:
            parts = [(None, items)] if items else []  # fmt: skip
        delimiter = transforming.appended_delimiter(config) or b""
        for keys, part in parts:
            part_size = sum(len(item.data) for item in part)
            if converting.enabled(config):
                part_key, part_written = _converted(stream, config, part, at=at, keys=keys)
            else:
                _, part_key = delivery.to_s3(sandbox=sandbox, stream=stream, config=config, items=part, at=at,
                                             keys=keys, delimiter=delimiter)  # fmt: skip
                part_written = len(part)
            if part_key is None:
                continue
            key = part_key
            written += part_written
            stream.objects_out += 1
            events.flow(sandbox, "delivered", source=stream.arn, target=config["BucketARN"], now=at, key=part_key,
                        records=part_written, bytes=part_size, reason=reason)  # fmt: skip
            metrics.delivered_to_s3(stream, records=part_written, size=part_size, oldest=part[0].arrived_at, ok=True,
                                    now=at)  # fmt: skip
        if config.get("S3BackupMode") == "Enabled":  # the source records, before any transformation
            backup = config["S3BackupDescription"]
            _, backup_key = delivery.to_s3(sandbox=sandbox, stream=stream, config=backup, items=source_items, at=at)
            events.flow(sandbox, "delivered", source=stream.arn, target=backup["BucketARN"], now=at, key=backup_key,
                        records=len(source_items), bytes=sum(len(item.data) for item in source_items),
                        reason=reason, backup=True)  # fmt: skip
        stream.records_out += written
        stream.last_delivery = {
            "at": at.isoformat(),
            "key": key,
            "records": written,
            "bytes": size,
            "reason": reason,
        }
        return
    backup = stream.destination["S3DestinationDescription"]
    if stream.destination["S3BackupMode"] == "AllData":
        _, backup_key = delivery.to_s3(sandbox=sandbox, stream=stream, config=backup, items=source_items, at=at)
        events.flow(sandbox, "delivered", source=stream.arn, target=backup["BucketARN"], now=at, key=backup_key,
                    records=len(source_items), bytes=sum(len(item.data) for item in source_items), reason=reason,
                    backup=True)  # fmt: skip
    if items:
        HttpBatch.objects.create(
            sandbox=sandbox, stream=stream, size=size, first_attempt_at=at, next_attempt_at=at,
            records=[_stored(item) for item in items],
        )  # fmt: skip
    stream.last_delivery = {"at": at.isoformat(), "records": len(items), "bytes": size, "reason": reason}


def _partitioned(
    stream: DeliveryStream, items: list[Item], *, at: dt.datetime, transformed: bool
) -> list[tuple[dict[str, dict[str, str]] | None, list[Item]]]:
    """Dynamic partitioning: the records by partition (the values of the keys the Prefix uses), in
    order of first record. After a Lambda transformation the records carry its partitionKeys and
    the MetadataExtraction query (if any) runs on the transformed data. A record without the keys
    the Prefix needs goes under the error prefix (PARTITIONING_FAILED)."""
    query = transforming.query_of(stream.destination) if transformed else None
    prefix = stream.destination.get("Prefix", "")
    parts: dict[str, tuple[dict[str, dict[str, str]], list[Item]]] = {}
    failed: list[tuple[Item, str, str]] = []
    for item in items:
        if item.error:
            code, _, message = item.error.partition("\n")
            failed.append((item, code, message))
            continue
        keys = {namespace: dict(values) for namespace, values in (item.keys or {}).items()}
        if query is not None:
            try:
                keys[transforming.QUERY_KEYS] = jq.evaluate(query, item.data)
            except jq.QueryFailed as problem:
                failed.append((item, METADATA_EXTRACTION_FAILED, str(problem)))
                continue
        missing = prefixes.missing_keys(prefix, keys)
        if missing:
            failed.append((item, PARTITION_KEY_MISSING,
                           f"The record has no value for {', '.join(missing)} of the Prefix."))  # fmt: skip
            continue
        used = _used_keys(prefix, keys)
        parts.setdefault(_canonical(used), (used, []))[1].append(item)
    if failed:
        _failed_partitioning(stream, failed, at=at)
    return list(parts.values())


def _used_keys(prefix: str, keys: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The partition keys a Prefix uses, out of all a record has: the partition they make."""
    used: dict[str, dict[str, str]] = {}
    for namespace, key in prefixes.partition_keys_used(prefix):
        used.setdefault(namespace, {})[key] = keys[namespace][key]
    return used


def _failed_partitioning(stream: DeliveryStream, failed: list[tuple[Item, str, str]], *, at: dt.datetime) -> None:
    """Records dynamic partitioning could not place, as JSON lines under the error prefix."""
    lines: list[Item] = []
    for item, code, message in failed:
        lines.extend(delivery.failed_lines([item], at=at, error_code=code, error_message=message, attempts=1,
                                           extra={}))  # fmt: skip
    config = stream.destination
    _, key = delivery.write_lines(sandbox=stream.sandbox, stream=stream, config=config, lines=lines, at=at,
                                  error_type=PARTITIONING_FAILED)  # fmt: skip
    events.flow(stream.sandbox, "delivered", source=stream.arn, target=config["BucketARN"], now=at, key=key,
                records=len(lines), bytes=sum(len(line.data) for line in lines), reason=PARTITIONING_FAILED,
                backup=True)  # fmt: skip


def _failed_processing(stream: DeliveryStream, transformed: transforming.Transformed, *, at: dt.datetime) -> None:
    """The records a transformation failed, as JSON lines under the error prefix (processing-failed)."""
    processor = transforming.processor_of(stream.destination)
    lambda_arn = processor.lambda_arn if processor else ""
    config = destinations.s3_config(stream.destination_kind, stream.destination)
    by_problem: dict[tuple[str, str, int], list[Item]] = {}
    for failed in transformed.failed:
        by_problem.setdefault((failed.code, failed.message, failed.attempts), []).append(failed.item)
    lines: list[Item] = []
    for (code, message, attempts), failed_items in by_problem.items():
        lines.extend(delivery.failed_lines(failed_items, at=at, error_code=code, error_message=message,
                                           attempts=attempts, extra={"lambdaArn": lambda_arn}))  # fmt: skip
    if not lines:
        return
    _, key = delivery.write_lines(sandbox=stream.sandbox, stream=stream, config=config, lines=lines, at=at,
                                  error_type="processing-failed")  # fmt: skip
    events.flow(stream.sandbox, "delivered", source=stream.arn, target=config["BucketARN"], now=at, key=key,
                records=len(lines), bytes=sum(len(line.data) for line in lines), reason="processing-failed",
                backup=True)  # fmt: skip


def _converted(
    stream: DeliveryStream, config: dict[str, Any], items: list[Item], *, at: dt.datetime,
    keys: dict[str, dict[str, str]] | None = None,
) -> tuple[str | None, int]:  # fmt: skip
    """Write records converted to Parquet / ORC; those that do not convert go under the error
    prefix (format-conversion-failed). Answer (the object's key or None, records written)."""
    converted = converting.convert(config, items)
    if converted.failed:
        lines = []
        for item, why in converted.failed:
            lines.extend(delivery.failed_lines([item], at=at, error_code=converting.BAD_RECORD_CODE, error_message=why,
                                               attempts=1, extra={}, capitalized=True))  # fmt: skip
        _, error_key = delivery.write_lines(sandbox=stream.sandbox, stream=stream, config=config, lines=lines, at=at,
                                            error_type="format-conversion-failed")  # fmt: skip
        events.flow(stream.sandbox, "delivered", source=stream.arn, target=config["BucketARN"], now=at,
                    key=error_key, records=len(lines), bytes=sum(len(line.data) for line in lines),
                    reason="format-conversion-failed", backup=True)  # fmt: skip
    if converted.body is None:
        return None, 0
    _, key = delivery.write_object(sandbox=stream.sandbox, stream=stream, config=config, body=converted.body,
                                   oldest=items[0].arrived_at, at=at, keys=keys)  # fmt: skip
    return key, converted.records


def _stored(item: Item) -> dict[str, str]:
    return {"data": base64.b64encode(item.data).decode(), "arrived": item.arrived_at.isoformat()}


def reschedule(stream: DeliveryStream, *, now: dt.datetime) -> None:
    """New buffering hints: the waiting buffer's interval counts from its oldest record again."""
    oldest = BufferedBatch.objects.filter(stream=stream).order_by("id").values_list("arrived_at", flat=True).first()
    if oldest is None:
        return
    _, interval = destinations.buffering(stream.destination_kind, stream.destination)
    stream.flush_at = max(oldest + dt.timedelta(seconds=interval), now)
    stream.save(update_fields=["flush_at"])


def flush_due(sandbox: Sandbox, now: dt.datetime) -> None:
    """The tick: flush every buffer whose interval has passed by `now`, each dated when it passed."""
    for _ in range(MAX_FLUSHES_A_RUN):
        due = (
            DeliveryStream.objects.select_related("sandbox")
            .filter(sandbox=sandbox, flush_at__lte=now)
            .order_by("flush_at")
            .first()
        )
        if due is None:
            return
        processor = transforming.processor_of(due.destination)
        if processor is not None and streams.status_of(due, now=now) == ACTIVE:
            _flush_transformed(due, processor, now=now)
            continue
        with transaction.atomic():
            stream = DeliveryStream.objects.select_for_update().filter(pk=due.pk, flush_at__lte=now).first()
            if stream is None:
                continue
            if streams.status_of(stream, now=now) != ACTIVE:
                stream.flush_at = None
                stream.save(update_fields=["flush_at"])
                continue
            assert stream.flush_at is not None
            flush(stream, at=stream.flush_at, reason="interval")


def _flush_transformed(due: DeliveryStream, processor: transforming.Processor, *, now: dt.datetime) -> None:
    """A flush through a Lambda transformation: claim it (clearing flush_at), run the function
    over the buffer outside any transaction, then deliver under the stream's lock what is still
    buffered (a stream deleted meanwhile delivers nothing)."""
    at = due.flush_at
    assert at is not None
    if not DeliveryStream.objects.filter(pk=due.pk, flush_at=at).update(flush_at=None):
        return  # another worker has it
    limit, _ = destinations.buffering(due.destination_kind, due.destination)
    reason = "size" if due.buffer_bytes >= limit else "interval"
    work = plan(due, reason=reason, at=at)
    work.transformed = [transforming.transform(due, processor, chunk, now=at) for chunk in work.chunks]
    with transaction.atomic():
        stream = DeliveryStream.objects.select_for_update().filter(pk=due.pk).first()
        if stream is None or streams.status_of(stream, now=now) != ACTIVE:
            return
        row_ids = [row.pk for row in work.rows]
        if BufferedBatch.objects.filter(pk__in=row_ids).count() != len(row_ids):
            return  # the buffer went meanwhile
        flush(stream, at=at, reason=reason, planned=work)
        _processing_metrics(stream, work.transformed, at=at)


def _processing_metrics(stream: DeliveryStream, results: list[transforming.Transformed], *, at: dt.datetime) -> None:
    invocations = sum(result.invocations for result in results)
    if not invocations:
        return
    metrics.processed(
        stream, invocations=invocations, failed=sum(result.failed_invocations for result in results),
        duration_ms=sum(result.duration_ms for result in results), records=sum(len(r.ok) for r in results),
        size=sum(len(item.data) for result in results for item in result.ok), now=at,
    )  # fmt: skip
    stream.save(update_fields=metrics.FIELDS)


# --- HTTP endpoint attempts -----------------------------------------------------------------------


def _items(batch: HttpBatch) -> list[Item]:
    return [
        Item(data=base64.b64decode(record["data"]), arrived_at=dt.datetime.fromisoformat(record["arrived"]))
        for record in batch.records
    ]


def http_due(sandbox: Sandbox, now: dt.datetime) -> None:
    """The tick: try every HTTP batch whose attempt is due, again and again while the clock allows."""
    for _ in range(MAX_FLUSHES_A_RUN):
        batch = HttpBatch.objects.filter(sandbox=sandbox, next_attempt_at__lte=now).order_by("next_attempt_at").first()
        if batch is None:
            return
        attempt_at = batch.next_attempt_at
        assert attempt_at is not None
        # Clearing the due time is the claim: a batch another worker took no longer matches.
        if not HttpBatch.objects.filter(pk=batch.pk, next_attempt_at=attempt_at).update(next_attempt_at=None):
            continue
        stream = DeliveryStream.objects.select_related("sandbox").get(pk=batch.stream_id)
        items = _items(batch)
        attempt = batch.attempts + 1
        url = str(stream.destination["EndpointConfiguration"]["Url"])
        try:
            delivery.http_post(stream=stream, items=items, at=attempt_at)
        except DeliveryFailed as problem:
            _attempt_failed(stream, batch, items=items, attempt=attempt, at=attempt_at, problem=problem)
            continue
        with transaction.atomic():
            batch.delete()
            DeliveryStream.objects.filter(pk=stream.pk).update(
                records_out=F("records_out") + len(items), objects_out=F("objects_out") + 1, failure=""
            )
            events.flow(sandbox, "posted", source=stream.arn, target=url, now=attempt_at, records=len(items),
                        bytes=batch.size, attempt=attempt)  # fmt: skip


def _attempt_failed(
    stream: DeliveryStream,
    batch: HttpBatch,
    *,
    items: list[Item],
    attempt: int,
    at: dt.datetime,
    problem: DeliveryFailed,
) -> None:
    sandbox = stream.sandbox
    url = str(stream.destination["EndpointConfiguration"]["Url"])
    duration = dt.timedelta(seconds=int(stream.destination["RetryOptions"]["DurationInSeconds"]))
    retry_at = at + dt.timedelta(seconds=RETRY_SECONDS)
    with transaction.atomic():
        DeliveryStream.objects.filter(pk=stream.pk).update(failure=f"{problem.code}: {problem.message}"[:512])
        if retry_at <= batch.first_attempt_at + duration:
            HttpBatch.objects.filter(pk=batch.pk).update(
                attempts=attempt, next_attempt_at=retry_at, last_error=problem.message[:512]
            )
            events.flow(sandbox, "failed", source=stream.arn, target=url, now=at, error_code=problem.code,
                        reason=problem.message, records=len(items), attempt=attempt,
                        retry_at=retry_at.isoformat())  # fmt: skip
            return
        batch.delete()
        events.flow(sandbox, "failed", source=stream.arn, target=url, now=at, error_code=problem.code,
                    reason=problem.message, records=len(items), attempt=attempt)  # fmt: skip
    backup = stream.destination["S3DestinationDescription"]
    try:
        with transaction.atomic():
            _, key = delivery.failed_to_s3(
                sandbox=sandbox, stream=stream, config=backup, items=items, at=at, error_type="http-endpoint-failed",
                error_code=problem.code, error_message=problem.message, attempts=attempt, extra={"EndpointUrl": url},
            )  # fmt: skip
            events.flow(sandbox, "delivered", source=stream.arn, target=backup["BucketARN"], now=at, key=key,
                        records=len(items), bytes=batch.size, reason="http-endpoint-failed", backup=True)  # fmt: skip
    except DeliveryFailed as lost:
        events.flow(sandbox, "failed", source=stream.arn, target=backup["BucketARN"], now=at, error_code=lost.code,
                    reason=lost.message, records=len(items))  # fmt: skip
