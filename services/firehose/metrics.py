"""Firehose's AWS/Firehose metrics, published through CloudWatch's public door with the
DeliveryStreamName dimension, on the sandbox clock.

Everything is summed on the stream's row, in the save a put or a flush makes anyway, and published
once per minute of sandbox time: when a later minute's first put comes, or when the tick finds the
minute over (`metrics_due_at`). One datapoint per metric and minute, dated at the minute, as AWS's
one-minute aggregation shows it; a put or a flush costs no query of its own.

    IncomingRecords, IncomingBytes, IncomingPutRequests; PutRecord.* and PutRecordBatch.* Records,
    Bytes, Requests; DataReadFromKinesisStream.Records and .Bytes (a Kinesis-sourced stream)
    DeliveryToS3.Records, .Bytes, .Success (successful S3 writes over all S3 writes in the minute),
    .DataFreshness (Seconds: the longest a delivered record waited, the minute's maximum)
    ExecuteProcessing.Success (successful Lambda invocations over all), ExecuteProcessing.Duration
    (ms, the minute's average), SucceedProcessing.Records and .Bytes (a Lambda transformation)
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from playground.sandboxes.models import Sandbox
from services.cloudwatch.public import metric_put
from services.firehose.models import DeliveryStream

NAMESPACE = "AWS/Firehose"
MINUTE = dt.timedelta(minutes=1)
UNITS = {"Bytes": "Bytes", "Records": "Count", "Requests": "Count", "Success": "Count", "Duration": "Milliseconds",
         "DataFreshness": "Seconds", "IncomingBytes": "Bytes", "IncomingRecords": "Count",
         "IncomingPutRequests": "Count"}  # fmt: skip


def _unit(name: str) -> str:
    return UNITS.get(name, UNITS.get(name.rpartition(".")[2], "None"))


def _minute(at: dt.datetime) -> dt.datetime:
    return at.replace(second=0, microsecond=0)


RATIOS = ("DeliveryToS3.Success", "ExecuteProcessing.Success", "ExecuteProcessing.Duration")
MAXIMA = ("DeliveryToS3.DataFreshness",)


def _publish(stream: DeliveryStream, pending: dict[str, float], *, at: dt.datetime, now: dt.datetime) -> None:
    values: dict[str, float] = {}
    for name, value in pending.items():
        base, _, part = name.partition(":")
        if base in RATIOS:
            if part == "of" and value:
                values[base] = pending.get(f"{base}:sum", 0.0) / value
        else:
            values[name] = value
    for name, value in values.items():
        metric_put(
            sandbox=stream.sandbox, region=stream.region, namespace=NAMESPACE, name=name, value=float(value),
            unit=_unit(name), dimensions={"DeliveryStreamName": stream.name}, timestamp=at, now=now,
        )  # fmt: skip


def count(stream: DeliveryStream, sums: dict[str, float], *, now: dt.datetime) -> list[str]:
    """Add `sums` to the stream's counts of the current minute (publishing an earlier minute's
    first). Changes the row in memory: the caller saves the fields this returns."""
    minute = _minute(now)
    if stream.metrics_minute is not None and stream.metrics_minute != minute and stream.metrics_pending:
        _publish(stream, stream.metrics_pending, at=stream.metrics_minute, now=now)
        stream.metrics_pending = {}
    if stream.metrics_minute != minute:
        stream.metrics_minute = minute
        stream.metrics_pending = {}
    pending = stream.metrics_pending
    for name, value in sums.items():
        if name in MAXIMA:
            pending[name] = max(pending.get(name, value), value)
        elif name in RATIOS:  # kept as a sum and a count, published as their quotient
            pending[f"{name}:sum"] = pending.get(f"{name}:sum", 0) + value
            pending[f"{name}:of"] = pending.get(f"{name}:of", 0) + 1
        else:
            pending[name] = pending.get(name, 0) + value
    stream.metrics_due_at = minute + MINUTE
    return ["metrics_minute", "metrics_pending", "metrics_due_at"]


def incoming(stream: DeliveryStream, *, operation: str, records: int, size: int, now: dt.datetime) -> list[str]:
    """A put's counts (operation "PutRecord" or "PutRecordBatch", or "DataReadFromKinesisStream")."""
    sums: dict[str, float] = {"IncomingRecords": records, "IncomingBytes": size}
    if operation == "DataReadFromKinesisStream":
        sums.update({f"{operation}.Records": records, f"{operation}.Bytes": size})
    else:
        sums.update({"IncomingPutRequests": 1, f"{operation}.Records": records, f"{operation}.Bytes": size,
                     f"{operation}.Requests": 1})  # fmt: skip
    return count(stream, sums, now=now)


def publish_due(sandbox: Sandbox, now: dt.datetime) -> None:
    """The tick: publish the counts of every minute that is over."""
    for pk in DeliveryStream.objects.filter(sandbox=sandbox, metrics_due_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            stream = DeliveryStream.objects.select_for_update().filter(pk=pk, metrics_due_at__lte=now).first()
            if stream is None:
                continue
            if stream.metrics_pending and stream.metrics_minute is not None:
                _publish(stream, stream.metrics_pending, at=stream.metrics_minute, now=now)
            stream.metrics_pending, stream.metrics_due_at = {}, None
            stream.save(update_fields=["metrics_pending", "metrics_due_at"])


FIELDS = ["metrics_minute", "metrics_pending", "metrics_due_at"]


def delivered_to_s3(
    stream: DeliveryStream, *, records: int, size: int, oldest: dt.datetime, ok: bool, now: dt.datetime
) -> None:
    """Count one S3 write (in memory: the flush saves FIELDS)."""
    sums: dict[str, float] = {"DeliveryToS3.Success": 1.0 if ok else 0.0}
    if ok:
        sums.update({"DeliveryToS3.Records": records, "DeliveryToS3.Bytes": size,
                     "DeliveryToS3.DataFreshness": max((now - oldest).total_seconds(), 0.0)})  # fmt: skip
    count(stream, sums, now=now)


def processed(stream: DeliveryStream, *, invocations: int, failed: int, duration_ms: float, records: int, size: int,
              now: dt.datetime) -> None:  # fmt: skip
    """Count a Lambda transformation's invocations (in memory: the caller saves FIELDS)."""
    for index in range(invocations):
        count(stream, {"ExecuteProcessing.Success": 0.0 if index < failed else 1.0,
                       "ExecuteProcessing.Duration": duration_ms / invocations}, now=now)  # fmt: skip
    count(stream, {"SucceedProcessing.Records": records, "SucceedProcessing.Bytes": size}, now=now)
