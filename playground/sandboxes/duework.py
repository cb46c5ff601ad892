"""Time-based work, run on each sandbox's own clock.

A service registers a handler with `@due_work("name")`. A handler receives the sandbox and its
clock's `now`, finds its rows with `due_at <= now` through an indexed column, claims them
atomically (so two workers never run the same job) and does the work. The Celery beat tick calls
`run_due_work` for every sandbox about once a second; advancing a clock calls it at once.

One-off work can use the platform's DueTimer table instead of a column of its own:
`schedule_timer(sandbox=..., due_at=..., kind="sqs.move-task", payload={...})` and
`@timer_handler("sqs.move-task")`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

from playground.sandboxes.models import DueTimer, Sandbox

LOG = logging.getLogger(__name__)

DueWorkHandler = Callable[[Sandbox, dt.datetime], None]
TimerHandler = Callable[[Sandbox, dt.datetime, dict[str, Any]], None]

_handlers: dict[str, DueWorkHandler] = {}
_timer_handlers: dict[str, TimerHandler] = {}


def due_work(name: str) -> Callable[[DueWorkHandler], DueWorkHandler]:
    def register(fn: DueWorkHandler) -> DueWorkHandler:
        _handlers[name] = fn
        return fn

    return register


def timer_handler(kind: str) -> Callable[[TimerHandler], TimerHandler]:
    def register(fn: TimerHandler) -> TimerHandler:
        _timer_handlers[kind] = fn
        return fn

    return register


def schedule_timer(*, sandbox: Sandbox, due_at: dt.datetime, kind: str, payload: dict[str, Any]) -> DueTimer:
    if kind not in _timer_handlers:
        raise LookupError(f"no timer handler registered for {kind!r}")
    return DueTimer.objects.create(sandbox=sandbox, due_at=due_at, kind=kind, payload=payload)


def run_due_work(sandbox: Sandbox, now: dt.datetime) -> None:
    """Run every registered handler for one sandbox. A failing handler is logged, not fatal."""
    for name, handler in list(_handlers.items()):
        try:
            handler(sandbox, now)
        except Exception:
            LOG.exception("due work %s failed for sandbox %s", name, sandbox.account_id)


@due_work("platform.timers")
def _run_timers(sandbox: Sandbox, now: dt.datetime) -> None:
    due = DueTimer.objects.filter(sandbox=sandbox, due_at__lte=now).order_by("due_at", "id")
    for timer in list(due[:500]):
        handler = _timer_handlers.get(timer.kind)
        with transaction.atomic():
            # Deleting is the claim: only the worker whose delete removed the row runs it.
            if DueTimer.objects.filter(pk=timer.pk).delete()[0] == 0:
                continue
            if handler is None:
                LOG.warning("dropping timer %s of unknown kind %s", timer.pk, timer.kind)
                continue
            handler(sandbox, now, timer.payload)
