"""Metric alarm evaluation on the sandbox clock (the tick's due work, tasks.py).

An alarm is evaluated every min(Period, 60) seconds of sandbox time. An evaluation reads the last
EvaluationPeriods complete periods (aligned to the period, ending at or before now), takes the
alarm's statistic in each, and decides:

- ALARM when at least DatapointsToAlarm (M) of the N periods breach the threshold;
- OK otherwise, when there is enough to judge;
- TreatMissingData for periods without data: `missing` (the default) judges the periods that have
  data and goes INSUFFICIENT_DATA when none has; `ignore` keeps the current state when none has;
  `breaching` and `notBreaching` count an empty period as that.
- percentiles with EvaluateLowSampleCountPercentile=ignore keep the state for periods of fewer
  than 10/(1-percentile) samples (AWS's rule of thumb).

The state reason and StateReasonData are AWS's wording: the datapoints, newest first, with their
timestamps.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from playground.db import update_many
from playground.sandboxes.models import Sandbox
from services.cloudwatch import alarms, metrics, querying
from services.cloudwatch.models import (
    ALARM,
    COMPOSITE_ALARM,
    INSUFFICIENT_DATA,
    METRIC_ALARM,
    OK,
    Alarm,
    Datapoint,
    Metric,
)

MAX_PER_RUN = 5000
DUE_FIELDS = ("id", "region", "name", "config", "state", "state_reason", "state_reason_data")


class DueAlarm:
    """What the tick reads of a due metric alarm: enough to decide its state. An alarm whose state
    stays is saved with the others in one statement (_save_quiet); one whose state changes is read
    in full (`full`) and changed through alarms.change_state. Model instances cost the tick more
    than its evaluation does, a thousand at a time."""

    __slots__ = ("config", "evaluate_at", "evaluated", "name", "pk", "region", "sandbox", "state", "state_reason",
                 "state_reason_data")  # fmt: skip

    def __init__(self, sandbox: Sandbox, row: tuple[Any, ...]) -> None:
        self.sandbox = sandbox
        self.pk, self.region, self.name, self.config, self.state, self.state_reason, self.state_reason_data = row
        self.evaluated: list[dict[str, Any]] = []
        self.evaluate_at: dt.datetime | None = None

    def full(self) -> Alarm:
        alarm = Alarm.objects.get(pk=self.pk)
        alarm.sandbox = self.sandbox
        alarm.evaluate_at = self.evaluate_at
        return alarm


# A tick formats the same few period starts for a thousand alarms: each is formatted once.
@functools.lru_cache(maxsize=4096)
def _stamp(at: dt.datetime) -> str:
    return at.strftime("%d/%m/%y %H:%M:%S")


@functools.lru_cache(maxsize=4096)
def _iso(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


@functools.lru_cache(maxsize=4096)
def _isoformat(at: dt.datetime) -> str:
    return at.isoformat()


def _number(value: float) -> str:
    return repr(float(value))


@functools.lru_cache(maxsize=1024)
def _periods(period: int, count: int, now: dt.datetime) -> tuple[dt.datetime, ...]:
    """The starts of the last `count` complete periods before `now`, oldest first, and the end."""
    epoch = int(now.timestamp()) // period * period
    end = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    return (*(end - dt.timedelta(seconds=period * (count - i)) for i in range(count)), end)


def window(alarm: Alarm | DueAlarm, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    stamps = _periods(alarms.period_of(alarm), int(alarm.config.get("EvaluationPeriods", 1)), now)
    return stamps[0], stamps[-1]


def read_series(
    alarm: Alarm | DueAlarm, *, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> dict[dt.datetime, float]:
    config = alarm.config
    if config.get("Metrics"):
        results = querying.run(sandbox=alarm.sandbox, region=alarm.region, queries=config["Metrics"], start=start,
                               end=end, now=now)  # fmt: skip
        value = results[_value_query(config)]
        return value if isinstance(value, dict) else {}
    return metrics.series(
        sandbox=alarm.sandbox, region=alarm.region, namespace=config["Namespace"], name=config["MetricName"],
        dimensions=config.get("Dimensions"), statistic=config.get("Statistic") or config["ExtendedStatistic"],
        period=config["Period"], start=start, end=end, unit=config.get("Unit"), now=now,
    )  # fmt: skip


def _value_query(config: dict[str, Any]) -> str:
    """The id of the query an alarm with Metrics judges (not its band)."""
    returned = [
        q for q in config["Metrics"] if q.get("ReturnData", True) and q["Id"] != config.get("ThresholdMetricId")
    ]
    return str(returned[0]["Id"])


def _band_test(
    alarm: DueAlarm, *, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> tuple[dict[dt.datetime, float], Callable[[float, dt.datetime], bool], str]:
    """An anomaly-band alarm's series, its breach test and how its reason words the band."""
    config = alarm.config
    results = querying.run(sandbox=alarm.sandbox, region=alarm.region, queries=config["Metrics"], start=start,
                           end=end, now=now)  # fmt: skip
    values = results[_value_query(config)]
    edges = results.get(config["ThresholdMetricId"])
    lower, upper = (edges[0], edges[1]) if isinstance(edges, list) and len(edges) == 2 else ({}, {})
    operator = config["ComparisonOperator"]

    def breaches(value: float, at: dt.datetime) -> bool:
        low, high = lower.get(at), upper.get(at)
        if low is None or high is None:
            return False
        if operator == "GreaterThanUpperThreshold":
            return value > high
        if operator == "LessThanLowerThreshold":
            return value < low
        return value < low or value > high

    newest = max(upper) if upper else None
    shown = f"({_number(lower[newest])} to {_number(upper[newest])})" if newest else "(no band yet)"
    return (values if isinstance(values, dict) else {}), breaches, f"{alarms.BAND_OPERATORS[operator]} {shown}"


def evaluate(
    alarm: DueAlarm, *, now: dt.datetime, values: dict[dt.datetime, float] | None = None,
    composites: list[Alarm] | None = None,
) -> bool:  # fmt: skip
    """Evaluate one due alarm (its series read now unless given); whether its state changed. An
    alarm whose state stays keeps the new reason, data and datapoints for the caller to save."""
    config = alarm.config
    period = alarms.period_of(alarm)
    start, end = window(alarm, now)
    if config.get("ThresholdMetricId"):
        values, test, against = _band_test(alarm, start=start, end=end, now=now)
        threshold = None
    else:
        if values is None:
            values = read_series(alarm, start=start, end=end, now=now)
        compare, words = alarms.OPERATORS[config["ComparisonOperator"]]
        threshold = float(config["Threshold"])

        def test(value: float, at: dt.datetime) -> bool:
            return bool(compare(value, threshold))

        against = f"{words} the threshold ({_number(threshold)})"

    def settle(*, state: str, reason: str, reason_data: str, evaluated: list[dict[str, Any]]) -> bool:
        if state == alarm.state:
            alarm.state_reason, alarm.state_reason_data, alarm.evaluated = reason, reason_data, evaluated
            return False
        return alarms.change_state(alarm.full(), state=state, reason=reason, reason_data=reason_data,
                                   evaluated=evaluated, now=now, composites=composites)  # fmt: skip

    starts = _periods(period, int(config.get("EvaluationPeriods", 1)), now)[:-1]
    treat = config.get("TreatMissingData", "missing")
    needed = int(config.get("DatapointsToAlarm") or config.get("EvaluationPeriods", 1))
    evaluated: list[dict[str, Any]] = []
    points: list[tuple[dt.datetime, float | None, bool]] = []  # newest first, as AWS lists them
    for at in reversed(starts):
        value = values.get(at)
        if value is not None and math.isnan(value):
            value = None
        breach = value is not None and test(value, at)
        if value is None and treat == "breaching":
            breach = True
        points.append((at, value, breach))
        evaluated.append({"timestamp": _isoformat(at), "value": value, "breaching": breach})
    present = [(at, value) for at, value, _ in points if value is not None]
    missing = len(points) - len(present)
    breaching = sum(1 for *_, breach in points if breach)
    statistic = config.get("Statistic") or config.get("ExtendedStatistic") or ""
    data: dict[str, Any] = {
        "version": "1.0",
        "queryDate": _iso(now),
        "startDate": _iso(start),
        **({"statistic": statistic} if statistic and "ExtendedStatistic" not in config else {}),
        **({"unit": config["Unit"]} if config.get("Unit") else {}),
        "period": period,
        "recentDatapoints": [value for _, value in present],
        **({"threshold": threshold} if threshold is not None else {}),
        "evaluatedDatapoints": [
            {"timestamp": _iso(at), **({"sampleCount": 1.0, "value": value} if value is not None else {})}
            for at, value, _ in points
        ],
    }  # fmt: skip
    listed = ", ".join(f"{_number(value)} ({_stamp(at)})" for at, value in present)
    if not present and treat in ("missing", "ignore"):
        if treat == "ignore":
            return settle(
                state=alarm.state, reason=alarm.state_reason, reason_data=alarm.state_reason_data, evaluated=evaluated
            )
        plural = "s were" if len(evaluated) > 1 else " was"
        reason = f"Insufficient Data: {len(evaluated)} datapoint{plural} unknown."
        return settle(state=INSUFFICIENT_DATA, reason=reason, reason_data=json.dumps(data), evaluated=evaluated)
    if breaching >= needed:
        state = ALARM
        crossed = [(at, value) for at, value, breach in points if breach and value is not None]
        if len(crossed) >= needed:
            shown = ", ".join(f"{_number(value)} ({_stamp(at)})" for at, value in crossed)
            reason = (
                f"Threshold Crossed: {len(crossed)} out of the last {len(present)} "
                f"datapoints [{shown}] {'were' if len(crossed) > 1 else 'was'} {against} "
                f"(minimum {needed} datapoint{'s' if needed > 1 else ''} for OK -> ALARM transition)."
            )
        else:
            reason = (
                f"Threshold Crossed: no datapoints were received for {missing} period{'s' if missing > 1 else ''} "
                f"and {missing} missing datapoint{'s were' if missing > 1 else ' was'} treated as [Breaching]."
            )
    else:
        state = OK
        if present:
            count = len(present)
            reason = (
                f"Threshold Crossed: {count} datapoint{'s' if count > 1 else ''} [{listed}] "
                f"{'were' if count > 1 else 'was'} not {against}."
            )
        else:
            reason = (
                f"Threshold Crossed: no datapoints were received for {missing} period{'s' if missing > 1 else ''} "
                f"and {missing} missing datapoint{'s were' if missing > 1 else ' was'} treated as [NonBreaching]."
            )
    return settle(state=state, reason=reason, reason_data=json.dumps(data), evaluated=evaluated)


def _prefetched(due: list[DueAlarm], *, now: dt.datetime) -> dict[int, dict[dt.datetime, float]]:
    """The series of every plain metric alarm (not metric math) in `due`, read with one query for
    their metrics and one for their datapoints. Alarms that read the same statistic of the same
    metric over the same periods share one series."""
    plain = [alarm for alarm in due if not alarm.config.get("Metrics")]
    if not plain:
        return {}
    dimension_keys: dict[tuple[tuple[str, str], ...], str] = {}

    def key(alarm: DueAlarm) -> tuple[str, str, str, str]:
        config = alarm.config
        given = tuple((d["Name"], d["Value"]) for d in config.get("Dimensions") or ())
        if given not in dimension_keys:
            dimension_keys[given] = metrics.dimensions_key(metrics.dimensions_of(config.get("Dimensions")))
        return alarm.region, config["Namespace"], config["MetricName"], dimension_keys[given]

    keys = {alarm.pk: key(alarm) for alarm in plain}
    wanted = set(keys.values())
    found = {
        (m.region, m.namespace, m.name, m.dimensions_key): m.pk
        for m in Metric.objects.filter(
            sandbox_id=plain[0].sandbox.pk, namespace__in={k[1] for k in wanted}, name__in={k[2] for k in wanted}
        ).only("id", "region", "namespace", "name", "dimensions_key")
    }
    windows = {alarm.pk: window(alarm, now) for alarm in plain}
    earliest = min(start for start, _ in windows.values())
    latest = max(end for _, end in windows.values())
    ids = {found[k] for k in wanted if k in found}
    points: dict[int, list[tuple[Any, ...]]] = {}
    if ids:
        rows = Datapoint.objects.filter(metric_id__in=ids, timestamp__gte=earliest, timestamp__lt=latest)
        for row in rows.values_list("metric_id", *metrics.POINT_FIELDS):
            points.setdefault(row[0], []).append(row[1:])
    series: dict[int, dict[dt.datetime, float]] = {}
    shared: dict[tuple[Any, ...], dict[dt.datetime, float]] = {}
    for alarm in plain:
        metric_id = found.get(keys[alarm.pk])
        if metric_id is None:
            series[alarm.pk] = {}
            continue
        config = alarm.config
        start, end = windows[alarm.pk]
        statistic = config.get("Statistic") or config["ExtendedStatistic"]
        read = (metric_id, start, end, config["Period"], config.get("Unit"), statistic)
        if read not in shared:
            values = {}
            for bucket in metrics.bucketize(points.get(metric_id, []), start=start, end=end, period=config["Period"],
                                            unit=config.get("Unit"), now=now):  # fmt: skip
                value = bucket.statistic(statistic)
                if value is not None:
                    values[bucket.start] = value
            shared[read] = values
        series[alarm.pk] = shared[read]
    return series


def evaluate_due(sandbox: Sandbox, now: dt.datetime) -> int:
    """Evaluate the sandbox's metric alarms that are due, in one transaction: their series read
    together, each alarm's state decided, the alarms whose state stayed saved in one statement.
    The rows are claimed by locking them (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite's write lock
    serializes the tick's workers)."""
    with transaction.atomic():
        due_rows = Alarm.objects.filter(sandbox=sandbox, alarm_type=METRIC_ALARM, evaluate_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            due_rows = due_rows.select_for_update(skip_locked=True, of=("self",))
        rows = due_rows.order_by("evaluate_at", "id").values_list(*DUE_FIELDS)[:MAX_PER_RUN]
        due = [DueAlarm(sandbox, row) for row in rows]
        if not due:
            return 0
        series = _prefetched(due, now=now)
        composites = list(Alarm.objects.filter(sandbox=sandbox, alarm_type=COMPOSITE_ALARM))
        quiet = []
        for alarm in due:
            alarm.evaluate_at = alarms.next_evaluation(alarm, now)
            if not evaluate(alarm, now=now, values=series.get(alarm.pk), composites=composites):
                quiet.append(alarm)
        _save_quiet(quiet)
    return len(due)


def _save_quiet(rows: list[DueAlarm]) -> None:
    """UPDATE the alarms whose state stayed, one statement run for all of them (update_many):
    Django's bulk_update builds a CASE per field and row, which costs seconds for a thousand."""
    if not rows:
        return
    names = ("state_reason", "state_reason_data", "evaluated", "evaluate_at")
    assert set(names) == set(alarms.QUIET_FIELDS)
    due_field = Alarm._meta.get_field("evaluate_at")
    prepared: dict[dt.datetime | None, Any] = {}  # the tick's few distinct evaluate_at values, adapted once
    for row in rows:
        if row.evaluate_at not in prepared:
            prepared[row.evaluate_at] = due_field.get_db_prep_save(row.evaluate_at, connection)
    # The two text columns go as they are and the JSON column as its text (which PostgreSQL takes
    # for jsonb), without Django's per-value layers (a thousand rows a tick).
    values = (
        (row.state_reason, row.state_reason_data, json.dumps(row.evaluated), prepared[row.evaluate_at], row.pk)
        for row in rows
    )
    update_many(Alarm, names, values)
