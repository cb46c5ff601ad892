"""Time-based work, run on each sandbox's own clock.

A service registers a handler with `@due_work("name", rows=..., at="column")`: `rows()` is the
handler's rows (any filter but time), `at` their indexed column saying when a row is due. A
handler receives the sandbox and its clock's `now`, finds its rows with `at <= now`, claims them
atomically (so two workers never run the same job) and does the work. Advancing a clock runs every
handler for that sandbox at once. The Celery beat tick runs about once a second over all
sandboxes: it reads every clock, and for each handler reads, in one grouped query, the earliest
`at` of each sandbox's rows; it runs the handler for the sandboxes whose earliest row is due by
their own clock, each on its own `now`. (Comparing every sandbox with the latest clock of all
would make a sandbox fast-forwarded by days pull in every other sandbox with a row due within
those days, on every tick.) A column that does not store a datetime, or that is due some time
after its value, says so with `cutoff(now)`: the column's value that is due at `now`.

One process at a time runs a sandbox's due work: a Redis lock per sandbox. Advancing a clock
waits for it, so that when `clock_advance` returns, the work due by the new time is done, even
the part a tick in another process had already claimed (a test draining a queue right after
advancing must find every message). The tick skips a sandbox whose lock is held: its holder
runs the same handlers. The claims stay what keeps a job single; the lock only orders the
runs, so an unreachable Redis (or a holder past LOCK_TTL) costs ordering, never correctness.

One-off work can use the platform's DueTimer table instead of a column of its own:
`schedule_timer(sandbox=..., due_at=..., kind="sqs.move-task", payload={...})` and
`@timer_handler("sqs.move-task")`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis
from django.db import transaction
from django.db.models import Min

from playground import redisconn
from playground.sandboxes.models import DueTimer, Sandbox

if TYPE_CHECKING:
    from django.db.models import QuerySet

LOG = logging.getLogger(__name__)

DueWorkHandler = Callable[[Sandbox, dt.datetime], None]
DueRows = Callable[[], "QuerySet[Any]"]
TimerHandler = Callable[[Sandbox, dt.datetime, dict[str, Any]], None]


def _same(now: dt.datetime) -> Any:
    return now


@dataclass(frozen=True)
class Registration:
    handler: DueWorkHandler
    rows: DueRows
    at: str
    cutoff: Callable[[dt.datetime], Any]

    def due_sandboxes(self, clocks: dict[int, tuple[Sandbox, dt.datetime]]) -> set[int]:
        """The sandboxes among `clocks` with a row due by their own now: one query, grouped by sandbox."""
        latest = self.cutoff(max(now for _, now in clocks.values()))
        earliest = (
            self.rows()
            .filter(**{f"{self.at}__lte": latest})
            .values("sandbox_id")
            .annotate(first=Min(self.at))
            .values_list("sandbox_id", "first")
        )
        return {
            sandbox_id for sandbox_id, first in earliest
            if sandbox_id in clocks and first <= self.cutoff(clocks[sandbox_id][1])
        }  # fmt: skip


_handlers: dict[str, Registration] = {}
_timer_handlers: dict[str, TimerHandler] = {}


def due_work(
    name: str, *, rows: DueRows, at: str, cutoff: Callable[[dt.datetime], Any] = _same
) -> Callable[[DueWorkHandler], DueWorkHandler]:
    def register(fn: DueWorkHandler) -> DueWorkHandler:
        _handlers[name] = Registration(fn, rows, at, cutoff)
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


def _run(name: str, handler: DueWorkHandler, sandbox: Sandbox, now: dt.datetime) -> None:
    try:
        handler(sandbox, now)
    except Exception:
        LOG.exception("due work %s failed for sandbox %s", name, sandbox.account_id)


# How long a holder may keep a sandbox's lock (then it expires: a process that died frees it), and
# how long advancing a clock waits for it before running anyway.
LOCK_TTL = 300.0
LOCK_WAIT = 120.0

# After Redis fails, locking is skipped (runs go unordered) for REDIS_BACKOFF seconds: a tick over
# many sandboxes must not wait a connect timeout for each of them.
REDIS_BACKOFF = 10.0
_redis_down_until = 0.0

_held = threading.local()


@contextmanager
def sandbox_lock(sandbox_id: int, *, wait: bool) -> Iterator[bool]:
    """Hold the sandbox's due-work lock; yields False when `wait` is off and another process holds
    it. A thread already holding it (due work that advances a clock) holds it again."""
    global _redis_down_until
    held: set[int] = _held.__dict__.setdefault("ids", set())
    if sandbox_id in held or time.monotonic() < _redis_down_until:
        yield True
        return
    lock = redisconn.client().lock(
        redisconn.key("duework", sandbox_id), timeout=LOCK_TTL, blocking_timeout=LOCK_WAIT if wait else None
    )
    got: bool | None
    try:
        got = bool(lock.acquire(blocking=wait))
    except redis.RedisError:
        LOG.warning("due-work locks unavailable for %g s; running unordered", REDIS_BACKOFF)
        _redis_down_until = time.monotonic() + REDIS_BACKOFF
        got = None
    if got is False and not wait:
        yield False
        return
    held.add(sandbox_id)
    try:
        yield True
    finally:
        held.discard(sandbox_id)
        if got:
            try:
                lock.release()
            except redis.RedisError:  # LockError included: it expired while held
                LOG.warning("due-work lock of sandbox %s was lost while held", sandbox_id)


def run_due_work(sandbox: Sandbox, now: dt.datetime) -> None:
    """Run every registered handler for one sandbox, once no other process runs its due work (see
    the module's notes). A failing handler is logged, not fatal."""
    with sandbox_lock(sandbox.pk, wait=True):
        for name, registration in list(_handlers.items()):
            _run(name, registration.handler, sandbox, now)


def run_due_work_everywhere(clocks: dict[int, tuple[Sandbox, dt.datetime]]) -> None:
    """The tick: for the sandboxes (id -> (sandbox, its now)) that have work due, run those
    handlers, skipping a sandbox whose due work another process is running."""
    if not clocks:
        return
    work: dict[int, list[str]] = {}
    for name, registration in list(_handlers.items()):
        try:
            candidates = registration.due_sandboxes(clocks)
        except Exception:
            LOG.exception("due work %s could not find its sandboxes", name)
            continue
        for sandbox_id in candidates:
            work.setdefault(sandbox_id, []).append(name)
    for sandbox_id in sorted(work):
        sandbox, now = clocks[sandbox_id]
        with sandbox_lock(sandbox_id, wait=False) as mine:
            if not mine:
                continue
            for name in work[sandbox_id]:
                _run(name, _handlers[name].handler, sandbox, now)


# How long a timer of a kind this process does not know waits for one that does, before it is dropped.
UNKNOWN_KIND_GRACE = dt.timedelta(hours=1)


@due_work("platform.timers", rows=DueTimer.objects.all, at="due_at")
def _run_timers(sandbox: Sandbox, now: dt.datetime) -> None:
    due = DueTimer.objects.filter(sandbox=sandbox, due_at__lte=now).order_by("due_at", "id")
    for timer in list(due[:500]):
        handler = _timer_handlers.get(timer.kind)
        if handler is None and now - timer.due_at < UNKNOWN_KIND_GRACE:
            continue  # another process (a newer release, a test) may know the kind: leave it to that one
        with transaction.atomic():
            # Deleting is the claim: only the worker whose delete removed the row runs it.
            if DueTimer.objects.filter(pk=timer.pk).delete()[0] == 0:
                continue
            if handler is None:
                LOG.warning("dropping timer %s of unknown kind %s", timer.pk, timer.kind)
                continue
            handler(sandbox, now, timer.payload)
