"""Schemathesis against our own OpenAPI schema on the live server: no request it generates, valid
or not, gets a 5xx. A short, seeded sample (a few examples per operation) runs here.

Schemathesis' own pytest plugin does not run under pytest 9 yet, so the test walks the schema's
operations and drives each one's Hypothesis strategy itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok

from tests.conftest import Server

pytestmark = pytest.mark.live

EXAMPLES = 8  # per operation: a seeded sample; a long run belongs in bench/
ALL = list(HealthCheck)


@pytest.fixture(scope="module")
def token(django_db_blocker: Any, django_db_setup: Any) -> Iterator[str]:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from playground.sandboxes.services import sandbox_create

    with django_db_blocker.unblock():
        user = get_user_model().objects.create_user(username="schemathesis", password="pw-schemathesis")
        sandbox_create(name="fuzzed", owner=user)
        yield Token.objects.create(user=user).key
        user.sandboxes.all().delete()


def test_no_generated_request_gets_a_server_error(daphne: Server, token: str) -> None:
    auth = {"Authorization": f"Token {token}"}
    schema = schemathesis.openapi.from_url(f"{daphne.url}/api/schema/", headers=auth)
    failures: list[str] = []
    operations = calls = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"our schema has an operation schemathesis cannot read: {result}"
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=4, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
        )
        def call(case: Any) -> None:
            nonlocal calls
            calls += 1
            response = case.call(headers=auth, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}")

        call()
    assert operations > 20
    assert calls >= 2 * operations
    assert failures == [], "\n".join(failures)
