"""Kinesis's AWS/Kinesis metrics in CloudWatch (through CloudWatch's public door), on the sandbox
clock.

Stream-level metrics (dimension StreamName), as AWS names them: IncomingBytes, IncomingRecords,
PutRecord.Bytes / .Latency / .Success, PutRecords.Bytes / .Latency / .Success / .Records /
.TotalRecords / .SuccessfulRecords / .FailedRecords / .ThrottledRecords, GetRecords.Bytes /
.Records / .Latency / .Success / .IteratorAgeMilliseconds, WriteProvisionedThroughputExceeded and
ReadProvisionedThroughputExceeded. Shard-level metrics (dimensions StreamName and ShardId), for
the ones EnableEnhancedMonitoring turned on: IncomingBytes, IncomingRecords, OutgoingBytes,
OutgoingRecords, IteratorAgeMilliseconds, WriteProvisionedThroughputExceeded and
ReadProvisionedThroughputExceeded.

Each call stores its samples, one per metric, in one row (MetricSample: one insert a call,
however many records it carries, nothing read or locked first); a platform timer, one per sandbox
and minute, publishes them once the minute is over, summed to one datapoint per stream and metric
at that minute (its Sum, SampleCount, Minimum and Maximum), so that GetMetricStatistics gets AWS's
statistics. Timers run before CloudWatch's alarms in a round of due work, so an alarm evaluating
the minute that just ended sees its datapoints even when one clock advance crosses both.

LIMITATIONS: a minute is published when it is over (AWS publishes within about a minute too, but
on its own schedule); Latency is the wall time the emulator took over the call's domain work, in
milliseconds; PutRecords.FailedRecords (AWS's internal failures) is always 0; the consumer-level
SubscribeToShard metrics are not published; a minute more than two weeks old when the tick
reaches it (a clock moved far ahead) is dropped, as CloudWatch would refuse it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Field

from playground.db import insert_many
from playground.sandboxes.duework import schedule_timer
from playground.sandboxes.models import Sandbox
from services.cloudwatch.public import metric_put
from services.kinesis.models import MetricSample, Stream

LOG = logging.getLogger(__name__)

NAMESPACE = "AWS/Kinesis"
STREAM = ""  # the stats key of the stream-level metrics
PUBLISH_AFTER = dt.timedelta(minutes=1)
BATCH = 100
TIMER = "kinesis.metrics"
# Samples whose timer ran before they were committed (a call in a minute's last instant) go with
# the next timer of their sandbox, or after this long with the tick's sweep (tasks.py).
STRAGGLERS = dt.timedelta(minutes=1)

UNITS = {
    "Bytes": "Bytes",
    "Latency": "Milliseconds",
    "IteratorAgeMilliseconds": "Milliseconds",
}

Samples = Mapping[str, float]


def unit_of(name: str) -> str:
    return UNITS.get(name.rpartition(".")[2].removeprefix("Incoming").removeprefix("Outgoing"), "Count")


def count(stream: Stream, *, now: dt.datetime, samples: Samples, shards: Mapping[str, Samples] | None = None) -> None:
    """Keep one call's samples (metric -> value) for the minute; `shards` gives shard-level samples
    per shard id, of which only the metrics enhanced monitoring turned on are kept."""
    adding: dict[str, Samples] = {STREAM: samples}
    enabled = set(stream.shard_level_metrics)
    if enabled and shards:
        for shard_id, found in shards.items():
            kept = {name: value for name, value in found.items() if name in enabled}
            if kept:
                adding[shard_id] = kept
    minute = now.replace(second=0, microsecond=0)
    due_at = minute + PUBLISH_AFTER
    # One row through insert_many: no model instance or ORM compiling for a row every call makes.
    row = _sample_row(stream.sandbox_id, stream.region, stream.name, minute, due_at, adding)
    insert_many(MetricSample, _SAMPLE_FIELDS, [row])
    _schedule(stream.sandbox, due_at)


_SAMPLE_FIELDS = ("sandbox", "region", "stream_name", "minute", "due_at", "samples")


@cache
def _sample_fields() -> list[Field[Any, Any]]:
    return [MetricSample._meta.get_field(name) for name in _SAMPLE_FIELDS]  # type: ignore[misc]


def _sample_row(*values: Any) -> list[Any]:
    """A MetricSample row's values (in _SAMPLE_FIELDS' order) in the database's form, each prepared
    by its field as the ORM's insert would."""
    return [field.get_db_prep_save(value, connection) for field, value in zip(_sample_fields(), values, strict=True)]


# sandbox id -> the publication this process has scheduled a timer for (committed): one timer
# per sandbox and minute, not one per call. A timer scheduled twice (another process, a restart)
# finds nothing left to publish the second time.
_scheduled: dict[int, dt.datetime] = {}


def _schedule(sandbox: Sandbox, due_at: dt.datetime) -> None:
    if _scheduled.get(sandbox.pk) == due_at:
        return
    schedule_timer(sandbox=sandbox, due_at=due_at, kind=TIMER, payload={})
    transaction.on_commit(lambda: _scheduled.__setitem__(sandbox.pk, due_at))


def publish_due(sandbox: Sandbox, now: dt.datetime, *, due_by: dt.datetime | None = None) -> int:
    """Publish the samples of every minute that is over (due by `due_by`, else `now`), summed per
    stream, minute and metric; deleting the samples is the claim. Returns the datapoints published."""
    published = 0
    while True:
        with transaction.atomic():
            rows = list(
                MetricSample.objects.select_for_update()
                .filter(sandbox=sandbox, due_at__lte=due_by or now)
                .order_by("due_at", "id")
                .values_list("id", "region", "stream_name", "minute", "samples")[:BATCH]
            )
            if not rows:
                return published
            claimed = MetricSample.objects.filter(pk__in=[row[0] for row in rows]).delete()[0]
            if not claimed:
                continue  # another worker has them
            totals: dict[tuple[str, str, dt.datetime], dict[str, dict[str, list[float]]]] = {}
            for _, region, stream_name, minute, samples in rows:
                _merged(totals.setdefault((region, stream_name, minute), {}), samples)
            for (region, stream_name, minute), stats in totals.items():
                # a minute older than CloudWatch's two weeks (a clock jump) is dropped by metric_put
                published += _publish(sandbox, region=region, stream_name=stream_name, minute=minute,
                                      stats=stats, now=now)  # fmt: skip


def _merged(
    stats: dict[str, dict[str, list[float]]], adding: Mapping[str, Samples]
) -> dict[str, dict[str, list[float]]]:
    """Add samples to running [sum, count, minimum, maximum] per metric."""
    for key, found in adding.items():
        place = stats.setdefault(key, {})
        for name, value in found.items():
            held = place.get(name)
            if held is None:
                place[name] = [value, 1, value, value]
            else:
                held[0] += value
                held[1] += 1
                held[2] = min(held[2], value)
                held[3] = max(held[3], value)
    return stats


def _publish(
    sandbox: Sandbox, *, region: str, stream_name: str, minute: dt.datetime, stats: dict[str, dict[str, list[float]]],
    now: dt.datetime,
) -> int:  # fmt: skip
    published = 0
    for key, found in sorted(stats.items()):
        dimensions = {"StreamName": stream_name, **({"ShardId": key} if key != STREAM else {})}
        for name, (total, samples, low, high) in sorted(found.items()):
            values, counts = spread(total=total, samples=int(samples), low=low, high=high)
            metric_put(
                sandbox=sandbox, region=region, namespace=NAMESPACE, name=name, now=now, values=values,
                counts=counts, dimensions=dimensions, unit=unit_of(name), timestamp=minute,
            )  # fmt: skip
            published += 1
    return published


def spread(*, total: float, samples: int, low: float, high: float) -> tuple[list[float], list[float]]:
    """Values and counts whose Sum, SampleCount, Minimum and Maximum are the minute's (CloudWatch's
    public door takes values and counts, as PutMetricData does)."""
    if samples == 1 or low == high:
        return [low], [float(samples)]
    if samples == 2:
        return [low, high], [1.0, 1.0]
    rest = min(max((total - low - high) / (samples - 2), low), high)
    return [low, high, rest], [1.0, 1.0, float(samples - 2)]


# --- the samples of each call ------------------------------------------------------------------


def put_record_counted(stream: Stream, *, shard_id: str, size: int, latency_ms: float, now: dt.datetime) -> None:
    count(
        stream, now=now,
        samples={
            "IncomingBytes": size, "IncomingRecords": 1, "PutRecord.Bytes": size, "PutRecord.Latency": latency_ms,
            "PutRecord.Success": 1, "WriteProvisionedThroughputExceeded": 0,
        },
        shards={shard_id: {"IncomingBytes": size, "IncomingRecords": 1, "WriteProvisionedThroughputExceeded": 0}},
    )  # fmt: skip


def put_records_counted(
    stream: Stream, *, total: int, size: int, put: Mapping[str, tuple[int, int]], throttled: Mapping[str, int],
    latency_ms: float, now: dt.datetime,
) -> None:  # fmt: skip
    """`put`: shard id -> (records, bytes) put; `throttled`: shard id -> records refused."""
    succeeded = sum(records for records, _ in put.values())
    refused = sum(throttled.values())
    shards: dict[str, dict[str, float]] = {}
    for shard_id, (records, size_in) in put.items() if stream.shard_level_metrics else ():
        shards[shard_id] = {
            "IncomingBytes": size_in,
            "IncomingRecords": records,
            "WriteProvisionedThroughputExceeded": 0,
        }
    for shard_id, refused_in in throttled.items() if stream.shard_level_metrics else ():
        shards.setdefault(shard_id, {"IncomingBytes": 0, "IncomingRecords": 0})[
            "WriteProvisionedThroughputExceeded"
        ] = refused_in
    count(
        stream, now=now,
        samples={
            "IncomingBytes": size, "IncomingRecords": succeeded, "PutRecords.Bytes": size,
            "PutRecords.Latency": latency_ms, "PutRecords.Success": 1 if succeeded else 0,
            "PutRecords.Records": succeeded, "PutRecords.TotalRecords": total,
            "PutRecords.SuccessfulRecords": succeeded, "PutRecords.FailedRecords": 0,
            "PutRecords.ThrottledRecords": refused, "WriteProvisionedThroughputExceeded": refused,
        },
        shards=shards,
    )  # fmt: skip


def get_records_counted(
    stream: Stream, *, shard_id: str, records: int, size: int, age_ms: int, latency_ms: float, now: dt.datetime
) -> None:
    count(
        stream, now=now,
        samples={
            "GetRecords.Bytes": size, "GetRecords.Records": records, "GetRecords.Latency": latency_ms,
            "GetRecords.Success": 1, "GetRecords.IteratorAgeMilliseconds": age_ms,
            "ReadProvisionedThroughputExceeded": 0,
        },
        shards={
            shard_id: {
                "OutgoingBytes": size, "OutgoingRecords": records, "IteratorAgeMilliseconds": age_ms,
                "ReadProvisionedThroughputExceeded": 0,
            }
        },
    )  # fmt: skip


def throttled_call_counted(stream: Stream, *, operation: str, shard_id: str, now: dt.datetime) -> None:
    """A PutRecord or GetRecords refused whole for its shard's limit."""
    name = "ReadProvisionedThroughputExceeded" if operation == "GetRecords" else "WriteProvisionedThroughputExceeded"
    count(stream, now=now, samples={f"{operation}.Success": 0, name: 1}, shards={shard_id: {name: 1}})
