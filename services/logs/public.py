"""What other services may use of CloudWatch Logs (docs/services.md: services meet through public
doors).

events_write    write log events to a group's stream as an AWS service writes them (Lambda's
                function output to /aws/lambda/NAME, CloudTrail, VPC Flow Logs): the group and
                the stream are created when missing, as the writing service's role would create
                them, and the events go through PutLogEvents' own path (limits, rejection,
                metric filters, subscription filters, live events); `writer_arn` names the
                resource that writes (a Lambda function, the VPC, subnet or instance a flow log
                watches; trails draw delivery edges of their own): the diagram draws its edge
                to the group and animates the write along it
writer_add      name a writer of an existing group before it writes (a flow log created): its
                edge is drawn from then on (nothing when the group does not exist yet)
writer_remove   forget a writer of a group (a flow log deleted): its edge is no longer drawn
group_exists    whether a log group exists (CloudTrail and Flow Logs check their destination)
LogsError       the base of Logs' errors, which a caller maps to its own
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from django.db import IntegrityError, connection, transaction

from playground.sandboxes.models import Sandbox

from . import groups, ingest
from .exceptions import LogsError, group_not_found, stream_not_found
from .models import GroupWriter, LogGroup, LogStream

__all__ = ["LogsError", "events_write", "group_exists", "writer_add", "writer_remove"]


def group_exists(*, sandbox: Sandbox, region: str, group_name: str) -> bool:
    return LogGroup.objects.filter(sandbox=sandbox, region=region, name=group_name).exists()


def events_write(
    *,
    sandbox: Sandbox,
    region: str,
    group_name: str,
    stream_name: str,
    events: list[tuple[int, str]],
    now: dt.datetime,
    create: bool = True,
    create_stream: bool | None = None,
    writer_arn: str | None = None,
) -> dict[str, Any]:
    """Write `events` ([(timestamp in epoch ms, message)], oldest first) to the stream; returns
    PutLogEvents' output (rejectedLogEventsInfo for events it refused). With create=False a
    missing group or stream raises ResourceNotFoundException, as for a writer without the right
    to create them; create_stream (default: as create) says so of the stream alone (CloudTrail
    makes its stream in a group that must exist). `writer_arn`: the resource writing (see the
    module's docstring)."""
    # The usual case, a stream that exists, in one query (the stream with its group); writers
    # such as Lambda's START/END/REPORT lines call this on every invocation.
    stream = groups.stream_with_group(sandbox=sandbox, region=region, group_name=group_name, name=stream_name)
    if stream is not None:
        group = stream.group
    else:
        group, stream = _group_and_new_stream(
            sandbox=sandbox, region=region, group_name=group_name, stream_name=stream_name, now=now, create=create,
            create_stream=create_stream,
        )  # fmt: skip
    if writer_arn:
        _writer_add(group, writer_arn)
    ordered = sorted(events, key=lambda item: item[0])
    output: dict[str, Any] = {}
    batch: list[dict[str, Any]] = []
    size = 0
    for stamp, message in ordered:
        cost = ingest.event_size(message)
        if batch and (len(batch) == 10_000 or size + cost > ingest.MAX_BATCH_BYTES):
            output = ingest.put_events(stream, log_events=batch, now=now, writer=writer_arn)
            batch, size = [], 0
        batch.append({"timestamp": stamp, "message": message})
        size += cost
    if batch:
        output = ingest.put_events(stream, log_events=batch, now=now, writer=writer_arn)
    return output


def _group_and_new_stream(
    *, sandbox: Sandbox, region: str, group_name: str, stream_name: str, now: dt.datetime, create: bool,
    create_stream: bool | None,
) -> tuple[LogGroup, LogStream]:  # fmt: skip
    """The group (made when missing and `create`) and its stream, made (a writer racing this one
    may have made either first), or the errors of a writer without the right to create them."""
    group = LogGroup.objects.filter(sandbox=sandbox, region=region, name=group_name).first()
    if group is None:
        if not create:
            raise group_not_found()
        try:
            group = groups.group_create(
                sandbox=sandbox,
                region=region,
                name=group_name,
                kms_key_id=None,
                tags=None,
                log_group_class=None,
                deletion_protection=False,
                now=now,
            )
        except LogsError:
            group = groups.find_group(sandbox=sandbox, region=region, name=group_name)
    stream = LogStream.objects.filter(group=group, name=stream_name).first()
    if stream is None:
        if not (create if create_stream is None else create_stream):
            raise stream_not_found()
        try:
            with transaction.atomic():
                stream = groups.stream_create(group, name=stream_name, now=now)
        except (LogsError, IntegrityError):
            stream = groups.find_stream(group, name=stream_name)
    group.sandbox = sandbox
    stream.group = group
    return group, stream


def writer_add(*, sandbox: Sandbox, region: str, group_name: str, writer_arn: str) -> None:
    """Remember `writer_arn` as a writer of the group when the group exists (else its first
    events_write(writer_arn=...) will)."""
    group = LogGroup.objects.filter(sandbox=sandbox, region=region, name=group_name).first()
    if group is not None:
        _writer_add(group, writer_arn)


def writer_remove(*, sandbox: Sandbox, region: str, group_name: str, writer_arn: str) -> None:
    """Forget `writer_arn` as a writer of the group (nothing when it is not one)."""
    GroupWriter.objects.filter(group__sandbox=sandbox, group__region=region, group__name=group_name,
                               arn=writer_arn).delete()  # fmt: skip


def _writer_add(group: LogGroup, arn: str) -> None:
    """Remember who writes to the group (once): graph.py draws the edge from it."""
    with connection.cursor() as cursor:  # asked on every write (each Lambda invocation): no ORM query building
        cursor.execute(_writer_sql(connection.vendor), [group.pk, arn])
        known = cursor.fetchone() is not None
    if not known:
        GroupWriter.objects.bulk_create([GroupWriter(sandbox_id=group.sandbox_id, group=group, arn=arn)],
                                        ignore_conflicts=True)  # fmt: skip


@cache
def _writer_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    group_column = quote(str(GroupWriter._meta.get_field("group").column))
    return f"SELECT 1 FROM {quote(GroupWriter._meta.db_table)} WHERE {group_column} = %s AND arn = %s"  # noqa: S608
