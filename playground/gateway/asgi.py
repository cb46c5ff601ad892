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

The handler runs in a thread pool of its own: providers use the ORM and a long poll may hold its
thread for 20 s, which must not starve the threads Django serves the GUI with. Each thread keeps
its database connection between calls, as Django's request cycle would (CONN_MAX_AGE).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import close_old_connections

from playground.gateway.handler import handle
from playground.gateway.request import AwsRequest, Headers, HttpResponse
from playground.gateway.unsigned import is_aws_shaped, is_query_form, may_be_query_form

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


def aws_request_from_scope(scope: Scope, body: bytes, *, oversized: bool) -> AwsRequest:
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
    )


def _handle_in_thread(request: AwsRequest) -> HttpResponse:
    # What Django's request_started / request_finished signals do for its own threads.
    close_old_connections()
    try:
        return handle(request)
    finally:
        close_old_connections()


class AwsGateway:
    """ASGI middleware: AWS calls to the gateway, everything else to `application`."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.application(scope, receive, send)
            return
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
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
        response = await asyncio.get_running_loop().run_in_executor(_executor, _handle_in_thread, request)
        headers = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in response.headers.items()]
        if not any(name == b"content-length" for name, _ in headers):
            headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        # A HEAD answer carries the headers of the GET answer and no body (S3 HeadObject errors too).
        await send({"type": "http.response.body", "body": b"" if request.method == "HEAD" else response.body})
