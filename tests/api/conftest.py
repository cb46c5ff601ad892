"""Fixtures for the REST API and classroom tests: users (students, instructors), REST clients signed
in with a token or a session, and a strict server with small quotas."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.conftest import Server, _server_env, _start_server, _stop


def login(server: Server, username: str, password: str) -> requests.Session:
    """Sign in through the login form as a browser does; the session holds the cookies."""
    session = requests.Session()
    session.get(f"{server.url}/login/", timeout=10)
    response = session.post(
        f"{server.url}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{server.url}/login/"},
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class User:
    username: str
    password: str
    pk: int
    token: str = ""


@pytest.fixture(autouse=True)
def _remove_the_sandboxes_made_here(django_db_blocker: Any, django_db_setup: Any) -> Iterator[None]:
    """Delete the sandboxes a test made once it is done: the Celery tick visits every sandbox of
    the shared test database, so each one left behind slows the tick for the tests after these."""
    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import sandbox_delete

    with django_db_blocker.unblock():
        before = Sandbox.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    yield
    with django_db_blocker.unblock():
        made = list(Sandbox.objects.filter(pk__gt=before).values_list("pk", flat=True))
        if made:
            _settle(made)
            for sandbox in Sandbox.objects.filter(pk__in=made):
                sandbox_delete(sandbox=sandbox)


def _settle(sandbox_ids: list[int]) -> None:
    """Wait until the servers have written the call records and events of these sandboxes (they
    do it off the request path, within milliseconds): a record whose sandbox is gone is dropped
    with a logged traceback, which other tests look for in the server's log."""
    import time

    from playground.gateway.models import ApiCall
    from playground.live.models import LiveEvent

    last = None
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        counts = (
            ApiCall.objects.filter(sandbox_id__in=sandbox_ids).count(),
            LiveEvent.objects.filter(sandbox_id__in=sandbox_ids).count(),
        )
        if counts == last:
            return
        last = counts
        time.sleep(0.05)


@pytest.fixture
def make_user(django_db_blocker: Any, django_db_setup: Any) -> Callable[..., User]:
    """make_user(prefix, staff=False) -> a new user (password "pw-<username>") with an API token.

    The password is stored with few PBKDF2 iterations, so that making one costs no quarter second
    (Django upgrades it at the first sign-in); the token is made directly for the same reason.
    """

    def make(prefix: str = "user", *, staff: bool = False) -> User:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import PBKDF2PasswordHasher
        from rest_framework.authtoken.models import Token

        username = unique(prefix)
        hasher = PBKDF2PasswordHasher()
        with django_db_blocker.unblock():
            user = get_user_model().objects.create(
                username=username,
                password=hasher.encode("pw-" + username, hasher.salt(), iterations=1000),
                is_staff=staff,
            )
            token = Token.objects.create(user=user)
        return User(username, "pw-" + username, user.pk, token.key)

    return make


class Api:
    """A REST client for one user against one server: api.get("/sandboxes/") -> requests.Response."""

    def __init__(self, server: Server, session: requests.Session) -> None:
        self.server = server
        self.session = session

    def url(self, path: str) -> str:
        return f"{self.server.url}/api{path}"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url(path), timeout=30, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.post(self.url(path), json=body if body is not None else {}, timeout=60, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.put(self.url(path), json=body, timeout=30, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.patch(self.url(path), json=body, timeout=30, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.delete(self.url(path), timeout=30, **kwargs)

    def ok(self, method: str, path: str, body: Any = None, status: int | tuple[int, ...] = (200, 201)) -> Any:
        """The JSON of a call that must succeed."""
        response = self.session.request(method, self.url(path), json=body, timeout=60)
        expected = (status,) if isinstance(status, int) else status
        assert response.status_code in expected, f"{method} {path}: {response.status_code} {response.text[:800]}"
        return response.json() if response.content else None


def obtain_token(server: Server, user: User) -> str:
    """The user's token from POST /api/token/, as a script gets it."""
    response = requests.post(
        f"{server.url}/api/token/", json={"username": user.username, "password": user.password}, timeout=30
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def token_api(server: Server, user: User) -> Api:
    """A client authenticated with `Authorization: Token ...` (how scripts use the API)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Token {user.token or obtain_token(server, user)}"
    return Api(server, session)


def session_api(server: Server, user: User) -> Api:
    """A client signed in through the login form, sending the CSRF header as the GUI does."""
    session = login(server, user.username, user.password)
    session.headers["X-CSRFToken"] = session.cookies.get("csrftoken") or ""
    session.headers["Referer"] = f"{server.url}/"
    return Api(server, session)


@pytest.fixture
def as_user(daphne: Server) -> Callable[..., Api]:
    """as_user(user, server=daphne) -> a token-authenticated REST client."""

    def make(user: User, server: Server | None = None) -> Api:
        return token_api(server or daphne, user)

    return make


@dataclass
class Classroom:
    id: int
    join_code: str
    instructor: User
    api: Api


@pytest.fixture
def make_classroom(make_user: Callable[..., User]) -> Callable[..., Classroom]:
    """make_classroom(server) -> a classroom made through the API by a new instructor."""

    def make(server: Server, name: str = "class") -> Classroom:
        instructor = make_user("teacher", staff=True)
        api = token_api(server, instructor)
        room = api.ok("POST", "/classrooms/", {"name": unique(name)})
        return Classroom(room["id"], room["join_code"], instructor, api)

    return make


@pytest.fixture
def enroll(make_user: Callable[..., User]) -> Callable[..., tuple[User, Api, dict[str, Any]]]:
    """enroll(server, classroom) -> (student, their REST client, their classroom sandbox). The
    sandbox has `credentials` as a new sandbox's answer does: its first key with the secret, which
    only the join answer holds."""

    def join(server: Server, classroom: Classroom) -> tuple[User, Api, dict[str, Any]]:
        student = make_user("student")
        api = token_api(server, student)
        joined = api.ok("POST", "/classrooms/join/", {"code": classroom.join_code}, status=201)
        return student, api, {**joined["sandbox"], "credentials": joined["credentials"]}

    return join


QUOTAS = {
    "PLAYGROUND_QUOTA_REQUESTS_PER_SECOND": "1",
    "PLAYGROUND_QUOTA_REQUEST_BURST": "12",
    "PLAYGROUND_QUOTA_STORED_BYTES": "2500",
    "PLAYGROUND_QUOTA_RESOURCES": "sqs.Queue=2,kms.Key=1",
}


@pytest.fixture(scope="session")
def quota_server(django_db_setup: Any, django_db_blocker: Any, channel_prefix: str) -> Iterator[Server]:
    """A strict-mode server with tiny quotas: 12 calls at once then 1 a second, 2500 stored bytes,
    2 queues and 1 KMS key per sandbox."""
    with django_db_blocker.unblock():
        env = _server_env(
            PLAYGROUND_AUTH_MODE="strict",
            SECRET_KEY=secrets.token_urlsafe(40),
            PLAYGROUND_CHANNEL_PREFIX=channel_prefix,
            **QUOTAS,
        )
    server = _start_server("daphne-quotas", env)
    yield server
    _stop(server.process)
