"""What other services may use of CloudWatch (docs/services.md: services meet through public doors).

metric_put(sandbox=, region=, namespace=, name=, now=, value=, dimensions=, unit=, values=, counts=,
           timestamp=)
    publish one datapoint of an AWS/<Service> metric at the sandbox clock's `now`, or at
    `timestamp` (a log event's time, for a metric filter; one outside PutMetricData's window, left
    there by a clock jump, is dropped) (standard resolution: one-minute buckets). `dimensions` is
    {name: value}; `value` a number, or
    `values`/`counts` lists as PutMetricData takes them. The AWS/ namespaces, which PutMetricData
    refuses to users, are open here. For counts of events (NumberOfMessagesSent: value 1 per
    message, statistic Sum). Alarms on the metric see it at their next evaluation.
metrics_put(sandbox=, region=, namespace=, data=[Datum(name, value=, dimensions=, unit=, values=,
            counts=, timestamp=)], now=)
    many datapoints of one namespace in one store (a service publishing several metrics, or
    several periods after a clock jump, at once)

gauges(name)
    a decorator registering `collect(sandbox, now) -> list[Gauge]` for levels AWS samples once a
    minute (ApproximateNumberOfMessagesVisible). While a sandbox has published a metric through
    metric_put in the last six hours (AWS: an active resource), CloudWatch calls every collector
    once a minute of its sandbox time and stores what they return. Register at import time of a
    module the app loads (its tasks.py).

Gauge(namespace, name, value, dimensions, unit, region, lasting=False)
    one level a collector returns. `lasting=True` for a level AWS publishes for as long as its
    resource exists (KMS's SecondsUntilKeyMaterialExpiration): while a collector returns one, the
    rounds go on past the six hours, keeping only the lasting levels then.

metric_node(region=, account_id=, namespace=, name=, dimensions=)
    the diagram's id of a metric's node (drawn when an alarm watches it), for a service that
    draws an edge to it (Logs: a metric filter to the metric it emits)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from playground.sandboxes.models import Sandbox
from services.cloudwatch import gauges as _gauges
from services.cloudwatch import metrics
from services.cloudwatch.gauges import Gauge

__all__ = ["Datum", "Gauge", "gauges", "metric_node", "metric_put", "metrics_put"]


def metric_node(*, region: str, account_id: str, namespace: str, name: str, dimensions: dict[str, str]) -> str:
    from services.cloudwatch.graph import metric_node_id  # here: graph.py reads models this door need not load

    listed = [{"Name": key, "Value": value} for key, value in dimensions.items()]
    return metric_node_id(region=region, account_id=account_id, namespace=namespace, name=name, dimensions=listed)


@dataclass(frozen=True)
class Datum:
    """One datapoint for metrics_put: metric_put's arguments but the sandbox's."""

    name: str
    value: float | None = None
    dimensions: dict[str, str] | None = None
    unit: str = "None"
    values: Sequence[float] | None = None
    counts: Sequence[float] | None = None
    timestamp: dt.datetime | None = None


def metrics_put(*, sandbox: Sandbox, region: str, namespace: str, data: Sequence[Datum], now: dt.datetime) -> None:
    rows = []
    for index, datum in enumerate(data, 1):
        stamp = datum.timestamp or now
        if not now - metrics.PAST <= stamp <= now + metrics.FUTURE:
            # A clock jump left the service's datapoint outside what CloudWatch takes: it is dropped
            # (PutMetricData would refuse it), never raised into the service's request or due work.
            continue
        fields: dict[str, object] = {
            "MetricName": datum.name, "Timestamp": stamp, "Unit": datum.unit,
            "Dimensions": [{"Name": k, "Value": v} for k, v in (datum.dimensions or {}).items()],
        }  # fmt: skip
        if datum.values is not None:
            fields["Values"] = list(datum.values)
            if datum.counts is not None:
                fields["Counts"] = list(datum.counts)
        else:
            fields["Value"] = 0.0 if datum.value is None else datum.value
        rows.append((datum.name, metrics.datum_row(fields, f"MetricData.member.{index}", now=now)))  # a put's checks
    if rows:
        metrics.store(sandbox=sandbox, region=region, namespace=namespace, rows=rows, now=now)
        _gauges.keep_active(sandbox, now=now)


def metric_put(
    *, sandbox: Sandbox, region: str, namespace: str, name: str, now: dt.datetime,
    value: float | None = None, dimensions: dict[str, str] | None = None, unit: str = "None",
    values: Sequence[float] | None = None, counts: Sequence[float] | None = None,
    timestamp: dt.datetime | None = None,
) -> None:  # fmt: skip
    datum = Datum(
        name, value=value, dimensions=dimensions, unit=unit, values=values, counts=counts, timestamp=timestamp
    )
    metrics_put(sandbox=sandbox, region=region, namespace=namespace, data=[datum], now=now)


def gauges(name: str) -> Callable[[_gauges.Collector], _gauges.Collector]:
    return _gauges.register(name)
