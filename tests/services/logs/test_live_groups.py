"""Log groups and streams through boto3 against the live server: create, describe (prefix,
pattern, class, paging), tags, KMS keys, retention's allowed values, and AWS's errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, error_of
from tests.services.logs.conftest import unchecked

pytestmark = pytest.mark.live


def test_group_create_describe_and_delete(logs: Any, sandbox: SandboxInfo) -> None:
    logs.create_log_group(logGroupName="/app/web", tags={"team": "web"}, logGroupClass="INFREQUENT_ACCESS")
    logs.create_log_group(logGroupName="/app/worker")
    logs.create_log_group(logGroupName="/other/DataLogs")
    with pytest.raises(ClientError) as caught:
        logs.create_log_group(logGroupName="/app/web")
    assert error_of(caught) == ("ResourceAlreadyExistsException", 400, "The specified log group already exists")

    listed = logs.describe_log_groups(logGroupNamePrefix="/app/")["logGroups"]
    assert [group["logGroupName"] for group in listed] == ["/app/web", "/app/worker"]
    web = listed[0]
    assert web["arn"] == f"arn:aws:logs:us-east-1:{sandbox.account_id}:log-group:/app/web:*"
    assert web["logGroupArn"] == f"arn:aws:logs:us-east-1:{sandbox.account_id}:log-group:/app/web"
    assert web["logGroupClass"] == "INFREQUENT_ACCESS"
    assert web["metricFilterCount"] == 0
    assert web["storedBytes"] == 0
    assert "retentionInDays" not in web

    # The pattern is a case-sensitive substring, and narrows the answer to three fields.
    by_pattern = logs.describe_log_groups(logGroupNamePattern="Data")["logGroups"]
    assert [group["logGroupName"] for group in by_pattern] == ["/other/DataLogs"]
    assert set(by_pattern[0]) == {"logGroupName", "creationTime", "arn"}
    assert logs.describe_log_groups(logGroupNamePattern="data")["logGroups"] == []
    classed = logs.describe_log_groups(logGroupClass="INFREQUENT_ACCESS")["logGroups"]
    assert [group["logGroupName"] for group in classed] == ["/app/web"]

    first = logs.describe_log_groups(limit=2)
    assert len(first["logGroups"]) == 2
    assert "nextToken" in first
    rest = logs.describe_log_groups(limit=2, nextToken=first["nextToken"])
    assert [group["logGroupName"] for group in rest["logGroups"]] == ["/other/DataLogs"]
    assert "nextToken" not in rest

    with pytest.raises(ClientError) as caught:
        logs.describe_log_groups(logGroupNamePrefix="/app", logGroupNamePattern="web")
    assert error_of(caught) == (
        "InvalidParameterException",
        400,
        "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
    )

    assert logs.list_tags_log_group(logGroupName="/app/web")["tags"] == {"team": "web"}
    arn = web["logGroupArn"]
    logs.tag_resource(resourceArn=arn, tags={"env": "lab"})
    logs.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "lab"}

    logs.delete_log_group(logGroupName="/app/web")
    with pytest.raises(ClientError) as caught:
        logs.delete_log_group(logGroupName="/app/web")
    assert error_of(caught) == ("ResourceNotFoundException", 400, "The specified log group does not exist.")


def test_group_name_and_retention_values(logs: Any, aws: Callable[..., Any]) -> None:
    raw = unchecked(aws)
    with pytest.raises(ClientError) as caught:
        raw.create_log_group(logGroupName="bad name!")
    assert error_of(caught) == (
        "InvalidParameterException",
        400,
        "1 validation error detected: Value 'bad name!' at 'logGroupName' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+",
    )
    logs.create_log_group(logGroupName="kept")
    with pytest.raises(ClientError) as caught:
        logs.put_retention_policy(logGroupName="kept", retentionInDays=2)
    code, status, message = error_of(caught)
    assert (code, status) == ("InvalidParameterException", 400)
    assert message == (
        "1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy constraint: Member must "
        "satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, "
        "2192, 2557, 2922, 3288, 3653]"
    )
    with pytest.raises(ClientError) as caught:
        logs.put_retention_policy(logGroupName="missing", retentionInDays=1)
    assert error_of(caught)[0] == "ResourceNotFoundException"
    logs.put_retention_policy(logGroupName="kept", retentionInDays=14)
    assert logs.describe_log_groups(logGroupNamePrefix="kept")["logGroups"][0]["retentionInDays"] == 14
    logs.delete_retention_policy(logGroupName="kept")
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix="kept")["logGroups"][0]


def test_kms_key_association(logs: Any, aws: Callable[..., Any], sandbox: SandboxInfo) -> None:
    kms = aws("kms")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName="sealed", kmsKeyId=key_arn)
    assert logs.describe_log_groups(logGroupNamePrefix="sealed")["logGroups"][0]["kmsKeyId"] == key_arn
    logs.create_log_group(logGroupName="later")
    logs.associate_kms_key(logGroupName="later", kmsKeyId=key_arn)
    assert logs.describe_log_groups(logGroupNamePrefix="later")["logGroups"][0]["kmsKeyId"] == key_arn
    logs.disassociate_kms_key(logGroupName="later")
    assert "kmsKeyId" not in logs.describe_log_groups(logGroupNamePrefix="later")["logGroups"][0]
    missing = key_arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as caught:
        logs.associate_kms_key(logGroupName="later", kmsKeyId=missing)
    assert error_of(caught) == (
        "InvalidParameterException",
        400,
        "The specified KMS key does not exist or is not allowed to be used with Arn "
        f"'arn:aws:logs:us-east-1:{sandbox.account_id}:log-group:later'",
    )


def test_streams_order_and_delete(logs: Any, paused: None, now_ms: Callable[[], int]) -> None:
    logs.create_log_group(logGroupName="g")
    for name in ("b-stream", "a-stream", "c-stream"):
        logs.create_log_stream(logGroupName="g", logStreamName=name)
    with pytest.raises(ClientError) as caught:
        logs.create_log_stream(logGroupName="g", logStreamName="a-stream")
    assert error_of(caught) == ("ResourceAlreadyExistsException", 400, "The specified log stream already exists")
    with pytest.raises(ClientError) as caught:
        logs.create_log_stream(logGroupName="nowhere", logStreamName="x")
    assert error_of(caught)[0] == "ResourceNotFoundException"
    base = now_ms()
    logs.put_log_events(
        logGroupName="g", logStreamName="c-stream", logEvents=[{"timestamp": base - 3000, "message": "c"}]
    )
    logs.put_log_events(
        logGroupName="g", logStreamName="a-stream", logEvents=[{"timestamp": base - 1000, "message": "a"}]
    )
    logs.put_log_events(
        logGroupName="g", logStreamName="b-stream", logEvents=[{"timestamp": base - 2000, "message": "b"}]
    )

    by_name = logs.describe_log_streams(logGroupName="g")["logStreams"]
    assert [stream["logStreamName"] for stream in by_name] == ["a-stream", "b-stream", "c-stream"]
    assert by_name[0]["firstEventTimestamp"] == base - 1000
    by_time = logs.describe_log_streams(logGroupName="g", orderBy="LastEventTime", descending=True)["logStreams"]
    assert [stream["logStreamName"] for stream in by_time] == ["a-stream", "b-stream", "c-stream"]
    ascending = logs.describe_log_streams(logGroupName="g", orderBy="LastEventTime")["logStreams"]
    assert [stream["logStreamName"] for stream in ascending] == ["c-stream", "b-stream", "a-stream"]
    page = logs.describe_log_streams(logGroupName="g", limit=2)
    following = logs.describe_log_streams(logGroupName="g", limit=2, nextToken=page["nextToken"])
    assert [stream["logStreamName"] for stream in following["logStreams"]] == ["c-stream"]
    assert [
        s["logStreamName"] for s in logs.describe_log_streams(logGroupName="g", logStreamNamePrefix="b")["logStreams"]
    ] == ["b-stream"]
    with pytest.raises(ClientError) as caught:
        logs.describe_log_streams(logGroupName="g", orderBy="LastEventTime", logStreamNamePrefix="a")
    assert error_of(caught) == (
        "InvalidParameterException",
        400,
        "Cannot order by LastEventTime with a logStreamNamePrefix.",
    )
    logs.delete_log_stream(logGroupName="g", logStreamName="b-stream")
    with pytest.raises(ClientError) as caught:
        logs.delete_log_stream(logGroupName="g", logStreamName="b-stream")
    assert error_of(caught) == ("ResourceNotFoundException", 400, "The specified log stream does not exist.")
