"""The Kinesis part of a sandbox's diagram: one node per stream, with its status, mode, open
shard count, all shards still in the window (open and closed), retention, the records and bytes
it holds in its window, and the records put in the last minute of sandbox time. describe(arn)
gives the stream's summary, tags, its shards (open and closed, with their lineage, record counts
and how much of the retention window their oldest record has used, and each consumer's position
on them with its lag: _readers), its registered consumers and
a peek at its 20 newest records (data as text where it is UTF-8, else base64)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from django.db.models import Count, Sum

from playground.sandboxes.models import Sandbox
from services.kinesis import consumers, sequences, shards, streams
from services.kinesis.models import ConsumerPosition, Record, Shard, Stream

RATE_WINDOW = dt.timedelta(seconds=60)
PEEK = 20


def _node(stream: Stream, *, now: dt.datetime) -> dict[str, Any]:
    held = Record.objects.filter(shard__stream=stream, expires_at__gt=now).aggregate(
        count=Count("id"), size=Sum("size")
    )
    recent = Record.objects.filter(shard__stream=stream, arrived_at__gt=now - RATE_WINDOW).count()
    return {
        "id": stream.arn,
        "service": "kinesis",
        "type": "stream",
        "name": stream.name,
        "region": stream.region,
        "status": streams.status_of(stream, now=now),
        "mode": stream.mode,
        "open_shards": stream.shards.filter(closed_at__isnull=True).count(),
        "shards": len(shards.live_shards(stream, now=now)),  # open, and closed ones still in the window
        "retention_hours": stream.retention_hours,
        "records": held["count"] or 0,
        "bytes": held["size"] or 0,
        "records_last_minute": recent,
    }


def graph(*, sandbox: Sandbox, now: dt.datetime, region: str | None) -> dict[str, list[dict[str, Any]]]:
    rows = Stream.objects.filter(sandbox=sandbox).order_by("region", "name")
    listed = [
        stream for stream in (rows.filter(region=region) if region else rows) if not streams.is_gone(stream, now=now)
    ]
    return {"nodes": [_node(stream, now=now) for stream in listed], "edges": []}


def _text(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode()}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode()}


def _marker(shard: Shard, *, kind: str, name: str, position: int, at: dt.datetime, now: dt.datetime) -> dict[str, Any]:
    """A reader's place on a lane: how many of the window's records it has read, and its lag as
    MillisBehindLatest counts it (the sandbox-time age of the oldest record it has not read; 0 at
    the tip)."""
    window = Record.objects.filter(shard=shard, expires_at__gt=now)
    unread = window.filter(counter__gt=position)
    following = unread.order_by("counter").values_list("arrived_at", flat=True).first()
    return {
        "kind": kind,
        "name": name,
        "sequence_number": sequences.sequence_number(shard.number, position) if position > 0 else None,
        "read": window.filter(counter__lte=position).count(),
        "unread": unread.count(),
        "millis_behind_latest": max(int((now - following).total_seconds() * 1000), 0) if following else 0,
        "at": at.isoformat(),
    }


def _readers(shard: Shard, live_consumers: dict[int, str], *, now: dt.datetime) -> list[dict[str, Any]]:
    """Each consumer's position on the shard: the registered (enhanced fan-out) consumers' last
    SubscribeToShard event, and the last GetRecords (shared-throughput readers have no identity on
    AWS, so they show as one marker at the latest read)."""
    markers = [
        _marker(
            shard, kind="efo", name=live_consumers[row.consumer_id], position=row.counter, at=row.updated_at, now=now
        )
        for row in ConsumerPosition.objects.filter(shard=shard).order_by("consumer_id")
        if row.consumer_id in live_consumers
    ]
    if shard.read_position is not None and shard.read_at is not None:
        position, at = shard.read_position, shard.read_at
        markers.append(_marker(shard, kind="getrecords", name="GetRecords", position=position, at=at, now=now))
    return markers


def describe(*, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    stream = streams.by_arn(sandbox=sandbox, arn=arn)
    if stream is None or streams.is_gone(stream, now=now):
        return None
    live_consumers = {c.pk: c.name for c in consumers.live(stream, now=now)}
    shard_rows = []
    for shard in shards.live_shards(stream, now=now):
        window = Record.objects.filter(shard=shard, expires_at__gt=now)
        oldest = window.order_by("counter").values_list("arrived_at", flat=True).first()
        shard_rows.append(
            {
                **shards.shard_output(shard),
                "open": shard.is_open,
                "records": window.count(),
                # How far into the retention window the oldest record is (0..1): the lane's fill.
                "window_used": min((now - oldest) / dt.timedelta(hours=stream.retention_hours), 1.0) if oldest else 0.0,
                "readers": _readers(shard, live_consumers, now=now),
            }
        )
    registered = [consumers.description(c, now=now, with_stream=False) for c in consumers.live(stream, now=now)]
    for consumer in registered:
        consumer["ConsumerCreationTimestamp"] = consumer["ConsumerCreationTimestamp"].isoformat()
    newest = (
        Record.objects.filter(shard__stream=stream, expires_at__gt=now)
        .select_related("shard")
        .order_by("-arrived_at", "-id")
    )
    peek = [
        {
            "shard_id": row.shard.shard_id,
            "sequence_number": sequences.sequence_number(row.shard.number, row.counter),
            "partition_key": row.partition_key,
            "arrived_at": row.arrived_at.isoformat(),
            "size": row.size,
            **_text(bytes(row.data)),
        }
        for row in newest[:PEEK]
    ]
    summary = streams.summary(stream, now=now)
    summary["StreamCreationTimestamp"] = stream.created_at.isoformat()
    return {
        "consumers": registered,
        "attributes": summary,
        "tags": dict(stream.tags),
        "shards": shard_rows,
        "records": peek,
        "node": _node(stream, now=now),
    }
