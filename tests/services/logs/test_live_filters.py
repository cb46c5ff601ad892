"""Metric filters and subscription filters through boto3, what they produce as a student sees it
(the group's inspector over the REST API, a Kinesis consumer's records, the live events), and the
public door other services write logs through."""

from __future__ import annotations

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
from tests.waiting import wait_until

pytestmark = pytest.mark.live


@pytest.fixture
def sandbox(make_sandbox: Callable[..., SandboxInfo]) -> SandboxInfo:
    """A sandbox with an owner who can sign in, for the REST API's views."""
    return make_sandbox("logs filters", username=f"logs-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def session(daphne: Server, sandbox: SandboxInfo, db_access: None) -> requests.Session:
    from playground.sandboxes.models import Sandbox

    user = Sandbox.objects.get(pk=sandbox.id).owner
    assert user is not None
    return login(daphne, user.username, f"pw-{user.username}")


def resource(daphne: Server, session: requests.Session, sandbox: SandboxInfo, arn: str) -> dict[str, Any]:
    response = session.get(f"{daphne.url}/api/sandboxes/{sandbox.id}/resources/", params={"arn": arn}, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def flow_kinds(daphne: Server, session: requests.Session, sandbox: SandboxInfo) -> set[str]:
    response = session.get(
        f"{daphne.url}/api/sandboxes/{sandbox.id}/events/", params={"after": "0", "type": "flow"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return {event["kind"] for event in response.json()["results"] if event.get("service") == "logs"}


def test_metric_filters_emit_datapoints_for_new_events(
    logs: Any,
    daphne: Server,
    session: requests.Session,
    sandbox: SandboxInfo,
    make_stream: Callable[..., tuple[str, str]],
    paused: None,
    now_ms: Callable[[], int],
) -> None:
    group, stream = make_stream()
    now = now_ms()
    logs.put_log_events(
        logGroupName=group, logStreamName=stream, logEvents=[{"timestamp": now, "message": '{"latency": 999}'}]
    )
    logs.put_metric_filter(
        logGroupName=group,
        filterName="latency",
        filterPattern="{ $.latency > 0 }",
        metricTransformations=[
            {
                "metricName": "Latency",
                "metricNamespace": "App",
                "metricValue": "$.latency",
                "unit": "Milliseconds",
                "dimensions": {"Service": "$.service"},
            }
        ],
    )
    logs.put_metric_filter(
        logGroupName=group,
        filterName="errors",
        filterPattern="ERROR",
        metricTransformations=[
            {"metricName": "Errors", "metricNamespace": "App", "metricValue": "1", "defaultValue": 0.0}
        ],
    )
    described = logs.describe_metric_filters(logGroupName=group)["metricFilters"]
    assert [item["filterName"] for item in described] == ["errors", "latency"]
    assert described[1]["metricTransformations"][0]["dimensions"] == {"Service": "$.service"}
    assert (
        logs.describe_metric_filters(metricName="Errors", metricNamespace="App")["metricFilters"][0]["filterName"]
        == "errors"
    )
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["metricFilterCount"] == 2

    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[
            {"timestamp": now + 1, "message": '{"latency": 120, "service": "web"}'},
            {"timestamp": now + 2, "message": '{"latency": 80, "service": "api"}'},
            {"timestamp": now + 3, "message": "ERROR something broke"},
        ],
    )
    logs.put_log_events(
        logGroupName=group, logStreamName=stream, logEvents=[{"timestamp": now + 4, "message": "all fine"}]
    )
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    detail = resource(daphne, session, sandbox, arn)
    by_name = {item["name"]: item for item in detail["metric_filters"]}
    latency = sorted((point["value"], point["dimensions"]["Service"]) for point in by_name["latency"]["datapoints"])
    assert latency == [(80.0, "api"), (120.0, "web")]  # the event before the filter counts for nothing
    assert {point["unit"] for point in by_name["latency"]["datapoints"]} == {"Milliseconds"}
    errors = sorted(point["value"] for point in by_name["errors"]["datapoints"])
    assert errors == [0.0, 1.0]  # the match, and the default for the batch without one
    wait_until(lambda: {"put", "metric"} <= flow_kinds(daphne, session, sandbox))
    graph = session.get(f"{daphne.url}/api/sandboxes/{sandbox.id}/graph/", timeout=30).json()
    assert {edge["target"] for edge in graph["edges"] if edge["source"] == arn} == {
        f"{arn}:metric-filter:errors",
        f"{arn}:metric-filter:latency",
    }

    with pytest.raises(ClientError) as caught:
        logs.put_metric_filter(
            logGroupName=group,
            filterName="dims",
            filterPattern="ERROR",
            metricTransformations=[
                {"metricName": "E", "metricNamespace": "App", "metricValue": "1", "dimensions": {"D": "$.x"}}
            ],
        )
    assert error_of(caught) == (
        "InvalidParameterException",
        400,
        "The specified filter pattern does not support dimensions",
    )
    with pytest.raises(ClientError) as caught:
        logs.put_metric_filter(
            logGroupName=group,
            filterName="bad",
            filterPattern="{ $.a = ",
            metricTransformations=[{"metricName": "E", "metricNamespace": "App", "metricValue": "1"}],
        )
    assert error_of(caught) == ("InvalidParameterException", 400, "Invalid metric filter pattern")
    with pytest.raises(ClientError) as caught:
        logs.delete_metric_filter(logGroupName=group, filterName="nothing")
    assert error_of(caught) == ("ResourceNotFoundException", 400, "The specified resource does not exist.")
    logs.delete_metric_filter(logGroupName=group, filterName="errors")
    assert [item["filterName"] for item in logs.describe_metric_filters(logGroupName=group)["metricFilters"]] == [
        "latency"
    ]


def test_subscription_filters_deliver_batches_to_kinesis(
    logs: Any,
    aws: Callable[..., Any],
    daphne: Server,
    session: requests.Session,
    sandbox: SandboxInfo,
    make_stream: Callable[..., tuple[str, str]],
    paused: None,
    now_ms: Callable[[], int],
    advance: Callable[[float], None],
) -> None:
    kinesis = aws("kinesis")
    kinesis.create_stream(StreamName="logs-out", ShardCount=1)
    advance(10)
    stream_arn = kinesis.describe_stream_summary(StreamName="logs-out")["StreamDescriptionSummary"]["StreamARN"]
    group, stream = make_stream()
    role = f"arn:aws:iam::{sandbox.account_id}:role/CWLtoKinesis"
    logs.put_subscription_filter(
        logGroupName=group, filterName="errors", filterPattern="ERROR", destinationArn=stream_arn, roleArn=role
    )
    logs.put_subscription_filter(
        logGroupName=group, filterName="all", filterPattern="", destinationArn=stream_arn, roleArn=role
    )
    with pytest.raises(ClientError) as caught:
        logs.put_subscription_filter(
            logGroupName=group, filterName="third", filterPattern="", destinationArn=stream_arn, roleArn=role
        )
    assert error_of(caught) == ("LimitExceededException", 400, "Resource limit exceeded.")
    with pytest.raises(ClientError) as caught:
        logs.put_subscription_filter(
            logGroupName=group, filterName="all", filterPattern="", destinationArn=stream_arn + "-missing", roleArn=role
        )
    assert error_of(caught) == (
        "InvalidParameterException",
        400,
        "Could not deliver test message to specified Kinesis stream. Verify the stream exists and the role has "
        "permissions.",
    )
    with pytest.raises(ClientError) as caught:
        logs.put_subscription_filter(
            logGroupName=group,
            filterName="all",
            filterPattern="",
            destinationArn=f"arn:aws:lambda:us-east-1:{sandbox.account_id}:function:f",
        )
    assert error_of(caught) == (
        "InvalidParameterException",
        400,
        "Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute "
        "your function.",
    )
    described = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    assert [(item["filterName"], item["destinationArn"]) for item in described] == [
        ("all", stream_arn),
        ("errors", stream_arn),
    ]

    now = now_ms()
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now, "message": "ERROR one"}, {"timestamp": now + 1, "message": "fine"}],
    )
    shard = kinesis.list_shards(StreamName="logs-out")["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName="logs-out", ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    first = kinesis.get_records(ShardIterator=iterator)
    documents = [json.loads(gzip.decompress(record["Data"])) for record in first["Records"]]
    assert [document["messageType"] for document in documents] == ["CONTROL_MESSAGE", "CONTROL_MESSAGE"]

    advance(1)  # the batch is due
    later = kinesis.get_records(ShardIterator=first["NextShardIterator"])
    documents = [json.loads(gzip.decompress(record["Data"])) for record in later["Records"]]
    by_filter = {document["subscriptionFilters"][0]: document for document in documents}
    assert set(by_filter) == {"all", "errors"}
    errors = by_filter["errors"]
    assert errors["messageType"] == "DATA_MESSAGE"
    assert errors["owner"] == sandbox.account_id
    assert (errors["logGroup"], errors["logStream"]) == (group, stream)
    assert [(event["timestamp"], event["message"]) for event in errors["logEvents"]] == [(now, "ERROR one")]
    assert len(errors["logEvents"][0]["id"]) == 56
    assert [event["message"] for event in by_filter["all"]["logEvents"]] == ["ERROR one", "fine"]
    assert {record["PartitionKey"] for record in later["Records"]} == {stream}
    wait_until(lambda: "deliver" in flow_kinds(daphne, session, sandbox))

    logs.delete_subscription_filter(logGroupName=group, filterName="all")
    with pytest.raises(ClientError) as caught:
        logs.delete_subscription_filter(logGroupName=group, filterName="all")
    assert error_of(caught) == ("ResourceNotFoundException", 400, "The specified resource does not exist.")


def test_delimited_subscription_events_carry_extracted_fields(
    logs: Any,
    aws: Callable[..., Any],
    make_stream: Callable[..., tuple[str, str]],
    paused: None,
    now_ms: Callable[[], int],
    advance: Callable[[float], None],
) -> None:
    kinesis = aws("kinesis")
    kinesis.create_stream(StreamName="fields", ShardCount=1)
    advance(10)
    stream_arn = kinesis.describe_stream_summary(StreamName="fields")["StreamDescriptionSummary"]["StreamARN"]
    group, stream = make_stream()
    logs.put_subscription_filter(
        logGroupName=group,
        filterName="codes",
        filterPattern="[ip, status = 5*]",
        destinationArn=stream_arn,
        distribution="Random",
    )
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[
            {"timestamp": now_ms(), "message": "10.0.0.1 503"},
            {"timestamp": now_ms(), "message": "1.1.1.1 200"},
        ],
    )
    advance(1)
    shard = kinesis.list_shards(StreamName="fields")["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName="fields", ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    data = [json.loads(gzip.decompress(record["Data"])) for record in records]
    delivered = [
        event for document in data if document["messageType"] == "DATA_MESSAGE" for event in document["logEvents"]
    ]
    assert [(event["message"], event["extractedFields"]) for event in delivered] == [
        ("10.0.0.1 503", {"ip": "10.0.0.1", "status": "503"})
    ]


def test_other_services_write_through_the_public_door(
    logs: Any, sandbox: SandboxInfo, db_access: None, now_ms: Callable[[], int]
) -> None:
    from playground.sandboxes.models import Clock, Sandbox
    from services.logs.public import events_write, group_exists

    owner = Sandbox.objects.get(pk=sandbox.id)
    now = Clock.current(owner.pk).now()
    stamp = now_ms()
    answer = events_write(
        sandbox=owner,
        region="us-east-1",
        group_name="/aws/lambda/hello",
        stream_name="2026/12/06/[$LATEST]abc",
        events=[(stamp + 1, "END RequestId: 1"), (stamp, "START RequestId: 1 Version: $LATEST")],
        now=now,
    )
    assert "rejectedLogEventsInfo" not in answer
    assert group_exists(sandbox=owner, region="us-east-1", group_name="/aws/lambda/hello")
    events = logs.get_log_events(logGroupName="/aws/lambda/hello", logStreamName="2026/12/06/[$LATEST]abc")["events"]
    assert [event["message"] for event in events] == ["START RequestId: 1 Version: $LATEST", "END RequestId: 1"]
    events_write(
        sandbox=owner,
        region="us-east-1",
        group_name="/aws/lambda/hello",
        stream_name="2026/12/06/[$LATEST]abc",
        events=[(stamp + 2, "REPORT RequestId: 1")],
        now=now,
    )
    assert len(logs.filter_log_events(logGroupName="/aws/lambda/hello")["events"]) == 3
