"""Streams: create, find (by name or ARN), describe, list, delete; retention, tags, capacity mode,
encryption, enhanced monitoring; the status each has on the sandbox clock.

CreateStream answers at once with the stream CREATING, and it turns ACTIVE CREATE_SECONDS later;
a reshard, a mode change or starting encryption make it UPDATING for UPDATE_SECONDS; DeleteStream
makes it DELETING for DELETE_SECONDS, then it is gone. A request computes the status from
`settles_at` (status_of); the tick stores it and publishes the change (tasks.py).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import F, Sum

from playground.db import find_one
from playground.sandboxes.models import Sandbox
from services.kinesis import events, sequences, shards
from services.kinesis.exceptions import (
    InvalidArgumentException,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
    ValidationException,
)
from services.kinesis.models import ACTIVE, CREATING, DELETING, ON_DEMAND, PROVISIONED, UPDATING, Record, Shard, Stream

CREATE_SECONDS = 10
UPDATE_SECONDS = 10
DELETE_SECONDS = 5
ON_DEMAND_SHARDS = 4  # an on-demand stream's first write capacity: 4 MiB/s
MIN_RETENTION_HOURS = 24
MAX_RETENTION_HOURS = 8760
MAX_TAGS = 50
ACCOUNT_SHARD_LIMIT = 500  # us-east-1, us-west-2 and eu-west-1; AWS allows 200 in the other regions
ON_DEMAND_STREAM_LIMIT = 50
MODE_CHANGES_PER_DAY = 2
NAME_PATTERN = re.compile(r"[a-zA-Z0-9_.-]+")
ARN_PATTERN = re.compile(r"arn:aws[^:]*:kinesis:([^:]*):(\d{12}):stream/(\S+)")
SHARD_LEVEL_METRICS = [
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
]


# --- status ------------------------------------------------------------------------------------


def status_of(stream: Stream, *, now: dt.datetime) -> str:
    if stream.settles_at is not None and stream.settles_at <= now and stream.status in (CREATING, UPDATING):
        return ACTIVE
    return stream.status


def is_gone(stream: Stream, *, now: dt.datetime) -> bool:
    return stream.status == DELETING and stream.settles_at is not None and stream.settles_at <= now


def settle_due(sandbox: Sandbox, now: dt.datetime) -> None:
    """The tick: CREATING and UPDATING streams whose time came turn ACTIVE; DELETING ones go."""
    for stream in Stream.objects.filter(sandbox=sandbox, settles_at__lte=now):
        # The update is the claim: a stream another worker settled meanwhile no longer matches.
        if stream.status == DELETING:
            if Stream.objects.filter(pk=stream.pk, settles_at__lte=now).delete()[0]:
                events.stream_deleted(sandbox, stream=stream, now=now)
            continue
        if Stream.objects.filter(pk=stream.pk, settles_at__lte=now).update(status=ACTIVE, settles_at=None):
            stream.status, stream.settles_at = ACTIVE, None
            events.stream_changed(sandbox, stream=stream, now=now)


def _set_status(stream: Stream, status: str, seconds: int, *, now: dt.datetime) -> None:
    stream.status = status
    stream.settles_at = now + dt.timedelta(seconds=seconds)
    stream.save(update_fields=["status", "settles_at"])


# --- finding -----------------------------------------------------------------------------------


def not_found(name: str, account: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Stream {name} under account {account} not found.")


def check_name(name: str) -> None:
    if not NAME_PATTERN.fullmatch(name):
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at 'streamName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )


def find(
    *, sandbox: Sandbox, region: str, name: str | None, arn: str | None, now: dt.datetime, lock: bool = False
) -> Stream:
    """The stream a request names by StreamName or StreamARN (not one being deleted past its time)."""
    if arn:
        match = ARN_PATTERN.fullmatch(arn)
        if match is None:
            raise ValidationException(
                f"1 validation error detected: Value '{arn}' at 'streamARN' failed to satisfy constraint: "
                r"Member must satisfy regular expression pattern: arn:aws.*:kinesis:.*:\d{12}:stream/\S+"
            )
        arn_region, account, arn_name = match.groups()
        if name and name != arn_name:
            raise InvalidArgumentException("StreamARN and StreamName do not name the same stream.")
        if account != sandbox.account_id or arn_region != region:
            raise not_found(arn_name, account)
        name = arn_name
    if not name:
        raise InvalidArgumentException("Either StreamName or StreamARN must be provided.")
    check_name(name)
    stream = find_one(Stream, lock=lock, sandbox=sandbox, region=region, name=name)  # every data call looks it up
    if stream is None or is_gone(stream, now=now):
        raise not_found(name, sandbox.account_id)
    stream.sandbox = sandbox  # the ARN, messages and events name the account: no second query for it
    return stream


def find_active(*, sandbox: Sandbox, region: str, name: str | None, arn: str | None, now: dt.datetime) -> Stream:
    """A stream that takes a control-plane change: ACTIVE, else ResourceInUseException."""
    stream = find(sandbox=sandbox, region=region, name=name, arn=arn, now=now, lock=True)
    status = status_of(stream, now=now)
    if status != ACTIVE:
        raise not_active(stream, status)
    return stream


def not_active(stream: Stream, status: str) -> ResourceInUseException:
    return ResourceInUseException(
        f"Stream {stream.name} under account {stream.sandbox.account_id} not ACTIVE, instead in state {status}"
    )


def find_writable(*, sandbox: Sandbox, region: str, name: str | None, arn: str | None, now: dt.datetime) -> Stream:
    """A stream records can be put to or read from: ACTIVE or UPDATING (AWS: not while CREATING or DELETING)."""
    stream = find(sandbox=sandbox, region=region, name=name, arn=arn, now=now)
    if status_of(stream, now=now) not in (ACTIVE, UPDATING):
        raise not_found(stream.name, sandbox.account_id)
    return stream


def by_arn(*, sandbox: Sandbox, arn: str) -> Stream | None:
    match = ARN_PATTERN.fullmatch(arn)
    if match is None or match[2] != sandbox.account_id:
        return None
    return Stream.objects.filter(sandbox=sandbox, region=match[1], name=match[3]).first()


# --- limits ------------------------------------------------------------------------------------


def account_open_shards(*, sandbox: Sandbox, region: str) -> int:
    return Shard.objects.filter(sandbox=sandbox, stream__region=region, closed_at__isnull=True).count()


def check_account_shards(*, sandbox: Sandbox, region: str, added: int) -> None:
    current = account_open_shards(sandbox=sandbox, region=region)
    if current + added > ACCOUNT_SHARD_LIMIT:
        raise LimitExceededException(
            f"This request would exceed the shard limit for the account {sandbox.account_id} in {region}. "
            f"Current shard count for the account: {current}. Limit: {ACCOUNT_SHARD_LIMIT}. Number of additional "
            f"shards that would have resulted from this request: {added}. Refer to the AWS Service Limits page "
            "(https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to "
            "request higher limits."
        )


def limits(*, sandbox: Sandbox, region: str) -> dict[str, int]:
    on_demand = Stream.objects.filter(sandbox=sandbox, region=region, mode=ON_DEMAND).count()
    return {
        "ShardLimit": ACCOUNT_SHARD_LIMIT,
        "OpenShardCount": account_open_shards(sandbox=sandbox, region=region),
        "OnDemandStreamCount": on_demand,
        "OnDemandStreamCountLimit": ON_DEMAND_STREAM_LIMIT,
    }


# --- create, describe, list, delete ------------------------------------------------------------


def stream_create(
    *,
    sandbox: Sandbox,
    region: str,
    name: str,
    shard_count: int | None,
    mode: str | None,
    tags: dict[str, str] | None,
    now: dt.datetime,
) -> Stream:
    check_name(name)
    mode = mode or PROVISIONED
    if mode == PROVISIONED and shard_count is None:
        raise InvalidArgumentException("ShardCount must be provided for a stream in PROVISIONED mode.")
    if mode == ON_DEMAND and shard_count is not None:
        raise InvalidArgumentException("ShardCount must not be provided for a stream in ON_DEMAND mode.")
    if tags and len(tags) > MAX_TAGS:
        raise InvalidArgumentException(f"A stream cannot have more than {MAX_TAGS} tags.")
    existing = Stream.objects.filter(sandbox=sandbox, region=region, name=name).first()
    if existing is not None:
        if not is_gone(existing, now=now):
            raise ResourceInUseException(f"Stream {name} under account {sandbox.account_id} already exists.")
        existing.delete()
    count = shard_count if mode == PROVISIONED else ON_DEMAND_SHARDS
    if mode == ON_DEMAND and Stream.objects.filter(sandbox=sandbox, region=region, mode=ON_DEMAND).count() >= (
        ON_DEMAND_STREAM_LIMIT
    ):
        raise LimitExceededException(
            f"This request would exceed the on-demand stream limit of {ON_DEMAND_STREAM_LIMIT} for the account "
            f"{sandbox.account_id} in {region}."
        )
    assert count is not None
    check_account_shards(sandbox=sandbox, region=region, added=count)
    stream = Stream.objects.create(
        sandbox=sandbox, region=region, name=name, mode=mode, status=CREATING,
        settles_at=now + dt.timedelta(seconds=CREATE_SECONDS), created_at=now, tags=dict(tags or {}),
    )  # fmt: skip
    shards.add_shards(stream, sequences.uniform_ranges(count), parents=[[] for _ in range(count)], now=now)
    events.stream_created(sandbox, stream=stream, now=now)
    return stream


def _mode(stream: Stream) -> dict[str, str]:
    return {"StreamMode": stream.mode}


def _monitoring(stream: Stream) -> list[dict[str, list[str]]]:
    return [{"ShardLevelMetrics": list(stream.shard_level_metrics)}]


def _encryption(stream: Stream) -> dict[str, str]:
    output = {"EncryptionType": stream.encryption_type}
    if stream.key_id:
        output["KeyId"] = stream.key_id
    return output


def description(
    stream: Stream, *, limit: int | None, exclusive_start_shard_id: str | None, now: dt.datetime
) -> dict[str, Any]:
    listed = shards.live_shards(stream, now=now)
    if exclusive_start_shard_id:
        after = exclusive_start_shard_id
        listed = [shard for shard in listed if shard.shard_id > after]
    page = listed[: limit or 100]
    return {
        "StreamName": stream.name,
        "StreamARN": stream.arn,
        "StreamStatus": status_of(stream, now=now),
        "StreamModeDetails": _mode(stream),
        "Shards": [shards.shard_output(shard) for shard in page],
        "HasMoreShards": len(listed) > len(page),
        "RetentionPeriodHours": stream.retention_hours,
        "StreamCreationTimestamp": stream.created_at,
        "EnhancedMonitoring": _monitoring(stream),
        **_encryption(stream),
    }


def summary(stream: Stream, *, now: dt.datetime) -> dict[str, Any]:
    return {
        "StreamName": stream.name,
        "StreamARN": stream.arn,
        "StreamStatus": status_of(stream, now=now),
        "StreamModeDetails": _mode(stream),
        "RetentionPeriodHours": stream.retention_hours,
        "StreamCreationTimestamp": stream.created_at,
        "EnhancedMonitoring": _monitoring(stream),
        "OpenShardCount": stream.shards.filter(closed_at__isnull=True).count(),
        "ConsumerCount": sum(1 for consumer in stream.consumers.all() if not _consumer_gone(consumer, now)),
        **_encryption(stream),
    }


def stream_list(
    *, sandbox: Sandbox, region: str, limit: int | None, exclusive_start: str | None, next_token: str | None,
    now: dt.datetime,
) -> dict[str, Any]:  # fmt: skip
    if next_token is not None and exclusive_start is not None:
        raise InvalidArgumentException("NextToken and ExclusiveStartStreamName cannot be provided together.")
    after = exclusive_start or (_read_token(next_token) if next_token else None)
    rows = Stream.objects.filter(sandbox=sandbox, region=region).order_by("name")
    streams = [stream for stream in rows if not is_gone(stream, now=now) and (after is None or stream.name > after)]
    page = streams[: limit or 100]
    output: dict[str, Any] = {
        "StreamNames": [stream.name for stream in page],
        "HasMoreStreams": len(streams) > len(page),
        "StreamSummaries": [
            {
                "StreamName": stream.name,
                "StreamARN": stream.arn,
                "StreamStatus": status_of(stream, now=now),
                "StreamModeDetails": _mode(stream),
                "StreamCreationTimestamp": stream.created_at,
            }
            for stream in page
        ],
    }
    if output["HasMoreStreams"] and page:
        output["NextToken"] = _token(page[-1].name)
    return output


def _token(name: str) -> str:
    import base64

    return base64.urlsafe_b64encode(f"after:{name}".encode()).decode()


def _read_token(token: str) -> str:
    import base64
    import binascii

    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith("after:"):
        raise InvalidArgumentException(f"Invalid NextToken {token}.")
    return text[len("after:") :]


def _consumer_gone(consumer: Any, now: dt.datetime) -> bool:
    return bool(consumer.deleting and consumer.settles_at is not None and consumer.settles_at <= now)


def stream_delete(stream: Stream, *, enforce_consumer_deletion: bool, now: dt.datetime) -> None:
    status = status_of(stream, now=now)
    if status == CREATING:
        raise not_active(stream, status)
    registered = [consumer for consumer in stream.consumers.all() if not _consumer_gone(consumer, now)]
    if registered and not enforce_consumer_deletion:
        raise ResourceInUseException(
            f"Stream {stream.name} under account {stream.sandbox.account_id} has registered consumers; "
            "deregister them first or set EnforceConsumerDeletion."
        )
    if status == DELETING:
        return
    _set_status(stream, DELETING, DELETE_SECONDS, now=now)
    events.stream_changed(stream.sandbox, stream=stream, now=now)


# --- retention ---------------------------------------------------------------------------------


def retention_change(stream: Stream, *, hours: int, increase: bool, now: dt.datetime) -> None:
    current = stream.retention_hours
    name = stream.name
    if hours < MIN_RETENTION_HOURS:
        raise InvalidArgumentException(
            f"Minimum allowed retention period is {MIN_RETENTION_HOURS} hours. "
            f"Requested retention period ({hours} hours) is too short."
        )
    if hours > MAX_RETENTION_HOURS:
        raise InvalidArgumentException(
            f"Maximum allowed retention period is {MAX_RETENTION_HOURS} hours. "
            f"Requested retention period ({hours} hours) is too long."
        )
    if increase and hours < current:
        raise InvalidArgumentException(
            f"Requested retention period ({hours} hours) for stream {name} can not be shorter than existing "
            f"retention period ({current} hours). Use DecreaseRetentionPeriod API."
        )
    if not increase and hours > current:
        raise InvalidArgumentException(
            f"Requested retention period ({hours} hours) for stream {name} can not be longer than existing "
            f"retention period ({current} hours). Use IncreaseRetentionPeriod API."
        )
    stream.retention_hours = hours
    stream.save(update_fields=["retention_hours"])
    window = dt.timedelta(hours=hours)
    Record.objects.filter(shard__stream=stream).update(expires_at=F("arrived_at") + window)
    Shard.objects.filter(stream=stream, closed_at__isnull=False).update(expires_at=F("closed_at") + window)
    events.stream_changed(stream.sandbox, stream=stream, now=now)


# --- tags --------------------------------------------------------------------------------------


def tags_add(stream: Stream, *, tags: dict[str, str], now: dt.datetime) -> None:
    merged = {**stream.tags, **tags}
    if len(merged) > MAX_TAGS:
        raise InvalidArgumentException(
            f"Failed to add tags to stream {stream.name} under account {stream.sandbox.account_id} because a given "
            f"stream cannot have more than {MAX_TAGS} tags."
        )
    stream.tags = merged
    stream.save(update_fields=["tags"])


def tags_remove(stream: Stream, *, keys: list[str]) -> None:
    stream.tags = {key: value for key, value in stream.tags.items() if key not in keys}
    stream.save(update_fields=["tags"])


def tags_list(stream: Stream, *, exclusive_start: str | None, limit: int | None) -> dict[str, Any]:
    keys = sorted(key for key in stream.tags if exclusive_start is None or key > exclusive_start)
    page = keys[: limit or 50]
    return {"Tags": [{"Key": key, "Value": stream.tags[key]} for key in page], "HasMoreTags": len(keys) > len(page)}


# --- mode, encryption, monitoring --------------------------------------------------------------


def mode_update(stream: Stream, *, mode: str, now: dt.datetime) -> None:
    if mode == stream.mode:
        raise InvalidArgumentException(f"Stream {stream.name} is already in {mode} mode.")
    day_ago = now - dt.timedelta(hours=24)
    if stream.mode_changed_at is not None and stream.mode_changed_at > day_ago:
        raise LimitExceededException(
            f"Stream {stream.name} under account {stream.sandbox.account_id} can switch capacity mode only "
            f"{MODE_CHANGES_PER_DAY} times in 24 hours."
        )
    stream.mode = mode
    stream.mode_changed_at = now
    stream.save(update_fields=["mode", "mode_changed_at"])
    _set_status(stream, UPDATING, UPDATE_SECONDS, now=now)
    events.stream_changed(stream.sandbox, stream=stream, now=now)


def encryption_start(stream: Stream, *, key_arn: str, key_id: str, now: dt.datetime) -> None:
    stream.encryption_type = "KMS"
    stream.key_id = key_id
    stream.save(update_fields=["encryption_type", "key_id"])
    _set_status(stream, UPDATING, UPDATE_SECONDS, now=now)
    events.stream_changed(stream.sandbox, stream=stream, now=now)


def encryption_stop(stream: Stream, *, now: dt.datetime) -> None:
    stream.encryption_type = "NONE"
    stream.key_id = ""
    stream.save(update_fields=["encryption_type", "key_id"])
    _set_status(stream, UPDATING, UPDATE_SECONDS, now=now)
    events.stream_changed(stream.sandbox, stream=stream, now=now)


def monitoring_change(stream: Stream, *, metrics: list[str], enable: bool) -> dict[str, Any]:
    wanted = SHARD_LEVEL_METRICS if "ALL" in metrics else metrics
    before = list(stream.shard_level_metrics)
    after = sorted(set(before) | set(wanted)) if enable else [name for name in before if name not in wanted]
    stream.shard_level_metrics = after
    stream.save(update_fields=["shard_level_metrics"])
    return {
        "StreamName": stream.name,
        "StreamARN": stream.arn,
        "CurrentShardLevelMetrics": before,
        "DesiredShardLevelMetrics": after,
    }


def reshard_started(stream: Stream, *, now: dt.datetime) -> None:
    _set_status(stream, UPDATING, UPDATE_SECONDS, now=now)
    events.stream_changed(stream.sandbox, stream=stream, now=now)


def stored_bytes(stream: Stream, *, now: dt.datetime) -> int:
    total = Record.objects.filter(shard__stream=stream, expires_at__gt=now).aggregate(total=Sum("size"))["total"]
    return int(total or 0)
