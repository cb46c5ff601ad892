"""EventBridge's time-based work on each sandbox's clock: schedule rules firing every due
occurrence (ingest.fire_due), and retries of failed deliveries (platform timers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.sandboxes.duework import due_work, timer_handler
from playground.sandboxes.models import Sandbox
from services.eventbridge import archives, delivery, ingest, metrics
from services.eventbridge.models import Rule


@due_work("eventbridge.schedules", rows=Rule.objects.all, at="next_fire_at")
def fire_schedules(sandbox: Sandbox, now: dt.datetime) -> None:
    ingest.fire_due(sandbox, now)


@timer_handler("eventbridge.retry")
def retry_delivery(sandbox: Sandbox, now: dt.datetime, payload: dict[str, Any]) -> None:
    rule = Rule.objects.select_related("bus", "sandbox").filter(pk=payload["rule"]).first()
    if rule is None:
        return  # the rule was deleted meanwhile: AWS drops its pending retries too
    delivery.deliver(
        sandbox=sandbox,
        rule=rule,
        target=payload["target"],
        event=payload["event"],
        now=now,
        attempts=int(payload["attempts"]),
        first_at=dt.datetime.fromisoformat(payload["first_at"]),
        hops=int(payload.get("hops", 0)),
    )


@due_work("eventbridge.metrics", rows=Rule.objects.all, at="metrics_due_at")
def send_metrics(sandbox: Sandbox, now: dt.datetime) -> None:
    metrics.send_due(sandbox, now)


@timer_handler("eventbridge.replay")
def replay_step(sandbox: Sandbox, now: dt.datetime, payload: dict[str, Any]) -> None:
    due_at = dt.datetime.fromisoformat(payload["at"])
    archives.replay_steps(sandbox=sandbox, replay_id=int(payload["replay"]), due_at=due_at, now=now)
