"""Routes AWS API requests (recognised by their SigV4 signature, on any path) to the gateway,
before Django's URL routing, sessions and CSRF see them. Everything else passes through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.http import HttpResponse as DjangoResponse

from playground.gateway.auth import looks_signed
from playground.gateway.handler import handle
from playground.gateway.request import AwsRequest, Headers


def aws_request_from_django(request: HttpRequest) -> AwsRequest:
    scope: dict[str, Any] = getattr(request, "scope", {}) or {}
    raw_path = scope.get("raw_path")
    raw = raw_path.decode("latin-1").split("?", 1)[0] if raw_path else request.path
    headers = Headers(request.headers.items())
    try:
        body, oversized = request.body, False
    except RequestDataTooBig:
        body, oversized = b"", True
    return AwsRequest(
        method=request.method or "GET",
        path=request.path,
        raw_path=raw,
        query_string=request.META.get("QUERY_STRING", ""),
        headers=headers,
        body=body,
        oversized=oversized,
        host=request.get_host() if "host" in headers else "localhost",
        scheme=request.scheme or "http",
        source_ip=request.META.get("REMOTE_ADDR", ""),
    )


def to_django(response: Any, method: str) -> DjangoResponse:
    # A HEAD answer carries the headers of the GET answer and no body (S3 HeadObject errors too).
    result = DjangoResponse(b"" if method == "HEAD" else response.body, status=response.status)
    for name, value in response.headers.items():
        result[name] = value
    return result


# AWS calls run in their own pool: a long poll holds its thread for up to 20 s and must not starve
# the threads Django uses for the GUI. Each thread keeps its own database connection.
_executor = ThreadPoolExecutor(max_workers=settings.GATEWAY_THREADS, thread_name_prefix="aws-gateway")


def _handle_sync(request: HttpRequest) -> DjangoResponse:
    return to_django(handle(aws_request_from_django(request)), request.method or "GET")


class AwsGatewayMiddleware:
    async_capable = True
    sync_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        if _is_aws(request):
            return _handle_sync(request)
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> DjangoResponse:
        if _is_aws(request):
            # Providers use the ORM and may block (long polling): they run in a worker thread.
            return await sync_to_async(_handle_sync, thread_sensitive=False, executor=_executor)(request)
        response: Awaitable[DjangoResponse] = self.get_response(request)
        return await response


def _is_aws(request: HttpRequest) -> bool:
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    return looks_signed({"authorization": auth}, request.META.get("QUERY_STRING", ""))
