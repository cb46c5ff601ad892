"""Sign-in rate limits, through the real login form and POST /api/token/ of a server of their own
with small limits: 3 failures per user name, 5 per address, in a 300 s window. The window is never
waited out: the counters are cleared on Redis between tests, and by the operator's command."""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import requests

from tests.api.conftest import User
from tests.conftest import Server, _server_env, _start_server, _stop

pytestmark = pytest.mark.live

PER_USERNAME, PER_ADDRESS, WINDOW = 3, 5, 300


@pytest.fixture(scope="module")
def limited_server(django_db_setup: Any, django_db_blocker: Any, channel_prefix: str) -> Iterator[Server]:
    with django_db_blocker.unblock():
        env = _server_env(
            PLAYGROUND_AUTH_MODE="strict",
            SECRET_KEY=secrets.token_urlsafe(40),
            # Counters of its own, so that its failures never lock 127.0.0.1 out of the other servers.
            PLAYGROUND_CHANNEL_PREFIX=f"{channel_prefix}-logins",
            PLAYGROUND_LOGIN_FAILURES_PER_USERNAME=str(PER_USERNAME),
            PLAYGROUND_LOGIN_FAILURES_PER_ADDRESS=str(PER_ADDRESS),
            PLAYGROUND_LOGIN_WINDOW_SECONDS=str(WINDOW),
        )
    server = _start_server("daphne-logins", env)
    yield server
    _stop(server.process)


@pytest.fixture(autouse=True)
def no_failures_yet(limited_server: Server) -> None:
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    stale = list(client.scan_iter(match=f"{limited_server.env['PLAYGROUND_CHANNEL_PREFIX']}:login-failures:*"))
    if stale:
        client.delete(*stale)


def _sign_in(server: Server, username: str, password: str) -> requests.Response:
    session = requests.Session()
    session.get(f"{server.url}/login/", timeout=10)
    return session.post(
        f"{server.url}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        timeout=30,
        allow_redirects=False,
    )


def _token(server: Server, username: str, password: str) -> requests.Response:
    return requests.post(f"{server.url}/api/token/", json={"username": username, "password": password}, timeout=30)


def _operator_unlocks(server: Server, username: str) -> None:
    """`manage.py unlock_login USERNAME`, run with the server's counters (its Redis prefix)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.test import override_settings

    default: dict[str, Any] = settings.CHANNEL_LAYERS["default"]
    config = {**default["CONFIG"], "prefix": server.env["PLAYGROUND_CHANNEL_PREFIX"]}
    layers = {"default": {**default, "CONFIG": config}}
    with override_settings(CHANNEL_LAYERS=layers):
        call_command("unlock_login", username, stdout=io.StringIO())


def _refused(response: requests.Response) -> bool:
    return response.status_code == 429 and 1 <= int(response.headers["Retry-After"]) <= WINDOW


def test_a_user_name_is_locked_after_its_failures_then_unlocked_by_the_operator(
    limited_server: Server, make_user: Callable[..., User]
) -> None:
    alice, carol = make_user("alice"), make_user("carol")
    for _ in range(PER_USERNAME):
        wrong = _sign_in(limited_server, alice.username, "not-her-password")
        assert wrong.status_code == 200
        assert "correct username and password" in wrong.text
    locked = _sign_in(limited_server, alice.username, alice.password)  # the right password, too late
    assert _refused(locked)
    assert "Too many failed sign-ins" in locked.text
    assert _refused(_token(limited_server, alice.username, alice.password))
    assert _refused(_sign_in(limited_server, alice.username.upper(), alice.password))
    assert _sign_in(limited_server, carol.username, carol.password).status_code == 302  # others still may
    _operator_unlocks(limited_server, alice.username)
    assert _sign_in(limited_server, alice.username, alice.password).status_code == 302
    assert _token(limited_server, alice.username, alice.password).status_code == 200


def test_an_address_is_locked_after_failures_across_user_names(
    limited_server: Server, make_user: Callable[..., User]
) -> None:
    users = [make_user("guess") for _ in range(PER_ADDRESS + 1)]
    for user in users[:PER_ADDRESS]:
        assert _token(limited_server, user.username, "password1").status_code == 401  # one guess each
    assert _refused(_sign_in(limited_server, users[-1].username, users[-1].password))
    assert _refused(_token(limited_server, users[-1].username, users[-1].password))


def test_a_good_sign_in_clears_its_user_names_failures(limited_server: Server, make_user: Callable[..., User]) -> None:
    alice = make_user("alice")
    for _ in range(2):
        for _ in range(PER_USERNAME - 1):
            assert _sign_in(limited_server, alice.username, "typo").status_code == 200
        assert _sign_in(limited_server, alice.username, alice.password).status_code == 302
