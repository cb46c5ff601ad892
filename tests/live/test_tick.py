"""Celery beat and the worker run due work on each sandbox's clock and the browser hears of it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from tests.conftest import TICK_SECONDS, SandboxInfo, Server
from tests.live.test_websocket import login, open_socket, receive_until

pytestmark = pytest.mark.live


def test_beat_runs_a_timer_once_the_sandbox_clock_passes_it(
    daphne: Server, celery_worker: Any, make_sandbox: Any, db_access: None
) -> None:
    from playground.sandboxes.duework import schedule_timer
    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import clock_pause
    from tests.support import duework  # noqa: F401  (registers the timer kind here too)

    info: SandboxInfo = make_sandbox(username="tick-owner")
    box = Sandbox.objects.select_related("clock").get(pk=info.id)
    due = clock_pause(sandbox=box).now() + dt.timedelta(hours=1)
    schedule_timer(sandbox=box, due_at=due, kind="test.fire", payload={"label": "by-tick"})

    with open_socket(daphne, info.id, login(daphne, "tick-owner", "pw-tick-owner")) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "hello"
        # The tick must not run it before the sandbox clock reaches its time.
        with pytest.raises(TimeoutError):  # two ticks, and not yet
            receive_until(socket, lambda e: e["type"] == "test.timer-fired", timeout=2 * TICK_SECONDS)
        # Move the clock without running due work here, so only the worker's tick can fire it.
        from playground.sandboxes.models import Clock

        clock = Clock.objects.get(sandbox=box)
        clock.advance(3600)
        event = receive_until(socket, lambda e: e["type"] == "test.timer-fired", timeout=10.0)
    assert event["label"] == "by-tick"
    assert dt.datetime.fromisoformat(event["at"]) >= due
