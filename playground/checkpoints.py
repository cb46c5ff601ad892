"""SQLite's WAL checkpoints, off the request path (the embedded default database only).

In WAL mode a commit appends the pages it changed to the database's -wal file, and a checkpoint
copies them back into the database file and syncs it. SQLite runs that checkpoint itself, inside
whichever COMMIT takes the log past `wal_autocheckpoint` (1,000 pages): one call in a few paid for
copying and flushing every writer's pages. SQLite alone, 500 Kinesis-sized rows a transaction
(bench measurement 2026-12-07): the commit took 4.2 ms on average with the automatic checkpoint,
1.8 ms without.

`install()` (from the sandboxes app's ready()) turns the automatic checkpoint off on every SQLite
connection this process opens, and registers the database's file with this process's checkpoint
thread. Every CHECKPOINT_SECONDS (settings.SQLITE_CHECKPOINT_SECONDS) that thread opens the file
on a connection of its own and runs a PASSIVE checkpoint: it copies what no reader still needs,
never waits for a reader or a writer, and leaves the rest to the next round. So no call waits for
it, and the next writer restarts the log once all of it is copied. SQLite's own checkpoints still
happen where they did when a process closes the database's last connection.

The thread opens the file anew each round, read-write only, so a test database deleted and made
again under the same name is the new file, and a deleted one is forgotten rather than recreated.

SQLITE_CHECKPOINT_SECONDS = 0 leaves SQLite's automatic checkpoint as it was.

LIMITATION: the log grows by what the writers commit between two rounds (a busy classroom some
megabytes); a process killed between rounds leaves its pages in the log, which SQLite reads and
copies later, so nothing is lost.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.backends.signals import connection_created

from playground.background import per_process

LOG = logging.getLogger(__name__)


def _database_file(name: Any) -> str | None:
    """The path of an on-disk SQLite database, None for an in-memory one."""
    text = str(name or "")
    if not text or text == ":memory:" or text.startswith("file:") or "mode=memory" in text:
        return None
    return text


def checkpoint(path: str) -> tuple[int, int, int] | None:
    """One PASSIVE checkpoint of the database at `path`: (busy, frames in the log, frames copied),
    or None when the file is gone."""
    try:
        connection = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=rw", uri=True, isolation_level=None)
    except sqlite3.OperationalError:
        return None
    try:
        busy, logged, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(logged), int(copied)
    finally:
        connection.close()


class Checkpointer:
    """This process's checkpoint thread and the database files it keeps (per_process makes a new
    one, with a thread and a lock of its own, in a forked child)."""

    def __init__(self, interval: float) -> None:
        self.pid = os.getpid()
        self.interval = interval
        self._files: set[str] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True).start()

    def watch(self, path: str) -> None:
        with self._lock:
            self._files.add(path)

    def flush(self, timeout: float = 0.0) -> bool:
        return True  # nothing is queued here: what is not copied yet is in SQLite's log

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            with self._lock:
                paths = sorted(self._files)
            for path in paths:
                try:
                    if checkpoint(path) is None:
                        with self._lock:
                            self._files.discard(path)
                except sqlite3.Error as problem:  # busy or locked: the next round tries again
                    LOG.debug("checkpoint of %s skipped: %s", path, problem)


_checkpointer = per_process(lambda: Checkpointer(settings.SQLITE_CHECKPOINT_SECONDS))


def _opened(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "sqlite":
        return
    path = _database_file(connection.settings_dict.get("NAME"))
    if path is None:
        return
    connection.connection.execute("PRAGMA wal_autocheckpoint=0")
    _checkpointer().watch(os.path.abspath(path))


def install() -> None:
    """Move this process's SQLite checkpoints to its checkpoint thread (idempotent)."""
    if settings.SQLITE_CHECKPOINT_SECONDS > 0:
        connection_created.connect(_opened, dispatch_uid="playground.checkpoints")
