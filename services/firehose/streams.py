"""Delivery streams: create, find, describe, list, delete, update the destination (with the
version id AWS checks), tags and server-side encryption; the status each has on the sandbox clock.

CreateDeliveryStream answers at once with the stream CREATING; it turns ACTIVE CREATE_SECONDS
later. DeleteDeliveryStream makes it DELETING for DELETE_SECONDS, then it is gone with whatever
its buffer held. A request computes the status from `settles_at` (status_of); the tick stores it
and publishes the change (tasks.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.db import find_one
from playground.sandboxes.models import Sandbox
from services.firehose import destinations, events
from services.firehose.exceptions import (
    ConcurrentModificationException,
    InvalidArgumentException,
    InvalidKMSResourceException,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from services.firehose.models import ACTIVE, CREATING, DELETING, DIRECT_PUT, KINESIS_SOURCE, DeliveryStream
from services.kms.public import KmsError, sse

CREATE_SECONDS = 5
DELETE_SECONDS = 5
MAX_TAGS = 50
DEFAULT_LIST_LIMIT = 10
DEFAULT_TAG_LIMIT = 50


# --- status ---------------------------------------------------------------------------------------


def status_of(stream: DeliveryStream, *, now: dt.datetime) -> str:
    if stream.status == CREATING and stream.settles_at is not None and stream.settles_at <= now:
        return ACTIVE
    return stream.status


def is_gone(stream: DeliveryStream, *, now: dt.datetime) -> bool:
    return stream.status == DELETING and stream.settles_at is not None and stream.settles_at <= now


def settle_due(sandbox: Sandbox, now: dt.datetime) -> None:
    """The tick: CREATING streams whose time came turn ACTIVE; DELETING ones go."""
    for stream in DeliveryStream.objects.filter(sandbox=sandbox, settles_at__lte=now):
        if stream.status == DELETING:
            if DeliveryStream.objects.filter(pk=stream.pk, settles_at__lte=now).delete()[0]:
                events.stream_event(sandbox, "deleted", stream=stream, now=now)
            continue
        if DeliveryStream.objects.filter(pk=stream.pk, settles_at__lte=now).update(status=ACTIVE, settles_at=None):
            stream.status, stream.settles_at = ACTIVE, None
            events.stream_event(sandbox, "changed", stream=stream, now=now)


# --- finding --------------------------------------------------------------------------------------


def not_found(name: str, account: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Firehose {name} under account {account} not found.")


def find(*, sandbox: Sandbox, region: str, name: str, now: dt.datetime, lock: bool = False) -> DeliveryStream:
    stream = find_one(DeliveryStream, lock=lock, sandbox=sandbox, region=region, name=name)  # every put looks it up
    if stream is None or is_gone(stream, now=now):
        raise not_found(name, sandbox.account_id)
    stream.sandbox = sandbox  # the caller's: no query when events and deliveries name it
    return stream


def find_active(*, sandbox: Sandbox, region: str, name: str, now: dt.datetime) -> DeliveryStream:
    stream = find(sandbox=sandbox, region=region, name=name, now=now, lock=True)
    status = status_of(stream, now=now)
    if status != ACTIVE:
        raise ResourceInUseException(
            f"Firehose {name} under account {sandbox.account_id} is not in ACTIVE state; it is in {status} state."
        )
    return stream


def find_writable(*, sandbox: Sandbox, region: str, name: str, now: dt.datetime, lock: bool = False) -> DeliveryStream:
    """A stream records can be put to: ACTIVE and DirectPut (a Kinesis-sourced one reads its stream)."""
    stream = find(sandbox=sandbox, region=region, name=name, now=now, lock=lock)
    if status_of(stream, now=now) != ACTIVE:
        raise not_found(name, sandbox.account_id)
    if stream.stream_type != DIRECT_PUT:
        raise InvalidArgumentException(
            f"This operation is not permitted on KinesisStreamAsSource type delivery stream {stream.arn}."
        )
    return stream


def by_arn(*, sandbox: Sandbox, arn: str) -> DeliveryStream | None:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "firehose" or parts[4] != sandbox.account_id:
        return None
    return DeliveryStream.objects.filter(
        sandbox=sandbox, region=parts[3], name=parts[5].removeprefix("deliverystream/")
    ).first()


# --- encryption -----------------------------------------------------------------------------------


def _encryption(
    *, sandbox: Sandbox, region: str, config: dict[str, Any] | None, now: dt.datetime
) -> dict[str, Any] | None:
    """The encryption description for DeliveryStreamEncryptionConfigurationInput, its key checked."""
    if config is None:
        return None
    key_type = config["KeyType"]
    key_arn = config.get("KeyARN")
    if key_type == "AWS_OWNED_CMK":
        if key_arn:
            raise InvalidArgumentException("KeyARN must not be specified when KeyType is AWS_OWNED_CMK.")
        return {"KeyType": key_type, "Status": "ENABLED"}
    if not key_arn:
        raise InvalidArgumentException("KeyARN must be specified when KeyType is CUSTOMER_MANAGED_CMK.")
    try:
        key = sse.master_key(sandbox=sandbox, region=region, key_id=key_arn, now=now)
    except KmsError as problem:
        raise InvalidKMSResourceException(problem.message, fields={"code": problem.code}) from None
    return {"KeyType": key_type, "KeyARN": str(key.arn), "Status": "ENABLED"}


def check_key(stream: DeliveryStream, *, now: dt.datetime) -> None:
    """A customer managed key must still be usable for records to be put (InvalidKMSResourceException)."""
    encryption = stream.encryption or {}
    if encryption.get("KeyType") == "CUSTOMER_MANAGED_CMK" and encryption.get("Status") == "ENABLED":
        _encryption(sandbox=stream.sandbox, region=stream.region, config=encryption, now=now)


def encryption_start(stream: DeliveryStream, *, config: dict[str, Any] | None, now: dt.datetime) -> None:
    if stream.stream_type != DIRECT_PUT:
        raise InvalidArgumentException(
            "Server-side encryption can only be enabled for DirectPut delivery streams; "
            f"{stream.name} reads a Kinesis stream."
        )
    stream.encryption = _encryption(
        sandbox=stream.sandbox, region=stream.region, config=config or {"KeyType": "AWS_OWNED_CMK"}, now=now
    )
    stream.updated_at = now
    stream.save(update_fields=["encryption", "updated_at"])
    events.stream_event(stream.sandbox, "changed", stream=stream, now=now)


def encryption_stop(stream: DeliveryStream, *, now: dt.datetime) -> None:
    if stream.encryption and stream.encryption.get("Status") == "ENABLED":
        stream.encryption = {**stream.encryption, "Status": "DISABLED"}
        stream.updated_at = now
        stream.save(update_fields=["encryption", "updated_at"])
        events.stream_event(stream.sandbox, "changed", stream=stream, now=now)


def encryption_description(stream: DeliveryStream) -> dict[str, Any]:
    if not stream.encryption:
        return {"Status": "DISABLED"}
    shown = {"KeyType": stream.encryption["KeyType"], "Status": stream.encryption["Status"]}
    if stream.encryption.get("KeyARN"):
        shown["KeyARN"] = stream.encryption["KeyARN"]
    return shown


# --- create, describe, list, delete, update -------------------------------------------------------


def _check_tags(tags: list[dict[str, str]]) -> None:
    keys = [tag["Key"] for tag in tags]
    if len(set(keys)) != len(keys):
        raise InvalidArgumentException("Tag keys must be unique.")


def stream_create(*, sandbox: Sandbox, region: str, params: dict[str, Any], now: dt.datetime) -> DeliveryStream:
    name = params["DeliveryStreamName"]
    stream_type = params.get("DeliveryStreamType", DIRECT_PUT)
    if stream_type not in (DIRECT_PUT, KINESIS_SOURCE):
        raise InvalidArgumentException(f"DeliveryStreamType {stream_type} is not supported.")
    source: dict[str, Any] = {}
    if stream_type == KINESIS_SOURCE:
        if "KinesisStreamSourceConfiguration" not in params:
            raise InvalidArgumentException(
                "KinesisStreamSourceConfiguration must be provided when DeliveryStreamType is KinesisStreamAsSource."
            )
        if "DeliveryStreamEncryptionConfigurationInput" in params:
            raise InvalidArgumentException(
                "DeliveryStreamEncryptionConfigurationInput is not supported for KinesisStreamAsSource "
                "delivery streams."
            )
        given = params["KinesisStreamSourceConfiguration"]
        source = {
            "KinesisStreamSourceDescription": {
                "KinesisStreamARN": given["KinesisStreamARN"],
                "RoleARN": given["RoleARN"],
            }
        }
    elif "KinesisStreamSourceConfiguration" in params:
        raise InvalidArgumentException(
            "KinesisStreamSourceConfiguration can only be provided when DeliveryStreamType is KinesisStreamAsSource."
        )
    tags = params.get("Tags") or []
    _check_tags(tags)
    if len(tags) > MAX_TAGS:
        raise InvalidArgumentException(f"A delivery stream can have at most {MAX_TAGS} tags.")
    kind, destination, access_key = destinations.from_create(params)
    if DeliveryStream.objects.filter(sandbox=sandbox, region=region, name=name).exists():
        raise ResourceInUseException(f"Firehose {name} under account {sandbox.account_id} already exists.")
    encryption = _encryption(
        sandbox=sandbox, region=region, config=params.get("DeliveryStreamEncryptionConfigurationInput"), now=now
    )
    stream = DeliveryStream.objects.create(
        sandbox=sandbox, region=region, name=name, stream_type=stream_type, status=CREATING,
        settles_at=now + dt.timedelta(seconds=CREATE_SECONDS), created_at=now, updated_at=now,
        destination_kind=kind, destination=destination, access_key=access_key, source=source,
        encryption=encryption, tags={tag["Key"]: tag.get("Value", "") for tag in tags},
        poll_at=now + dt.timedelta(seconds=CREATE_SECONDS) if stream_type == KINESIS_SOURCE else None,
    )  # fmt: skip
    events.stream_event(sandbox, "created", stream=stream, now=now)
    return stream


def description(stream: DeliveryStream, *, now: dt.datetime) -> dict[str, Any]:
    described: dict[str, Any] = {
        "DeliveryStreamName": stream.name,
        "DeliveryStreamARN": stream.arn,
        "DeliveryStreamStatus": status_of(stream, now=now),
        "DeliveryStreamType": stream.stream_type,
        "VersionId": str(stream.version_id),
        "CreateTimestamp": stream.created_at,
        "Destinations": [destinations.description(stream.destination_kind, stream.destination)],
        "HasMoreDestinations": False,
    }
    if stream.stream_type == DIRECT_PUT:
        described["DeliveryStreamEncryptionConfiguration"] = encryption_description(stream)
    else:
        source = dict(stream.source["KinesisStreamSourceDescription"])
        source["DeliveryStartTimestamp"] = stream.created_at
        described["Source"] = {"KinesisStreamSourceDescription": source}
    if stream.version_id > 1 or stream.updated_at != stream.created_at:
        described["LastUpdateTimestamp"] = stream.updated_at
    return described


def stream_list(
    *, sandbox: Sandbox, region: str, limit: int | None, stream_type: str | None, start: str | None, now: dt.datetime
) -> dict[str, Any]:
    rows = DeliveryStream.objects.filter(sandbox=sandbox, region=region).order_by("name")
    if stream_type:
        rows = rows.filter(stream_type=stream_type)
    if start:
        rows = rows.filter(name__gt=start)
    names = [stream.name for stream in rows if not is_gone(stream, now=now)]
    limit = limit or DEFAULT_LIST_LIMIT
    return {"DeliveryStreamNames": names[:limit], "HasMoreDeliveryStreams": len(names) > limit}


def stream_delete(stream: DeliveryStream, *, force: bool, now: dt.datetime) -> None:
    status = status_of(stream, now=now)
    if status == CREATING:
        raise ResourceInUseException(
            f"Firehose {stream.name} under account {stream.sandbox.account_id} is in CREATING state "
            "and cannot be deleted."
        )
    if status == DELETING:
        return
    stream.status = DELETING
    stream.settles_at = now + dt.timedelta(seconds=DELETE_SECONDS)
    stream.flush_at = stream.poll_at = None
    stream.save(update_fields=["status", "settles_at", "flush_at", "poll_at"])
    stream.buffered.all().delete()
    stream.http_batches.all().delete()
    events.stream_event(stream.sandbox, "changed", stream=stream, now=now)


def destination_update(stream: DeliveryStream, *, params: dict[str, Any], now: dt.datetime) -> None:
    current = params["CurrentDeliveryStreamVersionId"]
    if current != str(stream.version_id):
        raise ConcurrentModificationException(
            f"Cannot update firehose: {stream.name} since the current version id: {stream.version_id} and "
            f"specified version id: {current} do not match"
        )
    if params["DestinationId"] != destinations.DESTINATION_ID:
        raise InvalidArgumentException(f"Destination Id {params['DestinationId']} not found.")
    stream.destination, stream.access_key = destinations.updated(
        stream.destination_kind, stream.destination, stream.access_key, params
    )
    stream.version_id += 1
    stream.updated_at = now
    stream.save(update_fields=["destination", "access_key", "version_id", "updated_at"])
    # New buffering hints apply to the buffer being filled: its interval restarts from its oldest record.
    from services.firehose import buffering

    buffering.reschedule(stream, now=now)
    events.stream_event(stream.sandbox, "changed", stream=stream, now=now)


# --- tags -----------------------------------------------------------------------------------------


def tags_add(stream: DeliveryStream, *, tags: list[dict[str, str]], now: dt.datetime) -> None:
    _check_tags(tags)
    merged = {**stream.tags, **{tag["Key"]: tag.get("Value", "") for tag in tags}}
    if len(merged) > MAX_TAGS:
        raise LimitExceededException(
            f"Firehose {stream.name} under account {stream.sandbox.account_id} would have more than {MAX_TAGS} tags."
        )
    stream.tags = merged
    stream.save(update_fields=["tags"])


def tags_remove(stream: DeliveryStream, *, keys: list[str], now: dt.datetime) -> None:
    stream.tags = {key: value for key, value in stream.tags.items() if key not in keys}
    stream.save(update_fields=["tags"])


def tags_list(stream: DeliveryStream, *, start: str | None, limit: int | None) -> dict[str, Any]:
    keys = sorted(stream.tags)
    if start:
        keys = [key for key in keys if key > start]
    limit = limit or DEFAULT_TAG_LIMIT
    return {
        "Tags": [{"Key": key, "Value": stream.tags[key]} for key in keys[:limit]],
        "HasMoreTags": len(keys) > limit,
    }
