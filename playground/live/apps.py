from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "playground.live"

    def ready(self) -> None:
        from playground.sandboxes.signals import clock_changed, sandbox_was_reset

        clock_changed.connect(_publish_clock, dispatch_uid="live-clock-changed")
        sandbox_was_reset.connect(_publish_reset, dispatch_uid="live-sandbox-reset")


def _publish_clock(sender: Any, *, sandbox: Any, clock: Any, **kwargs: Any) -> None:
    from playground.live.bus import publish
    from playground.live.events import CLOCK_CHANGED

    shown = clock.as_dict()
    publish(sandbox, CLOCK_CHANGED.name, at=shown["now"], **shown)


def _publish_reset(sender: Any, *, sandbox: Any, now: Any, **kwargs: Any) -> None:
    from playground.live.bus import publish
    from playground.live.events import SANDBOX_RESET

    publish(sandbox, SANDBOX_RESET.name, at=now.isoformat())
