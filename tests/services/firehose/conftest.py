"""Fixtures for the Firehose tests: boto3 clients for the test's sandbox, a paused clock that only
`advance` moves, delivery streams made ACTIVE by moving the clock past CREATING, and the objects
a bucket holds, read back."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo

ROLE = "arn:aws:iam::123456789012:role/firehose-delivery"


@pytest.fixture
def firehose(aws: Callable[..., Any]) -> Any:
    return aws("firehose")


@pytest.fixture
def s3(aws: Callable[..., Any]) -> Any:
    return aws("s3")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"lake-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def make_stream(firehose: Any, advance: Callable[[float], None], paused: None) -> Callable[..., str]:
    """make_stream(bucket, name=None, **extended_s3) -> the name of a new ACTIVE DirectPut stream."""

    def make(bucket: str, name: str | None = None, **destination: Any) -> str:
        name = name or f"fh-{uuid.uuid4().hex[:10]}"
        firehose.create_delivery_stream(
            DeliveryStreamName=name,
            ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", **destination},
        )
        advance(5)
        return name

    return make


@pytest.fixture
def objects(s3: Any) -> Callable[[str], list[tuple[str, bytes]]]:
    """objects(bucket) -> [(key, body)] in key order."""

    def read(bucket: str) -> list[tuple[str, bytes]]:
        listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        return [(item["Key"], s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()) for item in listed]

    return read


def sandbox_now(sandbox: SandboxInfo) -> Any:
    from playground.sandboxes.models import Sandbox

    return Sandbox.objects.get(pk=sandbox.id).clock.now()
