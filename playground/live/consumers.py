"""The diagram's WebSocket: joins the sandbox's group and forwards its live events (to the owner,
and read-only to an instructor of the sandbox's classroom)."""

from __future__ import annotations

from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from playground.sandboxes.access import Role, sandbox_for
from playground.sandboxes.models import Sandbox


@database_sync_to_async
def _sandbox_for(user: Any, sandbox_id: int) -> tuple[Sandbox, Role] | None:
    """The owner, or an instructor of the sandbox's classroom (read-only); nobody else."""
    return sandbox_for(user, sandbox_id)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """A WebSocket consumer that handles each message on the event loop, with no thread hop.

    Channels' dispatch runs `close_old_connections` through sync_to_async before every handler:
    one hop to the process's single sync thread and back per message received, every socket's
    messages queued behind one another. Under a busy server process each hop waits for the GIL
    behind the threads serving calls, and a classroom's live events fell seconds behind on it
    (docs/scaling.md). These consumers reach the database only through `database_sync_to_async`,
    which closes old connections on its own thread before and after, so the hop does nothing for
    them."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


class SandboxConsumer(LiveConsumer):
    group: str = ""
    # An instructor watching a student's diagram: whatever the socket may one day accept from the
    # browser (it accepts nothing today), it must refuse from them.
    read_only: bool = True

    async def connect(self) -> None:
        found = await _sandbox_for(self.scope.get("user"), self.scope["url_route"]["kwargs"]["sandbox_id"])
        if found is None:
            await self.close(code=4403)
            return
        sandbox, role = found
        self.read_only = role != Role.OWNER
        self.group = sandbox.group_name
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "sandbox": sandbox.account_id, "read_only": self.read_only})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def sandbox_events(self, message: dict[str, Any]) -> None:
        """Events published together (live.bus sends a group its events in one message): one
        WebSocket frame each, in order."""
        for event in message["events"]:
            await self.send_json(event)
