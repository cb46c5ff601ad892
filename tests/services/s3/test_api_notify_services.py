"""S3 notifications to a Lambda function (its policy must allow s3.amazonaws.com for the bucket, as
S3 checks) and to EventBridge (EventBridgeConfiguration: "Object Created" on the default bus)."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.waiting import wait_until

ROLE = "arn:aws:iam::123456789012:role/lambda-role"


def _zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", source)
    return buffer.getvalue()


def test_notifications_invoke_lambda_and_reach_eventbridge(
    s3: Any, aws: Callable[..., Any], bucket: str, sandbox: Any, db_access: None, advance: Callable[[float], None]
) -> None:
    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import clock_pause

    clock_pause(sandbox=Sandbox.objects.get(pk=sandbox.id))
    lam, logs, events, sqs = aws("lambda"), aws("logs"), aws("events"), aws("sqs")
    function = f"on-upload-{uuid.uuid4().hex[:8]}"
    function_arn = lam.create_function(
        FunctionName=function, Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
        Code={"ZipFile": _zipped("def handler(event, context):\n    print('uploaded', "
                                 "event['Records'][0]['s3']['object']['key'])\n")},
    )["FunctionArn"]  # fmt: skip
    advance(1)
    config = {"LambdaFunctionConfigurations": [{"LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"]}],
              "EventBridgeConfiguration": {}}  # fmt: skip
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    error = caught.value.response["Error"]
    assert (error["Code"], error["ArgumentName1"], error["ArgumentValue1"]) == (
        "InvalidArgument", function_arn, f"Not authorized to invoke function [{function_arn}]",
    )  # fmt: skip
    lam.add_permission(FunctionName=function, StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{bucket}")  # fmt: skip
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    url = sqs.create_queue(QueueName=f"s3-events-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": queue_arn}]})})  # fmt: skip
    events.put_rule(Name="uploads", EventPattern=json.dumps({"source": ["aws.s3"], "detail-type": ["Object Created"],
                                                             "detail": {"bucket": {"name": [bucket]}}}))  # fmt: skip
    events.put_targets(Rule="uploads", Targets=[{"Id": "q", "Arn": queue_arn}])

    s3.put_object(Bucket=bucket, Key="photos/cat.jpg", Body=b"meow")
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    event = json.loads(message["Body"])
    assert (event["detail-type"], event["detail"]["object"]["key"], event["detail"]["reason"]) == (
        "Object Created", "photos/cat.jpg", "PutObject",
    )  # fmt: skip
    advance(1)  # the queued invocation runs
    assert _printed(logs, f"/aws/lambda/{function}", "uploaded") == ["uploaded photos/cat.jpg"]


def _printed(logs: Any, group: str, word: str) -> list[str]:
    """The function's printed lines holding `word`, once its log shows them: the queued invocation
    may have been taken by the server's own tick, which runs it in real time (a cold start)."""
    found: list[str] = []

    def seen() -> bool:
        try:
            events = logs.filter_log_events(logGroupName=group, filterPattern=f'"{word}"')["events"]
        except logs.exceptions.ResourceNotFoundException:
            return False
        found[:] = [event["message"].strip() for event in events]
        return bool(found)

    wait_until(seen, timeout=20)
    return found
