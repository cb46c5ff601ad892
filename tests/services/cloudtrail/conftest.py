"""Fixtures for the CloudTrail tests: boto3 clients of the test's sandbox, the sandbox clock,
a bucket whose policy lets CloudTrail write, and waiting for a call's record (the call log writes
records off the request path, within about 20 ms)."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo
from tests.e2e.conftest import browser, gui, signed_in, student  # noqa: F401  (see tests/services/s3/conftest.py)
from tests.waiting import wait_until


@pytest.fixture
def cloudtrail(aws: Callable[..., Any]) -> Any:
    return aws("cloudtrail")


def trail_policy(bucket: str, account_id: str, prefix: str = "") -> str:
    """The bucket policy AWS documents for CloudTrail."""
    folder = f"{prefix}/" if prefix else ""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AWSCloudTrailAclCheck",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:GetBucketAcl",
                    "Resource": f"arn:aws:s3:::{bucket}",
                },
                {
                    "Sid": "AWSCloudTrailWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{bucket}/{folder}AWSLogs/{account_id}/*",
                    "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
                },
            ],
        }
    )


@pytest.fixture
def log_bucket(aws: Callable[..., Any], sandbox: SandboxInfo) -> str:
    s3 = aws("s3")
    name = f"trail-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=trail_policy(name, sandbox.account_id))
    return name


def wait_for_event(
    cloudtrail: Any, key: str, value: str, *, count: int = 1, timeout: float = 10.0
) -> list[dict[str, Any]]:
    """The events LookupEvents finds for one attribute (its first page), once at least `count` are
    there or `timeout` has passed (the call log is written by the server a moment after each call)."""
    found: list[dict[str, Any]] = []

    def enough() -> bool:
        nonlocal found
        found = cloudtrail.lookup_events(LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])["Events"]
        return len(found) >= count

    with contextlib.suppress(TimeoutError):
        wait_until(enough, timeout=timeout)
    return found
