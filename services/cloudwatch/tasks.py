"""CloudWatch's time-based work, run by the tick on each sandbox's own clock (and at once when a
clock is advanced): metric alarms evaluated at the end of each period (evaluation.py), and
datapoints removed once they pass the longest retention (455 days; the shorter periods' data is
no longer served past its own retention: statistics.RETENTION)."""

from __future__ import annotations

import datetime as dt

from playground.sandboxes.duework import due_work
from playground.sandboxes.models import Sandbox
from services.cloudwatch import evaluation, gauges, metrics
from services.cloudwatch.models import Alarm, Datapoint, GaugeRound


@due_work("cloudwatch.alarms", due=lambda latest: Alarm.objects.filter(evaluate_at__lte=latest))
def evaluate_alarms(sandbox: Sandbox, now: dt.datetime) -> None:
    evaluation.evaluate_due(sandbox, now)


@due_work("cloudwatch.retention", due=lambda latest: Datapoint.objects.filter(expires_at__lte=latest))
def expire_datapoints(sandbox: Sandbox, now: dt.datetime) -> None:
    metrics.expire(sandbox, now)


@due_work("cloudwatch.gauges", due=lambda latest: GaugeRound.objects.filter(due_at__lte=latest))
def collect_gauges(sandbox: Sandbox, now: dt.datetime) -> None:
    gauges.collect_due(sandbox, now)
