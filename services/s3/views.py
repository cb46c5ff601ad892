"""Pages S3 serves itself (under /s3/, services/s3/urls.py), for its GUI module (gui.js, bucket.js):

    GET  /s3/sandboxes/<id>/browse/?bucket=B&prefix=P    one level of the bucket under P, as a
                                                         folder-like browser shows it (graph.listing)
    GET  /s3/sandboxes/<id>/objects/?bucket=B&key=K      the object's bytes, as a download: a
                                                         GetObject made as the console makes it
    POST /s3/sandboxes/<id>/objects/?bucket=B&key=K      the request's body stored as the object:
                                                         a PutObject made as the console makes it

Uploads and downloads go through the gateway's `invoke`, as every GUI call to AWS does: the same
validation, provider, call record (the activity panel shows them with their aws CLI equivalent, and
lab checks count them), live events and notifications as the CLI's calls. The bytes are streamed
both ways: Django spools a large request body to a temporary file, and the object is read from its
file, a chunk at a time, as the response is sent.

Who may do what is the platform's rule (playground.sandboxes.access.sandbox_for): the owner does
everything; an instructor of the sandbox's classroom may browse (it changes nothing and records no
call) but neither upload nor download, which are calls in the student's sandbox; anyone else gets
404, as if the sandbox did not exist. AWS errors answer {"code", "message"} with AWS's status.
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import AsyncIterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET, require_http_methods

from playground.gateway.errors import AwsError
from playground.gateway.handler import invoke
from playground.gateway.request import BodyStream
from playground.sandboxes.access import Role, sandbox_for
from playground.sandboxes.models import Sandbox
from services.s3.graph import listing
from services.s3.models import Bucket

CHUNK = 256 * 1024


def _visible(request: HttpRequest, sandbox_id: int) -> tuple[Sandbox, Role]:
    found = sandbox_for(request.user, sandbox_id)
    if found is None:
        raise Http404("no such sandbox")
    return found


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def _refused(error: AwsError) -> JsonResponse:
    return _error(error.code, error.message, error.status)


def _read_only() -> JsonResponse:
    return _error("AccessDenied", "An instructor's view of a sandbox is read-only.", 403)


@login_required
@require_GET
def browse(request: HttpRequest, sandbox_id: int) -> JsonResponse:
    """GET ?bucket=&prefix=: folders and objects one level under the prefix, changing nothing."""
    sandbox, _ = _visible(request, sandbox_id)
    bucket = Bucket.objects.filter(sandbox=sandbox, name=request.GET.get("bucket", "")).first()
    if bucket is None:
        return _error("NoSuchBucket", "The specified bucket does not exist", 404)
    return JsonResponse({"bucket": bucket.name, **listing(bucket, prefix=request.GET.get("prefix", ""))})


@login_required
@require_http_methods(["GET", "POST"])
def objects(request: HttpRequest, sandbox_id: int) -> HttpResponse | StreamingHttpResponse:
    """GET: download the object; POST: upload the body as the object."""
    sandbox, role = _visible(request, sandbox_id)
    if role is not Role.OWNER:
        return _read_only()
    bucket, key = request.GET.get("bucket", ""), request.GET.get("key", "")
    if not bucket or not key:
        return _error("InvalidRequest", "Name the bucket and the key: ?bucket=...&key=...", 400)
    call: dict[str, Any] = {"sandbox": sandbox, "source_ip": request.META.get("REMOTE_ADDR", "")}
    if request.method == "POST":
        params: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": request}
        if request.content_type and request.content_type != "application/x-www-form-urlencoded":
            params["ContentType"] = request.content_type
        try:
            answer = invoke(service="s3", operation="PutObject", params=params, **call)
        except AwsError as error:
            return _refused(error)
        size = int(request.META.get("CONTENT_LENGTH") or 0)
        return JsonResponse(
            {"bucket": bucket, "key": key, "size": size, **{k: v for k, v in answer.items() if isinstance(v, str)}}
        )
    try:
        answer = invoke(service="s3", operation="GetObject", params={"Bucket": bucket, "Key": key}, **call)
    except AwsError as error:
        return _refused(error)
    response = _streamed(answer.get("Body", b""))
    response["Content-Type"] = answer.get("ContentType") or "application/octet-stream"
    if answer.get("ContentLength") is not None:
        response["Content-Length"] = str(answer["ContentLength"])
    if answer.get("ETag"):
        response["ETag"] = answer["ETag"]
    name = posixpath.basename(key.rstrip("/")) or "object"
    response["Content-Disposition"] = _attachment(name)
    return response


def _streamed(body: Any) -> HttpResponse | StreamingHttpResponse:
    """The object's bytes as the provider hands them: a BodyStream (a span of its file), or bytes."""
    if isinstance(body, BodyStream):
        return StreamingHttpResponse(_chunks(body))
    return HttpResponse(bytes(body or b""))


async def _chunks(stream: BodyStream) -> AsyncIterator[bytes]:
    """The span's bytes, CHUNK at a time, read in a thread: an asynchronous iterator, since Django
    reads a synchronous one whole into memory before sending it under ASGI."""
    try:
        await asyncio.to_thread(stream.file.seek, stream.offset)
        left = stream.length
        while left > 0:
            chunk = await asyncio.to_thread(stream.file.read, min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        stream.file.close()


def _attachment(name: str) -> str:
    """Content-Disposition naming the file, ASCII-safe with the UTF-8 name alongside (RFC 6266)."""
    from urllib.parse import quote

    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
