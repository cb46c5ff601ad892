"""What metric filters turn matching events into: datapoints.

apply_filters() runs after PutLogEvents stored its events: every metric filter of the group that
existed before those events arrived (AWS applies a filter only to events ingested after its
creation) emits, for each matching event, its metricValue (a number, or the `$.field` / `$name`
the event supplies) with its dimensions, and for a batch with no match its defaultValue, once.

emit() is the one place a datapoint leaves the service: into CloudWatch metrics at the event's
time (services.cloudwatch.public.metric_put, so alarms on it work end to end), and into
MetricDatapoint, where the log group's inspector shows the newest ones. A datapoint CloudWatch
refuses (an event older than its two weeks) stays in the inspector only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from playground.gateway.errors import AwsError

from . import events
from .models import LogGroup, MetricDatapoint, MetricFilter
from .patterns import Match, compile_pattern

if TYPE_CHECKING:
    from .ingest import Stored


@dataclass(frozen=True)
class Datapoint:
    namespace: str
    metric_name: str
    dimensions: dict[str, str]
    value: float
    unit: str
    timestamp: int  # epoch ms


def emit(*, group: LogGroup, filter_name: str, datapoints: Sequence[Datapoint], now: dt.datetime) -> None:
    """Publish a metric filter's datapoints (see the module's docstring)."""
    if not datapoints:
        return
    MetricDatapoint.objects.bulk_create(
        [
            MetricDatapoint(
                sandbox_id=group.sandbox_id,
                region=group.region,
                group_name=group.name,
                filter_name=filter_name,
                namespace=point.namespace,
                metric_name=point.metric_name,
                dimensions=point.dimensions,
                value=point.value,
                unit=point.unit,
                timestamp=point.timestamp,
            )
            for point in datapoints
        ]
    )
    from services.cloudwatch.public import metric_put  # here: CloudWatch's door reaches back to Logs'

    for point in datapoints:
        with contextlib.suppress(AwsError):  # outside CloudWatch's window: kept for the inspector above
            metric_put(
                sandbox=group.sandbox, region=group.region, namespace=point.namespace, name=point.metric_name,
                now=now, value=point.value, dimensions=point.dimensions, unit=point.unit,
                timestamp=dt.datetime.fromtimestamp(point.timestamp / 1000, dt.UTC),
            )  # fmt: skip
    events.datapoints_emitted(group.sandbox, group=group, filter_name=filter_name, count=len(datapoints), now=now)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _resolve(text: str, match: Match, message: str) -> Any:
    return match.value(text, message) if text.startswith("$") else text


def _points_for(metric_filter: MetricFilter, matches: list[tuple[Stored, Match]]) -> list[Datapoint]:
    points: list[Datapoint] = []
    for transformation in metric_filter.transformations:
        dimensions_wanted: dict[str, str] = transformation.get("dimensions") or {}
        for event, match in matches:
            value = _number(_resolve(str(transformation["metricValue"]), match, event.message))
            if value is None:
                continue
            dimensions: dict[str, str] = {}
            for name, source in dimensions_wanted.items():
                found = _resolve(source, match, event.message)
                if found is None:
                    break
                dimensions[name] = str(found)
            else:
                points.append(
                    Datapoint(
                        transformation["metricNamespace"],
                        transformation["metricName"],
                        dimensions,
                        value,
                        transformation.get("unit", "None"),
                        event.timestamp,
                    )
                )
    return points


def _defaults_for(metric_filter: MetricFilter, *, timestamp: int) -> list[Datapoint]:
    return [
        Datapoint(
            item["metricNamespace"],
            item["metricName"],
            {},
            float(item["defaultValue"]),
            item.get("unit", "None"),
            timestamp,
        )
        for item in metric_filter.transformations
        if item.get("defaultValue") is not None
    ]


def apply_filters(
    group: LogGroup, stored: list[Stored], *, now: dt.datetime, filters: list[MetricFilter] | None = None
) -> None:
    """`filters`: the group's metric filters when the caller has read them already."""
    for metric_filter in MetricFilter.objects.filter(group=group) if filters is None else filters:
        pattern = compile_pattern(metric_filter.pattern)
        fresh = [event for event in stored if event.ingested >= metric_filter.created]
        if not fresh:
            continue
        matches = [(event, found) for event in fresh if (found := pattern.match(event.message)) is not None]
        points = (
            _points_for(metric_filter, matches)
            if matches
            else _defaults_for(metric_filter, timestamp=fresh[-1].timestamp)
        )
        emit(group=group, filter_name=metric_filter.name, datapoints=points, now=now)
