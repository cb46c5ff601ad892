"""Export tasks: a log group's events, from one time to another, written to an S3 bucket.

CreateExportTask checks the bucket first, as AWS does: it must exist, and its policy must let the
region's CloudWatch Logs principal (logs.REGION.amazonaws.com) call s3:GetBucketAcl on the bucket
and s3:PutObject under the prefix (with the bucket-owner-full-control ACL, aws:SourceAccount and
aws:SourceArn the group's ARN as context); it then writes `<prefix>/aws-logs-write-test`, as
AWS does. One active (PENDING or RUNNING) task per account and region: LimitExceededException.

The task then runs on the sandbox clock: PENDING, RUNNING a second later, COMPLETED
RUNNING_SECONDS after that, when it writes the events whose timestamps are in [from, to] (both
ends included), within retention and of the streams starting with logStreamNamePrefix, as AWS
names the objects: `<prefix>/<taskId>/<logStreamName>/000000.gz`, `000001.gz`, ... (gzip), one line
an event: its timestamp in ISO 8601 with milliseconds and `Z`, a space, the message. A group
deleted, or a bucket that no longer lets Logs write, fails the task with the reason in its status
message. CancelExportTask cancels a PENDING or RUNNING task; nothing is written after it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import uuid
from typing import Any

from django.db import transaction

from playground.gateway.errors import AwsError
from playground.sandboxes.models import Sandbox
from services.s3.public import AccessDenied, bucket_exists, object_write, service_may_get_acl, service_may_write

from . import events, ingest
from .exceptions import (
    InvalidOperationException,
    InvalidParameterException,
    LimitExceededException,
    ResourceNotFoundException,
)
from .groups import epoch_ms, find_group
from .models import ExportTask, LogGroup, LogStream

PENDING, RUNNING, COMPLETED, CANCELLED, FAILED = "PENDING", "RUNNING", "COMPLETED", "CANCELLED", "FAILED"
ACTIVE = (PENDING, RUNNING)
STATUSES = (CANCELLED, COMPLETED, FAILED, PENDING, "PENDING_CANCEL", RUNNING)
DEFAULT_PREFIX = "exportedlogs"
WRITE_TEST = "aws-logs-write-test"
WRITE_TEST_BODY = b"Permission Check Successful"
ACL = "bucket-owner-full-control"
PENDING_SECONDS = 1
RUNNING_SECONDS = 5
FILE_BYTES = 100 * 1024 * 1024  # uncompressed text per object before the next one starts
MESSAGES = {
    PENDING: "Pending.",
    RUNNING: "Started successfully",
    COMPLETED: "Completed successfully",
    CANCELLED: "Cancelled by user",
}


def principal(region: str) -> str:
    return f"logs.{region}.amazonaws.com"


def _prefixed(prefix: str, key: str) -> str:
    return f"{prefix.strip('/')}/{key}" if prefix.strip("/") else key


def export_create(
    *,
    sandbox: Sandbox,
    region: str,
    task_name: str | None,
    group_name: str,
    stream_prefix: str | None,
    from_time: int,
    to_time: int,
    destination: str,
    destination_prefix: str | None,
    now: dt.datetime,
) -> ExportTask:
    if from_time > to_time:
        raise InvalidParameterException(f"Specified time range of '{from_time}' and '{to_time}' is not valid.")
    group = find_group(sandbox=sandbox, region=region, name=group_name)
    prefix = DEFAULT_PREFIX if destination_prefix is None else destination_prefix
    if not bucket_exists(sandbox=sandbox, bucket=destination):
        raise InvalidParameterException("The given bucket does not exist. Please make sure the bucket is valid.")
    if not service_may_get_acl(
        sandbox=sandbox, bucket=destination, service_principal=principal(region), source_arn=group.arn
    ):
        raise InvalidParameterException(
            "GetBucketAcl call on the given bucket failed. Please check if CloudWatch Logs has been granted "
            "permission to perform this operation."
        )
    test_key = _prefixed(prefix, WRITE_TEST)
    if not service_may_write(
        sandbox=sandbox,
        bucket=destination,
        key=test_key,
        service_principal=principal(region),
        source_arn=group.arn,
        acl=ACL,
    ):
        raise InvalidParameterException(
            "PutObject call on the given bucket failed. Please check if CloudWatch Logs has been granted "
            "permission to perform this operation."
        )
    # One active task per account: the sandbox's row is the lock two concurrent calls meet on.
    Sandbox.objects.select_for_update().filter(pk=sandbox.pk).first()
    if ExportTask.objects.filter(sandbox=sandbox, region=region, status__in=ACTIVE).exists():
        raise LimitExceededException("Resource limit exceeded.")
    object_write(
        sandbox=sandbox,
        bucket=destination,
        key=test_key,
        body=WRITE_TEST_BODY,
        now=now,
        content_type="text/plain",
        service_principal=principal(region),
        source_arn=group.arn,
        acl=ACL,
    )
    task = ExportTask.objects.create(
        sandbox=sandbox,
        region=region,
        task_id=str(uuid.uuid4()),
        task_name=task_name or "",
        group_name=group.name,
        stream_prefix=stream_prefix or "",
        from_time=from_time,
        to_time=to_time,
        destination=destination,
        destination_prefix=prefix,
        status=PENDING,
        message=MESSAGES[PENDING],
        created=epoch_ms(now),
        due_at=now + dt.timedelta(seconds=PENDING_SECONDS),
    )
    events.group_changed(sandbox, group=group, now=now)
    return task


def _find(*, sandbox: Sandbox, task_id: str, lock: bool = False) -> ExportTask:
    rows = ExportTask.objects.select_for_update() if lock else ExportTask.objects
    task = rows.filter(sandbox=sandbox, task_id=task_id).first()
    if task is None:
        raise ResourceNotFoundException("The specified export task does not exist.")
    return task


def export_cancel(*, sandbox: Sandbox, task_id: str, now: dt.datetime) -> None:
    task = _find(sandbox=sandbox, task_id=task_id, lock=True)
    if task.status not in ACTIVE:
        raise InvalidOperationException(f"The specified export task has already finished ({task.status}).")
    _finish(task, status=CANCELLED, message=MESSAGES[CANCELLED], now=now)


def task_description(task: ExportTask) -> dict[str, Any]:
    info: dict[str, Any] = {"creationTime": task.created}
    if task.completed is not None:
        info["completionTime"] = task.completed
    return {
        "taskId": task.task_id,
        "taskName": task.task_name,
        "logGroupName": task.group_name,
        "from": task.from_time,
        "to": task.to_time,
        "destination": task.destination,
        "destinationPrefix": task.destination_prefix,
        "status": {"code": task.status, "message": task.message},
        "executionInfo": info,
    }


def exports_describe(
    *,
    sandbox: Sandbox,
    task_id: str | None,
    status: str | None,
    limit: int | None,
    next_token: str | None,
) -> dict[str, Any]:
    rows = ExportTask.objects.filter(sandbox=sandbox).order_by("-created", "-id")
    if task_id:
        rows = rows.filter(task_id=task_id)
    if status:
        rows = rows.filter(status=status)
    start = 0
    if next_token:
        if not next_token.isdigit():
            raise InvalidParameterException("The specified nextToken is invalid.")
        start = int(next_token)
    size = limit or 50
    page = list(rows[start : start + size + 1])
    output: dict[str, Any] = {"exportTasks": [task_description(task) for task in page[:size]]}
    if len(page) > size:
        output["nextToken"] = str(start + size)
    return output


def active_for(group: LogGroup) -> list[ExportTask]:
    """The group's tasks that are PENDING or RUNNING (the diagram draws them to their bucket)."""
    return list(
        ExportTask.objects.filter(sandbox_id=group.sandbox_id, region=group.region, group_name=group.name)
        .filter(status__in=ACTIVE)
        .order_by("created")
    )


def recent_for(group: LogGroup, *, limit: int = 10) -> list[ExportTask]:
    return list(
        ExportTask.objects.filter(sandbox_id=group.sandbox_id, region=group.region, group_name=group.name).order_by(
            "-created", "-id"
        )[:limit]
    )


# --- on the sandbox clock ---------------------------------------------------------------------------


def advance_due(sandbox: Sandbox, now: dt.datetime) -> None:
    """The tick: every task whose next step is due takes it. A task is claimed by moving its due
    time off (the update's count), so two workers never run the same step."""
    due = ExportTask.objects.filter(sandbox=sandbox, due_at__lte=now).values_list("pk", "due_at")
    for pk, due_at in list(due):
        with transaction.atomic():
            if not ExportTask.objects.filter(pk=pk, due_at=due_at).update(due_at=None):
                continue
            task = ExportTask.objects.select_related("sandbox").get(pk=pk)
            if task.status == PENDING:
                task.status, task.message = RUNNING, MESSAGES[RUNNING]
                task.due_at = now + dt.timedelta(seconds=RUNNING_SECONDS)
                task.save(update_fields=["status", "message", "due_at"])
                _changed(task, now=now)
            elif task.status == RUNNING:
                _run(task, now=now)


def _run(task: ExportTask, *, now: dt.datetime) -> None:
    group = LogGroup.objects.filter(sandbox=task.sandbox, region=task.region, name=task.group_name).first()
    if group is None:
        _finish(task, status=FAILED, message="The specified log group does not exist.", now=now)
        return
    try:
        with transaction.atomic():
            written = _write(task, group, now=now)
    except AccessDenied:
        _finish(
            task,
            status=FAILED,
            message="PutObject call on the given bucket failed. Please check if CloudWatch Logs has been granted "
            "permission to perform this operation.",
            now=now,
        )
        return
    except AwsError as problem:  # S3's own refusals: the bucket deleted meanwhile, ...
        _finish(task, status=FAILED, message=f"{problem.code}: {problem.message}"[:1024], now=now)
        return
    task.objects_written = written
    _finish(task, status=COMPLETED, message=MESSAGES[COMPLETED], now=now)


def _line(timestamp: int, message: str) -> bytes:
    moment = dt.datetime.fromtimestamp(timestamp / 1000, dt.UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{timestamp % 1000:03d}Z {message}\n".encode()


def _write(task: ExportTask, group: LogGroup, *, now: dt.datetime) -> list[str]:
    streams = LogStream.objects.filter(group=group)
    if task.stream_prefix:
        streams = streams.filter(name__startswith=task.stream_prefix)
    written: list[str] = []
    for stream_id, stream_name in streams.order_by("name").values_list("pk", "name"):
        chunks: list[bytes] = []
        size = 0
        number = 0
        for event in ingest.scan(
            group, stream_ids=[stream_id], start=task.from_time, end=task.to_time, after=None, now=now
        ):
            line = _line(event.timestamp, event.message)
            if chunks and size + len(line) > FILE_BYTES:
                written.append(_put(task, stream_name, number, chunks, now=now))
                chunks, size, number = [], 0, number + 1
            chunks.append(line)
            size += len(line)
        if chunks:
            written.append(_put(task, stream_name, number, chunks, now=now))
    return written


def _put(task: ExportTask, stream_name: str, number: int, chunks: list[bytes], *, now: dt.datetime) -> str:
    key = _prefixed(task.destination_prefix, f"{task.task_id}/{stream_name}/{number:06d}.gz")
    object_write(
        sandbox=task.sandbox,
        bucket=task.destination,
        key=key,
        body=gzip.compress(b"".join(chunks), mtime=0),
        now=now,
        content_type="application/x-gzip",
        service_principal=principal(task.region),
        source_arn=f"arn:aws:logs:{task.region}:{task.sandbox.account_id}:log-group:{task.group_name}",
        acl=ACL,
    )
    return key


def _finish(task: ExportTask, *, status: str, message: str, now: dt.datetime) -> None:
    task.status, task.message = status, message
    task.completed = epoch_ms(now)
    task.due_at = None
    task.save(update_fields=["status", "message", "completed", "due_at", "objects_written"])
    _changed(task, now=now)


def _changed(task: ExportTask, *, now: dt.datetime) -> None:
    group = LogGroup.objects.filter(sandbox_id=task.sandbox_id, region=task.region, name=task.group_name).first()
    if group is not None:
        events.group_changed(group.sandbox, group=group, now=now)
