"""What other services may use of Firehose (docs/services.md: services meet through public doors).

records_put(sandbox=, region=, delivery_stream=, records=[bytes, ...], now=)
    put records into a delivery stream as PutRecordBatch does (CloudWatch Logs subscriptions,
    EventBridge targets, SNS subscriptions): the stream must exist, be ACTIVE and DirectPut;
    answers the record ids, None for a record refused because the stream's destination is
    failing and its backlog is full (PutRecordBatch's ServiceUnavailableException: retry it).
    Raises ResourceNotFoundException, InvalidArgumentException (a record over 1,000 KiB) or
    InvalidKMSResourceException, as the API does.
stream_exists(sandbox=, arn=)   whether the ARN names a delivery stream of the sandbox
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from playground.sandboxes.models import Sandbox
from services.firehose import buffering, streams
from services.firehose.exceptions import (
    FirehoseError,
    InvalidArgumentException,
    InvalidKMSResourceException,
    ResourceNotFoundException,
)

__all__ = [
    "FirehoseError",
    "InvalidArgumentException",
    "InvalidKMSResourceException",
    "ResourceNotFoundException",
    "records_put",
    "stream_exists",
]


def records_put(
    *, sandbox: Sandbox, region: str, delivery_stream: str, records: list[bytes], now: dt.datetime
) -> list[str | None]:
    """`delivery_stream` is a name or an ARN. Larger lists are put in batches of 500 / 4 MiB."""
    name = delivery_stream.rpartition("deliverystream/")[2] if delivery_stream.startswith("arn:") else delivery_stream
    stream = streams.find_writable(sandbox=sandbox, region=region, name=name, now=now)
    for data in records:
        if len(data) > buffering.MAX_RECORD_BYTES:
            raise InvalidArgumentException(
                f"Record size {len(data)} exceeds the limit of {buffering.MAX_RECORD_BYTES} bytes."
            )
    ids: list[str | None] = []
    with transaction.atomic():  # the caller's, when it has one
        for batch in _batches(records):
            stream.refresh_from_db()
            ids.extend(buffering.put(stream, records=batch, now=now).record_ids)
    return ids


def _batches(records: list[bytes]) -> list[list[bytes]]:
    batches: list[list[bytes]] = [[]]
    size = 0
    for data in records:
        if len(batches[-1]) == buffering.MAX_BATCH_RECORDS or size + len(data) > buffering.MAX_BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(data)
        size += len(data)
    return [batch for batch in batches if batch]


def stream_exists(*, sandbox: Sandbox, arn: str) -> bool:
    stream = streams.by_arn(sandbox=sandbox, arn=arn)
    return stream is not None
