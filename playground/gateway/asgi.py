"""The AWS front door at the ASGI level.

A request that carries an AWS protocol's markers, on any path, is an AWS API call: signed with
SigV4 (Authorization header or presigned query), or unsigned but shaped as AWS's protocols shape
requests (X-Amz-Target, an AWS JSON or CBOR content type, the query protocol's Action and Version;
see gateway/unsigned.py). It goes straight to the gateway's handler, without Django's request
object, middleware, URL routing, sessions or CSRF, none of which an AWS call uses, so it is always
answered in its protocol and never with one of Django's HTML pages. A form-encoded POST is read
first to tell an unsigned query call (Action and Version in the body) from a GUI form, which then
passes on with its body intact. Everything else (the GUI, the REST API, static files) passes to
the Django application unchanged.

Large bodies stay on disk both ways (playground/streaming.py): a request body the server spooled to
a file reaches the handler as that file (AwsRequest.body_file), which keeps it for an operation
streaming its input and reads it into memory, within DATA_UPLOAD_MAX_MEMORY_SIZE, for any other;
a response carrying a BodyStream is sent from its file as the socket drains (the server's
zero-copy send), or in chunks read in the handler's threads when the server offers none.

The handler runs in a thread pool of its own: providers use the ORM and a long poll may hold its
thread for 20 s, which must not starve the threads Django serves the GUI with. Each thread keeps
its database connection between calls, as Django's request cycle would (CONN_MAX_AGE), and checks
it (PostgreSQL's health check) only after an error or a second of idleness, not on every call.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connections

from playground.gateway.handler import handle
from playground.gateway.request import AwsRequest, BodyStream, Headers, HttpResponse
from playground.gateway.unsigned import is_aws_shaped, is_query_form, may_be_query_form
from playground.live import wakeup
from playground.streaming import ZERO_COPY_SEND, offers_zero_copy, spooled_body

CHUNK_BYTES = 256 * 1024

Scope = dict[str, Any]

_executor = ThreadPoolExecutor(max_workers=settings.GATEWAY_THREADS, thread_name_prefix="aws-gateway")


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers") or ()}


def is_aws_request(scope: Scope) -> bool:
    """An AWS call by its headers and query string alone (a form body may still make it one)."""
    if scope["type"] != "http":
        return False
    return is_aws_shaped(_headers(scope), scope.get("query_string", b"").decode("latin-1"))


async def peek_body(receive: Any, limit: int) -> tuple[list[bytes], bool]:
    """Read the body up to about `limit` bytes, keeping what was read: (chunks, whether it ended)."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        message = await receive()
        if message["type"] == "http.disconnect":
            return chunks, True
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return chunks, True
    return chunks, False


def replaying(chunks: list[bytes], ended: bool, receive: Any) -> Any:
    """A `receive` that hands out the body already read, then what is still to come."""
    pending = [{"type": "http.request", "body": b"".join(chunks), "more_body": not ended}]

    async def replay() -> Any:
        if pending:
            return pending.pop()
        return await receive()

    return replay


def reading_file(path: str, receive: Any) -> Any:
    """A `receive` that hands out a spooled body from its file, in chunks, then what is to come."""
    source = open(path, "rb")  # noqa: SIM115  (closed when read to the end)

    async def read() -> Any:
        if source.closed:
            return await receive()
        chunk = source.read(CHUNK_BYTES)
        if len(chunk) < CHUNK_BYTES:
            source.close()
            return {"type": "http.request", "body": chunk, "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    return read


async def read_body(receive: Any, limit: int) -> tuple[bytes, bool]:
    """The whole body, or (b"", True) once it passes `limit` bytes (the rest is drained unread)."""
    chunks: list[bytes] = []
    size = 0
    oversized = False
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        if not oversized:
            size += len(chunk)
            if size > limit:
                oversized, chunks = True, []
            else:
                chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return (b"" if oversized else b"".join(chunks)), oversized


def aws_request_from_scope(scope: Scope, body: bytes, *, oversized: bool, body_file: Any = None) -> AwsRequest:
    headers = Headers((name.decode("latin-1"), value.decode("latin-1")) for name, value in scope.get("headers") or ())
    raw_path = scope.get("raw_path")
    raw = raw_path.decode("latin-1").split("?", 1)[0] if raw_path else scope["path"]
    client = scope.get("client") or ("", 0)
    server = scope.get("server") or ("localhost", 80)
    return AwsRequest(
        method=scope["method"],
        path=scope["path"],
        raw_path=raw,
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
        host=headers.get("host") or f"{server[0]}:{server[1]}",
        scheme=scope.get("scheme", "http"),
        source_ip=client[0] or "",
        oversized=oversized,
        body_file=body_file,
    )


# A thread's connection used within this many seconds is trusted without a health check (on
# PostgreSQL, Django's CONN_HEALTH_CHECKS costs a `SELECT 1` before the first query of every
# request): within a burst of calls it was just seen working.
HEALTH_CHECK_IDLE_SECONDS = 1.0
_last_used = threading.local()


def _keep_connections() -> None:
    """What Django's request_started / request_finished signals do for its own threads
    (close_old_connections), paid only when needed: after an error, past the connection's maximum
    age, or when it was idle long enough to have been dropped by the database."""
    now = time.monotonic()
    idle = now - getattr(_last_used, "at", 0.0) > HEALTH_CHECK_IDLE_SECONDS
    _last_used.at = now
    for connection in connections.all(initialized_only=True):
        if connection.connection is None:
            continue
        obsolete = connection.close_at is not None and now >= connection.close_at
        if idle or obsolete or connection.errors_occurred or not connection.get_autocommit():
            connection.close_if_unusable_or_obsolete()


def _release_connections() -> None:
    """After a call: a connection left broken or inside a transaction is not kept."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and (connection.errors_occurred or not connection.get_autocommit()):
            connection.close_if_unusable_or_obsolete()


def _handle_in_thread(request: AwsRequest) -> HttpResponse:
    _keep_connections()
    try:
        return handle(request)
    finally:
        _release_connections()


def _next_in_thread(messages: Iterator[bytes], client_gone: threading.Event) -> bytes | None:
    _keep_connections()
    try:
        with wakeup.answering(client_gone):
            return next(messages, None)
    except wakeup.ClientGone:
        return None  # the iterator stopped waiting and is finished
    finally:
        _release_connections()


async def _send_stream(messages: Iterator[bytes], receive: Any, send: Any) -> None:
    """An event stream answer: each message as the provider's iterator yields it (in the gateway's
    threads: it reads the database and may wait), until it ends or the client goes away.

    A client that goes away while the iterator waits for its next message is noticed at once: the
    iterator's wake-up waits then raise (wakeup.answering), so its thread returns to the pool, and
    the iterator is closed once that step is over (never while a thread is still inside it)."""
    loop = asyncio.get_running_loop()
    gone = asyncio.ensure_future(_disconnected(receive))
    client_gone = threading.Event()
    step: asyncio.Future[bytes | None] | None = None
    try:
        while True:
            step = loop.run_in_executor(_executor, _next_in_thread, messages, client_gone)
            await asyncio.wait((step, gone), return_when=asyncio.FIRST_COMPLETED)
            if gone.done():
                break
            message, step = step.result(), None
            if message is None:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                break
            await send({"type": "http.response.body", "body": message, "more_body": True})
    finally:
        client_gone.set()
        gone.cancel()
        close = getattr(messages, "close", None)
        if step is not None and not step.done():
            step.add_done_callback(lambda finished: _close_after(finished, close))
        elif close is not None:
            await loop.run_in_executor(_executor, close)


def _close_after(step: asyncio.Future[bytes | None], close: Callable[[], None] | None) -> None:
    """Close an event stream's iterator once the step a thread was running in it has returned."""
    if not step.cancelled():
        step.exception()  # retrieved: a failed last step of a gone client is nobody's to report
    if close is not None:
        asyncio.get_running_loop().run_in_executor(_executor, close)


async def _disconnected(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class AwsGateway:
    """ASGI middleware: AWS calls to the gateway, everything else to `application`."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.application(scope, receive, send)
            return
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        spool = spooled_body(scope)
        if spool is not None and is_aws_request(scope):
            with open(spool, "rb") as body_file:
                request = aws_request_from_scope(scope, b"", oversized=False, body_file=body_file)
                response = await self._handle(request)
            await self._respond(scope, request, response, receive, send)
            return
        if spool is not None:
            receive = reading_file(spool, receive)
        if not is_aws_request(scope):
            if not may_be_query_form(scope["method"], _headers(scope)):
                await self.application(scope, receive, send)
                return
            chunks, ended = await peek_body(receive, limit)
            if not is_query_form(b"".join(chunks)[: limit + 1]):
                await self.application(scope, replaying(chunks, ended, receive), send)
                return
            # An unsigned query call: what was read is its body, unless it passed the limit.
            receive = replaying(chunks, ended, receive)
        body, oversized = await read_body(receive, limit)
        request = aws_request_from_scope(scope, body, oversized=oversized)
        response = await self._handle(request)
        await self._respond(scope, request, response, receive, send)

    async def _handle(self, request: AwsRequest) -> HttpResponse:
        return await asyncio.get_running_loop().run_in_executor(_executor, _handle_in_thread, request)

    async def _respond(
        self, scope: Scope, request: AwsRequest, response: HttpResponse, receive: Any, send: Any
    ) -> None:
        stream = response.stream
        if response.status in (204, 304):  # HTTP allows these no body (S3's 304 Not Modified has none)
            response.body = b""
        headers = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in response.headers.items()]
        if response.events is not None:
            await send({"type": "http.response.start", "status": response.status, "headers": headers})
            await _send_stream(response.events, receive, send)
            return
        if not any(name == b"content-length" for name, _ in headers):
            length = stream.length if stream is not None else len(response.body)
            headers.append((b"content-length", str(length).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        if stream is None or request.method == "HEAD":
            if stream is not None:
                stream.file.close()
            # A HEAD answer carries the headers of the GET answer and no body (S3 HeadObject errors too).
            await send({"type": "http.response.body", "body": b"" if request.method == "HEAD" else response.body})
            return
        if offers_zero_copy(scope):
            await send({"type": ZERO_COPY_SEND, "file": stream.file, "offset": stream.offset, "count": stream.length})
            return
        await _send_in_chunks(stream, send)


async def _send_in_chunks(stream: BodyStream, send: Any) -> None:
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(_executor, stream.file.seek, stream.offset)
        left = stream.length
        while left > 0:
            chunk = await loop.run_in_executor(_executor, stream.file.read, min(CHUNK_BYTES, left))
            if not chunk:
                break
            left -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": left > 0})
        if left > 0:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        stream.file.close()
