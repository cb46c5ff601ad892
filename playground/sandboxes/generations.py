"""Change counters per sandbox, shared by every process on this machine, so that what a server
process keeps in memory about a sandbox (its access keys, its clock) is dropped by the very next
call after a change, whichever process made it.

    generation(sandbox_id)        read on every AWS call: one read of shared memory, no query
    bump(sandbox_id)              after a change commits (the receivers below do it)

The counters live in a small file mapped into memory (MAP_SHARED) next to the database (SQLite) or
in the var folder named after the database (PostgreSQL): the Daphne processes, Celery workers,
management commands and the test process of one database on one machine all map the same file.
A sandbox's slot is its id modulo SLOTS; two sandboxes sharing a slot only drop each other's
cache more often.

Bumped, on commit, whenever a Clock is saved (pause, resume, speed, advance), an AccessKey is
changed or deleted (deactivated, rotated, deleted, expired and removed by due work, cascaded with
its sandbox), a Sandbox is saved or deleted, or a sandbox is reset. A new key bumps nothing: no
process can hold it yet.

LIMITATION: processes on other machines (docker compose's scaled-out web containers without a
shared var volume) do not share the file; there a cache entry also expires after
gateway.handler.BACKSTOP_SECONDS, as IAM's own changes take a few seconds to be seen everywhere.
When the file cannot be made, every read answers a new number, so nothing is cached.
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import logging
import mmap
import os
import struct
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

LOG = logging.getLogger(__name__)

SLOTS = 4096
_SLOT = struct.Struct("<Q")
_lock = threading.Lock()
_maps: dict[tuple[Any, ...], tuple[int, mmap.mmap] | None] = {}  # by the database's identity
_uncached = itertools.count(1 << 62)  # when no file: a fresh number every read, matching nothing


def generations_path() -> Path:
    """The file of the default database's counters."""
    db = settings.DATABASES["default"]
    name = str(db.get("NAME") or "")
    if db["ENGINE"] == "django.db.backends.sqlite3" and name and name != ":memory:" and "mode=memory" not in name:
        return Path(name + "-generations")
    where = f"{db['ENGINE']}|{db.get('HOST')}|{db.get('PORT')}|{name}"
    return Path(settings.VAR_DIR) / f"generations-{hashlib.sha256(where.encode()).hexdigest()[:16]}"


def _mapped() -> tuple[int, mmap.mmap] | None:
    db = settings.DATABASES["default"]
    which = (db["ENGINE"], db.get("NAME"), db.get("HOST"), db.get("PORT"))
    found = _maps.get(which, False)
    if found is not False:
        return found  # type: ignore[return-value]
    with _lock:
        if which in _maps:
            return _maps[which]
        path = str(generations_path())
        mapped: tuple[int, mmap.mmap] | None = None
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            size = SLOTS * _SLOT.size
            if os.fstat(fd).st_size < size:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    if os.fstat(fd).st_size < size:
                        os.ftruncate(fd, size)
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            mapped = (fd, mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE))
        except OSError as problem:
            LOG.warning("no shared change counters at %s (%s): sandbox caches are off", path, problem)
        _maps[which] = mapped
        return mapped


def generation(sandbox_id: int) -> int:
    """The sandbox's change count; a cache entry made under another count is stale."""
    mapped = _mapped()
    if mapped is None:
        return next(_uncached)
    return int(_SLOT.unpack_from(mapped[1], (sandbox_id % SLOTS) * _SLOT.size)[0])


def bump(sandbox_id: int) -> None:
    """Count a change of the sandbox (call it once the change is committed)."""
    mapped = _mapped()
    if mapped is None:
        return
    fd, memory = mapped
    offset = (sandbox_id % SLOTS) * _SLOT.size
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        _SLOT.pack_into(memory, offset, (_SLOT.unpack_from(memory, offset)[0] + 1) % (1 << 62))
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def bump_on_commit(sandbox_id: int | None) -> None:
    """Bump now and again once the current transaction commits: a reader that loaded the old rows
    in between stores them under the first count, which the second makes stale."""
    if sandbox_id is None:
        return
    bump(sandbox_id)
    transaction.on_commit(lambda: bump(sandbox_id))


def _changed(sender: Any, instance: Any, created: bool = False, raw: bool = False, **kwargs: Any) -> None:
    if raw or created:
        return
    bump_on_commit(instance.pk if sender.__name__ == "Sandbox" else instance.sandbox_id)


def _reset(sender: Any, sandbox: Any, **kwargs: Any) -> None:
    bump_on_commit(sandbox.pk)


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from playground.sandboxes.models import AccessKey, Clock, Sandbox
    from playground.sandboxes.signals import clock_changed, sandbox_was_reset

    for model in (AccessKey, Clock, Sandbox):
        post_save.connect(_changed, sender=model, dispatch_uid=f"generations-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"generations-delete-{model.__name__}")
    clock_changed.connect(_reset, dispatch_uid="generations-clock")
    sandbox_was_reset.connect(_reset, dispatch_uid="generations-reset")
