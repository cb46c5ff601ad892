"""Anomaly detection: PutAnomalyDetector / DescribeAnomalyDetectors / DeleteAnomalyDetector for
single metrics, and the band ANOMALY_DETECTION_BAND(m, k) draws and alarms compare against.

The model (a simpler one than AWS's machine-learned model): weekly and daily seasonality by hour.
The band for a period starting at t is the mean of the metric's statistic over the two weeks of
history before the query, plus and minus k standard deviations (k defaults to 2; the width never
falls below 1% of the mean, so a flat history still has a band), taken over the same hour of the
same weekday when the history holds it on two different days (two weeks: a weekend differs from a
weekday), else over the same hour of the day (a daily pattern, learned in a day), else over the
whole history when that hour has fewer than 2 samples. A detector is PENDING_TRAINING until its metric
has 24 hours of data, then TRAINED; without history the band is empty (no datapoints).
"""

from __future__ import annotations

import datetime as dt
import statistics as pystats
from typing import Any

from playground.sandboxes.models import Sandbox
from services.cloudwatch import metrics
from services.cloudwatch.exceptions import (
    InvalidParameterValueException,
    MissingRequiredParameterException,
    ResourceNotFoundException,
)
from services.cloudwatch.models import AnomalyDetector, Datapoint

HISTORY = dt.timedelta(days=14)
TRAINED_AFTER = dt.timedelta(hours=24)


def _definition(params: dict[str, Any]) -> dict[str, Any]:
    if params.get("MetricMathAnomalyDetector"):
        raise InvalidParameterValueException("Metric math anomaly detectors are not supported by this emulator.")
    single = params.get("SingleMetricAnomalyDetector") or params
    for key in ("Namespace", "MetricName", "Stat"):
        if not single.get(key):
            raise MissingRequiredParameterException(f"The parameter {key} is required.")
    return single


def _detector_id(detector: AnomalyDetector) -> str:
    return f"{detector.namespace}/{detector.name}/{detector.stat}/{detector.pk}"


def put(*, sandbox: Sandbox, region: str, params: dict[str, Any], now: dt.datetime) -> str:
    single = _definition(params)
    dims = metrics.dimensions_of(single.get("Dimensions"))
    detector, _ = AnomalyDetector.objects.get_or_create(
        sandbox=sandbox, region=region, namespace=single["Namespace"], name=single["MetricName"],
        dimensions_key=metrics.dimensions_key(dims), stat=single["Stat"],
        defaults={"dimensions": dims, "created_at": now},
    )  # fmt: skip
    return _detector_id(detector)


def _state(detector: AnomalyDetector, *, now: dt.datetime) -> str:
    metric = metrics.find(sandbox=detector.sandbox, region=detector.region, namespace=detector.namespace,
                          name=detector.name, dimensions=metrics.as_dimensions(detector.dimensions))  # fmt: skip
    if metric is None:
        return "PENDING_TRAINING"
    oldest = Datapoint.objects.filter(metric=metric, timestamp__gte=now - HISTORY).order_by("timestamp").first()
    return "TRAINED" if oldest and now - oldest.timestamp >= TRAINED_AFTER else "PENDING_TRAINING"


def describe(*, sandbox: Sandbox, region: str, params: dict[str, Any], now: dt.datetime) -> list[dict[str, Any]]:
    rows = AnomalyDetector.objects.filter(sandbox=sandbox, region=region)
    if params.get("Namespace"):
        rows = rows.filter(namespace=params["Namespace"])
    if params.get("MetricName"):
        rows = rows.filter(name=params["MetricName"])
    found = []
    for detector in rows:
        definition: dict[str, Any] = {"Namespace": detector.namespace, "MetricName": detector.name,
                      "Dimensions": metrics.as_dimensions(detector.dimensions), "Stat": detector.stat}  # fmt: skip
        found.append({
            "AnomalyDetectorId": _detector_id(detector), **definition,
            "SingleMetricAnomalyDetector": {"AccountId": sandbox.account_id, **definition},
            "StateValue": _state(detector, now=now), "Configuration": {"ExcludedTimeRanges": []},
        })  # fmt: skip
    return found


def delete(*, sandbox: Sandbox, region: str, params: dict[str, Any]) -> None:
    single = _definition(params)
    deleted, _ = AnomalyDetector.objects.filter(
        sandbox=sandbox, region=region, namespace=single["Namespace"], name=single["MetricName"],
        dimensions_key=metrics.dimensions_key(metrics.dimensions_of(single.get("Dimensions"))), stat=single["Stat"],
    ).delete()  # fmt: skip
    if not deleted:
        raise ResourceNotFoundException("No anomaly detector found for the metric.")


def band(
    *, sandbox: Sandbox, region: str, metric: dict[str, Any], stat: str, period: int, stamps: list[dt.datetime],
    width: float, now: dt.datetime,
) -> list[dict[dt.datetime, float]]:  # fmt: skip
    """[lower, upper] series over `stamps` for the metric's statistic, from its history."""
    if not stamps:
        return [{}, {}]
    end = min(stamps)
    history = metrics.series(
        sandbox=sandbox, region=region, namespace=metric.get("Namespace", ""), name=metric.get("MetricName", ""),
        dimensions=metric.get("Dimensions"), statistic=stat, period=period, start=end - HISTORY, end=end,
        unit=None, now=now,
    )  # fmt: skip
    if not history:
        return [{}, {}]
    everything = list(history.values())
    by_hour: dict[int, list[float]] = {}
    by_week_hour: dict[tuple[int, int], list[float]] = {}
    weeks_seen: dict[tuple[int, int], set[dt.date]] = {}
    for at, value in history.items():
        by_hour.setdefault(at.hour, []).append(value)
        by_week_hour.setdefault((at.weekday(), at.hour), []).append(value)
        weeks_seen.setdefault((at.weekday(), at.hour), set()).add(at.date())
    lower, upper = {}, {}
    for at in stamps:
        weekly = (at.weekday(), at.hour)
        # The same hour of the same weekday once two weeks have shown it; else the hour of the day.
        sample = by_week_hour[weekly] if len(weeks_seen.get(weekly, ())) >= 2 else by_hour.get(at.hour) or []
        if len(sample) < 2:
            sample = everything
        mean = pystats.fmean(sample)
        spread = max(pystats.pstdev(sample) if len(sample) > 1 else 0.0, abs(mean) * 0.01, 1e-9) * width
        lower[at], upper[at] = mean - spread, mean + spread
    return [lower, upper]
