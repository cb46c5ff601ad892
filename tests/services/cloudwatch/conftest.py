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
def advance(sandbox: SandboxInfo, db_access: None) -> Callable[[float], None]:
    """advance(seconds): move the sandbox clock forward and run the work that became due."""
    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import clock_advance

    def move(seconds: float) -> None:
        clock_advance(sandbox=Sandbox.objects.get(pk=sandbox.id), seconds=seconds)

    return move


@pytest.fixture
def paused(sandbox: SandboxInfo, db_access: None) -> None:
    """Stop the sandbox clock, so that only `advance` moves it: exact timing without sleeping."""
    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import clock_pause

    clock_pause(sandbox=Sandbox.objects.get(pk=sandbox.id))


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


def error_of(caught: Any) -> tuple[str, int, str]:
    """(code, HTTP status, message) of a botocore ClientError caught by pytest.raises."""
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"].get("Message", ""),
    )


def unchecked(aws: Callable[..., Any]) -> Any:
    """A client that sends what botocore would refuse, so that the server's answer shows."""
    from botocore.config import Config

    return aws("cloudwatch", config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
