"""The one Redis client of a process, and the key prefix that keeps runs apart.

    redisconn.client().incr(redisconn.key("login", "fail", user))

Quotas (request buckets), sign-in limits and long-poll wake-ups keep their counters and channels
on the Redis at settings.REDIS_URL, as the Channels layer and Celery do. Every key starts with the
Channels prefix (PLAYGROUND_CHANNEL_PREFIX, "asgi" by default), so test runs, benches and
deployments sharing one Redis never read each other's keys.

The client fails fast (1 s to connect, 5 s to answer): its callers treat an unreachable Redis as
"not counted" or "poll instead", never as an error of the request.
"""

from __future__ import annotations

import threading
from typing import Any

import redis
from django.conf import settings

CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 5.0

_lock = threading.Lock()
_client: redis.Redis | None = None


def client() -> redis.Redis:
    """This process's client (a connection pool: safe across threads and forks)."""
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = redis.Redis.from_url(
                    settings.REDIS_URL,
                    socket_connect_timeout=CONNECT_TIMEOUT,
                    socket_timeout=READ_TIMEOUT,
                    health_check_interval=30,
                )
    return _client


def prefix() -> str:
    layers: dict[str, Any] = getattr(settings, "CHANNEL_LAYERS", {})
    return str(layers.get("default", {}).get("CONFIG", {}).get("prefix", "asgi"))


def key(*parts: object) -> str:
    """A key (or pub/sub channel) of this run: `<prefix>:<part>:<part>...`."""
    return ":".join((prefix(), *(str(part) for part in parts)))
