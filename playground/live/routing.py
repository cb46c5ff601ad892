from __future__ import annotations

from django.urls import path

from playground.live.consumers import SandboxConsumer

websocket_urlpatterns = [
    path("ws/sandboxes/<int:sandbox_id>/", SandboxConsumer.as_asgi()),
]
