"""Retention on the sandbox clock: an event whose timestamp is older than its group's retention
is gone. Readers already leave such events out (groups.oldest_kept); the tick deletes them."""

from __future__ import annotations

import datetime as dt

from playground.sandboxes.models import Sandbox

from . import events
from .models import LogEvent, LogGroup


def expire_due(sandbox: Sandbox, now: dt.datetime) -> None:
    now_ms = int(now.timestamp() * 1000)
    due = LogEvent.objects.filter(sandbox=sandbox, expires__lte=now_ms)
    touched = set(due.values_list("group_id", flat=True).distinct())
    if not touched:
        return
    due.delete()
    for group in LogGroup.objects.filter(pk__in=touched):
        events.group_changed(sandbox, group=group, now=now)
