"""Kinesis's time-based work, run by the tick on each sandbox's own clock (and at once when a clock
is advanced): streams and consumers leaving CREATING, UPDATING or DELETING, records passing the retention period
(trimmed), closed shards whose records have all passed it (removed, as AWS removes them), and
each stream's AWS/Kinesis metrics for a minute that is over (published to CloudWatch)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.sandboxes.duework import due_work, timer_handler
from playground.sandboxes.models import Sandbox
from services.kinesis import consumers, metrics, retention, streams
from services.kinesis.models import Consumer, MetricSample, Record, Shard, Stream


@due_work("kinesis.stream-status", rows=Stream.objects.all, at="settles_at")
def settle_streams(sandbox: Sandbox, now: dt.datetime) -> None:
    streams.settle_due(sandbox, now)


@due_work("kinesis.retention", rows=Record.objects.all, at="expires_at")
def trim_records(sandbox: Sandbox, now: dt.datetime) -> None:
    retention.trim_due(sandbox, now)


@due_work("kinesis.closed-shards", rows=Shard.objects.all, at="expires_at")
def remove_closed_shards(sandbox: Sandbox, now: dt.datetime) -> None:
    retention.remove_expired_shards(sandbox, now)


@due_work("kinesis.consumer-status", rows=Consumer.objects.all, at="settles_at")
def settle_consumers(sandbox: Sandbox, now: dt.datetime) -> None:
    consumers.settle_due(sandbox, now)


# A platform timer, not a due-work column of Kinesis's own: timers run before CloudWatch's alarms
# in a round of due work, so an alarm evaluating the minute that just ended sees its datapoints
# even when one clock advance crosses both.
@timer_handler(metrics.TIMER)
def publish_metrics(sandbox: Sandbox, now: dt.datetime, payload: dict[str, Any]) -> None:
    metrics.publish_due(sandbox, now)


@due_work(
    "kinesis.metric-stragglers",
    rows=MetricSample.objects.all,
    at="due_at",
    cutoff=lambda now: now - metrics.STRAGGLERS,
)
def publish_straggling_metrics(sandbox: Sandbox, now: dt.datetime) -> None:
    metrics.publish_due(sandbox, now, due_by=now - metrics.STRAGGLERS)
