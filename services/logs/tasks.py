"""CloudWatch Logs' time-based work, run by the tick on each sandbox's own clock (and at once when
a clock is advanced): events past their group's retention are deleted, and subscription filters'
batches that are due are delivered, and export tasks take their next step."""

from __future__ import annotations

import datetime as dt

from playground.sandboxes.duework import due_work
from playground.sandboxes.models import Sandbox

from . import delivery, exports, retention
from .models import ExportTask, LogChunk, PendingDelivery


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


@due_work("logs.retention", rows=LogChunk.objects.all, at="expires", cutoff=_ms)
def expire_events(sandbox: Sandbox, now: dt.datetime) -> None:
    retention.expire_due(sandbox, now)


@due_work("logs.subscriptions", rows=PendingDelivery.objects.all, at="due_at")
def deliver_batches(sandbox: Sandbox, now: dt.datetime) -> None:
    delivery.deliver_due(sandbox, now)


@due_work("logs.exports", rows=ExportTask.objects.all, at="due_at")
def advance_exports(sandbox: Sandbox, now: dt.datetime) -> None:
    exports.advance_due(sandbox, now)
