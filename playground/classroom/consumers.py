"""The instructor's dashboard WebSocket (/ws/classrooms/<id>/): it joins the classroom's group and
every student's sandbox group, and tells the browser which students changed.

A class of 30 making calls produces many events; the dashboard needs to know only whose row to
read again. So sandbox events are gathered for a moment and sent as one
{"type": "students.changed", "accounts": [...], "types": [...]} frame, while the classroom's own
messages (classroom/events.py) are forwarded at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async

from playground.classroom.events import ROSTER
from playground.classroom.models import Classroom, Enrollment
from playground.live.consumers import LiveConsumer

GATHER_SECONDS = 0.25


@database_sync_to_async
def _groups(user: Any, classroom_id: int) -> list[str] | None:
    """The classroom's group and its students' sandbox groups, for one of its instructors; None
    for anyone else."""
    if not user or not user.is_authenticated:
        return None
    classroom = Classroom.objects.filter(pk=classroom_id, instructors=user).first()
    if classroom is None:
        return None
    sandboxes = Enrollment.objects.filter(classroom=classroom).values_list("sandbox_id", flat=True)
    return [classroom.group_name, *[f"sandbox-{pk}" for pk in sandboxes]]


class ClassroomConsumer(LiveConsumer):
    joined: list[str]

    async def connect(self) -> None:
        self.joined = []
        self.changed: set[str] = set()
        self.types: set[str] = set()
        self.flusher: asyncio.Task[None] | None = None
        self.classroom_id = int(self.scope["url_route"]["kwargs"]["classroom_id"])
        groups = await _groups(self.scope.get("user"), self.classroom_id)
        if groups is None:
            await self.close(code=4403)
            return
        await self._join(groups)
        await self.accept()
        await self.send_json({"type": "hello", "classroom": self.classroom_id})

    async def _join(self, groups: list[str]) -> None:
        for group in set(self.joined) - set(groups):
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in set(groups) - set(self.joined):
            await self.channel_layer.group_add(group, self.channel_name)
        self.joined = groups

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.flusher is not None:
            self.flusher.cancel()

    async def sandbox_events(self, message: dict[str, Any]) -> None:
        """Events of a student's sandbox (live.bus), or the classroom's own messages (which reach
        the group the same way)."""
        for event in message["events"]:
            if "classroom" in event and str(event.get("type", "")).startswith("classroom."):
                if event["type"] == ROSTER:
                    groups = await _groups(self.scope.get("user"), self.classroom_id)
                    if groups is None:
                        await self.close(code=4403)
                        return
                    await self._join(groups)
                await self.send_json(event)
            else:
                self.changed.add(str(event.get("sandbox", "")))
                self.types.add(str(event.get("type", "")))
        if self.changed and self.flusher is None:
            self.flusher = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        await asyncio.sleep(GATHER_SECONDS)
        changed, types = sorted(self.changed), sorted(self.types)
        self.changed, self.types = set(), set()
        self.flusher = None
        await self.send_json({"type": "students.changed", "accounts": changed, "types": types})
