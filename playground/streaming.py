"""Large HTTP bodies on disk, both ways, under Daphne.

Daphne reads a request's whole body into the application's receive queue before the application
runs, and writes a response body as fast as the application hands it over, with no back-pressure
from the socket: a 1 GB upload or download would sit in memory. `install()` (called by
playground/asgi.py, once per process, before Daphne serves anything) adapts Daphne's request
class, without replacing any of its logic:

- A request body longer than SPOOL_THRESHOLD_BYTES, or of unknown length, is written by Twisted
  straight into a named file in settings.SPOOL_DIR as it arrives (the blob storage's file system,
  so a service can hard-link it into place instead of copying it). The application then receives
  an empty body and finds the file in the scope: `scope["extensions"][SPOOLED_BODY]["path"]`
  (`spooled_body(scope)`). Twisted deletes the file when the response is finished or the
  connection is lost; whoever needs it longer links it elsewhere first.
- ASGI's `http.response.zerocopysend` extension is offered: the application sends
  `{"type": "http.response.zerocopysend", "file": <open binary file>, "offset": n, "count": n}`
  after `http.response.start`, and Twisted writes that part of the file to the socket as the
  socket drains (a pull producer), closes the file and finishes the response.

- AWS's own response headers (`x-amz-*`) keep the case the application gave them: Twisted writes
  every header name in Title-Case, which turned S3 user metadata `x-amz-meta-author` into
  `X-Amz-Meta-Author` and so the key `Author` for every SDK (AWS sends these names lower-case).

- A body up to SPOOL_THRESHOLD_BYTES stays in memory and reaches the application in one
  `http.request` message. Twisted itself would write any body past 100,000 bytes to an anonymous
  temporary file, and Daphne would hand it over in 8 KB messages: a 700 KB Kinesis PutRecords went
  to disk and back and through the application's queue some 90 times (about 3 ms of server CPU
  in a bare ASGI app under Daphne, bench measurement 2026-12-07).

Anything else (WebSockets, other ASGI servers) is untouched; the gateway falls back
to reading and writing bodies itself when the scope offers neither extension.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from typing import Any

from django.conf import settings

SPOOLED_BODY = "playground.spooled_body"
ZERO_COPY_SEND = "http.response.zerocopysend"
SPOOL_THRESHOLD_BYTES = 1024 * 1024
STALE_SPOOL_SECONDS = 24 * 3600  # spooled bodies a killed process left behind, removed at start

_installed = False


class SpoolFile:
    """Twisted's request content file, as a named file in the spool folder, removed on close."""

    def __init__(self) -> None:
        folder = settings.SPOOL_DIR
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, self.name = tempfile.mkstemp(dir=folder, prefix="body-")
        self._file = os.fdopen(descriptor, "w+b")

    def write(self, data: bytes) -> int:
        return self._file.write(data)

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def flush(self) -> None:
        self._file.flush()

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.name)

    def __del__(self) -> None:
        self.close()


def _remove_stale_spool_files() -> None:
    """Bodies spooled by a process that was killed mid-request (never by a live one: no request
    lasts a day). Several server processes may share the folder."""
    folder = settings.SPOOL_DIR
    if not folder.is_dir():
        return
    cutoff = time.time() - STALE_SPOOL_SECONDS
    for path in folder.glob("body-*"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def spooled_body(scope: dict[str, Any]) -> str | None:
    """The path of the request's body when Daphne spooled it to disk, else None."""
    found = (scope.get("extensions") or {}).get(SPOOLED_BODY)
    return str(found["path"]) if found else None


def offers_zero_copy(scope: dict[str, Any]) -> bool:
    return ZERO_COPY_SEND in (scope.get("extensions") or {})


def install() -> None:
    """Adapt Daphne's request handling as the module docstring says (idempotent)."""
    global _installed
    if _installed:
        return
    try:
        from daphne import http_protocol, server
        from twisted.web import http_headers
        from twisted.web.static import SingleRangeStaticProducer
    except ImportError:  # not served by Daphne: nothing to adapt
        return
    _installed = True
    _remove_stale_spool_files()
    request_class: Any = http_protocol.WebRequest
    server_class: Any = server.Server
    init = server_class.__init__
    create_application = server_class.create_application
    handle_reply = request_class.handle_reply

    def spooling_got_length(self: Any, length: int | None) -> None:
        # Twisted keeps bodies under 100,000 bytes in memory and writes longer ones to an
        # anonymous temporary file: a 700 KB PutRecords would go to disk and back.
        self.content = io.BytesIO() if length is not None and length <= SPOOL_THRESHOLD_BYTES else SpoolFile()

    def init_with_whole_bodies(self: Any, *args: Any, **kwargs: Any) -> None:
        # Daphne hands a body over in messages of request_buffer_size (8 KB unless set): a body
        # already in memory goes in one message, not one per 8 KB through the application's queue.
        init(self, *args, **kwargs)
        self.request_buffer_size = max(self.request_buffer_size, SPOOL_THRESHOLD_BYTES + 1)

    def create_application_with_extensions(self: Any, protocol: Any, scope: dict[str, Any]) -> Any:
        if scope.get("type") == "http":
            extensions = scope.setdefault("extensions", {})
            extensions[ZERO_COPY_SEND] = {}
            content = getattr(protocol, "content", None)
            if isinstance(content, SpoolFile):
                content.flush()
                extensions[SPOOLED_BODY] = {"path": content.name}
                content.seek(0, os.SEEK_END)  # Daphne then hands the application an empty body
        return create_application(self, protocol, scope)

    def handle_reply_with_files(self: Any, message: dict[str, Any]) -> None:
        if message.get("type") != ZERO_COPY_SEND:
            handle_reply(self, message)
            return
        if self.finished or self.channel is None:
            message["file"].close()
            return
        file = message["file"]
        offset = int(message.get("offset") or 0)
        count = message.get("count")
        if count is None:
            count = os.fstat(file.fileno()).st_size - offset
        if count <= 0:
            file.close()
            handle_reply(self, {"type": "http.response.body", "body": b""})
            return
        SingleRangeStaticProducer(self, file, offset, int(count)).start()

    base_encoder: Any = type(http_headers._nameEncoder)

    class KeepingAwsNames(base_encoder):
        __slots__ = ()

        def encode(self, name: str | bytes) -> bytes:
            canonical = bytes(super().encode(name))  # its checks: a token, no whitespace
            raw = name.encode("iso-8859-1") if isinstance(name, str) else name
            return raw if raw[:6] == b"x-amz-" and raw == raw.lower() else canonical

    http_headers._nameEncoder = KeepingAwsNames()
    request_class.gotLength = spooling_got_length
    server_class.__init__ = init_with_whole_bodies
    server_class.create_application = create_application_with_extensions
    request_class.handle_reply = handle_reply_with_files
