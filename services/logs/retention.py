"""Retention on the sandbox clock: an event whose timestamp is older than its group's retention
is gone. Readers already leave such events out (groups.oldest_kept); the tick deletes them.

A chunk (models.LogChunk) is due when its oldest event expires: the tick cuts the expired events
off its front (they are the oldest: a chunk is in time order) and deletes a chunk left empty, so
that stored bytes and event counts stay exact."""

from __future__ import annotations

import bisect
import datetime as dt
import json

from playground.sandboxes.models import Sandbox

from . import events
from .ingest import event_size
from .models import LogChunk, LogGroup


def expire_due(sandbox: Sandbox, now: dt.datetime) -> None:
    now_ms = int(now.timestamp() * 1000)
    touched: set[int] = set()
    emptied: list[int] = []
    due = list(LogChunk.objects.filter(sandbox=sandbox, expires__lte=now_ms).values_list("pk", flat=True))
    for pk in due:  # one at a time: a chunk holds up to 1 MB of messages
        chunk = LogChunk.objects.get(pk=pk)
        assert chunk.expires is not None
        touched.add(chunk.group_id)
        retention = chunk.expires - chunk.first_timestamp
        stamps: list[int] = json.loads(chunk.timestamps)
        gone = bisect.bisect_right(stamps, now_ms - retention)
        if gone >= len(stamps):
            emptied.append(chunk.pk)
            continue
        messages: list[str] = json.loads(chunk.messages)
        LogChunk.objects.filter(pk=chunk.pk).update(
            first_timestamp=stamps[gone],
            first_index=chunk.first_index + gone,
            count=len(stamps) - gone,
            size=chunk.size - sum(event_size(message) for message in messages[:gone]),
            timestamps=json.dumps(stamps[gone:]),
            messages=json.dumps(messages[gone:], ensure_ascii=False),
            expires=stamps[gone] + retention,
        )
    LogChunk.objects.filter(pk__in=emptied).delete()
    for group in LogGroup.objects.filter(pk__in=touched):
        events.group_changed(sandbox, group=group, now=now)
