"""A timer kind for tests: when it fires, the worker publishes a `test.timer-fired` live event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.live.bus import publish
from playground.live.events import event_type
from playground.sandboxes.duework import timer_handler
from playground.sandboxes.models import Sandbox

TIMER_FIRED = event_type("test.timer-fired", ("label",), "A test timer ran.")


@timer_handler("test.fire")
def fire(sandbox: Sandbox, now: dt.datetime, payload: dict[str, Any]) -> None:
    publish(sandbox, TIMER_FIRED.name, at=now.isoformat(), label=payload["label"])
