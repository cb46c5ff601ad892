"""The call record, written off the request path.

Every AWS call produces one ApiCall row and one `api.call` live event. Writing the row inside the
request would add a transaction to every call; instead the gateway hands the record (a function
that makes it: redacting the parameters and the answer is done here, not on the request path) to this
process's call-log worker (playground/background.py), which inserts whatever has gathered in one
batch (within about 20 ms) and then publishes the events, so a client that sees the event can also
read the row.

A service that acts on calls as they are recorded (CloudTrail's events to EventBridge) registers a
function with `@on_calls_written`, in a module its app imports when ready: it is called in the
worker's thread with the rows of each batch once written and announced, outside any transaction;
what it raises is logged, never lost records.

LIMITATION: records still queued when a server process is killed (kill -9) are lost, as CloudTrail
may drop events of its own; the calls themselves are unaffected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, close_old_connections, transaction

from playground.background import Worker, per_process
from playground.gateway.models import ApiCall
from playground.live.bus import build_event, send_now
from playground.live.events import API_CALL
from playground.sandboxes.models import Sandbox

LOG = logging.getLogger(__name__)

BATCH_WINDOW_SECONDS = 0.02
MAX_BATCH = 500


CallsWritten = Callable[[list[ApiCall]], None]
_observers: list[CallsWritten] = []


def on_calls_written(observer: CallsWritten) -> CallsWritten:
    """Register `observer(rows)`, called with each batch of call records once written."""
    if observer not in _observers:
        _observers.append(observer)
    return observer


@dataclass
class PendingCall:
    sandbox: Sandbox
    row: ApiCall
    event: dict[str, Any]


Build = Callable[[], tuple[ApiCall, dict[str, Any]]]


@dataclass
class Recorded:
    """A call as the gateway hands it over: `build()` makes its row and its event's fields."""

    sandbox: Sandbox
    at: str
    build: Build


def _made(batch: list[Recorded]) -> list[PendingCall]:
    made = []
    for item in batch:
        try:
            row, fields = item.build()
        except Exception:
            LOG.exception("could not make the record of a call")
            continue
        made.append(PendingCall(item.sandbox, row, build_event(item.sandbox, API_CALL.name, item.at, fields)))
    return made


def write_calls(recorded: list[Recorded]) -> None:
    batch = _made(recorded)
    close_old_connections()
    try:
        with transaction.atomic():
            ApiCall.objects.bulk_create([pending.row for pending in batch])
        written = batch
    except DatabaseError:
        # One bad row (its sandbox deleted meanwhile, say) must not lose the others.
        written = []
        for pending in batch:
            try:
                pending.row.save(force_insert=True)
                written.append(pending)
            except DatabaseError as error:
                # Expected when the sandbox was deleted between the call and the write.
                LOG.warning("dropped the record of call %s: %s", pending.row.request_id, error)
    for pending in written:
        send_now(pending.sandbox.group_name, pending.event)
    rows = [pending.row for pending in written]
    for observer in list(_observers) if rows else []:
        try:
            observer(rows)
        except Exception:
            LOG.exception("%s failed on %d call records", getattr(observer, "__name__", observer), len(rows))


class CallLog(Worker[Recorded]):
    def __init__(self) -> None:
        super().__init__("call-log", write_calls, max_batch=MAX_BATCH, window=BATCH_WINDOW_SECONDS)

    def record(self, *, sandbox: Sandbox, at: str, build: Build) -> None:
        """Keep a call's record: `build()`, run on this log's thread, makes its row and the fields
        of its `api.call` event (whatever it reads must not change once the call is answered)."""
        self.put(Recorded(sandbox, at, build))


call_log = per_process(CallLog)
"""This process's call log."""
