"""Waiting for something another process does in real time (never for AWS time: advance the clock)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], *, timeout: float = 5.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{getattr(condition, '__name__', 'condition')} did not hold within {timeout} s")
        time.sleep(interval)
