"""SQS's time-based work, run by the tick on each sandbox's own clock (and at once when a clock is
advanced): messages whose visibility timeout or delay ended, retention expiry, message move
tasks, and forgetting deduplication records and name tombstones past their interval. Each
handler names the rows that may be due, so the tick visits only sandboxes that have some."""

from __future__ import annotations

import datetime as dt

from playground.sandboxes.duework import due_work
from playground.sandboxes.models import Sandbox
from services.sqs import redrive, visibility
from services.sqs.models import DeduplicationRecord, DeletedQueue, Message, MessageMoveTask, ReceiveAttempt


@due_work("sqs.visibility", rows=Message.objects.all, at="wake_at")
def release_invisible(sandbox: Sandbox, now: dt.datetime) -> None:
    visibility.release_due(sandbox, now)


@due_work("sqs.retention", rows=Message.objects.all, at="expires_at")
def expire_messages(sandbox: Sandbox, now: dt.datetime) -> None:
    visibility.expire_due(sandbox, now)


@due_work("sqs.forget-deduplication", rows=DeduplicationRecord.objects.all, at="expires_at")
def forget_deduplication(sandbox: Sandbox, now: dt.datetime) -> None:
    DeduplicationRecord.objects.filter(sandbox=sandbox, expires_at__lte=now).delete()


@due_work("sqs.forget-receive-attempts", rows=ReceiveAttempt.objects.all, at="expires_at")
def forget_receive_attempts(sandbox: Sandbox, now: dt.datetime) -> None:
    ReceiveAttempt.objects.filter(sandbox=sandbox, expires_at__lte=now).delete()


@due_work("sqs.forget-deleted-names", rows=DeletedQueue.objects.all, at="reusable_at")
def forget_deleted_names(sandbox: Sandbox, now: dt.datetime) -> None:
    DeletedQueue.objects.filter(sandbox=sandbox, reusable_at__lte=now).delete()


@due_work(
    "sqs.move-tasks",
    rows=lambda: MessageMoveTask.objects.filter(status=MessageMoveTask.RUNNING),
    at="due_at",
)
def move_messages(sandbox: Sandbox, now: dt.datetime) -> None:
    redrive.run_move_tasks(sandbox, now)
