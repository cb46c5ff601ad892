"""The event history through boto3: every call the gateway serves becomes a record in AWS's
shape, found by each lookup attribute, newest first, 50 a page, management events only, 90 days
on the sandbox clock, with AWS's errors."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, error_of
from tests.services.cloudtrail.conftest import wait_for_event
from tests.waiting import wait_until

pytestmark = pytest.mark.live


def test_a_call_becomes_a_record_in_aws_shape(aws: Callable[..., Any], cloudtrail: Any, sandbox: SandboxInfo) -> None:
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    [event] = wait_for_event(cloudtrail, "EventName", "CreateQueue")
    assert event["EventName"] == "CreateQueue"
    assert event["ReadOnly"] == "false"
    assert event["EventSource"] == "sqs.amazonaws.com"
    assert event["AccessKeyId"] == sandbox.access_key_id
    assert event["Username"] == f"user-{sandbox.account_id}" or event["Username"]
    assert {"ResourceType": "AWS::SQS::Queue", "ResourceName": "orders"} in event["Resources"]
    record = json.loads(event["CloudTrailEvent"])
    assert record["eventVersion"] == "1.09"
    identity = record["userIdentity"]
    assert identity["type"] == "IAMUser"
    assert identity["accountId"] == sandbox.account_id
    assert identity["accessKeyId"] == sandbox.access_key_id
    assert identity["arn"].startswith(f"arn:aws:iam::{sandbox.account_id}:user/")
    assert identity["principalId"].startswith("AIDA")
    assert identity["userName"] == event["Username"]
    assert record["eventSource"] == "sqs.amazonaws.com"
    assert record["eventName"] == "CreateQueue"
    assert record["awsRegion"] == sandbox.region
    assert record["sourceIPAddress"] == "127.0.0.1"
    assert record["userAgent"].startswith("Boto3/")
    assert record["requestParameters"] == {"queueName": "orders", "attributes": {"VisibilityTimeout": "45"}}
    assert record["responseElements"] == {"queueUrl": url}
    assert record["eventID"] == event["EventId"]
    assert record["readOnly"] is False
    assert record["eventType"] == "AwsApiCall"
    assert record["managementEvent"] is True
    assert record["eventCategory"] == "Management"
    assert record["recipientAccountId"] == sandbox.account_id
    assert "errorCode" not in record
    when = dt.datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert abs((event["EventTime"] - when).total_seconds()) < 1


def test_failed_calls_keep_the_error_and_secrets_never_show(
    aws: Callable[..., Any], cloudtrail: Any, sandbox: SandboxInfo
) -> None:
    sqs = aws("sqs")
    with pytest.raises(ClientError):
        sqs.get_queue_url(QueueName="nowhere")
    kms = aws("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key, Plaintext=b"the secret recipe")
    sts = aws("sts")
    sts.assume_role(RoleArn=f"arn:aws:iam::{sandbox.account_id}:role/baker", RoleSessionName="s1")
    [failed] = wait_for_event(cloudtrail, "EventName", "GetQueueUrl")
    record = json.loads(failed["CloudTrailEvent"])
    assert record["errorCode"] == "QueueDoesNotExist"
    assert record["errorMessage"] == "The specified queue does not exist."
    assert record["responseElements"] is None
    assert record["readOnly"] is True
    [encrypted] = wait_for_event(cloudtrail, "EventName", "Encrypt")
    text = encrypted["CloudTrailEvent"]
    assert "recipe" not in text
    assert "plaintext" not in text
    assert json.loads(text)["requestParameters"] == {"keyId": key}
    assert json.loads(text)["readOnly"] is True
    [session] = wait_for_event(cloudtrail, "EventName", "AssumeRole")
    record = json.loads(session["CloudTrailEvent"])
    credentials = record["responseElements"]["credentials"]
    assert "secretAccessKey" not in credentials
    assert "sessionToken" not in credentials
    assert record["responseElements"]["assumedRoleUser"]["arn"].endswith(":assumed-role/baker/s1")
    assert credentials["accessKeyId"].startswith("ASIA")


def test_an_assumed_role_has_its_session_context(aws: Callable[..., Any], sandbox: SandboxInfo) -> None:
    role = f"arn:aws:iam::{sandbox.account_id}:role/auditor"
    credentials = aws("sts").assume_role(RoleArn=role, RoleSessionName="night-shift")["Credentials"]
    as_role = {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }
    aws("sns", **as_role).create_topic(Name="alerts")
    [event] = wait_for_event(aws("cloudtrail"), "AccessKeyId", credentials["AccessKeyId"])
    assert event["Username"] == "night-shift"
    identity = json.loads(event["CloudTrailEvent"])["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == f"arn:aws:sts::{sandbox.account_id}:assumed-role/auditor/night-shift"
    assert identity["principalId"].startswith("AROA")
    assert identity["principalId"].endswith(":night-shift")
    issuer = identity["sessionContext"]["sessionIssuer"]
    assert issuer == {
        "type": "Role",
        "principalId": identity["principalId"].split(":")[0],
        "arn": role,
        "accountId": sandbox.account_id,
        "userName": "auditor",
    }
    attributes = identity["sessionContext"]["attributes"]
    assert attributes["mfaAuthenticated"] == "false"
    assert attributes["creationDate"].endswith("Z")


def test_each_lookup_attribute_finds_the_call(aws: Callable[..., Any], cloudtrail: Any, sandbox: SandboxInfo) -> None:
    sns = aws("sns")
    topic = sns.create_topic(Name="billing")["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="Billing")
    [event] = wait_for_event(cloudtrail, "EventName", "SetTopicAttributes")
    lookups = {
        "EventId": event["EventId"],
        "EventName": "SetTopicAttributes",
        "ReadOnly": "false",
        "Username": event["Username"],
        "ResourceType": "AWS::SNS::Topic",
        "ResourceName": topic,
        "EventSource": "sns.amazonaws.com",
        "AccessKeyId": sandbox.access_key_id,
    }
    for key, value in lookups.items():
        found = cloudtrail.lookup_events(LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])["Events"]
        assert event["EventId"] in [e["EventId"] for e in found], key
    only = cloudtrail.lookup_events(LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": event["EventId"]}])
    assert [e["EventId"] for e in only["Events"]] == [event["EventId"]]
    read = cloudtrail.lookup_events(LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "true"}])
    assert all(e["ReadOnly"] == "true" for e in read["Events"])
    none = cloudtrail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "x.amazonaws.com"}]
    )
    assert none["Events"] == []


def test_data_events_stay_out_of_the_history(aws: Callable[..., Any], cloudtrail: Any) -> None:
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName="quiet")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    # A management call made after it: once its event is there, the server has logged the send too.
    sqs.tag_queue(QueueUrl=url, Tags={"after": "send"})
    assert wait_for_event(cloudtrail, "EventName", "TagQueue")
    assert wait_for_event(cloudtrail, "EventName", "SendMessage", timeout=0) == []


def test_pages_of_fifty_newest_first(aws: Callable[..., Any], cloudtrail: Any) -> None:
    sqs = aws("sqs")
    for _ in range(55):
        sqs.list_queues()
    assert len(wait_for_event(cloudtrail, "EventName", "ListQueues", count=50)) == 50
    attribute = [{"AttributeKey": "EventName", "AttributeValue": "ListQueues"}]
    pages: dict[str, Any] = {}

    def all_logged() -> bool:  # the last five calls may still be on their way to the call log
        pages["first"] = cloudtrail.lookup_events(LookupAttributes=attribute)
        token = pages["first"].get("NextToken", "")
        pages["second"] = cloudtrail.lookup_events(LookupAttributes=attribute, NextToken=token)
        return len(pages["second"]["Events"]) == 5

    wait_until(all_logged, timeout=10)
    first, second = pages["first"], pages["second"]
    assert len(first["Events"]) == 50
    assert len(second["Events"]) == 5
    assert "NextToken" not in second
    times = [e["EventTime"] for e in first["Events"] + second["Events"]]
    assert times == sorted(times, reverse=True)
    assert len({e["EventId"] for e in first["Events"] + second["Events"]}) == 55
    small = cloudtrail.lookup_events(LookupAttributes=attribute, MaxResults=7)
    assert len(small["Events"]) == 7
    assert small["NextToken"]
    paginated = cloudtrail.get_paginator("lookup_events").paginate(LookupAttributes=attribute)
    assert sum(len(page["Events"]) for page in paginated) == 55


def test_time_range_and_ninety_days(
    aws: Callable[..., Any], cloudtrail: Any, paused: None, advance: Callable[[float], None]
) -> None:
    aws("kinesis").list_streams()
    [event] = wait_for_event(cloudtrail, "EventName", "ListStreams")
    at = event["EventTime"]
    attribute = [{"AttributeKey": "EventName", "AttributeValue": "ListStreams"}]
    inside = cloudtrail.lookup_events(
        LookupAttributes=attribute, StartTime=at - dt.timedelta(minutes=1), EndTime=at + dt.timedelta(minutes=1)
    )
    assert len(inside["Events"]) == 1
    after = cloudtrail.lookup_events(LookupAttributes=attribute, StartTime=at + dt.timedelta(seconds=1))
    assert after["Events"] == []
    before = cloudtrail.lookup_events(LookupAttributes=attribute, EndTime=at - dt.timedelta(seconds=1))
    assert before["Events"] == []
    advance(89 * 86400)
    assert len(cloudtrail.lookup_events(LookupAttributes=attribute)["Events"]) == 1
    advance(2 * 86400)
    assert cloudtrail.lookup_events(LookupAttributes=attribute)["Events"] == []


def test_lookup_errors(aws: Callable[..., Any], cloudtrail: Any) -> None:
    unchecked = aws("cloudtrail", config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    cases = [
        (
            {"LookupAttributes": [
                {"AttributeKey": "EventName", "AttributeValue": "A"},
                {"AttributeKey": "ReadOnly", "AttributeValue": "true"},
            ]},
            ("InvalidLookupAttributesException", 400, "You cannot specify more than one lookup attribute."),
        ),
        (
            {"LookupAttributes": [{"AttributeKey": "Colour", "AttributeValue": "red"}]},
            ("InvalidLookupAttributesException", 400, "Colour is not a valid lookup attribute key."),
        ),
        (
            {"LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "maybe"}]},
            ("InvalidLookupAttributesException", 400,
             "The value of the ReadOnly lookup attribute must be true or false."),
        ),
        (
            {"StartTime": dt.datetime(2026, 1, 2, tzinfo=dt.UTC), "EndTime": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
            ("InvalidTimeRangeException", 400, "Start time must be earlier than end time."),
        ),
        ({"MaxResults": 51}, ("InvalidMaxResultsException", 400, "Value for MaxResults must be between 1 and 50.")),
        ({"MaxResults": 0}, ("InvalidMaxResultsException", 400, "Value for MaxResults must be between 1 and 50.")),
        ({"NextToken": "not-a-token"}, ("InvalidNextTokenException", 400, "Invalid NextToken.")),
        ({"EventCategory": "data"}, ("InvalidEventCategoryException", 400, "data is not a valid event category.")),
    ]  # fmt: skip
    cases_typed: list[tuple[dict[str, Any], Any]] = cases  # type: ignore[assignment]
    for params, expected in cases_typed:
        with pytest.raises(ClientError) as caught:
            unchecked.lookup_events(**params)
        assert error_of(caught) == expected, params
        assert caught.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    for _ in range(51):
        aws("sqs").list_queues()
    wait_for_event(cloudtrail, "EventName", "ListQueues")
    page = cloudtrail.lookup_events(MaxResults=1)
    with pytest.raises(ClientError) as caught:
        cloudtrail.lookup_events(MaxResults=1, NextToken=page["NextToken"], StartTime=dt.datetime(2020, 1, 1))
    assert error_of(caught)[0] == "InvalidNextTokenException"
    assert cloudtrail.lookup_events(EventCategory="insight")["Events"] == []


def test_strict_mode_allows_two_lookups_a_second(
    aws: Callable[..., Any], strict_server: Any, paused: None, advance: Callable[[float], None]
) -> None:
    client = aws("cloudtrail", server=strict_server)
    client.lookup_events(MaxResults=1)
    client.lookup_events(MaxResults=1)
    with pytest.raises(ClientError) as caught:
        client.lookup_events(MaxResults=1)
    assert error_of(caught) == ("ThrottlingException", 400, "Rate exceeded")
    advance(1)
    client.lookup_events(MaxResults=1)
