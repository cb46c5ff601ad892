"""Fixtures for the SQS tests: a boto3 SQS client for the test's sandbox, queues, and the clock."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def sqs(aws: Callable[..., Any]) -> Any:
    return aws("sqs")


@pytest.fixture
def make_queue(sqs: Any) -> Callable[..., str]:
    """make_queue(fifo=False, **attributes) -> the URL of a new queue with a unique name."""

    def make(
        name: str | None = None, *, fifo: bool = False, tags: dict[str, str] | None = None, **attributes: Any
    ) -> str:
        base = name or f"q-{uuid.uuid4().hex[:10]}"
        if fifo:
            attributes["FifoQueue"] = "true"
            base = base if base.endswith(".fifo") else f"{base}.fifo"
        kwargs: dict[str, Any] = {"QueueName": base, "Attributes": {k: str(v) for k, v in attributes.items()}}
        if tags:
            kwargs["tags"] = tags
        return str(sqs.create_queue(**kwargs)["QueueUrl"])

    return make
