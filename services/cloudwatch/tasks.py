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


@due_work("cloudwatch.alarms", rows=Alarm.objects.all, at="evaluate_at")
def evaluate_alarms(sandbox: Sandbox, now: dt.datetime) -> None:
    evaluation.evaluate_due(sandbox, now)


@due_work("cloudwatch.retention", rows=Datapoint.objects.all, at="expires_at")
def expire_datapoints(sandbox: Sandbox, now: dt.datetime) -> None:
    metrics.expire(sandbox, now)


@due_work("cloudwatch.gauges", rows=GaugeRound.objects.all, at="due_at")
def collect_gauges(sandbox: Sandbox, now: dt.datetime) -> None:
    gauges.collect_due(sandbox, now)
