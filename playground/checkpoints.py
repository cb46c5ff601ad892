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

LOG = logging.getLogger(__name__)

_files: set[str] = set()
_lock = threading.Lock()


def _after_fork_in_child() -> None:
    # A fork while the parent's checkpoint thread held the lock would leave it held for ever in the
    # child (Celery's prefork workers): the child takes a new one, and starts its own thread.
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


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


def _run(interval: float) -> None:
    while True:
        time.sleep(interval)
        with _lock:
            paths = sorted(_files)
        for path in paths:
            try:
                if checkpoint(path) is None:
                    with _lock:
                        _files.discard(path)
            except sqlite3.Error as problem:  # busy or locked: the next round tries again
                LOG.debug("checkpoint of %s skipped: %s", path, problem)


_running_in: list[int] = []  # the pid whose checkpoint thread runs (threads do not survive a fork)


def _start_thread() -> None:
    with _lock:
        if _running_in and _running_in[0] == os.getpid():
            return
        _running_in[:] = [os.getpid()]
    thread = threading.Thread(
        target=_run, args=(settings.SQLITE_CHECKPOINT_SECONDS,), name="sqlite-checkpoints", daemon=True
    )
    thread.start()


def _opened(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "sqlite":
        return
    path = _database_file(connection.settings_dict.get("NAME"))
    if path is None:
        return
    path = os.path.abspath(path)
    connection.connection.execute("PRAGMA wal_autocheckpoint=0")
    with _lock:
        _files.add(path)
    _start_thread()


def install() -> None:
    """Move this process's SQLite checkpoints to its checkpoint thread (idempotent)."""
    if settings.SQLITE_CHECKPOINT_SECONDS > 0:
        connection_created.connect(_opened, dispatch_uid="playground.checkpoints")
