"""Fixtures for the EC2 tests: a boto3 client for the test's sandbox, the sandbox clock (paused and
advanced by the test, never slept on), and AWS's error triple."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.conftest import SandboxInfo, Server

# The browser tests' fixtures (tests/e2e/conftest.py), imported in a conftest as S3's tests do (a
# package-scoped fixture defined in a test module would live for the whole session).
from tests.e2e.conftest import browser, gui, signed_in, student  # noqa: F401

AMI = "ami-0c02fb55956c7d316"  # Amazon Linux 2023 in the catalogue (services/ec2/images.py)


@pytest.fixture
def ec2(aws: Callable[..., Any]) -> Any:
    return aws("ec2")


def state(ec2: Any, instance_id: str) -> str:
    reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return str(reservations[0]["Instances"][0]["State"]["Name"])


@pytest.fixture
def owned(make_sandbox: Callable[..., SandboxInfo]) -> SandboxInfo:
    """A sandbox with an owner, who may use the REST API (the `sandbox` the AWS clients use when a
    test module sets `sandbox = owned`)."""
    return make_sandbox(username=f"ec2-{secrets.token_hex(4)}")


@pytest.fixture
def rest(daphne: Server, owned: SandboxInfo, db_access: None) -> Callable[..., requests.Response]:
    """rest(method, path, body): the REST API as a script calls it, with the owner's token, at
    `path` under /ec2/sandboxes/<id>/ (or from the server's root when it starts with /)."""
    from playground.sandboxes.models import Sandbox

    owner = Sandbox.objects.select_related("owner").get(pk=owned.id).owner
    assert owner is not None
    token = requests.post(
        f"{daphne.url}/api/token/", json={"username": owner.username, "password": f"pw-{owner.username}"}, timeout=30
    ).json()["token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"

    def call(method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        url = f"{daphne.url}{path}" if path.startswith("/") else f"{daphne.url}/ec2/sandboxes/{owned.id}/{path}"
        return session.request(method, url, json=body, timeout=60)

    return call
