"""playground/checkpoints.py: SQLite's WAL checkpoints run on a thread of their own, not in a commit.

On SQLite only (the suite's first pass); PostgreSQL has no such log.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import SandboxInfo
from tests.waiting import wait_until


def _sqlite_file() -> Path:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write-ahead log only")
    connection.ensure_connection()
    return Path(connection.settings_dict["NAME"])


def test_a_commit_runs_no_checkpoint_and_the_thread_copies_the_log(sandbox: SandboxInfo, db_access: None) -> None:
    from django.db import connection

    from playground.live.models import LiveEvent
    from playground.sandboxes.models import Sandbox

    path = _sqlite_file()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == 0  # no COMMIT of this connection copies the log
    # In WAL mode only a checkpoint writes the database file itself. One small commit stays far
    # below SQLite's own 1,000-page mark, so only the checkpoint thread can copy it there.
    written = os.stat(path).st_mtime_ns
    LiveEvent.objects.create(sandbox=Sandbox.objects.get(pk=sandbox.id), seq=10**9, type="probe", payload={})

    def database_file_written() -> bool:
        return os.stat(path).st_mtime_ns != written

    wait_until(database_file_written, timeout=10.0)


def test_a_database_file_that_is_gone_is_forgotten_not_made(tmp_path: Path) -> None:
    from playground.checkpoints import checkpoint

    gone = tmp_path / "deleted.sqlite3"
    assert checkpoint(str(gone)) is None
    assert not gone.exists()


def test_a_checkpoint_copies_what_the_log_holds(tmp_path: Path) -> None:
    import sqlite3

    from playground.checkpoints import checkpoint

    path = tmp_path / "db.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (body BLOB)")
    writer.execute("INSERT INTO t VALUES (?)", (os.urandom(100_000),))
    found = checkpoint(str(path))
    assert found is not None
    busy, logged, copied = found
    assert (busy, copied) == (0, logged)
    assert logged > 20
    writer.close()


def test_a_forked_child_runs_a_checkpoint_thread_of_its_own(db_access: None) -> None:
    """Celery's prefork workers: threads do not survive a fork, so the child's first connection
    starts its own thread (with a lock of its own, should the parent's thread have held one)."""
    import threading

    from django.db import connections

    _sqlite_file()
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # the child: a connection of its own, then report whether its thread runs
        try:
            fresh = connections.create_connection("default")  # not the parent's: a fork must not close it
            fresh.ensure_connection()
            fresh.close()
            running = any(thread.name == "sqlite-checkpoints" for thread in threading.enumerate())
            os.write(writing, b"yes" if running else b"no")
        finally:
            os._exit(0)
    os.close(writing)
    answer = os.read(reading, 16)
    os.close(reading)
    os.waitpid(child, 0)
    assert answer == b"yes"
