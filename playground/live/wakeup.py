"""Wake-ups across processes: "something changed on X, look again" for requests that wait.

A long poll (SQS ReceiveMessage, later SNS/Kinesis consumers) must return as soon as its data
arrives, even when the change happens in another server process or in the Celery worker. The
waiter subscribes to a channel on Redis pub/sub, checks the database, and when it found nothing
blocks on the subscription with a timeout; a writer calls `notify(channel)`, which publishes on
the channel once its transaction commits (so the waiter's re-check sees the new rows), from a
thread of its own so that the writer's request never waits on Redis.

    with listen("sqs:42") as waiter:          # subscribed before the first check: nothing is missed
        while not (found := look()) and waiter.wait(timeout=left):
            ...

The message carries no data: the database stays the only truth, a wake-up only says "look
again". A spurious wake-up costs one query. Channel names are namespaced by the run's Channels
prefix, so test runs and benches sharing one Redis never wake each other.

When Redis cannot be reached, waiters fall back to re-checking every POLL_FALLBACK seconds and
writers skip the publish (logged once): slower, never wrong.

A thread producing an answer that streams (an event stream's iterator, run by the gateway) waits
inside `answering(gone)`: once the client has gone (the gateway sets `gone`), the next `wait` of
that thread raises ClientGone, at most GONE_CHECK seconds later, so the iterator ends and the
thread goes back to the pool. Without it, a subscription whose client left on a paused sandbox
clock waited for ever, holding one of the gateway's threads.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import redis
from django.db import transaction

from playground import redisconn
from playground.background import Worker, per_process

LOG = logging.getLogger(__name__)

POLL_FALLBACK = 0.25  # seconds between re-checks when Redis is unavailable
GONE_CHECK = 0.25  # seconds between looks at whether a streaming answer's client has gone
_warned = False
_answering = threading.local()


class ClientGone(BaseException):
    """The client of the answer this thread is producing has gone: stop waiting for it. A
    BaseException, like GeneratorExit, so that the `except Exception` turning a provider's failure
    into an error event lets it through to the gateway."""


@contextlib.contextmanager
def answering(gone: threading.Event) -> Iterator[None]:
    """Waits in this block raise ClientGone once `gone` is set (see the module docstring)."""
    outer = getattr(_answering, "gone", None)
    _answering.gone = gone
    try:
        yield
    finally:
        _answering.gone = outer


def channel_key(channel: str) -> str:
    return redisconn.key("wake", channel)


def _warn_once(problem: Exception) -> None:
    global _warned
    if not _warned:
        _warned = True
        LOG.warning("wake-ups degrade to polling: Redis is unavailable (%s)", problem)


def publish_now(*channels: str) -> None:
    """Publish a wake-up on each channel from this thread, in one round trip."""
    if not channels:
        return
    try:
        client = redisconn.client()
        if len(channels) == 1:
            client.publish(channel_key(channels[0]), b"1")
            return
        with client.pipeline(transaction=False) as pipe:
            for channel in channels:
                pipe.publish(channel_key(channel), b"1")
            pipe.execute()
    except redis.RedisError as problem:
        _warn_once(problem)


def _publish_batch(channels: list[str]) -> None:
    """Publish each pending channel once, however often it was notified meanwhile."""
    publish_now(*sorted(set(channels)))


# One worker thread per process publishes wake-ups, so a request never waits on Redis for them.
_publisher = per_process(lambda: Worker("wake-ups", _publish_batch, max_batch=10_000))


def notify_now(*channels: str) -> None:
    """Wake whoever waits on these channels, now (use `notify` inside a transaction). Returns at
    once: the publish happens on this process's wake-up thread."""
    publisher = _publisher()
    for channel in channels:
        publisher.put(channel)


def notify(*channels: str) -> None:
    """Wake whoever waits on these channels once the current transaction commits (at once outside one)."""
    if channels:
        transaction.on_commit(lambda: notify_now(*channels))


class Waiter:
    """A subscription to one or more channels; `wait` blocks until a wake-up or the timeout."""

    def __init__(self, channels: tuple[str, ...]) -> None:
        self.channels = channels
        self._pubsub: Any = None

    def __enter__(self) -> Waiter:
        try:
            pubsub = redisconn.client().pubsub(ignore_subscribe_messages=False)
            pubsub.subscribe(*(channel_key(channel) for channel in self.channels))
            # Wait for the confirmations: only then is a publish made after our first look certain
            # to reach us.
            confirmed = 0
            deadline = time.monotonic() + 2
            while confirmed < len(self.channels) and time.monotonic() < deadline:
                message = pubsub.get_message(timeout=max(0.0, deadline - time.monotonic()))
                if message and message.get("type") == "subscribe":
                    confirmed += 1
            self._pubsub = pubsub
        except redis.RedisError as problem:
            _warn_once(problem)
            self._pubsub = None
        return self

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True when woken (or unsure), False when the time ran out.
        Inside `answering(gone)`, raises ClientGone once `gone` is set."""
        gone: threading.Event | None = getattr(_answering, "gone", None)
        if gone is None:
            return self._wait(timeout)
        deadline = time.monotonic() + timeout
        while True:
            if gone.is_set():
                raise ClientGone
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self._wait(min(left, GONE_CHECK)):
                return True

    def _wait(self, timeout: float) -> bool:
        if timeout <= 0:
            return False
        if self._pubsub is None:
            time.sleep(min(timeout, POLL_FALLBACK))
            return True
        try:
            message = self._pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
        except redis.RedisError as problem:
            _warn_once(problem)
            self._close()
            time.sleep(min(timeout, POLL_FALLBACK))
            return True
        if message is None:
            return False
        # Several writers may have published: drain what is already here, one re-check serves all.
        try:
            while self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0) is not None:
                pass
        except redis.RedisError:
            pass
        return True

    def _close(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(redis.RedisError):
                pubsub.close()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._close()


def listen(*channels: str) -> Waiter:
    """Subscribe to wake-ups on these channels; use as a context manager."""
    return Waiter(channels)
