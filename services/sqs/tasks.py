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


@due_work("sqs.visibility", due=lambda latest: Message.objects.filter(wake_at__lte=latest))
def release_invisible(sandbox: Sandbox, now: dt.datetime) -> None:
    visibility.release_due(sandbox, now)


@due_work("sqs.retention", due=lambda latest: Message.objects.filter(expires_at__lte=latest))
def expire_messages(sandbox: Sandbox, now: dt.datetime) -> None:
    visibility.expire_due(sandbox, now)


@due_work("sqs.forget-deduplication", due=lambda latest: DeduplicationRecord.objects.filter(expires_at__lte=latest))
def forget_deduplication(sandbox: Sandbox, now: dt.datetime) -> None:
    DeduplicationRecord.objects.filter(sandbox=sandbox, expires_at__lte=now).delete()


@due_work("sqs.forget-receive-attempts", due=lambda latest: ReceiveAttempt.objects.filter(expires_at__lte=latest))
def forget_receive_attempts(sandbox: Sandbox, now: dt.datetime) -> None:
    ReceiveAttempt.objects.filter(sandbox=sandbox, expires_at__lte=now).delete()


@due_work("sqs.forget-deleted-names", due=lambda latest: DeletedQueue.objects.filter(reusable_at__lte=latest))
def forget_deleted_names(sandbox: Sandbox, now: dt.datetime) -> None:
    DeletedQueue.objects.filter(sandbox=sandbox, reusable_at__lte=now).delete()


@due_work(
    "sqs.move-tasks",
    due=lambda latest: MessageMoveTask.objects.filter(due_at__lte=latest, status=MessageMoveTask.RUNNING),
)
def move_messages(sandbox: Sandbox, now: dt.datetime) -> None:
    redrive.run_move_tasks(sandbox, now)
