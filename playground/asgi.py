"""ASGI entry point: AWS API calls (signed requests, any path) to the gateway; other HTTP to
Django (GUI, REST API, static files); WebSockets to the live consumers."""

from __future__ import annotations

import os

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

from playground.memory import limit_malloc_arenas

limit_malloc_arenas()  # before any server thread starts: a Daphne process's RSS stays flat (memory.py)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
django_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from playground import streaming  # noqa: E402
from playground.classroom.routing import websocket_urlpatterns as classroom_sockets  # noqa: E402
from playground.gateway.asgi import AwsGateway  # noqa: E402
from playground.live.routing import websocket_urlpatterns  # noqa: E402

streaming.install()  # large bodies on disk both ways under Daphne (playground/streaming.py)

application = ProtocolTypeRouter(
    {
        # Static files come from this process too: a classroom instance needs no other web server
        # and no CDN. The gateway sits in front, so an S3 bucket named "static" still works.
        "http": AwsGateway(ASGIStaticFilesHandler(django_app)),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns + classroom_sockets))
        ),
    }
)
