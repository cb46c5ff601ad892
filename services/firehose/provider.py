"""Amazon Data Firehose: the delivery stream, record and tag operations of botocore's firehose
model (JSON 1.1). Each method reads its parameters and calls one domain function:

    streams.py       create / find / describe / list / delete, UpdateDestination with its version
                     id, status on the clock, tags, server-side encryption with KMS
    destinations.py  the destination configurations (extended S3, HTTP endpoint) as AWS checks them
    buffering.py     PutRecord / PutRecordBatch, the buffer on the sandbox clock, flushes, retries
    delivery.py      S3 objects (prefixes.py, compression.py) and HTTP endpoint requests
    transforming.py  data transformation with Lambda; converting.py record format conversion
    sourcing.py      a Kinesis data stream as the source; metrics.py the AWS/Firehose metrics
    events.py        the live events; graph.py the diagram; public.py the door for other services

LIMITATIONS: docs/firehose.md.
"""

from __future__ import annotations

from typing import Any

from playground.gateway.registry import Provider, register
from playground.gateway.request import RequestContext
from services.firehose import buffering, streams
from services.firehose.exceptions import ServiceUnavailableException
from services.firehose.models import DeliveryStream


def _find(ctx: RequestContext, params: dict[str, Any], *, lock: bool = False) -> DeliveryStream:
    return streams.find(
        sandbox=ctx.sandbox, region=ctx.region, name=params["DeliveryStreamName"], now=ctx.now, lock=lock
    )


@register
class FirehoseProvider(Provider):
    service = "firehose"

    def create_delivery_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = streams.stream_create(sandbox=ctx.sandbox, region=ctx.region, params=params, now=ctx.now)
        return {"DeliveryStreamARN": stream.arn}

    def describe_delivery_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"DeliveryStreamDescription": streams.description(_find(ctx, params), now=ctx.now)}

    def list_delivery_streams(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return streams.stream_list(
            sandbox=ctx.sandbox, region=ctx.region, limit=params.get("Limit"),
            stream_type=params.get("DeliveryStreamType"), start=params.get("ExclusiveStartDeliveryStreamName"),
            now=ctx.now,
        )  # fmt: skip

    def delete_delivery_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        streams.stream_delete(_find(ctx, params, lock=True), force=bool(params.get("AllowForceDelete")), now=ctx.now)
        return {}

    def update_destination(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = streams.find_active(
            sandbox=ctx.sandbox, region=ctx.region, name=params["DeliveryStreamName"], now=ctx.now
        )
        streams.destination_update(stream, params=params, now=ctx.now)
        return {}

    def put_record(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = streams.find_writable(
            sandbox=ctx.sandbox, region=ctx.region, name=params["DeliveryStreamName"], now=ctx.now, lock=True
        )
        done = buffering.put(stream, records=[params["Record"]["Data"]], now=ctx.now, operation="PutRecord",
                             locked=True)  # fmt: skip
        if done.record_ids[0] is None:
            raise ServiceUnavailableException(buffering.SLOW_DOWN)
        return {"RecordId": done.record_ids[0], "Encrypted": done.encrypted}

    def put_record_batch(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        records = [entry["Data"] for entry in params["Records"]]
        stream = streams.find_writable(
            sandbox=ctx.sandbox, region=ctx.region, name=params["DeliveryStreamName"], now=ctx.now, lock=True
        )
        buffering.check_batch(records)
        done = buffering.put(stream, records=records, now=ctx.now, locked=True)
        refused = {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": buffering.SLOW_DOWN}
        return {
            "FailedPutCount": done.failed,
            "Encrypted": done.encrypted,
            "RequestResponses": [{"RecordId": rid} if rid else refused for rid in done.record_ids],
        }

    def start_delivery_stream_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = streams.find_active(
            sandbox=ctx.sandbox, region=ctx.region, name=params["DeliveryStreamName"], now=ctx.now
        )
        streams.encryption_start(stream, config=params.get("DeliveryStreamEncryptionConfigurationInput"), now=ctx.now)
        return {}

    def stop_delivery_stream_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = streams.find_active(
            sandbox=ctx.sandbox, region=ctx.region, name=params["DeliveryStreamName"], now=ctx.now
        )
        streams.encryption_stop(stream, now=ctx.now)
        return {}

    def tag_delivery_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        streams.tags_add(_find(ctx, params, lock=True), tags=params["Tags"], now=ctx.now)
        return {}

    def untag_delivery_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        streams.tags_remove(_find(ctx, params, lock=True), keys=params["TagKeys"], now=ctx.now)
        return {}

    def list_tags_for_delivery_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return streams.tags_list(
            _find(ctx, params), start=params.get("ExclusiveStartTagKey"), limit=params.get("Limit")
        )
