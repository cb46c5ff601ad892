"""Fixtures for the KMS tests: a KMS client for the test's sandbox, and a sandbox shared by one
test module for the keys that are slow to make (RSA 4096)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo, Server


@pytest.fixture
def kms(aws: Callable[..., Any]) -> Any:
    return aws("kms")


@pytest.fixture(scope="module")
def module_sandbox(django_db_setup: Any, django_db_blocker: Any) -> SandboxInfo:
    """A sandbox that every test of one module shares (for keys made once per module)."""
    from playground.sandboxes.services import sandbox_create

    with django_db_blocker.unblock():
        box, key, secret = sandbox_create(name="kms-module")
    return SandboxInfo(box.pk, box.account_id, key.access_key_id, secret, box.default_region)


@pytest.fixture(scope="module")
def module_kms(daphne: Server, module_sandbox: SandboxInfo) -> Any:
    import boto3

    from tests.conftest import NO_RETRY

    return boto3.client(
        "kms",
        endpoint_url=daphne.url,
        region_name=module_sandbox.region,
        aws_access_key_id=module_sandbox.access_key_id,
        aws_secret_access_key=module_sandbox.secret_access_key,
        config=NO_RETRY,
    )


def error_of(caught: Any) -> tuple[str, str]:
    """(code, message) of a botocore ClientError caught by pytest.raises."""
    error = caught.value.response["Error"]
    return error["Code"], error.get("Message", "")
