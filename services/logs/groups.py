"""Log groups and log streams: create, find, describe, delete; tags, log group class, retention
and the KMS key a group's events are said to be encrypted under."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from functools import cache
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Sum

from playground.db import model_from_row, select_list, width
from playground.sandboxes.models import Sandbox
from services.kms.public import KmsError, sse

from . import events
from .exceptions import (
    InvalidParameterException,
    ResourceAlreadyExistsException,
    TooManyTagsException,
    group_not_found,
    stream_not_found,
    validation,
)
from .models import INFREQUENT_ACCESS, STANDARD, LogChunk, LogGroup, LogStream

RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
DAY_MS = 86_400_000
GROUP_NAME = re.compile(r"[\.\-_/#A-Za-z0-9]+")
STREAM_NAME = re.compile(r"[^:*]*")
MAX_TAGS = 50
CLASSES = (STANDARD, INFREQUENT_ACCESS, "DELIVERY")


def epoch_ms(now: dt.datetime) -> int:
    return int(now.timestamp() * 1000)


def check_group_name(name: str, *, path: str = "logGroupName") -> None:
    if not GROUP_NAME.fullmatch(name):
        raise validation(name, path, r"Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+")


def check_stream_name(name: str) -> None:
    if not STREAM_NAME.fullmatch(name):
        raise validation(name, "logStreamName", "Member must satisfy regular expression pattern: [^:*]*")


def _check_tags(tags: dict[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise TooManyTagsException(f"A resource can have no more than {MAX_TAGS} tags.")
    for key in tags:
        if key.startswith("aws:"):
            raise InvalidParameterException("Tag keys beginning with 'aws:' are reserved for AWS use.")


def _key_arn(*, sandbox: Sandbox, region: str, key_id: str, group_arn: str, now: dt.datetime) -> str:
    try:
        return str(sse.master_key(sandbox=sandbox, region=region, key_id=key_id, now=now).arn)
    except KmsError:
        raise InvalidParameterException(
            f"The specified KMS key does not exist or is not allowed to be used with Arn '{group_arn}'"
        ) from None


# --- groups ---------------------------------------------------------------------------------------


def group_create(
    *,
    sandbox: Sandbox,
    region: str,
    name: str,
    kms_key_id: str | None,
    tags: dict[str, str] | None,
    log_group_class: str | None,
    deletion_protection: bool,
    now: dt.datetime,
) -> LogGroup:
    check_group_name(name)
    if tags:
        _check_tags(tags)
    group = LogGroup(
        sandbox=sandbox,
        region=region,
        name=name,
        created=epoch_ms(now),
        tags=dict(tags or {}),
        log_group_class=log_group_class or STANDARD,
        deletion_protection=deletion_protection,
    )
    if kms_key_id:
        group.kms_key_id = _key_arn(sandbox=sandbox, region=region, key_id=kms_key_id, group_arn=group.arn, now=now)
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError:
        raise ResourceAlreadyExistsException("The specified log group already exists") from None
    events.group_created(sandbox, group=group, now=now)
    return group


def find_group(*, sandbox: Sandbox, region: str, name: str | None, lock: bool = False) -> LogGroup:
    rows = LogGroup.objects.select_for_update() if lock else LogGroup.objects
    group = rows.filter(sandbox=sandbox, region=region, name=name).first()
    if group is None:
        raise group_not_found()
    group.sandbox = sandbox  # the same row: spares a query for each use of group.sandbox
    return group


def find_group_by_identifier(*, sandbox: Sandbox, region: str, name: str | None, identifier: str | None) -> LogGroup:
    """A group named by logGroupName or logGroupIdentifier (its name or ARN); exactly one of them."""
    if name and identifier:
        raise InvalidParameterException("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    if identifier:
        if identifier.startswith("arn:"):
            identifier = identifier.removesuffix(":*").rpartition(":log-group:")[2]
        return find_group(sandbox=sandbox, region=region, name=identifier)
    if not name:
        raise InvalidParameterException("Should provide either name or ARN of the log group.")
    return find_group(sandbox=sandbox, region=region, name=name)


def group_by_arn(*, sandbox: Sandbox, arn: str) -> LogGroup | None:
    parts = arn.removesuffix(":*").split(":", 6)
    if len(parts) != 7 or parts[2] != "logs" or parts[5] != "log-group":
        return None
    return LogGroup.objects.filter(sandbox=sandbox, region=parts[3], name=parts[6]).first()


def group_delete(group: LogGroup, *, now: dt.datetime) -> None:
    if group.deletion_protection:
        raise InvalidParameterException(
            "Log group deletion is not allowed because deletion protection is enabled for this log group."
        )
    arn, name, sandbox = group.arn, group.name, group.sandbox
    LogChunk.objects.filter(group=group).delete()
    group.delete()
    events.group_deleted(sandbox, arn=arn, name=name, now=now)


def group_description(group: LogGroup, *, stored: int, filters: int, brief: bool = False) -> dict[str, Any]:
    described: dict[str, Any] = {
        "logGroupName": group.name,
        "creationTime": group.created,
        "arn": f"{group.arn}:*",
    }
    if brief:
        return described
    described.update(
        {
            "metricFilterCount": filters,
            "storedBytes": stored,
            "logGroupClass": group.log_group_class,
            "logGroupArn": group.arn,
            "deletionProtectionEnabled": group.deletion_protection,
        }
    )
    if group.retention_days is not None:
        described["retentionInDays"] = group.retention_days
    if group.kms_key_id:
        described["kmsKeyId"] = group.kms_key_id
    return described


def _token(value: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": value}).encode()).decode()


def _read_token(token: str) -> str:
    try:
        return str(json.loads(base64.urlsafe_b64decode(token.encode()))["after"])
    except (ValueError, KeyError, TypeError):
        raise InvalidParameterException("The specified nextToken is invalid.") from None


def groups_describe(
    *,
    sandbox: Sandbox,
    region: str,
    prefix: str | None,
    pattern: str | None,
    log_group_class: str | None,
    identifiers: list[str] | None,
    limit: int | None,
    next_token: str | None,
) -> dict[str, Any]:
    if prefix and pattern:
        raise InvalidParameterException(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
        )
    if identifiers and (prefix or pattern):
        raise InvalidParameterException(
            "logGroupIdentifiers and logGroupNamePrefix or logGroupNamePattern are mutually exclusive parameters."
        )
    rows = LogGroup.objects.filter(sandbox=sandbox, region=region).order_by("name")
    if prefix:
        rows = rows.filter(name__startswith=prefix)
    if log_group_class:
        rows = rows.filter(log_group_class=log_group_class)
    if identifiers:
        names = [
            item.removesuffix(":*").rpartition(":log-group:")[2] if item.startswith("arn:") else item
            for item in identifiers
        ]
        rows = rows.filter(name__in=names)
    if next_token:
        rows = rows.filter(name__gt=_read_token(next_token))
    # Pattern matching is case-sensitive: done here, not with the database's LIKE.
    chosen = [group for group in rows if not pattern or pattern in group.name]
    size = limit or 50
    page, more = chosen[:size], len(chosen) > size
    stored = dict(
        LogChunk.objects.filter(group__in=page)
        .values_list("group")
        .annotate(total=Sum("size"))
        .values_list("group", "total")
    )
    filter_counts = dict(
        LogGroup.objects.filter(pk__in=[group.pk for group in page])
        .annotate(count=Count("metric_filters"))
        .values_list("pk", "count")
    )
    output: dict[str, Any] = {
        "logGroups": [
            group_description(
                group, stored=stored.get(group.pk) or 0, filters=filter_counts.get(group.pk, 0), brief=bool(pattern)
            )
            for group in page
        ]
    }
    if more:
        output["nextToken"] = _token(page[-1].name)
    return output


def retention_put(group: LogGroup, *, days: int, now: dt.datetime) -> None:
    if days not in RETENTION_DAYS:
        allowed = ", ".join(str(value) for value in RETENTION_DAYS)
        raise validation(days, "retentionInDays", f"Member must satisfy enum value set: [{allowed}]")
    group.retention_days = days
    group.save(update_fields=["retention_days"])
    LogChunk.objects.filter(group=group).update(expires=F("first_timestamp") + days * DAY_MS)
    events.group_changed(group.sandbox, group=group, now=now)


def retention_delete(group: LogGroup, *, now: dt.datetime) -> None:
    group.retention_days = None
    group.save(update_fields=["retention_days"])
    LogChunk.objects.filter(group=group).update(expires=None)
    events.group_changed(group.sandbox, group=group, now=now)


def oldest_kept(group: LogGroup, *, now: dt.datetime) -> int | None:
    """The oldest timestamp still within the group's retention (None: kept forever)."""
    if group.retention_days is None:
        return None
    return epoch_ms(now) - group.retention_days * DAY_MS


def kms_associate(group: LogGroup, *, key_id: str, now: dt.datetime) -> None:
    group.kms_key_id = _key_arn(sandbox=group.sandbox, region=group.region, key_id=key_id, group_arn=group.arn, now=now)
    group.save(update_fields=["kms_key_id"])
    events.group_changed(group.sandbox, group=group, now=now)


def kms_disassociate(group: LogGroup, *, now: dt.datetime) -> None:
    group.kms_key_id = ""
    group.save(update_fields=["kms_key_id"])
    events.group_changed(group.sandbox, group=group, now=now)


def tags_add(group: LogGroup, *, tags: dict[str, str]) -> None:
    merged = {**group.tags, **tags}
    _check_tags(merged)
    group.tags = merged
    group.save(update_fields=["tags"])


def tags_remove(group: LogGroup, *, keys: list[str]) -> None:
    group.tags = {key: value for key, value in group.tags.items() if key not in keys}
    group.save(update_fields=["tags"])


# --- streams --------------------------------------------------------------------------------------


def stream_create(group: LogGroup, *, name: str, now: dt.datetime) -> LogStream:
    check_stream_name(name)
    try:
        with transaction.atomic():
            stream = LogStream.objects.create(sandbox=group.sandbox, group=group, name=name, created=epoch_ms(now))
    except IntegrityError:
        raise ResourceAlreadyExistsException("The specified log stream already exists") from None
    events.group_changed(group.sandbox, group=group, now=now)
    return stream


def find_stream(group: LogGroup, *, name: str, lock: bool = False) -> LogStream:
    rows = LogStream.objects.select_for_update() if lock else LogStream.objects
    stream = rows.filter(group=group, name=name).first()
    if stream is None:
        raise stream_not_found()
    stream.group = group  # the same row: spares a query for each use of stream.group
    return stream


def find_stream_in(*, sandbox: Sandbox, region: str, group_name: str, name: str, lock: bool = False) -> LogStream:
    """A group's stream (locked when asked; its group is not) in one query, with the errors of
    find_group then find_stream when it is not there."""
    stream = stream_with_group(sandbox=sandbox, region=region, group_name=group_name, name=name, lock=lock)
    if stream is None:
        find_group(sandbox=sandbox, region=region, name=group_name)
        raise stream_not_found()
    return stream


def stream_with_group(
    *, sandbox: Sandbox, region: str, group_name: str, name: str, lock: bool = False
) -> LogStream | None:
    """The stream with its group (and the group with `sandbox`, the same row), or None: one
    statement of our own (PutLogEvents, and every Lambda invocation's log lines, read it; the ORM's
    query building cost several times the query)."""
    with connection.cursor() as cursor:
        cursor.execute(_stream_sql(connection.vendor, lock and connection.features.has_select_for_update),
                       [sandbox.pk, region, group_name, name])  # fmt: skip
        row = cursor.fetchone()
    if row is None:
        return None
    split = width(LogStream)
    stream = model_from_row(LogStream, row[:split])
    group = model_from_row(LogGroup, row[split:])
    group.sandbox = sandbox
    stream.group = group
    return stream


@cache
def _stream_sql(vendor: str, lock: bool) -> str:
    quote = connection.ops.quote_name
    stream_table, group_table = quote(LogStream._meta.db_table), quote(LogGroup._meta.db_table)
    statement = (
        f"SELECT {select_list(LogStream, 's')}, {select_list(LogGroup, 'g')} FROM {stream_table} s "  # noqa: S608
        f"JOIN {group_table} g ON g.id = s.group_id WHERE g.sandbox_id = %s AND g.region = %s AND g.name = %s "
        "AND s.name = %s"
    )
    if lock:  # the stream's row only, as select_for_update(of=("self",)) would
        statement += " FOR UPDATE OF s" if connection.features.has_select_for_update_of else " FOR UPDATE"
    return statement


def stream_delete(stream: LogStream, *, now: dt.datetime) -> None:
    group = stream.group
    stream.delete()
    events.group_changed(group.sandbox, group=group, now=now)


def stream_arn(stream: LogStream) -> str:
    return f"{stream.group.arn}:log-stream:{stream.name}"


def stream_description(stream: LogStream, group: LogGroup) -> dict[str, Any]:
    described: dict[str, Any] = {
        "logStreamName": stream.name,
        "creationTime": stream.created,
        "arn": f"{group.arn}:log-stream:{stream.name}",
        "storedBytes": 0,
    }
    if stream.first_event is not None:
        described["firstEventTimestamp"] = stream.first_event
        described["lastEventTimestamp"] = stream.last_event
    if stream.last_ingestion is not None:
        described["lastIngestionTime"] = stream.last_ingestion
    described["uploadSequenceToken"] = sequence_token(stream)
    return described


def sequence_token(stream: LogStream) -> str:
    return f"{stream.uploads + 1:056d}"


def streams_describe(
    group: LogGroup,
    *,
    prefix: str | None,
    order_by: str | None,
    descending: bool,
    limit: int | None,
    next_token: str | None,
) -> dict[str, Any]:
    order_by = order_by or "LogStreamName"
    if order_by == "LastEventTime" and prefix:
        raise InvalidParameterException("Cannot order by LastEventTime with a logStreamNamePrefix.")
    rows = LogStream.objects.filter(group=group)
    if prefix:
        rows = rows.filter(name__startswith=prefix)
    listed = list(rows)
    if order_by == "LastEventTime":
        listed.sort(key=lambda stream: (stream.last_event or 0, stream.name), reverse=descending)
    else:
        listed.sort(key=lambda stream: stream.name, reverse=descending)
    start = 0
    if next_token:
        after = _read_token(next_token)
        names = [stream.name for stream in listed]
        if after not in names:
            raise InvalidParameterException("The specified nextToken is invalid.")
        start = names.index(after) + 1
    size = limit or 50
    page = listed[start : start + size]
    output: dict[str, Any] = {"logStreams": [stream_description(stream, group) for stream in page]}
    if start + size < len(listed):
        output["nextToken"] = _token(page[-1].name)
    return output


def stored_bytes(group: LogGroup) -> int:
    return int(LogChunk.objects.filter(group=group).aggregate(total=Sum("size"))["total"] or 0)


def check_class(value: str | None) -> None:
    if value and value not in CLASSES:
        raise validation(value, "logGroupClass", f"Member must satisfy enum value set: [{', '.join(CLASSES)}]")


def count_filters(group: LogGroup) -> int:
    return group.metric_filters.count()
