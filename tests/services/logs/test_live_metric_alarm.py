"""A metric filter's datapoints reach CloudWatch metrics, where an alarm on them fires into SNS and
on to a queue: the course's "a metric filter is created on a log group with a pattern match, and
an alarm can be created", end to end on the sandbox clock."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import login
from tests.conftest import SandboxInfo, Server

pytestmark = pytest.mark.live


@pytest.fixture
def sandbox(make_sandbox: Callable[..., SandboxInfo]) -> SandboxInfo:
    """A sandbox with an owner who can sign in, for the REST API's diagram."""
    return make_sandbox("logs alarm", username=f"alarm-{uuid.uuid4().hex[:8]}")


def test_error_lines_counted_by_a_metric_filter_raise_an_alarm_that_reaches_a_queue(
    aws: Callable[..., Any],
    logs: Any,
    make_stream: Callable[..., tuple[str, str]],
    paused: None,
    advance: Callable[[float], None],
    now_ms: Callable[[], int],
    daphne: Server,
    sandbox: SandboxInfo,
    db_access: None,
) -> None:
    cloudwatch, sns, sqs = aws("cloudwatch"), aws("sns"), aws("sqs")
    group, stream = make_stream()
    logs.put_metric_filter(
        logGroupName=group,
        filterName="errors",
        filterPattern="ERROR",
        metricTransformations=[{"metricName": "Errors", "metricNamespace": "App", "metricValue": "1"}],
    )
    topic = sns.create_topic(Name="oncall")["TopicArn"]
    url = sqs.create_queue(QueueName="oncall")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
            }
        ]
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)
    advance(60 - (now_ms() // 1000) % 60 + 1)  # 1 s into a minute
    cloudwatch.put_metric_alarm(
        AlarmName="too-many-errors", Namespace="App", MetricName="Errors", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=2, ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching", AlarmActions=[topic],
    )  # fmt: skip

    at = now_ms()
    lines = ["ERROR disk full", "INFO ok", "ERROR disk full", "ERROR retry failed"]
    logs.put_log_events(
        logGroupName=group, logStreamName=stream, logEvents=[{"timestamp": at, "message": line} for line in lines]
    )
    sums = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "e",
                "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Errors"}, "Period": 60, "Stat": "Sum"},
            }
        ],
        StartTime=at / 1000 - 120,
        EndTime=at / 1000 + 120,
    )["MetricDataResults"][0]
    assert sums["Values"] == [3.0]
    advance(60)
    assert cloudwatch.describe_alarms(AlarmNames=["too-many-errors"])["MetricAlarms"][0]["StateValue"] == "ALARM"
    [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    alarm = json.loads(json.loads(message["Body"])["Message"])
    assert alarm["AlarmName"] == "too-many-errors"
    assert alarm["NewStateValue"] == "ALARM"

    # The diagram reads the chain: group -> metric filter -> metric -> alarm -> topic.
    from playground.sandboxes.models import Sandbox

    owner = Sandbox.objects.get(pk=sandbox.id).owner
    assert owner is not None
    session = login(daphne, owner.username, f"pw-{owner.username}")
    graph = session.get(f"{daphne.url}/api/sandboxes/{sandbox.id}/graph/", timeout=30).json()
    kinds = {(edge["source"], edge["target"]): edge["type"] for edge in graph["edges"]}
    group_arn = f"arn:aws:logs:{sandbox.region}:{sandbox.account_id}:log-group:{group}"
    filter_arn = f"{group_arn}:metric-filter:errors"
    metric = f"arn:aws:cloudwatch:{sandbox.region}:{sandbox.account_id}:metric/App/Errors"
    alarm_arn = f"arn:aws:cloudwatch:{sandbox.region}:{sandbox.account_id}:alarm:too-many-errors"
    assert kinds[(group_arn, filter_arn)] == "metric-filter"
    assert kinds[(filter_arn, metric)] == "metric-filter-metric"
    assert kinds[(metric, alarm_arn)] == "alarm-metric"
    assert metric in {node["id"] for node in graph["nodes"]}
