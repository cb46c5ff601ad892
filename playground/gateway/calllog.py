"""The call record, written off the request path.

Every AWS call produces one ApiCall row and one `api.call` live event. Writing the row inside the
request would add a transaction to every call; instead the gateway hands the record to this
process's writer thread, which inserts whatever has gathered in one batch (within about 20 ms)
and then publishes the events, so a client that sees the event can also read the row.

LIMITATION: records still queued when a server process is killed (kill -9) are lost, as CloudTrail
may drop events of its own; the calls themselves are unaffected.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, close_old_connections, transaction

from playground.gateway.models import ApiCall
from playground.live.bus import build_event, send_now
from playground.live.events import API_CALL
from playground.sandboxes.models import Sandbox

LOG = logging.getLogger(__name__)

BATCH_WINDOW_SECONDS = 0.02
MAX_BATCH = 500


@dataclass
class PendingCall:
    sandbox: Sandbox
    row: ApiCall
    event: dict[str, Any]


class CallLog:
    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[PendingCall] = queue.SimpleQueue()
        self.pid = os.getpid()
        self.idle = threading.Event()
        self.idle.set()
        self.thread = threading.Thread(target=self._run, name="call-log", daemon=True)
        self.thread.start()

    def record(self, *, sandbox: Sandbox, at: str, row: ApiCall, fields: dict[str, Any]) -> None:
        self.idle.clear()
        self.queue.put(PendingCall(sandbox, row, build_event(sandbox, API_CALL.name, at, fields)))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every record handed over so far is written and published."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.queue.empty() and self.idle.wait(timeout=0.01):
                return True
        return False

    def _run(self) -> None:
        while True:
            batch = [self.queue.get()]
            self.idle.clear()
            deadline = time.monotonic() + BATCH_WINDOW_SECONDS
            while len(batch) < MAX_BATCH and (left := deadline - time.monotonic()) > 0:
                try:
                    batch.append(self.queue.get(timeout=left))
                except queue.Empty:
                    break
            self._write(batch)
            if self.queue.empty():
                self.idle.set()

    def _write(self, batch: list[PendingCall]) -> None:
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
        except Exception:
            LOG.exception("could not write %d call records", len(batch))
            return
        for pending in written:
            send_now(pending.sandbox.group_name, pending.event)


_current: CallLog | None = None
_lock = threading.Lock()


def call_log() -> CallLog:
    """This process's writer (a new one after a fork: threads do not survive it)."""
    global _current
    log = _current
    if log is None or log.pid != os.getpid():
        with _lock:
            if _current is None or _current.pid != os.getpid():
                _current = CallLog()
            log = _current
    return log
