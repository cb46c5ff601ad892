"""Firehose's time-based work, run by the tick on each sandbox's own clock (and at once when a
clock is advanced): streams leaving CREATING or DELETING, Kinesis-sourced streams reading their
source, buffers whose interval has passed (flushed, dated when it passed), HTTP endpoint batches
whose (re)try is due, and the AWS/Firehose counts of a minute that is over. The read runs before
the flush and the flush before the HTTP attempts, so that one advance of the clock carries
records all the way."""

from __future__ import annotations

import datetime as dt

from playground.sandboxes.duework import due_work
from playground.sandboxes.models import Sandbox
from services.firehose import buffering, metrics, sourcing, streams
from services.firehose.models import DeliveryStream, HttpBatch


@due_work("firehose.stream-status", rows=DeliveryStream.objects.all, at="settles_at")
def settle_streams(sandbox: Sandbox, now: dt.datetime) -> None:
    streams.settle_due(sandbox, now)


@due_work("firehose.kinesis-source", rows=DeliveryStream.objects.all, at="poll_at")
def read_sources(sandbox: Sandbox, now: dt.datetime) -> None:
    sourcing.poll_due(sandbox, now)


@due_work("firehose.flush", rows=DeliveryStream.objects.all, at="flush_at")
def flush_buffers(sandbox: Sandbox, now: dt.datetime) -> None:
    buffering.flush_due(sandbox, now)


@due_work("firehose.http", rows=HttpBatch.objects.all, at="next_attempt_at")
def post_batches(sandbox: Sandbox, now: dt.datetime) -> None:
    buffering.http_due(sandbox, now)


@due_work("firehose.metrics", rows=DeliveryStream.objects.all, at="metrics_due_at")
def publish_metrics(sandbox: Sandbox, now: dt.datetime) -> None:
    metrics.publish_due(sandbox, now)
