"""Fixtures for the Kinesis tests: a boto3 client for the test's sandbox, streams made ACTIVE by
moving the sandbox clock past CREATING, and the clock itself."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def kinesis(aws: Callable[..., Any]) -> Any:
    return aws("kinesis")


@pytest.fixture
def make_stream(kinesis: Any, advance: Callable[[float], None]) -> Callable[..., str]:
    """make_stream(shards=1, name=None, **kwargs) -> the name of a new ACTIVE stream."""

    def make(shards: int | None = 1, name: str | None = None, **kwargs: Any) -> str:
        name = name or f"s-{uuid.uuid4().hex[:10]}"
        if shards is not None:
            kwargs["ShardCount"] = shards
        kinesis.create_stream(StreamName=name, **kwargs)
        advance(10)
        return name

    return make


def unchecked(aws: Callable[..., Any]) -> Any:
    """A Kinesis client that sends what botocore would refuse, so that the server's answer shows."""
    from botocore.config import Config

    return aws("kinesis", config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))


def key_for_shard(shard: int, count: int) -> str:
    """A partition key whose MD5 falls in shard `shard` of `count` even shards."""
    for index in range(10_000):
        key = f"key-{index}"
        digest = hashlib.md5(key.encode()).digest()  # noqa: S324 (Kinesis's own mapping)
        value = int.from_bytes(digest, "big")
        if value * count // 2**128 == shard:
            return key
    raise AssertionError("no key found")
