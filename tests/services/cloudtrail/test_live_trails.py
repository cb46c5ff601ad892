"""Trails through boto3: create (the bucket and its policy checked), get, describe, list, update,
delete, logging, status, event selectors, and delivery on the sandbox clock: gzipped record files
under AWS's key layout every 5 minutes of sandbox time, an SNS notice per file, the bucket
policy's refusal shown as the trail status's delivery error."""

from __future__ import annotations

import gzip
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, error_of
from tests.services.cloudtrail.conftest import trail_policy, wait_for_event

pytestmark = pytest.mark.live


def test_create_get_describe_list_delete(cloudtrail: Any, log_bucket: str, sandbox: SandboxInfo) -> None:
    arn = f"arn:aws:cloudtrail:{sandbox.region}:{sandbox.account_id}:trail/audit"
    created = cloudtrail.create_trail(Name="audit", S3BucketName=log_bucket, IsMultiRegionTrail=True)
    created.pop("ResponseMetadata")
    assert created == {
        "Name": "audit",
        "S3BucketName": log_bucket,
        "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": True,
        "TrailARN": arn,
        "LogFileValidationEnabled": False,
        "IsOrganizationTrail": False,
    }
    trail = cloudtrail.get_trail(Name="audit")["Trail"]
    assert trail["HomeRegion"] == sandbox.region
    assert trail["HasCustomEventSelectors"] is False
    assert cloudtrail.get_trail(Name=arn)["Trail"]["Name"] == "audit"
    assert [t["Name"] for t in cloudtrail.describe_trails()["trailList"]] == ["audit"]
    assert cloudtrail.list_trails()["Trails"] == [{"TrailARN": arn, "Name": "audit", "HomeRegion": sandbox.region}]
    status = cloudtrail.get_trail_status(Name="audit")
    assert status["IsLogging"] is False
    with pytest.raises(ClientError) as caught:  # the policy allows AWSLogs/<account>/ only, not under logs/
        cloudtrail.update_trail(Name="audit", S3KeyPrefix="logs")
    assert error_of(caught)[0] == "InsufficientS3BucketPolicyException"
    updated = cloudtrail.update_trail(Name="audit", EnableLogFileValidation=True)
    assert (updated.get("S3KeyPrefix"), updated["LogFileValidationEnabled"]) == (None, True)
    cloudtrail.delete_trail(Name="audit")
    assert cloudtrail.list_trails()["Trails"] == []


def test_shadow_trails_in_other_regions(aws: Callable[..., Any], log_bucket: str, sandbox: SandboxInfo) -> None:
    home = aws("cloudtrail")
    home.create_trail(Name="everywhere", S3BucketName=log_bucket, IsMultiRegionTrail=True)
    home.create_trail(Name="local", S3BucketName=log_bucket)
    other = aws("cloudtrail", region_name="eu-west-1")
    assert [t["Name"] for t in other.describe_trails()["trailList"]] == ["everywhere"]
    assert other.describe_trails(includeShadowTrails=False)["trailList"] == []
    with pytest.raises(ClientError) as caught:
        other.start_logging(Name="everywhere")
    assert error_of(caught) == (
        "InvalidHomeRegionException",
        400,
        f"This operation must be called from the trail's home region: {sandbox.region}.",
    )


def test_trail_errors(aws: Callable[..., Any], cloudtrail: Any, log_bucket: str, sandbox: SandboxInfo) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="no-policy-" + log_bucket[:20])
    cases = [
        ({"Name": "ab", "S3BucketName": log_bucket}, (
            "InvalidTrailNameException", 400,
            "Trail name too short. Minimum allowed length: 3 characters. Specified name length: 2 characters.",
        )),
        ({"Name": "bad name", "S3BucketName": log_bucket}, (
            "InvalidTrailNameException", 400,
            "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), "
            "hyphens (-), and underscores (_).",
        )),
        ({"Name": "a--b", "S3BucketName": log_bucket}, (
            "InvalidTrailNameException", 400,
            "Trail name cannot contain consecutive special characters: periods (.), hyphens (-), or underscores (_).",
        )),
        ({"Name": "10.0.0.1", "S3BucketName": log_bucket}, (
            "InvalidTrailNameException", 400, "Trail name cannot be formatted as an IP address.",
        )),
        ({"Name": "t1", "S3BucketName": log_bucket}, None),
        ({"Name": "trail1", "S3BucketName": "missing-bucket-xyz"}, (
            "S3BucketDoesNotExistException", 400, "S3 bucket missing-bucket-xyz does not exist.",
        )),
        ({"Name": "trail1", "S3BucketName": "no-policy-" + log_bucket[:20]}, (
            "InsufficientS3BucketPolicyException", 400,
            f"Incorrect S3 bucket policy is detected for bucket: no-policy-{log_bucket[:20]}",
        )),
        ({"Name": "trail1", "S3BucketName": log_bucket, "SnsTopicName": "nope"}, (
            "InsufficientSnsTopicPolicyException", 400, "SNS Topic does not exist or the topic policy is incorrect!",
        )),
        ({"Name": "trail1", "S3BucketName": log_bucket, "IsMultiRegionTrail": True,
          "IncludeGlobalServiceEvents": False}, (
            "InvalidParameterCombinationException", 400, "Multi-Region trail must include global service events.",
        )),
    ]  # fmt: skip
    cases_typed: list[tuple[dict[str, Any], Any]] = cases  # type: ignore[assignment]
    for params, expected in cases_typed:
        if expected is None:
            continue
        with pytest.raises(ClientError) as caught:
            cloudtrail.create_trail(**params)
        assert error_of(caught) == expected, params
    cloudtrail.create_trail(Name="trail1", S3BucketName=log_bucket)
    with pytest.raises(ClientError) as caught:
        cloudtrail.create_trail(Name="trail1", S3BucketName=log_bucket)
    assert error_of(caught) == (
        "TrailAlreadyExistsException",
        400,
        f"Trail trail1 already exists for customer: {sandbox.account_id}",
    )
    for call in (cloudtrail.get_trail, cloudtrail.get_trail_status, cloudtrail.start_logging, cloudtrail.delete_trail):
        with pytest.raises(ClientError) as caught:
            call(Name="ghost")
        assert error_of(caught) == (
            "TrailNotFoundException", 400,
            f"Unknown trail: arn:aws:cloudtrail:{sandbox.region}:{sandbox.account_id}:trail/ghost "
            f"for the user: {sandbox.account_id}",
        )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        cloudtrail.get_trail(Name="arn:aws:cloudtrail:bad")
    assert error_of(caught)[0:2] == ("CloudTrailARNInvalidException", 400)


def test_event_selectors(cloudtrail: Any, log_bucket: str) -> None:
    cloudtrail.create_trail(Name="selective", S3BucketName=log_bucket)
    default = cloudtrail.get_event_selectors(TrailName="selective")
    assert default["EventSelectors"] == [
        {
            "ReadWriteType": "All",
            "IncludeManagementEvents": True,
            "DataResources": [],
            "ExcludeManagementEventSources": [],
        }
    ]
    basic = [{
        "ReadWriteType": "WriteOnly", "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{log_bucket}/"]}],
    }]  # fmt: skip
    answer = cloudtrail.put_event_selectors(TrailName="selective", EventSelectors=basic)
    assert answer["EventSelectors"][0]["DataResources"] == basic[0]["DataResources"]
    assert cloudtrail.get_trail(Name="selective")["Trail"]["HasCustomEventSelectors"] is True
    advanced = [{"Name": "writes", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "Equals": ["false"]},
    ]}]  # fmt: skip
    answer = cloudtrail.put_event_selectors(TrailName="selective", AdvancedEventSelectors=advanced)
    assert answer["AdvancedEventSelectors"] == advanced
    assert "EventSelectors" not in cloudtrail.get_event_selectors(TrailName="selective")
    bad = [
        ({"EventSelectors": [{"DataResources": [{"Type": "AWS::Nope::Thing", "Values": ["x"]}]}]},
         ("InvalidEventSelectorsException", 400,
          "Value AWS::Nope::Thing for parameter DataResources.Type is invalid.")),
        ({"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "readOnly", "Equals": ["true"]}]}]},
         ("InvalidEventSelectorsException", 400,
          "Advanced event selectors must contain an eventCategory field selector.")),
        ({"EventSelectors": basic, "AdvancedEventSelectors": advanced},
         ("InvalidEventSelectorsException", 400,
          "You cannot apply both event selectors and advanced event selectors to a trail.")),
    ]  # fmt: skip
    bad_typed: list[tuple[dict[str, Any], Any]] = bad  # type: ignore[assignment]
    for params, expected in bad_typed:
        with pytest.raises(ClientError) as caught:
            cloudtrail.put_event_selectors(TrailName="selective", **params)
        assert error_of(caught) == expected


def _files(s3: Any, bucket: str) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_delivery_every_five_minutes_with_a_notice(
    aws: Callable[..., Any],
    cloudtrail: Any,
    log_bucket: str,
    sandbox: SandboxInfo,
    paused: None,
    advance: Callable[[float], None],
) -> None:
    s3, sns, sqs = aws("s3"), aws("sns"), aws("sqs")
    topic = sns.create_topic(Name="trail-files")["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                       "Action": "SNS:Publish", "Resource": topic}],
    }))  # fmt: skip
    queue = sqs.create_queue(QueueName="notices")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": json.dumps({
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
                       "Resource": queue_arn}],
    })})  # fmt: skip
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    s3.put_bucket_policy(Bucket=log_bucket, Policy=trail_policy(log_bucket, sandbox.account_id, "audit"))
    cloudtrail.create_trail(Name="main", S3BucketName=log_bucket, S3KeyPrefix="audit", SnsTopicName="trail-files")
    cloudtrail.start_logging(Name="main")
    marker = f"q-{uuid.uuid4().hex[:8]}"
    sqs.create_queue(QueueName=marker)
    wait_for_event(cloudtrail, "ResourceName", marker)
    advance(240)
    assert _files(s3, log_bucket) == []
    advance(61)
    [key] = _files(s3, log_bucket)
    pattern = (
        rf"^audit/AWSLogs/{sandbox.account_id}/CloudTrail/{sandbox.region}/\d{{4}}/\d\d/\d\d/"
        rf"{sandbox.account_id}_CloudTrail_{sandbox.region}_\d{{8}}T\d{{4}}Z_[A-Za-z0-9]{{16}}\.json\.gz$"
    )
    assert re.match(pattern, key), key
    body = s3.get_object(Bucket=log_bucket, Key=key)["Body"].read()
    records = json.loads(gzip.decompress(body))["Records"]
    names = [r["eventName"] for r in records]
    assert "StartLogging" in names
    assert "CreateQueue" in names
    created = next(r for r in records if r["eventName"] == "CreateQueue")
    assert created["requestParameters"] == {"queueName": marker}
    status = cloudtrail.get_trail_status(Name="main")
    assert status["IsLogging"] is True
    assert "LatestDeliveryError" not in status
    assert status["LatestDeliveryTime"] >= status["StartLoggingTime"]
    assert status["LatestNotificationTime"] == status["LatestDeliveryTime"]
    [notice] = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    assert json.loads(notice["Body"]) == {"s3Bucket": log_bucket, "s3ObjectKey": [key]}

    # The bucket policy taken away: the next delivery fails and the status says why.
    s3.delete_bucket_policy(Bucket=log_bucket)
    sqs.create_queue(QueueName=marker + "-2")
    wait_for_event(cloudtrail, "ResourceName", marker + "-2")
    advance(301)
    status = cloudtrail.get_trail_status(Name="main")
    assert status["LatestDeliveryError"] == "AccessDenied"
    assert status["LatestDeliveryAttemptSucceeded"] == ""
    assert len(_files(s3, log_bucket)) == 1
    # Restored: what waited is delivered.
    s3.put_bucket_policy(Bucket=log_bucket, Policy=trail_policy(log_bucket, sandbox.account_id, "audit"))
    advance(301)
    assert "LatestDeliveryError" not in cloudtrail.get_trail_status(Name="main")
    files = _files(s3, log_bucket)
    assert len(files) == 2
    later = [json.loads(gzip.decompress(s3.get_object(Bucket=log_bucket, Key=k)["Body"].read())) for k in files]
    assert any(r["requestParameters"] == {"queueName": marker + "-2"} for f in later for r in f["Records"])
    cloudtrail.stop_logging(Name="main")
    assert cloudtrail.get_trail_status(Name="main")["IsLogging"] is False


def test_data_events_reach_a_trail_that_selects_them(
    aws: Callable[..., Any], cloudtrail: Any, log_bucket: str, paused: None, advance: Callable[[float], None]
) -> None:
    s3 = aws("s3")
    data = f"data-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=data)
    cloudtrail.create_trail(Name="objects", S3BucketName=log_bucket)
    cloudtrail.put_event_selectors(TrailName="objects", EventSelectors=[{
        "ReadWriteType": "WriteOnly", "IncludeManagementEvents": False,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{data}/"]}],
    }])  # fmt: skip
    cloudtrail.start_logging(Name="objects")
    s3.put_object(Bucket=data, Key="a.txt", Body=b"hi")
    s3.get_object(Bucket=data, Key="a.txt")
    aws("sqs").create_queue(QueueName=data)
    wait_for_event(cloudtrail, "ResourceName", data)
    advance(301)
    [key] = _files(s3, log_bucket)
    records = json.loads(gzip.decompress(s3.get_object(Bucket=log_bucket, Key=key)["Body"].read()))["Records"]
    assert [r["eventName"] for r in records] == ["PutObject"]
    [put] = records
    assert put["managementEvent"] is False
    assert put["eventCategory"] == "Data"
    assert put["resources"] == [{"accountId": put["recipientAccountId"], "type": "AWS::S3::Object",
                                 "ARN": f"arn:aws:s3:::{data}/a.txt"}]  # fmt: skip
    assert put["requestParameters"]["bucketName" if "bucketName" in put["requestParameters"] else "bucket"] == data


def test_tags(cloudtrail: Any, log_bucket: str, sandbox: SandboxInfo) -> None:
    arn = cloudtrail.create_trail(Name="tagged", S3BucketName=log_bucket, TagsList=[{"Key": "team", "Value": "ops"}])[
        "TrailARN"
    ]
    cloudtrail.add_tags(ResourceId=arn, TagsList=[{"Key": "env", "Value": "lab"}])
    cloudtrail.remove_tags(ResourceId=arn, TagsList=[{"Key": "team"}])
    assert cloudtrail.list_tags(ResourceIdList=[arn])["ResourceTagList"] == [
        {"ResourceId": arn, "TagsList": [{"Key": "env", "Value": "lab"}]}
    ]
    ghost = arn.replace("tagged", "ghost")
    with pytest.raises(ClientError) as caught:
        cloudtrail.list_tags(ResourceIdList=[ghost])
    assert error_of(caught) == ("ResourceNotFoundException", 400, f"Resource not found: {ghost}")
