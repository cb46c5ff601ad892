"""CloudTrail's background work: each logging trail's delivery, about every 5 minutes of its
sandbox's clock (delivery.py); the hourly digest files of trails with log file validation
(digests.py); and EventBridge's "AWS API Call via CloudTrail" events as the gateway's call log
writes its records (eventbus.py)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from playground.gateway.calllog import on_calls_written
from playground.sandboxes.duework import due_work
from playground.sandboxes.models import Sandbox
from services.cloudtrail import delivery, digests, eventbus
from services.cloudtrail.models import Trail


@due_work("cloudtrail.delivery", rows=Trail.objects.all, at="next_delivery_at")
def deliver_trails(sandbox: Sandbox, now: dt.datetime) -> None:
    with transaction.atomic():
        delivery.deliver_due(sandbox, now)


@due_work("cloudtrail.digests", rows=Trail.objects.all, at="next_digest_at")
def deliver_digests(sandbox: Sandbox, now: dt.datetime) -> None:
    with transaction.atomic():
        digests.deliver_due(sandbox, now)


on_calls_written(eventbus.calls_written)
