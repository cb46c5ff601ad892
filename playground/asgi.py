"""ASGI entry point: HTTP to Django (the AWS gateway is its first middleware), WebSockets to the
live consumers."""

from __future__ import annotations

import os
from typing import Any

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
django_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from playground.gateway.auth import looks_signed  # noqa: E402
from playground.live.routing import websocket_urlpatterns  # noqa: E402


class StaticFilesUnlessSigned(ASGIStaticFilesHandler):
    """Serve /static/ from this process (a classroom instance needs no other web server and no
    CDN), except to signed AWS requests: an S3 bucket may well be named "static"."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "http" and _signed(scope):
            return await self.application(scope, receive, send)
        return await super().__call__(scope, receive, send)


def _signed(scope: dict[str, Any]) -> bool:
    headers = dict(scope.get("headers") or [])
    return looks_signed(
        {"authorization": headers.get(b"authorization", b"").decode("latin-1")},
        scope.get("query_string", b"").decode("latin-1"),
    )


application = ProtocolTypeRouter(
    {
        "http": StaticFilesUnlessSigned(django_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
