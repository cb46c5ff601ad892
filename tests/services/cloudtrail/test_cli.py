"""CloudTrail through the real aws CLI: the event history with a lookup attribute, a trail made and
started, its status, and AWS's errors as the CLI prints them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo
from tests.services.cloudtrail.conftest import wait_for_event

pytestmark = pytest.mark.live

Cli = Callable[..., subprocess.CompletedProcess[str]]


def test_lookup_events_and_a_trail(aws_cli: Cli, cloudtrail: Any, log_bucket: str, sandbox: SandboxInfo) -> None:
    aws_cli("sqs", "create-queue", "--queue-name", "from-the-cli")
    wait_for_event(cloudtrail, "ResourceName", "from-the-cli")  # the call log writes within about 20 ms
    found = json.loads(
        aws_cli(
            "cloudtrail", "lookup-events",
            "--lookup-attributes", "AttributeKey=ResourceName,AttributeValue=from-the-cli",
        ).stdout
    )["Events"]  # fmt: skip
    [event] = found
    record = json.loads(event["CloudTrailEvent"])
    assert record["eventName"] == "CreateQueue"
    assert record["userAgent"].startswith("aws-cli/")
    assert record["requestParameters"] == {"queueName": "from-the-cli"}

    created = json.loads(
        aws_cli("cloudtrail", "create-trail", "--name", "cli-trail", "--s3-bucket-name", log_bucket).stdout
    )
    assert created["TrailARN"] == f"arn:aws:cloudtrail:{sandbox.region}:{sandbox.account_id}:trail/cli-trail"
    aws_cli("cloudtrail", "start-logging", "--name", "cli-trail")
    status = json.loads(aws_cli("cloudtrail", "get-trail-status", "--name", "cli-trail").stdout)
    assert status["IsLogging"] is True


def test_errors_as_the_cli_prints_them(aws_cli: Cli, aws: Callable[..., Any], sandbox: SandboxInfo) -> None:
    aws("s3").create_bucket(Bucket=f"plain-{sandbox.account_id}")
    result = aws_cli(
        "cloudtrail",
        "create-trail",
        "--name",
        "trail-one",
        "--s3-bucket-name",
        f"plain-{sandbox.account_id}",
        check=False,
    )
    assert result.returncode != 0
    assert "An error occurred (InsufficientS3BucketPolicyException) when calling the CreateTrail operation" in (
        result.stderr
    )
    assert f"Incorrect S3 bucket policy is detected for bucket: plain-{sandbox.account_id}" in result.stderr
    result = aws_cli("cloudtrail", "get-trail-status", "--name", "nothing", check=False)
    assert "An error occurred (TrailNotFoundException) when calling the GetTrailStatus operation" in result.stderr
    assert f"Unknown trail: arn:aws:cloudtrail:{sandbox.region}:{sandbox.account_id}:trail/nothing" in result.stderr
    result = aws_cli(
        "cloudtrail", "lookup-events", "--start-time", "2026-01-02", "--end-time", "2026-01-01", check=False
    )
    assert "An error occurred (InvalidTimeRangeException) when calling the LookupEvents operation" in result.stderr
    assert "Start time must be earlier than end time." in result.stderr
