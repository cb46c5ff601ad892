"""SNS's background work. Thin: the work is in delivery.py, subscriptions.py and publishing.py.

attempt              a Celery task: the first attempt of a queued (HTTP/S) delivery, sent
                     right after the publish (or subscribe) commits
sns.deliveries       the tick: queued deliveries whose retry fell due on the sandbox clock
sns.pending-expiry   the tick: unconfirmed subscriptions whose token expired
sns.deduplication    the tick: FIFO deduplication records past their five minutes
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from playground.sandboxes.duework import due_work
from playground.sandboxes.models import Sandbox
from services.sns import delivery, subscriptions
from services.sns.models import DeduplicationRecord, Delivery, Subscription


@shared_task(name="services.sns.tasks.attempt", ignore_result=True)
def attempt(delivery_id: int, claimed_attempt: int | None = None) -> bool:
    return delivery.attempt_delivery(delivery_id, claimed_attempt=claimed_attempt)


@due_work("sns.deliveries", rows=Delivery.objects.all, at="due_at")
def deliveries(sandbox: Sandbox, now: dt.datetime) -> None:
    delivery.run_due(sandbox, now)


@due_work(
    "sns.pending-expiry",
    rows=lambda: Subscription.objects.filter(status=Subscription.PENDING),
    at="token_expires_at",
)
def expire_pending(sandbox: Sandbox, now: dt.datetime) -> None:
    subscriptions.expire_pending(sandbox=sandbox, now=now)


@due_work("sns.deduplication", rows=DeduplicationRecord.objects.all, at="expires_at")
def forget_deduplication(sandbox: Sandbox, now: dt.datetime) -> None:
    DeduplicationRecord.objects.filter(sandbox=sandbox, expires_at__lte=now).delete()
