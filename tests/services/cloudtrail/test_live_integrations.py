"""CloudTrail with the services around it, through boto3 and the real aws CLI: "AWS API Call via
CloudTrail" events on EventBridge's default bus, a trail's records in a CloudWatch Logs log
group, and log file validation that `aws cloudtrail validate-logs` verifies."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import Api, User, unique
from tests.conftest import SandboxInfo, error_of
from tests.labs.conftest import _remove_the_sandboxes_made_here, as_user, make_user  # noqa: F401  (fixtures)
from tests.services.cloudtrail.conftest import trail_policy, wait_for_event
from tests.services.eventbridge.conftest import allow_events
from tests.waiting import wait_until

pytestmark = pytest.mark.live

Cli = Callable[..., subprocess.CompletedProcess[str]]
ROLE = "arn:aws:iam::{account}:role/CloudTrail_CloudWatchLogs_Role"


def _logging_trail(cloudtrail: Any, bucket: str, name: str = "audit", **extra: Any) -> dict[str, Any]:
    created = cloudtrail.create_trail(Name=name, S3BucketName=bucket, **extra)
    cloudtrail.start_logging(Name=name)
    return dict(created)


def _target_queue(aws: Callable[..., Any], events: Any, *, rule: str, pattern: dict[str, Any]) -> str:
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName=f"{rule}-target")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": allow_events(arn)})
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": arn}])
    return str(url)


def _flows(sandbox: SandboxInfo, kind: str) -> list[dict[str, Any]]:
    """The sandbox's CloudTrail flow events of one kind, as /events/ serves them."""
    from playground.live.models import LiveEvent

    rows = LiveEvent.objects.filter(sandbox_id=sandbox.id, type="flow").order_by("seq")
    return [row.payload for row in rows if row.payload.get("service") == "cloudtrail" and row.payload["kind"] == kind]


def _bodies(sqs: Any, url: str, *, until: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def arrived() -> bool:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            seen.append(json.loads(message["Body"]))
        return until(seen)

    wait_until(arrived, timeout=10)
    return seen


def test_api_calls_reach_an_eventbridge_rule(
    aws: Callable[..., Any], aws_cli: Cli, cloudtrail: Any, log_bucket: str, sandbox: SandboxInfo
) -> None:
    events, sqs = aws("events"), aws("sqs")
    pattern = {"source": ["aws.sqs"], "detail-type": ["AWS API Call via CloudTrail"]}
    url = _target_queue(aws, events, rule="sqs-calls", pattern=pattern)
    named = _target_queue(
        aws, events, rule="create-queue", pattern={**pattern, "detail": {"eventName": ["CreateQueue"]}}
    )
    aws_cli("sqs", "create-queue", "--queue-name", "before-logging")  # no trail logs yet: no event
    wait_for_event(cloudtrail, "ResourceName", "before-logging")
    _logging_trail(cloudtrail, log_bucket)

    aws_cli("sqs", "create-queue", "--queue-name", "watched")
    [event] = _bodies(sqs, named, until=lambda seen: len(seen) >= 1)
    assert event["source"] == "aws.sqs"
    assert event["detail-type"] == "AWS API Call via CloudTrail"
    assert event["account"] == sandbox.account_id
    assert event["region"] == sandbox.region
    assert event["resources"] == []
    detail = event["detail"]
    assert detail["eventSource"] == "sqs.amazonaws.com"
    assert detail["eventName"] == "CreateQueue"
    assert detail["requestParameters"] == {"queueName": "watched"}
    assert detail["responseElements"]["queueUrl"].endswith("/watched")
    assert detail["userAgent"].startswith("aws-cli/")
    assert detail["userIdentity"]["accountId"] == sandbox.account_id
    assert detail["eventType"] == "AwsApiCall"
    assert detail["managementEvent"] is True
    assert detail["readOnly"] is False
    assert event["time"] == detail["eventTime"]
    # The event history has the same record.
    [found] = wait_for_event(cloudtrail, "EventId", detail["eventID"])
    assert json.loads(found["CloudTrailEvent"]) == detail

    # List/Get/Describe calls are not sent, failed calls are; SendMessage is a data event no trail logs.
    sqs.list_queues()
    sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    sqs.send_message(QueueUrl=named, MessageBody="not an event")
    with pytest.raises(ClientError):
        sqs.delete_queue(QueueUrl=url.rsplit("/", 1)[0] + "/no-such-queue")
    sqs.tag_queue(QueueUrl=url, Tags={"last": "call"})
    seen = _bodies(sqs, url, until=lambda seen: any(item["detail"]["eventName"] == "TagQueue" for item in seen))
    names = [item.get("detail", {}).get("eventName") for item in seen]
    assert not {"ListQueues", "GetQueueAttributes", "SendMessage"} & set(names)
    assert "before-logging" not in json.dumps(seen)
    [failed] = [item["detail"] for item in seen if item["detail"]["eventName"] == "DeleteQueue"]
    assert failed["errorCode"]


def test_a_trail_delivers_to_a_log_group(
    aws: Callable[..., Any], cloudtrail: Any, log_bucket: str, sandbox: SandboxInfo, advance: Callable[[float], None]
) -> None:
    logs = aws("logs")
    group_arn = f"arn:aws:logs:{sandbox.region}:{sandbox.account_id}:log-group:CloudTrail/audit:*"
    role = ROLE.format(account=sandbox.account_id)
    with pytest.raises(ClientError) as caught:
        cloudtrail.create_trail(Name="audit", S3BucketName=log_bucket, CloudWatchLogsLogGroupArn=group_arn)
    assert error_of(caught) == (
        "InvalidCloudWatchLogsRoleArnException",
        400,
        "You must specify a role ARN as well as a log group.",
    )
    with pytest.raises(ClientError) as caught:
        cloudtrail.create_trail(
            Name="audit", S3BucketName=log_bucket, CloudWatchLogsLogGroupArn=group_arn, CloudWatchLogsRoleArn=role
        )
    assert error_of(caught) == (
        "InvalidCloudWatchLogsLogGroupArnException",
        400,
        "Access denied. Check the permissions for your role.",
    )
    with pytest.raises(ClientError) as caught:
        cloudtrail.create_trail(
            Name="audit", S3BucketName=log_bucket, CloudWatchLogsLogGroupArn="arn:aws:logs:nope",
            CloudWatchLogsRoleArn=role,
        )  # fmt: skip
    assert error_of(caught) == (
        "InvalidCloudWatchLogsLogGroupArnException",
        400,
        "CloudTrail cannot validate the specified log group ARN.",
    )
    assert cloudtrail.describe_trails()["trailList"] == []  # nothing stored by the refusals

    logs.create_log_group(logGroupName="CloudTrail/audit")
    created = _logging_trail(cloudtrail, log_bucket, CloudWatchLogsLogGroupArn=group_arn, CloudWatchLogsRoleArn=role)
    assert created["CloudWatchLogsLogGroupArn"] == group_arn
    assert created["CloudWatchLogsRoleArn"] == role
    aws("sqs").create_queue(QueueName="logged-queue")
    wait_for_event(cloudtrail, "ResourceName", "logged-queue")
    advance(300)

    stream = f"{sandbox.account_id}_CloudTrail_{sandbox.region}"
    [described] = logs.describe_log_streams(logGroupName="CloudTrail/audit")["logStreams"]
    assert described["logStreamName"] == stream
    messages = [
        json.loads(item["message"])
        for item in logs.get_log_events(logGroupName="CloudTrail/audit", logStreamName=stream)["events"]
    ]
    [record] = [item for item in messages if item["eventName"] == "CreateQueue"]
    assert record["requestParameters"] == {"queueName": "logged-queue"}
    [flow] = _flows(sandbox, "logged")
    assert flow["target"] == group_arn.removesuffix(":*")
    assert flow["detail"]["stream"] == stream
    status = cloudtrail.get_trail_status(Name="audit")
    assert "LatestCloudWatchLogsDeliveryTime" in status
    assert "LatestCloudWatchLogsDeliveryError" not in status

    logs.delete_log_group(logGroupName="CloudTrail/audit")
    aws("sqs").create_queue(QueueName="after-the-group")
    wait_for_event(cloudtrail, "ResourceName", "after-the-group")
    advance(300)
    assert cloudtrail.get_trail_status(Name="audit")["LatestCloudWatchLogsDeliveryError"] == (
        "ResourceNotFoundException"
    )


def test_validate_logs_verifies_digests_and_finds_a_tampered_file(
    aws: Callable[..., Any],
    aws_cli: Cli,
    cloudtrail: Any,
    log_bucket: str,
    sandbox: SandboxInfo,
    advance: Callable[[float], None],
    daphne: Any,
) -> None:
    s3 = aws("s3")
    trail = _logging_trail(cloudtrail, log_bucket, EnableLogFileValidation=True)
    assert trail["LogFileValidationEnabled"] is True
    started = cloudtrail.get_trail_status(Name="audit")["StartLoggingTime"]
    aws("sqs").create_queue(QueueName="validated")
    wait_for_event(cloudtrail, "ResourceName", "validated")
    advance(300)  # the log file
    advance(3600)  # the hour's digest

    status = cloudtrail.get_trail_status(Name="audit")
    assert "LatestDigestDeliveryError" not in status
    ended = status["LatestDigestDeliveryTime"]
    listed = s3.list_objects_v2(Bucket=log_bucket, Prefix=f"AWSLogs/{sandbox.account_id}/CloudTrail-Digest/")
    [digest_key] = [item["Key"] for item in listed["Contents"]]
    assert digest_key.startswith(f"AWSLogs/{sandbox.account_id}/CloudTrail-Digest/{sandbox.region}/")
    assert f"_CloudTrail-Digest_{sandbox.region}_audit_{sandbox.region}_" in digest_key
    got = s3.get_object(Bucket=log_bucket, Key=digest_key)
    assert got["Metadata"]["signature-algorithm"] == "SHA256withRSA"
    digest = json.loads(gzip.decompress(got["Body"].read()))
    assert digest["digestS3Object"] == digest_key
    assert digest["previousDigestSignature"] is None
    files = digest["logFiles"]  # the first delivery's, and one more if a record was written late for it
    assert files
    assert all("/CloudTrail/" in item["s3Object"] for item in files)
    log_file, count = files[0], len(files)
    [flow] = _flows(sandbox, "digest")
    assert (flow["target"], flow["detail"]["key"], flow["detail"]["files"]) == (
        f"arn:aws:s3:::{log_bucket}",
        digest_key,
        count,
    )
    [key] = cloudtrail.list_public_keys()["PublicKeyList"]
    assert key["Fingerprint"] == digest["digestPublicKeyFingerprint"]

    def validate() -> subprocess.CompletedProcess[str]:
        return aws_cli(
            "cloudtrail", "validate-logs", "--trail-arn", trail["TrailARN"], "--verbose",
            "--start-time", (started - dt.timedelta(minutes=1)).isoformat(),
            "--end-time", ended.isoformat(),
            check=False, env={"AWS_ENDPOINT_URL": daphne.url},
        )  # fmt: skip

    result = validate()
    assert result.returncode == 0, result.stderr
    assert "1/1 digest files valid" in result.stdout
    assert f"{count}/{count} log files valid" in result.stdout

    # A log file changed after delivery no longer matches its digest.
    original = s3.get_object(Bucket=log_bucket, Key=log_file["s3Object"])["Body"].read()
    tampered = json.loads(gzip.decompress(original))
    tampered["Records"][0]["eventName"] = "NothingHappened"
    s3.put_object(Bucket=log_bucket, Key=log_file["s3Object"], Body=gzip.compress(json.dumps(tampered).encode()))
    result = validate()
    assert result.returncode == 1
    assert f"Log file\ts3://{log_bucket}/{log_file['s3Object']}\tINVALID: hash value doesn't match" in result.stderr
    assert f"{count - 1}/{count} log files valid, 1/{count} log files INVALID" in result.stdout


def test_the_diagram_draws_a_trail_to_its_log_group(
    as_user: Callable[..., Api],  # noqa: F811
    make_user: Callable[..., User],  # noqa: F811
) -> None:
    api = as_user(make_user("auditor"))
    box = api.ok("POST", "/sandboxes/", {"name": unique("trail")}, status=201)
    account, region = box["account_id"], box["region"]

    def call(service: str, operation: str, params: dict[str, Any]) -> Any:
        return api.ok("POST", f"/sandboxes/{box['id']}/aws/{service}/{operation}/", params)

    call("s3", "CreateBucket", {"Bucket": f"logs-{account}"})
    call("s3", "PutBucketPolicy", {"Bucket": f"logs-{account}", "Policy": trail_policy(f"logs-{account}", account)})
    call("logs", "CreateLogGroup", {"logGroupName": "trail-events"})
    group = f"arn:aws:logs:{region}:{account}:log-group:trail-events"
    call("cloudtrail", "CreateTrail", {
        "Name": "drawn", "S3BucketName": f"logs-{account}", "CloudWatchLogsLogGroupArn": f"{group}:*",
        "CloudWatchLogsRoleArn": ROLE.format(account=account),
    })  # fmt: skip
    drawn = api.ok("GET", f"/sandboxes/{box['id']}/graph/")
    assert group in {node["id"] for node in drawn["nodes"]}
    [edge] = [edge for edge in drawn["edges"] if edge["type"] == "logs-delivery"]
    assert (edge["source"], edge["target"]) == (f"arn:aws:cloudtrail:{region}:{account}:trail/drawn", group)
