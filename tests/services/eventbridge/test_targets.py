"""A rule's targets in the other services: one PutEvents reaches a Lambda function (asynchronously,
allowed by its policy), a Kinesis stream (PartitionKeyPath), a Firehose stream (delivered to S3 on
the clock) and a CloudWatch Logs group (a stream named by the event id)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

from tests.conftest import SandboxInfo
from tests.services.eventbridge.conftest import unique
from tests.waiting import wait_until

ROLE = "arn:aws:iam::123456789012:role/service-role"


def _zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", source)
    return buffer.getvalue()


def test_rule_delivers_to_lambda_kinesis_firehose_and_logs(
    events: Any, aws: Callable[..., Any], sandbox: SandboxInfo, paused: None, advance: Callable[[float], None]
) -> None:
    lam, kinesis, firehose, logs, s3 = (aws(name) for name in ("lambda", "kinesis", "firehose", "logs", "s3"))
    function = unique("f")
    function_arn = lam.create_function(
        FunctionName=function, Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
        Code={"ZipFile": _zipped("def handler(event, context):\n    print('got', event['detail']['order'])\n")},
    )["FunctionArn"]  # fmt: skip
    stream = unique("s")
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    bucket = unique("b")
    s3.create_bucket(Bucket=bucket)
    hose = unique("h")
    hose_arn = firehose.create_delivery_stream(
        DeliveryStreamName=hose,
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
                                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}},
    )["DeliveryStreamARN"]  # fmt: skip
    group = f"/aws/events/{unique('g')}"
    logs.create_log_group(logGroupName=group)
    advance(10)  # the function, the stream and the delivery stream become active
    rule = unique("r")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["shop.orders"]}))["RuleArn"]
    lam.add_permission(FunctionName=function, StatementId="events", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=rule_arn)  # fmt: skip
    stream_arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    group_arn = f"arn:aws:logs:{sandbox.region}:{sandbox.account_id}:log-group:{group}:*"
    events.put_targets(Rule=rule, Targets=[
        {"Id": "fn", "Arn": function_arn},
        {"Id": "ks", "Arn": stream_arn, "KinesisParameters": {"PartitionKeyPath": "$.detail.order"}},
        {"Id": "fh", "Arn": hose_arn},
        {"Id": "lg", "Arn": group_arn},
    ])  # fmt: skip
    answer = events.put_events(Entries=[{"Source": "shop.orders", "DetailType": "Order Placed",
                                         "Detail": json.dumps({"order": "o-42"})}])  # fmt: skip
    event_id = answer["Entries"][0]["EventId"]

    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    [record] = kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert record["PartitionKey"] == "o-42"
    assert json.loads(record["Data"])["id"] == event_id

    [log_stream] = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert log_stream["logStreamName"] == event_id
    [logged] = logs.get_log_events(logGroupName=group, logStreamName=event_id)["events"]
    assert json.loads(logged["message"])["detail"] == {"order": "o-42"}

    advance(60)  # the queued invocation runs; Firehose's 60 s buffer is delivered
    [key] = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())["id"] == event_id
    assert _printed(logs, f"/aws/lambda/{function}", "got") == ["got o-42"]


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
