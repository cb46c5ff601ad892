"""Fixtures for the Lambda tests: a boto3 client for the test's sandbox, the sandbox clock (paused,
advanced instead of sleeping), and functions made from handler source text and made Active."""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo

# The browser tests' fixtures (tests/e2e/conftest.py), imported in a conftest and not into a test
# module, as tests/services/s3/conftest.py explains.
from tests.e2e.conftest import browser, gui, signed_in, student  # noqa: F401

ROLE = "arn:aws:iam::123456789012:role/lambda-role"


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture
def lam(aws: Callable[..., Any]) -> Any:
    return aws("lambda")


@pytest.fixture
def clock_now(sandbox: SandboxInfo, db_access: None) -> Callable[[], dt.datetime]:
    """clock_now() -> the sandbox clock's time."""
    from playground.sandboxes.models import Clock

    return lambda: Clock.current(sandbox.id).now()


@pytest.fixture
def make_function(lam: Any, advance: Callable[[float], None], paused: None) -> Callable[..., str]:
    """make_function(source, name=None, **kwargs) -> the name of a new Active function whose
    lambda_function.py is `source` (handler lambda_function.handler)."""

    def make(source: str, name: str | None = None, **kwargs: Any) -> str:
        name = name or f"f-{uuid.uuid4().hex[:10]}"
        lam.create_function(
            FunctionName=name, Runtime="python3.12", Role=ROLE,
            Handler=kwargs.pop("Handler", "lambda_function.handler"),
            Code={"ZipFile": zipped({"lambda_function.py": source})}, **kwargs,
        )  # fmt: skip
        advance(1)
        return name

    return make
