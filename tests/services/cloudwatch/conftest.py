"""Fixtures for the CloudWatch tests: a boto3 client for the test's sandbox, the sandbox clock
(paused, moved by `advance`), and an error reader."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo


@pytest.fixture
def cloudwatch(aws: Callable[..., Any]) -> Any:
    return aws("cloudwatch")


@pytest.fixture
def now(sandbox: SandboxInfo, db_access: None, paused: None) -> Callable[[], dt.datetime]:
    """now(): the sandbox clock's time."""
    from playground.sandboxes.models import Sandbox

    def read() -> dt.datetime:
        return Sandbox.objects.get(pk=sandbox.id).clock.now()

    return read


@pytest.fixture
def to_boundary(now: Callable[[], dt.datetime], advance: Callable[[float], None]) -> Callable[[int], None]:
    """to_boundary(period): move the clock to 1 s past the start of the next period."""

    def move(period: int) -> None:
        epoch = now().timestamp()
        advance(period - epoch % period + 1)

    return move


def unchecked(aws: Callable[..., Any]) -> Any:
    """A client that sends what botocore would refuse, so that the server's answer shows."""
    from botocore.config import Config

    return aws("cloudwatch", config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
