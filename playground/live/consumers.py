"""The diagram's WebSocket: joins the sandbox's group and forwards its live events."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from playground.sandboxes.models import Sandbox


@database_sync_to_async
def _sandbox_for(user: Any, sandbox_id: int) -> Sandbox | None:
    if not user or not user.is_authenticated:
        return None
    return Sandbox.objects.filter(pk=sandbox_id, owner=user).first()


class SandboxConsumer(AsyncJsonWebsocketConsumer):
    group: str = ""

    async def connect(self) -> None:
        sandbox = await _sandbox_for(self.scope.get("user"), self.scope["url_route"]["kwargs"]["sandbox_id"])
        if sandbox is None:
            await self.close(code=4403)
            return
        self.group = sandbox.group_name
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "sandbox": sandbox.account_id})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def sandbox_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])
