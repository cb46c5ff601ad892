"""Object bytes in the platform's blob storage (Django's storage API, `storages["blobs"]`).

store() writes a body (bytes, or a file: a large request body is one, still on disk) to a new file
while computing its MD5 and the flexible checksums asked for, in one pass; a body the server spooled
to disk on the storage's own file system is hard-linked into place after that pass instead of
copied. Files are named `<account id>/<random hex>`, never rewritten; discard_on_commit() removes
one once the transaction that stopped using it commits (a rolled-back call keeps it).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction

from services.s3 import checksums

CHUNK_BYTES = 1024 * 1024


def blobs() -> Storage:
    return storages["blobs"]


@dataclass
class Stored:
    name: str
    size: int
    md5: bytes
    checksums: dict[str, str] = field(default_factory=dict)  # algorithm -> base64 value
    sha256_hex: str = ""  # the body's SHA-256 in hex, when asked for (x-amz-content-sha256)

    @property
    def etag(self) -> str:
        return f'"{self.md5.hex()}"'


class _Hashing:
    """A reader that digests what passes through it."""

    def __init__(self, source: Any, algorithms: Iterable[str], *, sha256: bool = False) -> None:
        self.source = source
        self.md5 = hashlib.md5()  # noqa: S324  (S3's ETag)
        self.hashers = {algorithm: checksums.hasher(algorithm) for algorithm in algorithms}
        self.sha256 = hashlib.sha256() if sha256 else None
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.source.read(size)
        self.size += len(data)
        self.md5.update(data)
        for found in self.hashers.values():
            found.update(data)
        if self.sha256 is not None:
            self.sha256.update(data)
        return data

    def result(self, name: str) -> Stored:
        values = {algorithm: checksums.encode(found.digest()) for algorithm, found in self.hashers.items()}
        sha256_hex = self.sha256.hexdigest() if self.sha256 is not None else ""
        return Stored(name=name, size=self.size, md5=self.md5.digest(), checksums=values, sha256_hex=sha256_hex)


def new_name(account_id: str) -> str:
    return f"{account_id}/{uuid.uuid4().hex}"


def _spooled_path(source: Any) -> Path | None:
    """The path of a request body the server spooled into the storage's file system, if `source` is one."""
    name = getattr(source, "name", None)
    if not isinstance(name, str) or not hasattr(source, "fileno"):
        return None
    path = Path(name)
    try:
        return path if path.parent.resolve() == Path(settings.SPOOL_DIR).resolve() else None
    except OSError:
        return None


def store(
    *, account_id: str, source: bytes | BinaryIO | Any, algorithms: Iterable[str] = (), sha256: bool = False
) -> Stored:
    """Write `source` to a new file of the blob storage; its name, size, MD5 and checksums (and
    SHA-256 in hex when `sha256`)."""
    storage = blobs()
    name = new_name(account_id)
    algorithms = list(algorithms)
    if isinstance(source, bytes | bytearray):
        reader = _Hashing(_BytesSource(bytes(source)), algorithms, sha256=sha256)
        while reader.read(CHUNK_BYTES):
            pass
        storage.save(name, ContentFile(bytes(source)))
        return reader.result(name)
    spooled = _spooled_path(source)
    reader = _Hashing(source, algorithms, sha256=sha256)
    if spooled is not None and hasattr(storage, "path"):
        while reader.read(CHUNK_BYTES):
            pass
        target = Path(storage.path(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(spooled, target)
            return reader.result(name)
        except OSError:
            source.seek(0)  # another file system after all: copy it
            reader = _Hashing(source, algorithms, sha256=sha256)
    chunks: Any = _Chunks(reader)
    storage.save(name, File(chunks))
    return reader.result(name)


def copy(*, account_id: str, name: str) -> str:
    """A new file with the bytes of stored file `name` (CopyObject): linked where the storage allows."""
    storage = blobs()
    new = new_name(account_id)
    if hasattr(storage, "path"):
        target = Path(storage.path(new))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(storage.path(name), target)
            return new
        except OSError:
            pass
    with storage.open(name, "rb") as source:
        storage.save(new, File(source))
    return new


def open_blob(name: str) -> BinaryIO:
    found: Any = blobs().open(name, "rb")
    return getattr(found, "file", found)  # the real file under Django's File: fileno() for zero-copy sends


def discard(name: str) -> None:
    if name:
        blobs().delete(name)


def discard_on_commit(names: Iterable[str]) -> None:
    pending = [name for name in names if name]

    def remove() -> None:
        for name in pending:
            discard(name)

    if pending:
        transaction.on_commit(remove)


class _BytesSource:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.position + size
        chunk = bytes(self.data[self.position : end])
        self.position += len(chunk)
        return chunk


class _Chunks:
    """What Django's File needs of a reader it saves: read() in chunks (no seek, no size)."""

    def __init__(self, reader: _Hashing) -> None:
        self.reader = reader

    def read(self, size: int = -1) -> bytes:
        return self.reader.read(CHUNK_BYTES if size < 0 else size)
