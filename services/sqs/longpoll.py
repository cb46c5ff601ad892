"""Long polling: a receive that finds nothing waits up to WaitTimeSeconds and returns as soon as a
message can be handed out.

    found = receive_once(...)
    if nothing and waiting: subscribe to the queue's wake-up channel, look again, then sleep on
    the channel until a send / visibility change / tick / clock advance wakes it, or until the
    next invisible message's time comes on the sandbox clock, or the wait ends.

The wait is wall-clock time, as the HTTP request that carries it is: a paused sandbox clock never
stretches it and a fast one never cuts it short (the sandbox time in between passes at the
clock's speed, and messages whose time comes meanwhile are handed out then).

While it sleeps, the request holds no database transaction (on SQLite that would be the write
lock, stopping the very send that should wake it): the provider method opts out of the gateway's
per-call transaction, and each attempt claims in a transaction of its own.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from playground.live import wakeup
from playground.sandboxes.models import Clock
from services.sqs.models import Queue
from services.sqs.receiving import ReceiveRequest, next_visible_at, receive_once

MAX_SLICE = 2.0  # seconds: re-read the sandbox clock at least this often while waiting
EARLY = 0.002  # seconds added to a computed wake-up so the message is surely due when we look


def receive_messages(
    *,
    queue: Queue,
    request: ReceiveRequest,
    read_clock: Callable[[], Clock],
    now: dt.datetime,
    refresh_queue: Callable[[], Queue | None],
) -> list[dict[str, Any]]:
    """ReceiveMessage with its wait: `read_clock` gives the sandbox's clock afresh (it may be
    advanced, paused or sped up during the wait), `refresh_queue` the queue again (None once deleted)."""
    found = receive_once(queue, request, now=now)
    wait = queue.receive_wait_time_seconds if request.wait_seconds is None else request.wait_seconds
    if found or wait <= 0:
        return found
    deadline = time.monotonic() + wait
    with wakeup.listen(queue.wake_channel) as waiter:
        while True:
            clock = read_clock()
            now = clock.now()
            found = receive_once(queue, request, now=now)
            left = deadline - time.monotonic()
            if found or left <= 0:
                return found
            waiter.wait(min(left, MAX_SLICE, _until_next_visible(queue, clock, now) + EARLY))
            refreshed = refresh_queue()
            if refreshed is None:
                return []
            queue = refreshed


def _until_next_visible(queue: Queue, clock: Clock, now: dt.datetime) -> float:
    """Wall seconds until the queue's next invisible message becomes available (inf if none, or paused)."""
    moment = next_visible_at(queue, now=now)
    if moment is None or clock.paused:
        return float("inf")
    return max(0.0, (moment - now).total_seconds() / clock.speed)
