"""What AWS services do for the account, recorded as AWS records it: KMS calls SQS makes for a
queue with KmsMasterKeyId (a KMS event with the producer's identity, invoked by sqs.amazonaws.com),
KMS's automatic key rotation (an AwsServiceEvent RotateKey), SNS sending to a subscribed queue (an
SQS SendMessage data event of the AWSService sns.amazonaws.com), found by LookupEvents (management
events only), delivered by a trail and sent to EventBridge, and never counted among the student's
own calls."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo
from tests.services.cloudtrail.conftest import wait_for_event
from tests.services.cloudtrail.test_live_integrations import _bodies, _target_queue
from tests.waiting import wait_until

pytestmark = pytest.mark.live

DAY = 86400


def _encrypted_queue(aws: Callable[..., Any], name: str) -> tuple[str, str, str]:
    """(queue url, queue ARN, key ARN) of a queue under a new KMS key, one message sent to it."""
    kms, sqs = aws("kms"), aws("sqs")
    key = kms.create_key()["KeyMetadata"]
    url = sqs.create_queue(QueueName=name, Attributes={"KmsMasterKeyId": key["KeyId"]})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.send_message(QueueUrl=url, MessageBody="sealed")
    return url, queue_arn, key["Arn"]


def test_kms_calls_sqs_makes_are_kms_events_invoked_by_sqs(
    aws: Callable[..., Any], cloudtrail: Any, sandbox: SandboxInfo, db_access: None
) -> None:
    _url, queue_arn, key_arn = _encrypted_queue(aws, "sealed-orders")
    key_id = key_arn.rsplit("/", 1)[1]
    [event] = wait_for_event(cloudtrail, "EventName", "GenerateDataKey")
    assert event["EventSource"] == "kms.amazonaws.com"
    assert event["ReadOnly"] == "true"
    assert event["Resources"] == [{"ResourceType": "AWS::KMS::Key", "ResourceName": key_arn}]
    # SQS asked KMS for the producer (AWS's example of DynamoDB calling KMS for a principal: that
    # principal's userIdentity with invokedBy the service, one account, no sharedEventID).
    [create_key] = wait_for_event(cloudtrail, "EventName", "CreateKey")
    student = json.loads(create_key["CloudTrailEvent"])["userIdentity"]
    assert student["accessKeyId"] == sandbox.access_key_id
    assert event["AccessKeyId"] == sandbox.access_key_id
    assert event["Username"] == create_key["Username"]
    record = json.loads(event["CloudTrailEvent"])
    assert record == {
        "eventVersion": "1.09",
        "userIdentity": {**student, "invokedBy": "sqs.amazonaws.com"},
        "eventTime": record["eventTime"],
        "eventSource": "kms.amazonaws.com",
        "eventName": "GenerateDataKey",
        "awsRegion": sandbox.region,
        "sourceIPAddress": "sqs.amazonaws.com",
        "userAgent": "sqs.amazonaws.com",
        "requestParameters": {
            "keyId": key_id,
            "keySpec": "AES_256",
            "encryptionContext": {"aws:sqs:arn": queue_arn},
        },
        "responseElements": None,
        "additionalEventData": {"keyMaterialId": record["additionalEventData"]["keyMaterialId"]},
        "requestID": record["requestID"],
        "eventID": event["EventId"],
        "readOnly": True,
        "resources": [{"accountId": sandbox.account_id, "type": "AWS::KMS::Key", "ARN": key_arn}],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": sandbox.account_id,
        "eventCategory": "Management",
    }
    assert len(record["additionalEventData"]["keyMaterialId"]) == 64

    # Found by the other lookup attributes too, and never as the student's.
    by_source = wait_for_event(cloudtrail, "EventSource", "kms.amazonaws.com", count=2)
    assert [e["EventName"] for e in by_source] == ["GenerateDataKey", "CreateKey"]
    assert [e["EventId"] for e in wait_for_event(cloudtrail, "EventId", event["EventId"])] == [event["EventId"]]
    assert event["EventId"] in [e["EventId"] for e in wait_for_event(cloudtrail, "ResourceName", key_arn)]
    assert event["EventId"] in [e["EventId"] for e in wait_for_event(cloudtrail, "ReadOnly", "true")]
    assert event["EventId"] not in [e["EventId"] for e in wait_for_event(cloudtrail, "ReadOnly", "false")]
    user = wait_for_event(cloudtrail, "AccessKeyId", sandbox.access_key_id, count=4)
    assert event["EventId"] in [e["EventId"] for e in user]
    named = wait_for_event(cloudtrail, "Username", event["Username"], count=4)
    assert event["EventId"] in [e["EventId"] for e in named]
    from playground.gateway.models import ApiCall

    assert not ApiCall.objects.filter(sandbox_id=sandbox.id, operation="GenerateDataKey").exists()

    # Paging one event at a time walks the same history, calls and services' events merged (the
    # LookupEvents calls themselves, recorded as they are made, left aside).
    everything = [e for e in cloudtrail.lookup_events()["Events"] if e["EventName"] != "LookupEvents"]
    assert "GenerateDataKey" in [e["EventName"] for e in everything]
    paged: list[str] = []
    params: dict[str, Any] = {"MaxResults": 1}
    while True:
        page = cloudtrail.lookup_events(**params)
        paged += [e["EventId"] for e in page["Events"] if e["EventName"] != "LookupEvents"]
        if "NextToken" not in page:
            break
        params["NextToken"] = page["NextToken"]
    assert paged == [e["EventId"] for e in everything]
    times = [e["EventTime"] for e in everything]
    assert times == sorted(times, reverse=True)


def test_a_trail_delivers_them_and_eventbridge_gets_them(
    aws: Callable[..., Any],
    cloudtrail: Any,
    log_bucket: str,
    sandbox: SandboxInfo,
    paused: None,
    advance: Callable[[float], None],
) -> None:
    s3, events, sqs = aws("s3"), aws("events"), aws("sqs")
    pattern = {"source": ["aws.kms"], "detail-type": ["AWS API Call via CloudTrail"]}
    target = _target_queue(aws, events, rule="kms-calls", pattern=pattern)
    cloudtrail.create_trail(Name="audit", S3BucketName=log_bucket)
    cloudtrail.start_logging(Name="audit")
    _url, queue_arn, key_arn = _encrypted_queue(aws, "sealed-jobs")
    wait_for_event(cloudtrail, "EventName", "GenerateDataKey")

    seen = _bodies(sqs, target, until=lambda seen: any(i["detail"]["eventName"] == "GenerateDataKey" for i in seen))
    [sent] = [item for item in seen if item["detail"]["eventName"] == "GenerateDataKey"]
    assert sent["source"] == "aws.kms"
    assert sent["detail"]["userIdentity"]["invokedBy"] == "sqs.amazonaws.com"
    assert sent["detail"]["userIdentity"]["accessKeyId"] == sandbox.access_key_id
    assert sent["detail"]["requestParameters"]["encryptionContext"] == {"aws:sqs:arn": queue_arn}
    assert sent["time"] == sent["detail"]["eventTime"]

    advance(301)
    [key] = [o["Key"] for o in s3.list_objects_v2(Bucket=log_bucket).get("Contents", [])]
    records = json.loads(gzip.decompress(s3.get_object(Bucket=log_bucket, Key=key)["Body"].read()))["Records"]
    names = [r["eventName"] for r in records]
    assert names.index("CreateKey") < names.index("CreateQueue") < names.index("GenerateDataKey")
    assert [r["eventTime"] for r in records] == sorted(r["eventTime"] for r in records)
    [made] = [r for r in records if r["eventName"] == "GenerateDataKey"]
    assert made["userIdentity"]["invokedBy"] == "sqs.amazonaws.com"
    assert made["resources"] == [{"accountId": sandbox.account_id, "type": "AWS::KMS::Key", "ARN": key_arn}]
    # Delivered once: the next file does not repeat it.
    sqs.create_queue(QueueName="after")
    wait_for_event(cloudtrail, "ResourceName", "after")
    advance(301)
    files = [o["Key"] for o in s3.list_objects_v2(Bucket=log_bucket).get("Contents", [])]
    [later] = [k for k in files if k != key]
    again = json.loads(gzip.decompress(s3.get_object(Bucket=log_bucket, Key=later)["Body"].read()))["Records"]
    assert "GenerateDataKey" not in [r["eventName"] for r in again]


def test_automatic_key_rotation_is_an_aws_service_event(
    aws: Callable[..., Any],
    cloudtrail: Any,
    log_bucket: str,
    sandbox: SandboxInfo,
    paused: None,
    advance: Callable[[float], None],
) -> None:
    kms, events, sqs = aws("kms"), aws("events"), aws("sqs")
    pattern = {"source": ["aws.kms"], "detail-type": ["AWS Service Event via CloudTrail"]}
    target = _target_queue(aws, events, rule="kms-service", pattern=pattern)
    cloudtrail.create_trail(Name="audit", S3BucketName=log_bucket)
    cloudtrail.start_logging(Name="audit")
    key = kms.create_key()["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    assert wait_for_event(cloudtrail, "EventName", "RotateKey", timeout=0.5) == []
    advance(90 * DAY + 60)
    [event] = wait_for_event(cloudtrail, "EventName", "RotateKey")
    assert event["EventSource"] == "kms.amazonaws.com"
    assert event["ReadOnly"] == "false"
    assert event["Resources"] == [{"ResourceType": "AWS::KMS::Key", "ResourceName": key["Arn"]}]
    record = json.loads(event["CloudTrailEvent"])
    assert record == {
        "eventVersion": "1.09",
        "userIdentity": {"accountId": sandbox.account_id, "invokedBy": "AWS Internal"},
        "eventTime": record["eventTime"],
        "eventSource": "kms.amazonaws.com",
        "eventName": "RotateKey",
        "awsRegion": sandbox.region,
        "sourceIPAddress": "AWS Internal",
        "userAgent": "AWS Internal",
        "requestParameters": None,
        "responseElements": None,
        "eventID": event["EventId"],
        "readOnly": False,
        "resources": [{"accountId": sandbox.account_id, "type": "AWS::KMS::Key", "ARN": key["Arn"]}],
        "eventType": "AwsServiceEvent",
        "recipientAccountId": sandbox.account_id,
        "serviceEventDetails": {"rotationType": "AUTOMATIC", "keyId": key["KeyId"]},
        "eventCategory": "Management",
    }
    [sent] = _bodies(sqs, target, until=lambda seen: len(seen) >= 1)
    assert sent["detail-type"] == "AWS Service Event via CloudTrail"
    assert sent["detail"] == record
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"]


def test_decrypt_after_the_reuse_period_and_sns_data_keys(
    aws: Callable[..., Any], cloudtrail: Any, sandbox: SandboxInfo, paused: None, advance: Callable[[float], None]
) -> None:
    kms, sqs, sns = aws("kms"), aws("sqs"), aws("sns")
    key = kms.create_key()["KeyMetadata"]
    url = sqs.create_queue(
        QueueName="short-held", Attributes={"KmsMasterKeyId": key["KeyId"], "KmsDataKeyReusePeriodSeconds": "60"}
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.send_message(QueueUrl=url, MessageBody="kept a while")
    advance(120)  # SQS no longer holds the data key: reading the message asks KMS to decrypt it
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert message["Body"] == "kept a while"
    [event] = wait_for_event(cloudtrail, "EventName", "Decrypt")
    record = json.loads(event["CloudTrailEvent"])
    [create_key] = wait_for_event(cloudtrail, "EventName", "CreateKey")
    student = json.loads(create_key["CloudTrailEvent"])["userIdentity"]
    assert record["userIdentity"] == {**student, "invokedBy": "sqs.amazonaws.com"}  # the consumer
    assert "sharedEventID" not in record
    assert record["sourceIPAddress"] == record["userAgent"] == "sqs.amazonaws.com"
    assert record["requestParameters"] == {
        "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "encryptionContext": {"aws:sqs:arn": queue_arn},
    }
    assert record["resources"] == [{"accountId": sandbox.account_id, "type": "AWS::KMS::Key", "ARN": key["Arn"]}]

    topic = sns.create_topic(Name="sealed-news", Attributes={"KmsMasterKeyId": key["KeyId"]})["TopicArn"]
    sns.publish(TopicArn=topic, Message="hello")
    made = wait_for_event(cloudtrail, "EventName", "GenerateDataKey", count=2)
    by_sns = [json.loads(e["CloudTrailEvent"]) for e in made]
    by_sns = [r for r in by_sns if r["userIdentity"]["invokedBy"] == "sns.amazonaws.com"]
    assert [r["requestParameters"]["encryptionContext"] for r in by_sns] == [{"aws:sns:topicArn": topic}]
    assert by_sns[0]["userIdentity"] == {**student, "invokedBy": "sns.amazonaws.com"}  # the publisher
    assert by_sns[0]["sourceIPAddress"] == by_sns[0]["userAgent"] == "sns.amazonaws.com"


def test_sns_sending_to_a_queue_is_an_sqs_data_event_of_the_service(
    aws: Callable[..., Any],
    cloudtrail: Any,
    log_bucket: str,
    sandbox: SandboxInfo,
    paused: None,
    advance: Callable[[float], None],
) -> None:
    """SNS delivering to a subscribed queue: the SendMessage it makes is an SQS data event whose
    userIdentity is the service (AWSService, invokedBy sns.amazonaws.com), with a sharedEventID,
    delivered by a trail whose advanced selectors take SQS data events (AWS::SQS::Queue) and never
    shown by LookupEvents; the data key SQS fetches for that send is a KMS management event of the
    service too."""
    from tests.services.sns.conftest import allow_topic

    kms, sqs, sns, s3, events = aws("kms"), aws("sqs"), aws("sns"), aws("s3"), aws("events")
    target = _target_queue(
        aws, events, rule="sns-sends",
        pattern={"source": ["aws.sqs"], "detail": {"userIdentity": {"invokedBy": ["sns.amazonaws.com"]}}},
    )  # fmt: skip
    key = kms.create_key()["KeyMetadata"]
    url = sqs.create_queue(QueueName="fanned", Attributes={"KmsMasterKeyId": key["KeyId"]})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="orders")["TopicArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": allow_topic(queue_arn, topic)})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    target_arn = sqs.get_queue_attributes(QueueUrl=target, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    cloudtrail.create_trail(Name="queues", S3BucketName=log_bucket)
    cloudtrail.put_event_selectors(TrailName="queues", AdvancedEventSelectors=[
        {"Name": "management", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
        {"Name": "queue data", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::SQS::Queue"]},
        ]},
    ])  # fmt: skip
    cloudtrail.start_logging(Name="queues")

    sns.publish(TopicArn=topic, Message="one order")
    received: list[dict[str, Any]] = []

    def arrived() -> bool:
        received.extend(sqs.receive_message(QueueUrl=url).get("Messages", []))
        return bool(received)

    wait_until(arrived)
    [delivered] = received
    sqs.send_message(QueueUrl=url, MessageBody="by hand")  # the student's own send, for comparison

    # The data key SQS fetched for SNS's send: a KMS management event of the service itself.
    [made] = wait_for_event(cloudtrail, "EventName", "GenerateDataKey")
    made_record = json.loads(made["CloudTrailEvent"])
    assert made_record["userIdentity"] == {"type": "AWSService", "invokedBy": "sqs.amazonaws.com"}
    assert made_record["requestParameters"]["encryptionContext"] == {"aws:sqs:arn": queue_arn}
    assert str(uuid.UUID(made_record["sharedEventID"])) == made_record["sharedEventID"]
    assert made_record["sharedEventID"] != made_record["eventID"]
    assert "Username" not in made
    assert "AccessKeyId" not in made
    # Data events are never in the event history.
    assert wait_for_event(cloudtrail, "EventName", "SendMessage", timeout=0.5) == []
    assert wait_for_event(cloudtrail, "ResourceName", queue_arn, timeout=0.5) == []

    [sent] = _bodies(sqs, target, until=lambda seen: len(seen) >= 1)
    assert sent["detail-type"] == "AWS API Call via CloudTrail"
    assert sent["detail"]["eventName"] == "SendMessage"

    advance(301)
    [file_key] = [o["Key"] for o in s3.list_objects_v2(Bucket=log_bucket).get("Contents", [])]
    records = json.loads(gzip.decompress(s3.get_object(Bucket=log_bucket, Key=file_key)["Body"].read()))["Records"]
    sends = [r for r in records if r["eventName"] == "SendMessage" and r["resources"][0].get("ARN") != target_arn]
    by_sns = [r for r in sends if r["userIdentity"].get("invokedBy") == "sns.amazonaws.com"]
    by_hand = [r for r in sends if r["userIdentity"].get("accessKeyId") == sandbox.access_key_id]
    assert len(by_sns) == 1
    assert len(by_hand) == 1
    [record] = by_sns
    assert record == {
        "eventVersion": "1.09",
        "userIdentity": {"type": "AWSService", "invokedBy": "sns.amazonaws.com"},
        "eventTime": record["eventTime"],
        "eventSource": "sqs.amazonaws.com",
        "eventName": "SendMessage",
        "awsRegion": sandbox.region,
        "sourceIPAddress": "sns.amazonaws.com",
        "userAgent": "sns.amazonaws.com",
        "requestParameters": {
            "queueUrl": f"https://sqs.{sandbox.region}.amazonaws.com/{sandbox.account_id}/fanned",
            "messageBody": "HIDDEN_DUE_TO_SECURITY_REASONS",
        },
        "responseElements": {"mD5OfMessageBody": delivered["MD5OfBody"], "messageId": delivered["MessageId"]},
        "requestID": record["requestID"],
        "eventID": record["eventID"],
        "readOnly": False,
        "resources": [{"accountId": sandbox.account_id, "type": "AWS::SQS::Queue", "ARN": queue_arn}],
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": sandbox.account_id,
        "sharedEventID": record["sharedEventID"],
        "eventCategory": "Data",
    }
    assert sent["detail"] == record
    assert str(uuid.UUID(record["sharedEventID"])) == record["sharedEventID"]
    assert by_hand[0]["eventCategory"] == "Data"
    assert "sharedEventID" not in by_hand[0]
    # The student's own send names the queue by its URL; the record names it by its ARN too.
    assert by_hand[0]["resources"] == [{"accountId": sandbox.account_id, "type": "AWS::SQS::Queue", "ARN": queue_arn}]
    assert [r["eventName"] for r in records if r["eventName"] == "GenerateDataKey"] == ["GenerateDataKey"]
