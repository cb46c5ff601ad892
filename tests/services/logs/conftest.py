"""Fixtures for the CloudWatch Logs tests: a boto3 client for the test's sandbox, a paused clock
that only `advance` moves, and a log group with a stream ready for events."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo


@pytest.fixture
def logs(aws: Callable[..., Any]) -> Any:
    return aws("logs")


@pytest.fixture
def now_ms(sandbox: SandboxInfo, db_access: None) -> Callable[[], int]:
    """The sandbox clock's now, in epoch milliseconds (what PutLogEvents' timestamps are)."""
    from playground.sandboxes.models import Clock

    def read() -> int:
        return int(Clock.current(sandbox.id).now().timestamp() * 1000)

    return read


@pytest.fixture
def make_stream(logs: Any) -> Callable[..., tuple[str, str]]:
    """make_stream(group=None, stream="app") -> (group name, stream name), both created."""

    def make(group: str | None = None, stream: str = "app", **kwargs: Any) -> tuple[str, str]:
        group = group or f"/test/{uuid.uuid4().hex[:10]}"
        logs.create_log_group(logGroupName=group, **kwargs)
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        return group, stream

    return make


def unchecked(aws: Callable[..., Any]) -> Any:
    """A Logs client that sends what botocore would refuse, so that the server's answer shows."""
    from botocore.config import Config

    return aws("logs", config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))


def day_ms(days: float) -> int:
    return int(dt.timedelta(days=days).total_seconds() * 1000)
