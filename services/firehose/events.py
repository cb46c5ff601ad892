"""The live events Firehose publishes (the platform's types; Firehose needs no type of its own).

    resource.created / resource.changed   a delivery stream, with its attributes (stream_attributes:
                                           DeliveryStreamStatus, DeliveryStreamType, Destination,
                                           BufferedRecords, BufferedBytes, NextFlushAt)
    resource.deleted                       a delivery stream, once its DELETING time has passed
    flow, kind:
      put         client -> stream         records were put (detail: records, bytes, buffered_records,
                                           buffered_bytes, next_flush_at)
      delivered   stream -> bucket ARN     a flush wrote an object (detail: key, records, bytes,
                                           reason "size" or "interval", backup: true for the S3 backup copy)
      posted      stream -> endpoint URL   an HTTP endpoint accepted a batch (detail: records, attempt)
      failed      stream -> target         a delivery failed (detail: error_code, reason, records,
                                           retry_at when it is tried again)

Every event is sent when the transaction that caused it commits (playground.live.bus).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from playground.live.bus import publish_flow, publish_resource
from playground.sandboxes.models import Sandbox

if TYPE_CHECKING:
    from services.firehose.models import DeliveryStream

SERVICE = "firehose"
RESOURCE_TYPE = "deliverystream"
CLIENT = "client"


def stream_attributes(stream: DeliveryStream, *, now: dt.datetime) -> dict[str, Any]:
    from services.firehose.streams import status_of

    return {
        "DeliveryStreamStatus": status_of(stream, now=now),
        "DeliveryStreamType": stream.stream_type,
        "Destination": stream.destination_kind,
        "BufferedRecords": stream.buffer_records,
        "BufferedBytes": stream.buffer_bytes,
        "NextFlushAt": stream.flush_at.isoformat() if stream.flush_at else None,
    }


def stream_event(sandbox: Sandbox, action: str, *, stream: DeliveryStream, now: dt.datetime) -> None:
    attributes = stream_attributes(stream, now=now) if action != "deleted" else None
    publish_resource(
        sandbox, action, service=SERVICE, resource_type=RESOURCE_TYPE, arn=stream.arn, name=stream.name,
        attributes=attributes, now=now,
    )  # fmt: skip


def flow(sandbox: Sandbox, kind: str, *, source: str, target: str, now: dt.datetime, **detail: Any) -> None:
    publish_flow(
        sandbox, service=SERVICE, kind=kind, source=source, target=target,
        item_id=f"{source.rpartition('/')[2]}@{now.isoformat()}", now=now, detail=detail,
    )  # fmt: skip
