"""Subscription filters to Lambda (the awslogs event, allowed by the function's policy) and to
Firehose (the gzip message as a record, delivered to S3 on the clock)."""

from __future__ import annotations

import gzip
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

from tests.conftest import SandboxInfo
from tests.waiting import wait_until

ROLE = "arn:aws:iam::123456789012:role/service-role"
HANDLER = """
import base64, gzip, json
def handler(event, context):
    document = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    for item in document["logEvents"]:
        print("seen", document["logGroup"], item["message"])
"""


def _zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", source)
    return buffer.getvalue()


def test_subscription_filters_deliver_to_lambda_and_firehose(
    logs: Any,
    aws: Callable[..., Any],
    sandbox: SandboxInfo,
    paused: None,
    now_ms: Callable[[], int],
    advance: Callable[[float], None],
) -> None:
    lam, firehose, s3 = aws("lambda"), aws("firehose"), aws("s3")
    tag = uuid.uuid4().hex[:8]
    function_arn = lam.create_function(
        FunctionName=f"reader-{tag}", Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
        Code={"ZipFile": _zipped(HANDLER)},
    )["FunctionArn"]  # fmt: skip
    bucket = f"logs-{tag}"
    s3.create_bucket(Bucket=bucket)
    hose_arn = firehose.create_delivery_stream(
        DeliveryStreamName=f"hose-{tag}",
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
                                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}},
    )["DeliveryStreamARN"]  # fmt: skip
    group = f"app-{tag}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="web")
    advance(10)
    group_arn = f"arn:aws:logs:{sandbox.region}:{sandbox.account_id}:log-group:{group}:*"
    lam.add_permission(FunctionName=function_arn, StatementId="logs", Action="lambda:InvokeFunction",
                       Principal="logs.amazonaws.com", SourceArn=group_arn)  # fmt: skip
    logs.put_subscription_filter(logGroupName=group, filterName="to-lambda", filterPattern="ERROR",
                                 destinationArn=function_arn)  # fmt: skip
    logs.put_subscription_filter(logGroupName=group, filterName="to-firehose", filterPattern="",
                                 destinationArn=hose_arn, roleArn=ROLE)  # fmt: skip
    stamp = now_ms()
    logs.put_log_events(logGroupName=group, logStreamName="web", logEvents=[
        {"timestamp": stamp, "message": "ERROR disk full"}, {"timestamp": stamp + 1, "message": "fine"},
    ])  # fmt: skip
    advance(1)  # the batch is due: Lambda's invocation is queued, Firehose buffers the record
    advance(60)  # the invocation runs; Firehose's buffer is delivered to S3
    assert _printed(logs, f"/aws/lambda/reader-{tag}", "seen") == [f"seen {group} ERROR disk full"]
    bodies = [s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
              for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]  # fmt: skip
    documents: list[dict[str, Any]] = []
    for body in bodies:
        reader = gzip.GzipFile(fileobj=io.BytesIO(body))
        documents.extend(json.loads(part) for part in _members(reader.read()))
    data = [d for d in documents if d["messageType"] == "DATA_MESSAGE"]
    assert [[e["message"] for e in d["logEvents"]] for d in data] == [["ERROR disk full", "fine"]]
    assert data[0]["subscriptionFilters"] == ["to-firehose"]
    assert any(d["messageType"] == "CONTROL_MESSAGE" for d in documents)


def _members(text: bytes) -> list[str]:
    """Concatenated JSON documents (the gzip members Firehose appended) split apart."""
    decoder = json.JSONDecoder()
    found, at, whole = [], 0, text.decode()
    while at < len(whole):
        _, end = decoder.raw_decode(whole, at)
        found.append(whole[at:end])
        at = end
    return found


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
