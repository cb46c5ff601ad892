"""A Kinesis data stream as the source of a delivery stream (KinesisStreamAsSource): Firehose
reads every shard of the stream once a second of sandbox time (services.kinesis.public), from the
records that arrived at DeliveryStartTimestamp (the delivery stream's creation) on, and buffers
them as if they had been put when they arrived in the stream: the buffer's interval counts from
their arrival. Where it has read up to is kept per shard (source["checkpoints"]). While the
destination fails and the backlog is full, it stops reading: the records wait in the stream.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any

from django.db import transaction

import services.kinesis.public as kinesis
from playground.sandboxes.models import Sandbox
from services.firehose import buffering, destinations, streams
from services.firehose.models import ACTIVE, DeliveryStream

POLL_SECONDS = 1
READ_LIMIT = 10_000


def poll_due(sandbox: Sandbox, now: dt.datetime) -> None:
    """The tick: read the source stream of every Kinesis-sourced delivery stream whose time came."""
    for pk in DeliveryStream.objects.filter(sandbox=sandbox, poll_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            stream = DeliveryStream.objects.select_for_update().filter(pk=pk, poll_at__lte=now).first()
            if stream is None:
                continue
            status = streams.status_of(stream, now=now)
            if status == ACTIVE:
                more = read(stream, now=now)
                stream.poll_at = now if more else now + dt.timedelta(seconds=POLL_SECONDS)
            else:
                stream.poll_at = None if status != "CREATING" else stream.settles_at
            DeliveryStream.objects.filter(pk=pk).update(poll_at=stream.poll_at)


def read(stream: DeliveryStream, *, now: dt.datetime) -> bool:
    """Buffer what the source stream has that this delivery stream has not read; True when there
    is more than one read takes."""
    limit, _ = destinations.buffering(stream.destination_kind, stream.destination)
    if stream.failure and stream.buffer_bytes >= buffering.BACKLOG_BUFFERS * limit:
        return False
    checkpoints: dict[str, int] = dict(stream.source.get("checkpoints") or {})
    records = _unread(stream, checkpoints, now=now)
    if not records:
        return False
    for record in records:
        checkpoints[record["shard_id"]] = record["counter"]
    stream.source = {**stream.source, "checkpoints": checkpoints}
    stream.save(update_fields=["source"])
    records.sort(key=lambda record: record["arrived_at"])
    for arrived_at, group in groupby(records, key=lambda record: record["arrived_at"]):
        data = [record["data"] for record in group]
        for start in range(0, len(data), buffering.MAX_BATCH_RECORDS):
            buffering.buffer(stream, records=data[start : start + buffering.MAX_BATCH_RECORDS],
                             arrived_at=arrived_at, now=now, operation=buffering.KINESIS_READ)  # fmt: skip
    return len(records) >= READ_LIMIT


def _unread(stream: DeliveryStream, checkpoints: dict[str, int], *, now: dt.datetime) -> list[dict[str, Any]]:
    """What the source stream holds past each shard's checkpoint (from the delivery stream's
    creation on a shard not read yet), shard by shard, at most READ_LIMIT records in all."""
    sandbox, arn = stream.sandbox, stream.source_stream_arn
    records: list[dict[str, Any]] = []
    for shard in kinesis.stream_shards(sandbox=sandbox, stream_arn=arn, now=now) or []:
        if len(records) >= READ_LIMIT:
            break
        shard_id = shard["shard_id"]
        after = checkpoints.get(shard_id)
        if after is None:
            after = kinesis.shard_start(
                sandbox=sandbox, stream_arn=arn, shard_id=shard_id, position="AT_TIMESTAMP",
                timestamp=stream.created_at, now=now,
            )  # fmt: skip
        found = kinesis.shard_records(
            sandbox=sandbox, stream_arn=arn, shard_id=shard_id, after=after, limit=READ_LIMIT - len(records), now=now
        )
        records.extend({**record, "shard_id": shard_id} for record in found)
    return records
