"""The rolling window: records past the stream's retention period are trimmed, and a closed
shard goes once its last record has. Reads compute what is within the window themselves (a record
with `expires_at <= now` is never returned), so the tick's deletes only free the space."""

from __future__ import annotations

import datetime as dt

from playground.sandboxes.models import Sandbox
from services.kinesis.models import Record, Shard

BATCH = 5000


def trim_due(sandbox: Sandbox, now: dt.datetime) -> int:
    """Delete (the delete is the claim) the records past retention, a batch at a time."""
    removed = 0
    while True:
        ids = list(Record.objects.filter(sandbox=sandbox, expires_at__lte=now).values_list("pk", flat=True)[:BATCH])
        if not ids:
            return removed
        removed += Record.objects.filter(pk__in=ids).delete()[0]


def remove_expired_shards(sandbox: Sandbox, now: dt.datetime) -> None:
    Shard.objects.filter(sandbox=sandbox, expires_at__lte=now).delete()
