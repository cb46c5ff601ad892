"""Metrics and their datapoints: PutMetricData (and the public door other services publish
through), ListMetrics, GetMetricStatistics, and `series`, which reads one metric's statistic per
period for GetMetricData and the alarms.

Limits and errors, as AWS answers them: at most 1,000 metrics a call, 30 dimensions and 150 values
a metric (InvalidParameterValue: the model lists no LimitExceeded for PutMetricData), 1 MB a
request (RequestEntityTooLarge, 413); NaN, ±Infinity and numbers outside ±2^360
(InvalidParameterValue); Value with Values, or StatisticValues with either
(InvalidParameterCombination); timestamps up to two weeks back and two hours ahead of the sandbox
clock; StorageResolution 1 or 60; the `AWS/` namespaces are AWS's own.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction

from playground.db import insert_many
from playground.gateway.errors import RequestEntityTooLarge
from playground.sandboxes.models import Sandbox
from services.cloudwatch import statistics
from services.cloudwatch.exceptions import (
    InvalidParameterCombinationException,
    InvalidParameterValueException,
    MissingRequiredParameterException,
)
from services.cloudwatch.models import Datapoint, Metric
from services.cloudwatch.statistics import Bucket

MAX_METRICS = 1000
MAX_DIMENSIONS = 30
MAX_VALUES = 150
MAX_REQUEST_BYTES = 1_048_576
MAX_DATAPOINTS = 1440
LIMIT = 2.0**360
PAST = dt.timedelta(days=14)
FUTURE = dt.timedelta(hours=2)
UNITS = (
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
    "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
)  # fmt: skip


def dimensions_of(dimensions: Iterable[dict[str, str]] | None) -> list[list[str]]:
    return sorted([d["Name"], d["Value"]] for d in dimensions or ())


def dimensions_key(dimensions: list[list[str]]) -> str:
    return json.dumps(dimensions, separators=(",", ":")) if dimensions else "[]"


def as_dimensions(stored: list[list[str]]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in stored]


def _check_value(value: Any, where: str, member: str = "") -> float:
    """The value as a float, or AWS's refusal naming the parameter (`where` + `member`)."""
    number = float(value)
    if math.isnan(number) or math.isinf(number) or abs(number) > LIMIT or (number != 0 and abs(number) < 2.0**-260):
        raise InvalidParameterValueException(f"The value {value} for parameter {where}{member} is invalid.")
    return number


def datum_row(datum: dict[str, Any], where: str, *, now: dt.datetime) -> dict[str, Any]:
    """A datum checked and reduced to what a Datapoint row keeps."""
    has_value, has_values, has_stats = "Value" in datum, bool(datum.get("Values")), "StatisticValues" in datum
    if has_value and has_values:
        raise InvalidParameterCombinationException(
            f"The parameters {where}.Value and {where}.Values are mutually exclusive and you have specified both."
        )
    if has_stats and (has_value or has_values):
        other = "Value" if has_value else "Values"
        raise InvalidParameterCombinationException(
            f"The parameters {where}.{other} and {where}.StatisticValues are mutually exclusive and you have "
            "specified both."
        )
    dimensions = datum.get("Dimensions") or []
    if len(dimensions) > MAX_DIMENSIONS:
        raise InvalidParameterValueException(
            f"The collection {where}.Dimensions must not have a size greater than {MAX_DIMENSIONS}."
        )
    for index, dimension in enumerate(dimensions, 1):
        if not dimension.get("Value"):
            raise InvalidParameterValueException(
                f"The parameter {where}.Dimensions.member.{index}.Value must not be empty."
            )
    resolution = datum.get("StorageResolution", 60)
    if resolution not in (1, 60):
        raise InvalidParameterValueException(
            f"The value {resolution} for parameter {where}.StorageResolution is invalid. Valid values are 1 and 60."
        )
    unit = datum.get("Unit", "None")
    timestamp = datum.get("Timestamp") or now
    if timestamp < now - PAST:
        raise InvalidParameterValueException(
            f"The parameter {where}.Timestamp must specify a time no more than two weeks in the past."
        )
    if timestamp > now + FUTURE:
        raise InvalidParameterValueException(
            f"The parameter {where}.Timestamp must specify a time no more than two hours in the future."
        )
    timestamp = timestamp.replace(second=0, microsecond=0) if resolution == 60 else timestamp.replace(microsecond=0)
    if has_stats:
        stats = datum["StatisticValues"]
        row: dict[str, Any] = {
            "sample_count": _check_value(stats["SampleCount"], where, ".StatisticValues.SampleCount"),
            "total": _check_value(stats["Sum"], where, ".StatisticValues.Sum"),
            "minimum": _check_value(stats["Minimum"], where, ".StatisticValues.Minimum"),
            "maximum": _check_value(stats["Maximum"], where, ".StatisticValues.Maximum"),
            "values": [],
        }
        if row["sample_count"] <= 0:
            raise InvalidParameterValueException(
                f"The parameter {where}.StatisticValues.SampleCount must be greater than 0."
            )
        if row["minimum"] > row["maximum"]:
            raise InvalidParameterValueException(
                f"The parameter {where}.StatisticValues.Minimum must be less than or equal to "
                f"{where}.StatisticValues.Maximum."
            )
    elif has_value:  # the common datum: one value, counted once
        number = _check_value(datum["Value"], where, ".Value")
        # The sum as Values' sums it (so -0.0 sums to 0.0, as it always has).
        row = {"sample_count": 1.0, "total": 0 + number, "minimum": number, "maximum": number,
               "values": [[number, 1.0]]}  # fmt: skip
    else:
        if has_values:
            values = datum["Values"]
            counts = datum.get("Counts") or [1.0] * len(values)
            if len(values) > MAX_VALUES:
                raise InvalidParameterValueException(
                    f"The collection {where}.Values must not have a size greater than {MAX_VALUES}."
                )
            if len(counts) != len(values):
                raise InvalidParameterValueException(
                    f"The parameters {where}.Values and {where}.Counts must be of the same size."
                )
            pairs = [
                [_check_value(v, where, f".Values.member.{i}"), _check_value(c, where, f".Counts.member.{i}")]
                for i, (v, c) in enumerate(zip(values, counts, strict=True), 1)
            ]
        else:
            raise MissingRequiredParameterException(
                f"At least one of the parameters {where}.Value, {where}.Values or {where}.StatisticValues "
                "must be specified."
            )
        counted = [pair for pair in pairs if pair[1] > 0] or pairs
        row = {
            "sample_count": sum(c for _, c in pairs),
            "total": sum(v * c for v, c in pairs),
            "minimum": min(v for v, _ in counted),
            "maximum": max(v for v, _ in counted),
            "values": pairs,
        }
    row.update(timestamp=timestamp, resolution=resolution, unit=unit, dimensions=dimensions_of(dimensions))
    return row


def check_namespace(namespace: str) -> None:
    if namespace.startswith("AWS/"):
        raise InvalidParameterValueException(
            f"The value {namespace} for parameter Namespace is invalid. The namespace prefix AWS/ is reserved "
            "for use by AWS."
        )


def request_size(payload: Any) -> int:
    return len(json.dumps(payload, default=str))


def put_metric_data(
    *, sandbox: Sandbox, region: str, namespace: str, data: list[dict[str, Any]], now: dt.datetime
) -> list[Stored]:
    """Store the data after checking every datum (one bad datum refuses the whole call)."""
    if not data:
        raise MissingRequiredParameterException("The parameter MetricData is required.")
    if len(data) > MAX_METRICS:
        raise InvalidParameterValueException(
            f"The collection MetricData must not have a size greater than {MAX_METRICS}."
        )
    if request_size(data) > MAX_REQUEST_BYTES:
        raise RequestEntityTooLarge("The request size must not exceed 1048576 bytes.")
    rows = [
        (datum["MetricName"], datum_row(datum, f"MetricData.member.{i}", now=now)) for i, datum in enumerate(data, 1)
    ]
    return store(sandbox=sandbox, region=region, namespace=namespace, rows=rows, now=now)


@dataclass(frozen=True)
class Stored:
    """A metric a put stored datapoints to."""

    pk: int
    namespace: str
    name: str
    dimensions: list[list[str]]


def store(
    *, sandbox: Sandbox, region: str, namespace: str, rows: list[tuple[str, dict[str, Any]]], now: dt.datetime
) -> list[Stored]:
    """Store checked rows (datum_row) as datapoints of their metrics, making the metrics that are
    new. A metric's last_put_at is kept to the minute (ListMetrics' two weeks and RecentlyActive
    need no finer), so a busy metric's row is not rewritten by every put."""
    keyed = [((name, dimensions_key(row["dimensions"])), row) for name, row in rows]
    wanted = {key: row["dimensions"] for key, row in keyed}
    found: dict[tuple[str, str], Stored] = {}
    stale: list[int] = []
    for pk, name, key, is_stale in _known(sandbox, region, namespace, {name for name, _ in wanted}, now - FRESH):
        if (name, key) in wanted:
            found[(name, key)] = Stored(pk, namespace, name, wanted[(name, key)])
            if is_stale:
                stale.append(pk)
    # New metrics are made in one order (name, dimensions): on PostgreSQL two calls making the same
    # new metrics in different orders would each wait for the other's uncommitted row (a deadlock).
    for (name, key), dims in sorted(wanted.items()):
        if (name, key) not in found:
            metric = _metric(sandbox=sandbox, region=region, namespace=namespace, name=name, dimensions=dims, now=now)
            found[(name, key)] = Stored(metric.pk, namespace, name, dims)
    _insert(sandbox, [(found[key].pk, row) for key, row in keyed])
    if stale:
        Metric.objects.filter(pk__in=stale).update(last_put_at=now)
    return list(found.values())


FRESH = dt.timedelta(seconds=60)
NAMES_PER_READ = 500  # metric names bound in one read (SQLite binds at most 32,766 values)
_INSERTED = ("sandbox", "metric", "timestamp", "resolution", "unit", "sample_count", "total", "minimum", "maximum",
             "values", "expires_at")  # fmt: skip


@functools.cache
def _read_statement(vendor: str) -> str:
    """The read of a put's metrics, but its list of names, in the database's quoting (the model's
    own table and column names; every value is bound)."""
    quote = connection.ops.quote_name
    column = {field.name: quote(str(field.column)) for field in Metric._meta.concrete_fields}
    return (
        f"SELECT {column['id']}, {column['name']}, {column['dimensions_key']}, "  # noqa: S608 (names, no values)
        f"CASE WHEN {column['last_put_at']} < %s THEN 1 ELSE 0 END FROM {quote(Metric._meta.db_table)} "
        f"WHERE {column['sandbox']} = %s AND {column['region']} = %s AND {column['namespace']} = %s "
        f"AND {column['name']} IN "
    )


def _known(
    sandbox: Sandbox, region: str, namespace: str, names: set[str], fresh_since: dt.datetime
) -> list[tuple[int, str, str, bool]]:
    """(id, name, dimensions_key, last_put_at before fresh_since) of the namespace's metrics of
    these names: one plain statement, where a queryset's building and its rows' conversion cost a
    put more than the database's answer (the staleness is compared by the database, so no
    timestamp is converted)."""
    read = _read_statement(connection.vendor)
    since = connection.ops.adapt_datetimefield_value(fresh_since)
    ordered = sorted(names)
    found: list[tuple[int, str, str, bool]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), NAMES_PER_READ):
            chunk = ordered[start : start + NAMES_PER_READ]
            cursor.execute(read + f"({', '.join(['%s'] * len(chunk))})", [since, sandbox.pk, region, namespace, *chunk])
            found.extend((pk, name, key, bool(is_stale)) for pk, name, key, is_stale in cursor.fetchall())
    return found


def _insert(sandbox: Sandbox, rows: list[tuple[int, dict[str, Any]]]) -> None:
    """INSERT the datapoints in one statement run for all of them (insert_many), the values
    adapted as Django's fields adapt them (the backend's adapters, called directly): model
    instances, bulk_create's per-field layers and even the fields' own prep methods cost a put of
    20 values more than the database does."""
    ops = connection.ops
    times: dict[dt.datetime, Any] = {}  # a put's few distinct timestamps, adapted once

    def moment(at: dt.datetime) -> Any:
        adapted = times.get(at)
        if adapted is None:
            adapted = times[at] = ops.adapt_datetimefield_value(at)
        return adapted

    params = (
        (sandbox.pk, metric_id, moment(row["timestamp"]), row["resolution"], row["unit"], row["sample_count"],
         row["total"], row["minimum"], row["maximum"], ops.adapt_json_value(row["values"], None),
         moment(row["timestamp"] + statistics.LONGEST_RETENTION))
        for metric_id, row in rows
    )  # fmt: skip
    insert_many(Datapoint, _INSERTED, params)


def _metric(
    *, sandbox: Sandbox, region: str, namespace: str, name: str, dimensions: list[list[str]], now: dt.datetime
) -> Metric:
    key = dimensions_key(dimensions)
    lookup = {"sandbox": sandbox, "region": region, "namespace": namespace, "name": name, "dimensions_key": key}
    metric = Metric.objects.filter(**lookup).first()
    if metric is not None:
        return metric
    try:
        with transaction.atomic():
            return Metric.objects.create(dimensions=dimensions, created_at=now, last_put_at=now, **lookup)
    except IntegrityError:  # another call created it meanwhile
        return Metric.objects.get(**lookup)


def find(
    *, sandbox: Sandbox, region: str, namespace: str, name: str, dimensions: Iterable[dict[str, str]] | None
) -> Metric | None:
    return Metric.objects.filter(
        sandbox=sandbox, region=region, namespace=namespace, name=name,
        dimensions_key=dimensions_key(dimensions_of(dimensions)),
    ).first()  # fmt: skip


def list_metrics(
    *, sandbox: Sandbox, region: str, namespace: str | None, name: str | None,
    dimensions: list[dict[str, Any]] | None, recently_active: str | None, now: dt.datetime,
) -> list[Metric]:  # fmt: skip
    """ListMetrics: every filter must hold; a dimension filter without a Value matches any value.
    Metrics with no datapoint in the last two weeks are not listed, as on AWS."""
    rows = Metric.objects.filter(sandbox=sandbox, region=region, last_put_at__gte=now - PAST)
    if namespace:
        rows = rows.filter(namespace=namespace)
    if name:
        rows = rows.filter(name=name)
    if recently_active == "PT3H":
        rows = rows.filter(last_put_at__gte=now - dt.timedelta(hours=3))
    listed = []
    for metric in rows.order_by("namespace", "name", "id"):
        held = dict((n, v) for n, v in metric.dimensions)
        if all(d["Name"] in held and ("Value" not in d or held[d["Name"]] == d["Value"]) for d in dimensions or ()):
            listed.append(metric)
    return listed


def check_period(period: int, *, parameter: str = "Period") -> None:
    if not statistics.valid_period(period):
        raise InvalidParameterValueException(
            f"The parameter {parameter} must be 1, 5, 10, 20, 30, 60, or any multiple of 60."
        )


def buckets(
    metric: Metric | None, *, start: dt.datetime, end: dt.datetime, period: int, unit: str | None, now: dt.datetime
) -> list[Bucket]:
    """The metric's periods from `start` to `end` that hold data and are still served at their age."""
    if metric is None:
        return []
    rows = Datapoint.objects.filter(metric=metric, timestamp__gte=start, timestamp__lt=end)
    return bucketize(list(rows.values_list(*POINT_FIELDS)), start=start, end=end, period=period, unit=unit, now=now)


POINT_FIELDS = ("timestamp", "sample_count", "total", "minimum", "maximum", "values", "unit")


def bucketize(
    points: list[tuple[Any, ...]], *, start: dt.datetime, end: dt.datetime, period: int, unit: str | None,
    now: dt.datetime,
) -> list[Bucket]:  # fmt: skip
    """Datapoints (POINT_FIELDS tuples) added up per period from `start`, those still served."""
    found: dict[dt.datetime, Bucket] = {}
    for point in points:
        if not start <= point[0] < end or (unit and point[6] != unit):
            continue
        at = statistics.bucket_start(point[0], start=start, period=period)
        bucket = found.setdefault(at, Bucket(start=at))
        bucket.add(sample_count=point[1], total=point[2], minimum=point[3], maximum=point[4], values=point[5],
                   unit=point[6])  # fmt: skip
    return [found[at] for at in sorted(found) if statistics.served(period=period, bucket_start=at, now=now)]


def get_metric_statistics(*, sandbox: Sandbox, region: str, params: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    stats = params.get("Statistics") or []
    extended = params.get("ExtendedStatistics") or []
    if not stats and not extended:
        raise InvalidParameterCombinationException("Must specify either Statistics or ExtendedStatistics.")
    if stats and extended:
        raise InvalidParameterCombinationException(
            "The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both."
        )
    for index, statistic in enumerate(extended, 1):
        if not statistics.is_percentile(statistic):
            raise InvalidParameterValueException(
                f"The value {statistic} for parameter ExtendedStatistics.member.{index} is invalid."
            )
    period = params["Period"]
    check_period(period)
    start, end = params["StartTime"], params["EndTime"]
    if start >= end:
        raise InvalidParameterValueException("The parameter StartTime must be less than the parameter EndTime.")
    requested = math.ceil((end - start).total_seconds() / period)
    if requested > MAX_DATAPOINTS:
        raise InvalidParameterCombinationException(
            f"You have requested up to {requested:,} datapoints, which exceeds the limit of {MAX_DATAPOINTS:,}. "
            "You may reduce the datapoints requested by increasing Period, or decreasing the time range."
        )
    metric = find(sandbox=sandbox, region=region, namespace=params["Namespace"], name=params["MetricName"],
                  dimensions=params.get("Dimensions"))  # fmt: skip
    points = []
    for bucket in buckets(metric, start=start, end=end, period=period, unit=params.get("Unit"), now=now):
        point: dict[str, Any] = {"Timestamp": bucket.start, "Unit": bucket.unit}
        for statistic in stats:
            point[statistic] = bucket.statistic(statistic)
        if extended:
            point["ExtendedStatistics"] = {
                name: value for name in extended if (value := bucket.statistic(name)) is not None
            }
        points.append(point)
    return {"Label": params["MetricName"], "Datapoints": points}


def series(
    *, sandbox: Sandbox, region: str, namespace: str, name: str, dimensions: list[dict[str, str]] | None,
    statistic: str, period: int, start: dt.datetime, end: dt.datetime, unit: str | None, now: dt.datetime,
) -> dict[dt.datetime, float]:  # fmt: skip
    """{period start: the statistic} for the periods that hold data, oldest first."""
    metric = find(sandbox=sandbox, region=region, namespace=namespace, name=name, dimensions=dimensions)
    result = {}
    for bucket in buckets(metric, start=start, end=end, period=period, unit=unit, now=now):
        value = bucket.statistic(statistic)
        if value is not None:
            result[bucket.start] = value
    return result


def expire(sandbox: Sandbox, now: dt.datetime) -> int:
    """Remove datapoints past the longest retention (455 days)."""
    deleted, _ = Datapoint.objects.filter(sandbox=sandbox, expires_at__lte=now).delete()
    return deleted
