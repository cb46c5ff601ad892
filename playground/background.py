"""Work handed off the request path: one daemon thread per process, fed by a queue.

    writer = per_process(lambda: Worker("call-log", write_batch, max_batch=500, window=0.02))
    writer().put(item)       # returns at once; write_batch(list_of_items) runs on the thread
    writer().flush(5.0)      # wait until everything handed over so far is handled

The thread takes whatever has gathered (up to `max_batch` items, waiting up to `window` seconds for
more) and hands the batch to its handler; a handler that raises is logged and the thread goes on.
`per_process` makes the worker on first use, and a new one in a forked child (threads do not
survive a fork: Celery's prefork workers, the test servers), and flushes it at interpreter exit.

The call log (gateway/calllog.py), the live-event store and sender (live/store.py, live/bus.py)
and the wake-up publisher (live/wakeup.py) are such workers.

LIMITATION: items still queued when a process is killed (kill -9) are lost.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

LOG = logging.getLogger(__name__)


class PerProcess(Protocol):
    """What per_process keeps: the process it was made in, and a flush for the interpreter's exit."""

    pid: int

    def flush(self, timeout: float = ...) -> bool: ...


T = TypeVar("T")
W = TypeVar("W", bound=PerProcess)

EXIT_FLUSH_SECONDS = 2.0


class Worker(Generic[T]):
    def __init__(
        self, name: str, handle: Callable[[list[T]], None], *, max_batch: int = 500, window: float = 0.0
    ) -> None:
        self.name = name
        self.handle = handle
        self.max_batch = max_batch
        self.window = window
        self.pid = os.getpid()
        self._queue: queue.SimpleQueue[T] = queue.SimpleQueue()
        self._unfinished = 0  # handed over and not handled yet
        self._done = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, item: T) -> None:
        with self._done:
            self._unfinished += 1
        self._queue.put(item)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every item handed over so far is handled; False when the time ran out."""
        deadline = time.monotonic() + timeout
        with self._done:
            while self._unfinished:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._done.wait(left)
        return True

    def _take(self) -> list[T]:
        batch = [self._queue.get()]
        deadline = time.monotonic() + self.window
        while len(batch) < self.max_batch:
            left = deadline - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            try:
                self.handle(batch)
            except Exception:  # the thread must live on: later items would go nowhere
                LOG.exception("%s: could not handle %d items", self.name, len(batch))
            with self._done:
                self._unfinished -= len(batch)
                if not self._unfinished:
                    self._done.notify_all()


def per_process(make: Callable[[], W]) -> Callable[[], W]:
    """A getter for this process's worker: made on first use, made again after a fork. A forked
    child also takes a new lock: a fork while another thread of the parent held it would leave it
    held for ever in the child (Celery's prefork workers)."""
    locks = [threading.Lock()]
    current: list[W] = []
    os.register_at_fork(after_in_child=lambda: locks.__setitem__(0, threading.Lock()))

    def get() -> W:
        if current and current[0].pid == os.getpid():
            return current[0]
        with locks[0]:
            if not current or current[0].pid != os.getpid():
                worker = make()
                current[:] = [worker]
                atexit.register(worker.flush, EXIT_FLUSH_SECONDS)
            return current[0]

    return get
