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


def error_of(caught: Any) -> tuple[str, int, str]:
    """(code, HTTP status, message) of a botocore ClientError caught by pytest.raises."""
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"].get("Message", ""),
    )


def sandbox_now(sandbox: SandboxInfo) -> Any:
    from playground.sandboxes.models import Sandbox

    return Sandbox.objects.get(pk=sandbox.id).clock.now()
