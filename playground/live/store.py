"""Numbering and keeping live events.

Two ways, one numbering. Inside an AWS call's transaction (the gateway's, `atomic_numbering_events`)
the events the call published are numbered and stored by that transaction's last statements, so
they cost no transaction of their own, and sent once it commits. Everywhere else (ticks, tasks,
reads that run without a transaction) publish() hands each committed event to this process's
writer (a background worker: playground/background.py). The writer takes whatever
has gathered, and in one short transaction reserves a block of sequence numbers per sandbox
(`EventSequence`, an upsert that returns the new last number), inserts the events, and only then
sends them to the WebSocket groups with their `seq`, so a client that sees an event can also
fetch it, and what it fetched before.

Why after the commit and not inside the caller's transaction: reserving a number locks the
sandbox's counter row until the end of the transaction that reserved it. Inside a provider's
transaction that lock would be held while the provider goes on to lock other rows, and two
requests of one sandbox could deadlock on PostgreSQL (A holds the counter and waits for a message
row B holds; B waits for the counter). Here the transaction holds nothing else, and it takes the
counters in sandbox order, so two writers never wait on each other in a cycle. The gateway's
transaction takes them as its very last locks, in sandbox order too, just before it commits: it
holds other rows then, but waits for a counter only behind a transaction that holds one and is
itself about to commit, never in a cycle.

LIMITATION: events still queued when a server process is killed (kill -9) are sent nowhere and
not stored, like the call records (gateway/calllog.py); the state they describe is unaffected.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction

from playground.background import Worker, per_process
from playground.db import insert_many

LOG = logging.getLogger(__name__)

PRUNE_EVERY = 500  # look for old events to delete each time a sandbox's numbering passes a multiple of this


@dataclass
class Pending:
    sandbox_id: int
    group: str
    event: dict[str, Any]


def _reserve(sandbox_id: int, count: int) -> int:
    """Reserve `count` numbers for the sandbox's events; returns the last of them."""
    from playground.live.models import EventSequence

    table = connection.ops.quote_name(EventSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (sandbox_id, last) VALUES (%s, %s) "  # noqa: S608  (our own table name)
            f"ON CONFLICT (sandbox_id) DO UPDATE SET last = {table}.last + excluded.last RETURNING last",
            [sandbox_id, count],
        )
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def store_events(batch: list[Pending]) -> None:
    """Number the events of each sandbox and insert them, in one transaction (sets event["seq"]);
    inside a transaction already, as its statements (no savepoint)."""
    from playground.live.models import LiveEvent

    by_sandbox: dict[int, list[Pending]] = {}
    for pending in batch:
        by_sandbox.setdefault(pending.sandbox_id, []).append(pending)
    kept = settings.LIVE_EVENTS_KEPT
    payload = LiveEvent._meta.get_field("payload")
    with transaction.atomic(savepoint=False):
        rows = []
        for sandbox_id in sorted(by_sandbox):  # always the same order: no lock cycles between writers
            items = by_sandbox[sandbox_id]
            last = _reserve(sandbox_id, len(items))
            for offset, pending in enumerate(items):
                seq = last - len(items) + 1 + offset
                pending.event["seq"] = seq
                event = payload.get_db_prep_save(pending.event, connection)
                rows.append((sandbox_id, seq, pending.event["type"], event))
            if last // PRUNE_EVERY != (last - len(items)) // PRUNE_EVERY and last > kept:
                LiveEvent.objects.filter(sandbox_id=sandbox_id, seq__lte=last - kept).delete()
        insert_many(LiveEvent, ("sandbox", "seq", "type", "payload"), rows)


class Deliver:
    """The on-commit step of an event published inside `atomic_numbering_events`: stored (and
    numbered) by then, it only needs sending."""

    def __init__(self, pending: Pending) -> None:
        self.pending = pending

    def __call__(self) -> None:
        from playground.live.bus import send_now

        send_now(self.pending.group, self.pending.event)


_gathering: ContextVar[list[Deliver] | None] = ContextVar("live_events_gathering", default=None)


def gathering() -> list[Deliver] | None:
    """Where publish() puts its events inside `atomic_numbering_events`; None elsewhere."""
    return _gathering.get()


@contextmanager
def atomic_numbering_events() -> Iterator[None]:
    """transaction.atomic() for an AWS call: when it is the outermost block, the events published
    in it are numbered and stored by its last statements and sent after it commits. Nested in
    another transaction it is a plain atomic block, and its events take the usual way: numbering
    there would hold the sandbox's counter while the outer transaction goes on to lock more rows.

    An event published inside a savepoint that was rolled back (a caught failure) is not kept: the
    block keeps the events whose on-commit step the connection still holds.
    """
    if connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    with transaction.atomic():
        token = _gathering.set([])
        try:
            yield
            published = _gathering.get() or []
            if published:
                held = {id(step) for _, step, *_ in connection.run_on_commit}
                kept = [deliver.pending for deliver in published if id(deliver) in held]
                if kept:
                    store_events(kept)
        finally:
            _gathering.reset(token)


def write_events(batch: list[Pending]) -> None:
    """Store and number a batch of committed events, then send them with their numbers."""
    from playground.live.bus import send_now

    try:
        close_old_connections()
        store_events(batch)
    except DatabaseError:
        # A sandbox deleted meanwhile must not cost the others their numbers.
        for sandbox_id in {pending.sandbox_id for pending in batch}:
            try:
                store_events([pending for pending in batch if pending.sandbox_id == sandbox_id])
            except DatabaseError as problem:
                LOG.warning("did not store the live events of sandbox %s (deleted?): %s", sandbox_id, problem)
    except Exception:
        # Whatever went wrong (no database at all in some processes), the events still go out,
        # unnumbered, and the worker lives on for the next ones.
        LOG.warning("could not store %d live events", len(batch), exc_info=True)
    for pending in batch:
        send_now(pending.group, pending.event)


# No waiting window: whatever gathered while the last batch was written goes together. A window
# (tried: 20 ms, as the call log has) saves a transaction per call at one client's pace, but each
# process numbers its own events: an event a web process held back while a worker or another
# process numbered a later one came out of order (EventBridge's retry attempts 2, 1, 3, 4 in CI).
event_writer = per_process(lambda: Worker("live-event-store", write_events, max_batch=1000))
"""This process's event writer (playground/background.py)."""
