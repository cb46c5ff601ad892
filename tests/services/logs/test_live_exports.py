"""Export tasks to S3: the bucket policy AWS requires, the objects as AWS names them (gzip, one
line an event), PENDING -> RUNNING -> COMPLETED on the sandbox clock, cancel, and one active task
at a time."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.api.conftest import login
from tests.conftest import SandboxInfo, Server, error_of

pytestmark = pytest.mark.live


@pytest.fixture
def sandbox(make_sandbox: Callable[..., SandboxInfo]) -> SandboxInfo:
    """A sandbox with an owner who can sign in, for the REST API's diagram."""
    return make_sandbox("logs exports", username=f"exports-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def graph(daphne: Server, sandbox: SandboxInfo, db_access: None) -> Callable[[], dict[str, Any]]:
    from playground.sandboxes.models import Sandbox

    user = Sandbox.objects.get(pk=sandbox.id).owner
    assert user is not None
    session: requests.Session = login(daphne, user.username, f"pw-{user.username}")

    def read() -> dict[str, Any]:
        return dict(session.get(f"{daphne.url}/api/sandboxes/{sandbox.id}/graph/", timeout=30).json())

    return read


def _policy(bucket: str, region: str, account: str, *, acl_check: bool = True) -> str:
    principal = {"Service": f"logs.{region}.amazonaws.com"}
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
            "Condition": {
                "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": [account]},
                "ArnLike": {"aws:SourceArn": [f"arn:aws:logs:{region}:{account}:log-group:*"]},
            },
        }
    ]
    if acl_check:
        statements.insert(
            0,
            {
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringEquals": {"aws:SourceAccount": [account]}},
            },
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@pytest.fixture
def bucket(aws: Callable[..., Any], sandbox: SandboxInfo) -> str:
    name = f"exports-{uuid.uuid4().hex[:8]}"
    s3 = aws("s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=_policy(name, sandbox.region, sandbox.account_id))
    return name


def _iso(stamp: int) -> str:
    moment = dt.datetime.fromtimestamp(stamp / 1000, dt.UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{stamp % 1000:03d}Z"


def _status(logs: Any, task_id: str) -> dict[str, Any]:
    return logs.describe_export_tasks(taskId=task_id)["exportTasks"][0]


def test_export_task_runs_on_the_clock_and_writes_gzip_objects_as_aws_names_them(
    logs: Any,
    aws: Callable[..., Any],
    bucket: str,
    paused: None,
    now_ms: Callable[[], int],
    advance: Callable[[float], None],
    graph: Callable[[], dict[str, Any]],
) -> None:
    s3 = aws("s3")
    group = f"/app/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    for stream in ("web-1", "web-2", "worker"):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    start = now_ms()
    logs.put_log_events(logGroupName=group, logStreamName="web-1",
                        logEvents=[{"timestamp": start - 5000, "message": "too early"},
                                   {"timestamp": start, "message": "GET /a 200"},
                                   {"timestamp": start + 1, "message": "GET /b 500"}])  # fmt: skip
    logs.put_log_events(logGroupName=group, logStreamName="web-2",
                        logEvents=[{"timestamp": start + 2, "message": "GET /c 404"}])  # fmt: skip
    logs.put_log_events(logGroupName=group, logStreamName="worker",
                        logEvents=[{"timestamp": start + 3, "message": "job done"}])  # fmt: skip

    task_id = logs.create_export_task(
        taskName="nightly", logGroupName=group, logStreamNamePrefix="web", destination=bucket,
        destinationPrefix="exports/app", **{"from": start, "to": start + 10_000},
    )["taskId"]  # fmt: skip

    # AWS checks that it may write by writing a test object under the prefix.
    test_object = s3.get_object(Bucket=bucket, Key="exports/app/aws-logs-write-test")
    assert test_object["Body"].read() == b"Permission Check Successful"
    task = _status(logs, task_id)
    assert task["status"]["code"] == "PENDING"
    assert (task["taskName"], task["logGroupName"], task["destination"], task["destinationPrefix"]) == (
        "nightly", group, bucket, "exports/app")  # fmt: skip
    assert (task["from"], task["to"]) == (start, start + 10_000)
    assert "completionTime" not in task["executionInfo"]

    advance(1)
    assert _status(logs, task_id)["status"]["code"] == "RUNNING"
    # While it runs, the diagram draws the export from the group to the bucket.
    exporting = [edge for edge in graph()["edges"] if edge["type"] == "log-export"]
    assert [(edge["target"], edge["label"]) for edge in exporting] == [(f"arn:aws:s3:::{bucket}", "export running")]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"exports/app/{task_id}/").get("Contents", [])
    assert listed == []  # nothing is written before the task completes

    advance(5)
    task = _status(logs, task_id)
    assert task["status"] == {"code": "COMPLETED", "message": "Completed successfully"}
    assert [edge for edge in graph()["edges"] if edge["type"] == "log-export"] == []
    assert task["executionInfo"]["completionTime"] >= task["executionInfo"]["creationTime"]
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix="exports/app/")["Contents"])
    assert keys == sorted(
        ["exports/app/aws-logs-write-test", f"exports/app/{task_id}/web-1/000000.gz",
         f"exports/app/{task_id}/web-2/000000.gz"]
    )  # fmt: skip
    body = s3.get_object(Bucket=bucket, Key=f"exports/app/{task_id}/web-1/000000.gz")["Body"].read()
    assert gzip.decompress(body).decode().splitlines() == [
        f"{_iso(start)} GET /a 200",
        f"{_iso(start + 1)} GET /b 500",
    ]
    body = s3.get_object(Bucket=bucket, Key=f"exports/app/{task_id}/web-2/000000.gz")["Body"].read()
    assert gzip.decompress(body).decode() == f"{_iso(start + 2)} GET /c 404\n"

    # Filtering by status; a finished task cannot be cancelled.
    assert [t["taskId"] for t in logs.describe_export_tasks(statusCode="COMPLETED")["exportTasks"]] == [task_id]
    assert logs.describe_export_tasks(statusCode="RUNNING")["exportTasks"] == []
    with pytest.raises(ClientError) as caught:
        logs.cancel_export_task(taskId=task_id)
    assert error_of(caught)[:2] == ("InvalidOperationException", 400)


def test_one_active_export_task_at_a_time_and_cancel(
    logs: Any,
    bucket: str,
    paused: None,
    now_ms: Callable[[], int],
    advance: Callable[[float], None],
    aws: Callable[..., Any],
) -> None:
    group = f"/app/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "x"}])
    span = {"from": 0, "to": now_ms() + 1000}
    first = logs.create_export_task(logGroupName=group, destination=bucket, **span)["taskId"]
    assert _status(logs, first)["destinationPrefix"] == "exportedlogs"
    with pytest.raises(ClientError) as caught:
        logs.create_export_task(logGroupName=group, destination=bucket, **span)
    assert error_of(caught) == ("LimitExceededException", 400, "Resource limit exceeded.")
    advance(1)  # RUNNING is active too
    with pytest.raises(ClientError) as caught:
        logs.create_export_task(logGroupName=group, destination=bucket, **span)
    assert error_of(caught)[0] == "LimitExceededException"

    logs.cancel_export_task(taskId=first)
    task = _status(logs, first)
    assert task["status"] == {"code": "CANCELLED", "message": "Cancelled by user"}
    advance(10)
    assert _status(logs, first)["status"]["code"] == "CANCELLED"
    listed = aws("s3").list_objects_v2(Bucket=bucket, Prefix=f"exportedlogs/{first}/").get("Contents", [])
    assert listed == []  # a cancelled task writes nothing

    second = logs.create_export_task(logGroupName=group, destination=bucket, **span)["taskId"]
    assert [t["taskId"] for t in logs.describe_export_tasks()["exportTasks"]] == [second, first]
    page = logs.describe_export_tasks(limit=1)
    assert [t["taskId"] for t in page["exportTasks"]] == [second]
    rest = logs.describe_export_tasks(limit=1, nextToken=page["nextToken"])["exportTasks"]
    assert [t["taskId"] for t in rest] == [first]

    with pytest.raises(ClientError) as caught:
        logs.cancel_export_task(taskId="no-such-task")
    assert error_of(caught)[:2] == ("ResourceNotFoundException", 400)


def test_export_task_refusals(
    logs: Any, aws: Callable[..., Any], sandbox: SandboxInfo, paused: None, now_ms: Callable[[], int]
) -> None:
    s3 = aws("s3")
    group = f"/app/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    span = {"from": 0, "to": now_ms()}
    open_bucket = f"nopolicy-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=open_bucket)

    with pytest.raises(ClientError) as caught:
        logs.create_export_task(logGroupName=group, destination=f"missing-{uuid.uuid4().hex[:8]}", **span)
    missing = "The given bucket does not exist. Please make sure the bucket is valid."
    assert error_of(caught) == ("InvalidParameterException", 400, missing)

    with pytest.raises(ClientError) as caught:
        logs.create_export_task(logGroupName=group, destination=open_bucket, **span)
    assert error_of(caught) == (
        "InvalidParameterException",
        400,
        "GetBucketAcl call on the given bucket failed. Please check if CloudWatch Logs has been granted permission "
        "to perform this operation.",
    )

    # GetBucketAcl allowed, PutObject not (the policy allows another region's principal).
    s3.put_bucket_policy(Bucket=open_bucket, Policy=_policy(open_bucket, sandbox.region, sandbox.account_id)
                         .replace(f"logs.{sandbox.region}.amazonaws.com\"}}, \"Action\": \"s3:PutObject",
                                  "logs.eu-west-3.amazonaws.com\"}, \"Action\": \"s3:PutObject"))  # fmt: skip
    with pytest.raises(ClientError) as caught:
        logs.create_export_task(logGroupName=group, destination=open_bucket, **span)
    code, status, message = error_of(caught)
    assert (code, status) == ("InvalidParameterException", 400)
    assert message.startswith("PutObject call on the given bucket failed.")

    s3.put_bucket_policy(Bucket=open_bucket, Policy=_policy(open_bucket, sandbox.region, sandbox.account_id))
    with pytest.raises(ClientError) as caught:
        logs.create_export_task(logGroupName="/no/such/group", destination=open_bucket, **span)
    assert error_of(caught) == ("ResourceNotFoundException", 400, "The specified log group does not exist.")
    with pytest.raises(ClientError) as caught:
        logs.create_export_task(logGroupName=group, destination=open_bucket, **{"from": 2000, "to": 1000})
    assert error_of(caught)[:2] == ("InvalidParameterException", 400)
    # Nothing was started by the refusals, and nothing written.
    assert logs.describe_export_tasks()["exportTasks"] == []
    assert s3.list_objects_v2(Bucket=open_bucket).get("KeyCount", 0) == 0


def test_export_task_through_the_cli(
    aws_cli: Callable[..., Any], logs: Any, bucket: str, paused: None, now_ms: Callable[[], int]
) -> None:
    group = f"/cli/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    done = aws_cli("logs", "create-export-task", "--log-group-name", group, "--from", "0", "--to", str(now_ms()),
                   "--destination", bucket, "--destination-prefix", "cli")  # fmt: skip
    task_id = json.loads(done.stdout)["taskId"]
    described = json.loads(aws_cli("logs", "describe-export-tasks", "--task-id", task_id).stdout)
    assert described["exportTasks"][0]["status"]["code"] == "PENDING"
    refused = aws_cli("logs", "create-export-task", "--log-group-name", group, "--from", "0", "--to", "1",
                      "--destination", bucket, check=False)  # fmt: skip
    assert refused.returncode != 0
    assert "LimitExceededException" in refused.stderr
    assert "Resource limit exceeded." in refused.stderr
