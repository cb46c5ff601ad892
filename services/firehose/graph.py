"""The Firehose part of a sandbox's diagram: one node per delivery stream, with its status, its
destination, its buffer (records, bytes, how full by size, how far through its interval, the next
flush time on the sandbox clock) and what it has delivered; an edge "delivery" to the S3 bucket it
writes to, and "backup" to its S3 backup bucket (a problem on the edge while deliveries fail);
"source" from the Kinesis stream it reads, "transform" to the Lambda function that transforms
its records.
describe(arn) adds the buffer's records (data as text where it is UTF-8, else base64), the
destination's configuration, tags and the last delivery."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from playground.sandboxes.models import Sandbox
from services.firehose import destinations, streams, transforming
from services.firehose.models import EXTENDED_S3, KINESIS_SOURCE, BufferedBatch, DeliveryStream
from services.s3.public import bucket_exists

PEEK = 50


def _buffer(stream: DeliveryStream, *, now: dt.datetime) -> dict[str, Any]:
    limit, interval = destinations.buffering(stream.destination_kind, stream.destination)
    elapsed = 0.0
    if stream.flush_at is not None and interval > 0:
        started = stream.flush_at - dt.timedelta(seconds=interval)
        elapsed = min(max((now - started).total_seconds() / interval, 0.0), 1.0)
    return {
        "buffer_records": stream.buffer_records,
        "buffer_bytes": stream.buffer_bytes,
        "buffer_size_limit": limit,
        "buffer_interval": interval,
        "buffer_fill": min(stream.buffer_bytes / limit, 1.0),
        "buffer_elapsed": elapsed,
        "next_flush_at": stream.flush_at.isoformat() if stream.flush_at else None,
    }


def _node(stream: DeliveryStream, *, now: dt.datetime) -> dict[str, Any]:
    config = destinations.s3_config(stream.destination_kind, stream.destination)
    return {
        "id": stream.arn,
        "service": "firehose",
        "type": "deliverystream",
        "name": stream.name,
        "region": stream.region,
        "status": streams.status_of(stream, now=now),
        "stream_type": stream.stream_type,
        "destination": stream.destination_kind,
        "bucket": destinations.bucket_name(config["BucketARN"]),
        "endpoint": stream.destination.get("EndpointConfiguration", {}).get("Url", ""),
        "compression": config.get("CompressionFormat", "UNCOMPRESSED"),
        "records_in": stream.records_in,
        "records_out": stream.records_out,
        "objects_out": stream.objects_out,
        "failure": stream.failure,
        **_buffer(stream, now=now),
    }


def _edges(stream: DeliveryStream) -> list[dict[str, Any]]:
    config = destinations.s3_config(stream.destination_kind, stream.destination)
    edges = []
    targets = [("delivery" if stream.destination_kind == EXTENDED_S3 else "backup", config["BucketARN"])]
    if stream.destination_kind == EXTENDED_S3 and config.get("S3BackupMode") == "Enabled":
        targets.append(("backup", config["S3BackupDescription"]["BucketARN"]))
    for kind, bucket_arn in targets:
        edge: dict[str, Any] = {
            "id": f"{stream.arn}->{bucket_arn}#{kind}",
            "source": stream.arn,
            "target": bucket_arn,
            "type": kind,
            "label": kind,
        }
        if not bucket_exists(sandbox=stream.sandbox, bucket=destinations.bucket_name(bucket_arn)):
            edge["problem"] = {
                "code": "S3.NoSuchBucket",
                "reason": "the bucket does not exist: deliveries fail and are retried",
            }
        edges.append(edge)
    if stream.stream_type == KINESIS_SOURCE:
        source = stream.source_stream_arn
        edges.append({"id": f"{source}->{stream.arn}#source", "source": source, "target": stream.arn,
                      "type": "source", "label": "source"})  # fmt: skip
    processor = transforming.processor_of(stream.destination)
    if processor is not None:
        function = ":".join(processor.lambda_arn.split(":")[:7])  # the function's node, without a qualifier
        edges.append({"id": f"{stream.arn}->{function}#transform", "source": stream.arn, "target": function,
                      "type": "transform", "label": "transform"})  # fmt: skip
    return edges


def graph(*, sandbox: Sandbox, now: dt.datetime, region: str | None) -> dict[str, list[dict[str, Any]]]:
    rows = DeliveryStream.objects.filter(sandbox=sandbox).order_by("region", "name")
    listed = [
        stream for stream in (rows.filter(region=region) if region else rows) if not streams.is_gone(stream, now=now)
    ]
    return {
        "nodes": [_node(stream, now=now) for stream in listed],
        "edges": [edge for stream in listed for edge in _edges(stream)],
    }


def _text(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode()}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode()}


def _partition(row: BufferedBatch) -> dict[str, str]:
    """Dynamic partitioning: the partition a buffered record waits in (its keys), or why it has none."""
    if row.error:
        return {"partition": f"error: {row.error.partition(chr(10))[0].removeprefix('DynamicPartitioning.')}"}
    if not row.partition:
        return {}
    keys = json.loads(row.partition)
    return {"partition": " ".join(f"{key}={value}" for values in keys.values() for key, value in values.items())}


def describe(*, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    stream = streams.by_arn(sandbox=sandbox, arn=arn)
    if stream is None or streams.is_gone(stream, now=now):
        return None
    buffered: list[dict[str, Any]] = []
    for row in BufferedBatch.objects.filter(stream=stream).order_by("id"):
        partition = _partition(row)
        for data in row.records()[: PEEK - len(buffered)]:
            buffered.append({"arrived_at": row.arrived_at.isoformat(), "size": len(data), **_text(data), **partition})
        if len(buffered) >= PEEK:
            break
    attributes = streams.description(stream, now=now)
    attributes["CreateTimestamp"] = stream.created_at.isoformat()
    if "LastUpdateTimestamp" in attributes:
        attributes["LastUpdateTimestamp"] = stream.updated_at.isoformat()
    if "Source" in attributes:
        attributes["Source"]["KinesisStreamSourceDescription"]["DeliveryStartTimestamp"] = stream.created_at.isoformat()
    return {
        "attributes": attributes,
        "tags": dict(stream.tags),
        "buffer": {**_buffer(stream, now=now), "records": buffered},
        "last_delivery": stream.last_delivery,
        "node": _node(stream, now=now),
    }
