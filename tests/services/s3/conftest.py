"""Fixtures for the S3 tests: a boto3 S3 client for the test's sandbox and buckets with unique names."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

# The browser tests' fixtures (tests/e2e/conftest.py): Chromium, a student with a sandbox, a page
# signed in on its diagram. Imported here, in a conftest, and not into a test module: a
# package-scoped fixture defined in a module lives for the whole session (pytest finds no package
# for it), and a second Chromium started while it lives fails ("Playwright Sync API inside the
# asyncio loop").
from tests.e2e.conftest import browser, gui, signed_in, student  # noqa: F401


@pytest.fixture
def s3(aws: Callable[..., Any]) -> Any:
    return aws("s3")


@pytest.fixture
def make_bucket(s3: Any) -> Callable[..., str]:
    """make_bucket(versioned=False) -> the name of a new bucket."""

    def make(name: str | None = None, *, versioned: bool = False) -> str:
        bucket = name or f"b-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(Bucket=bucket)
        if versioned:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        return bucket

    return make


@pytest.fixture
def bucket(make_bucket: Callable[..., str]) -> str:
    return make_bucket()
