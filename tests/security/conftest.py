"""A classroom on the strict server for the security tests: an instructor, and students each with
their own sandbox, signed in through the login form (requests sessions, as a browser) and with a
token (as a script). Users, classrooms and clean-up come from tests/api/conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
import requests
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api.conftest import (  # noqa: F401  (fixtures, registered for this folder by importing them)
    Api,
    Classroom,
    User,
    _remove_the_sandboxes_made_here,
    enroll,
    login,
    make_classroom,
    make_user,
    token_api,
)
from tests.conftest import NO_RETRY, Server


@dataclass
class Student:
    user: User
    api: Api  # token-authenticated
    sandbox: dict[str, Any]
    key_id: str
    secret: str
    enrollment_id: int

    def client(self, server: Server, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=server.url,
            region_name=self.sandbox["region"],
            aws_access_key_id=self.key_id,
            aws_secret_access_key=self.secret,
            config=NO_RETRY,
        )

    def browser(self, server: Server) -> requests.Session:
        return login(server, self.user.username, self.user.password)


@pytest.fixture
def classroom(strict_server: Server, make_classroom: Callable[..., Classroom]) -> Classroom:  # noqa: F811
    return make_classroom(strict_server)


@pytest.fixture
def student(
    strict_server: Server,
    classroom: Classroom,
    enroll: Callable[..., tuple[User, Api, dict[str, Any]]],  # noqa: F811
) -> Callable[[], Student]:
    """student() -> a new student of `classroom`, with their sandbox and its access key."""

    def make() -> Student:
        user, api, sandbox = enroll(strict_server, classroom)
        key = sandbox["credentials"]
        rows = classroom.api.ok("GET", f"/classrooms/{classroom.id}/students/")
        [enrollment] = [row["id"] for row in rows if row["username"] == user.username]
        return Student(user, api, sandbox, key["access_key_id"], key["secret_access_key"], enrollment)

    return make


def api_routes() -> Iterator[tuple[str, URLPattern]]:
    """Every REST API route as (name, pattern), read from the URL configuration, so that a route
    added later is covered by the tests that walk them."""

    def walk(resolver: URLResolver, prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, prefix + str(entry.pattern))
            elif (prefix + str(entry.pattern)).startswith("api/") and entry.name:
                yield entry.name, entry

    yield from walk(get_resolver(), "")


def unsafe_methods(pattern: URLPattern) -> list[str]:
    """The state-changing methods the route's view answers."""
    view = pattern.callback.cls  # type: ignore[attr-defined]
    return [method for method in ("post", "put", "patch", "delete") if hasattr(view, method)]
