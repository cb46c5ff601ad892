"""The live events Kinesis publishes (the platform's types; Kinesis needs no type of its own).

    resource.created / resource.changed   a stream, with its attributes (stream_attributes below:
                                           StreamStatus, StreamMode, RetentionPeriodHours,
                                           OpenShardCount, EncryptionType)
    resource.deleted                       a stream, once its DELETING time has passed
    flow, kind:
      put         client -> stream   records were put (detail: records, bytes, shards)
      throttled   client -> stream   a put or a read went over a shard's limit
                                     (detail: operation, shards)
      read        stream -> client   GetRecords returned records, or SubscribeToShard sent them
                                     (detail: shard, records, bytes; consumer: its name for
                                     SubscribeToShard)
      iterator    stream -> client   GetShardIterator was called (detail: shard, type)

Every event is sent when the transaction that caused it commits (playground.live.bus).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from playground.live.bus import publish_flow, publish_resource
from playground.sandboxes.models import Sandbox

if TYPE_CHECKING:
    from services.kinesis.models import Shard, Stream

SERVICE = "kinesis"
RESOURCE_TYPE = "stream"
CLIENT = "client"


def stream_attributes(stream: Stream, *, now: dt.datetime) -> dict[str, Any]:
    from services.kinesis.streams import status_of

    return {
        "StreamStatus": status_of(stream, now=now),
        "StreamMode": stream.mode,
        "RetentionPeriodHours": stream.retention_hours,
        "OpenShardCount": stream.shards.filter(closed_at__isnull=True).count(),
        "EncryptionType": stream.encryption_type,
    }


def stream_created(sandbox: Sandbox, *, stream: Stream, now: dt.datetime) -> None:
    publish_resource(
        sandbox, "created", service=SERVICE, resource_type=RESOURCE_TYPE, arn=stream.arn, name=stream.name,
        attributes=stream_attributes(stream, now=now), now=now,
    )  # fmt: skip


def stream_changed(sandbox: Sandbox, *, stream: Stream, now: dt.datetime) -> None:
    publish_resource(
        sandbox, "changed", service=SERVICE, resource_type=RESOURCE_TYPE, arn=stream.arn, name=stream.name,
        attributes=stream_attributes(stream, now=now), now=now,
    )  # fmt: skip


def stream_deleted(sandbox: Sandbox, *, stream: Stream, now: dt.datetime) -> None:
    publish_resource(
        sandbox, "deleted", service=SERVICE, resource_type=RESOURCE_TYPE, arn=stream.arn, name=stream.name, now=now
    )


def _flow(
    sandbox: Sandbox, kind: str, *, source: str, target: str, item_id: str, now: dt.datetime, **detail: Any
) -> None:
    publish_flow(
        sandbox, service=SERVICE, kind=kind, source=source, target=target, item_id=item_id, now=now, detail=detail
    )


def records_put(
    sandbox: Sandbox, *, stream: Stream, count: int, size: int, shards: list[str], now: dt.datetime
) -> None:
    _flow(sandbox, "put", source=CLIENT, target=stream.arn, item_id=f"{stream.name}@{now.isoformat()}",
          now=now, records=count, bytes=size, shards=shards)  # fmt: skip


def throttled(sandbox: Sandbox, *, stream: Stream, operation: str, shards: list[str], now: dt.datetime) -> None:
    source, target = (stream.arn, CLIENT) if operation == "GetRecords" else (CLIENT, stream.arn)
    _flow(sandbox, "throttled", source=source, target=target, item_id=f"{stream.name}@{now.isoformat()}",
          error_code="ProvisionedThroughputExceededException",
          now=now, operation=operation, shards=shards)  # fmt: skip


def records_read(
    sandbox: Sandbox, *, stream: Stream, shard: Shard, count: int, size: int, now: dt.datetime, consumer: str = ""
) -> None:
    extra = {"consumer": consumer} if consumer else {}
    _flow(sandbox, "read", source=stream.arn, target=CLIENT, item_id=f"{shard.shard_id}@{now.isoformat()}",
          now=now, shard=shard.shard_id, records=count, bytes=size, **extra)  # fmt: skip


def iterator_made(sandbox: Sandbox, *, stream: Stream, shard: Shard, kind: str, now: dt.datetime) -> None:
    _flow(sandbox, "iterator", source=stream.arn, target=CLIENT, item_id=f"{shard.shard_id}@{now.isoformat()}",
          now=now, shard=shard.shard_id, type=kind)  # fmt: skip
