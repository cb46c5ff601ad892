"""Alarm actions beyond SNS, through boto3 on the sandbox clock: an EC2 action stops the instance
the alarm's InstanceId dimension names when the period ends, a Lambda action invokes the function
(allowed by its resource policy) with AWS's alarm event, and the errors and failures AWS gives."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, error_of

pytestmark = pytest.mark.live

Move = Callable[[float], None]
AMI = "ami-0c02fb55956c7d316"  # Amazon Linux 2023 in EC2's catalogue
ROLE = "arn:aws:iam::123456789012:role/lambda-role"
NO_INSTANCE = "Invalid use of EC2 action. An EC2 action can only be used if the alarm is monitoring an EC2 instance."
# The function prints the event it gets, one JSON line, for the test to read from its log.
PRINTER = "import json\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event))\n"


def instance_state(ec2: Any, instance_id: str) -> str:
    return str(ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"])


def history(cloudwatch: Any, name: str, kind: str) -> list[str]:
    items = cloudwatch.describe_alarm_history(AlarmName=name, HistoryItemType=kind)["AlarmHistoryItems"]
    return [item["HistorySummary"] for item in items]


def memory_alarm(cloudwatch: Any, *, name: str, instance: str | None, actions: list[str]) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace="CWAgent", MetricName="mem_used_percent", Statistic="Maximum", Period=60,
        EvaluationPeriods=1, Threshold=90.0, ComparisonOperator="GreaterThanThreshold", AlarmActions=actions,
        Dimensions=[{"Name": "InstanceId", "Value": instance}] if instance else [],
    )  # fmt: skip


def test_an_ec2_stop_action_stops_the_instance_when_the_period_ends(
    cloudwatch: Any, aws: Callable[..., Any], to_boundary: Callable[[int], None], advance: Move, sandbox: SandboxInfo
) -> None:
    ec2 = aws("ec2")
    region = cloudwatch.meta.region_name
    instance = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    advance(20)
    assert instance_state(ec2, instance) == "running"
    to_boundary(60)
    stop = f"arn:aws:automate:{region}:ec2:stop"
    memory_alarm(cloudwatch, name="memory-full", instance=instance, actions=[stop])
    cloudwatch.put_metric_data(Namespace="CWAgent", MetricData=[
        {"MetricName": "mem_used_percent", "Dimensions": [{"Name": "InstanceId", "Value": instance}], "Value": 97.0},
    ])  # fmt: skip
    advance(30)
    assert instance_state(ec2, instance) == "running"  # the period has not ended
    advance(30)
    assert cloudwatch.describe_alarms(AlarmNames=["memory-full"])["MetricAlarms"][0]["StateValue"] == "ALARM"
    assert instance_state(ec2, instance) == "stopping"
    assert history(cloudwatch, "memory-full", "Action") == [f"Successfully executed action {stop}"]
    advance(20)
    assert instance_state(ec2, instance) == "stopped"
    edges = [e for e in _edges(sandbox) if e["type"] == "alarm-action"]
    assert [e["target"] for e in edges] == [f"arn:aws:ec2:{region}:{_account(aws)}:instance/{instance}"]


def _account(aws: Callable[..., Any]) -> str:
    return str(aws("sts").get_caller_identity()["Account"])


def _edges(sandbox: SandboxInfo) -> list[dict[str, Any]]:
    """The diagram's edges, as the REST API and the GUI read them (playground.graph)."""
    from playground.graph import sandbox_graph
    from playground.sandboxes.models import Sandbox

    row = Sandbox.objects.get(pk=sandbox.id)
    edges: list[dict[str, Any]] = sandbox_graph(sandbox=row, now=row.clock.now())["edges"]
    return edges


def test_ec2_actions_need_an_alarm_that_watches_an_instance(cloudwatch: Any, aws: Callable[..., Any]) -> None:
    region = cloudwatch.meta.region_name
    for action in (f"arn:aws:automate:{region}:ec2:terminate",
                   f"arn:aws:swf:{region}:{_account(aws)}:action/actions/AWS_EC2.InstanceId.Reboot/1.0"):  # fmt: skip
        with pytest.raises(ClientError) as caught:
            memory_alarm(cloudwatch, name="no-instance", instance=None, actions=[action])
        assert error_of(caught) == ("ValidationError", 400, NO_INSTANCE)
    cloudwatch.put_metric_alarm(
        AlarmName="child", Namespace="App", MetricName="Load", Statistic="Sum", Period=60, EvaluationPeriods=1,
        Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        cloudwatch.put_composite_alarm(AlarmName="parent", AlarmRule="ALARM(child)",
                                       AlarmActions=[f"arn:aws:automate:{region}:ec2:stop"])  # fmt: skip
    assert error_of(caught) == ("ValidationError", 400, NO_INSTANCE)
    with pytest.raises(ClientError) as caught:
        memory_alarm(cloudwatch, name="odd", instance="i-0123456789abcdef0",
                     actions=[f"arn:aws:automate:{region}:ec2:explode"])  # fmt: skip
    assert error_of(caught) == (
        "InvalidParameterValue", 400, f"Invalid arn syntax: arn:aws:automate:{region}:ec2:explode"
    )  # fmt: skip
    assert cloudwatch.describe_alarms(AlarmNamePrefix="no-")["MetricAlarms"] == []
    assert cloudwatch.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"] == []


def test_an_ec2_action_on_a_missing_instance_fails_in_the_history(cloudwatch: Any) -> None:
    region = cloudwatch.meta.region_name
    terminate = f"arn:aws:automate:{region}:ec2:terminate"
    memory_alarm(cloudwatch, name="ghost", instance="i-0123456789abcdef0", actions=[terminate])
    cloudwatch.set_alarm_state(AlarmName="ghost", StateValue="ALARM", StateReason="testing")
    [summary] = history(cloudwatch, "ghost", "Action")
    assert summary.startswith(f'Failed to execute action {terminate}. Received error: "')
    assert "i-0123456789abcdef0" in summary


def _zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", source)
    return buffer.getvalue()


def _printed_events(aws: Callable[..., Any], function: str) -> list[dict[str, Any]]:
    logs = aws("logs")
    try:
        found = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}", filterPattern='"EVENT"')["events"]
    except ClientError:  # no group yet: never invoked
        return []
    return [json.loads(e["message"].split("EVENT ", 1)[1]) for e in found if "EVENT " in e["message"]]


def test_a_lambda_action_invokes_the_function_with_the_alarm_event(
    cloudwatch: Any, aws: Callable[..., Any], to_boundary: Callable[[int], None], advance: Move
) -> None:
    lam = aws("lambda")
    region = cloudwatch.meta.region_name
    function = lam.create_function(FunctionName="on-alarm", Runtime="python3.12", Role=ROLE,
                                   Handler="lambda_function.handler", Code={"ZipFile": _zipped(PRINTER)})  # fmt: skip
    advance(1)
    to_boundary(60)
    cloudwatch.put_metric_alarm(
        AlarmName="errors", AlarmDescription="too many errors", Namespace="Shop", MetricName="Errors",
        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=5.0, ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[function["FunctionArn"]], OKActions=[function["FunctionArn"]],
    )  # fmt: skip
    alarm_arn = cloudwatch.describe_alarms(AlarmNames=["errors"])["MetricAlarms"][0]["AlarmArn"]
    # Without a resource policy for CloudWatch's principal, the action fails (and says why).
    cloudwatch.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Errors", "Value": 9.0}])
    advance(60)
    [refused] = history(cloudwatch, "errors", "Action")
    assert refused == (
        f'Failed to execute action {function["FunctionArn"]}. Received error: "lambda.alarms.cloudwatch.amazonaws.com '
        f'is not authorized to perform: lambda:InvokeFunction on resource: {function["FunctionArn"]}"'
    )
    lam.add_permission(FunctionName="on-alarm", StatementId="alarms", Action="lambda:InvokeFunction",
                       Principal="lambda.alarms.cloudwatch.amazonaws.com", SourceArn=alarm_arn)  # fmt: skip
    cloudwatch.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Errors", "Value": 1.0}])
    advance(60)  # ALARM -> OK
    advance(1)  # the queued invocation runs
    [event] = _printed_events(aws, "on-alarm")
    assert {k: event[k] for k in ("source", "alarmArn", "region")} == {
        "source": "aws.cloudwatch", "alarmArn": alarm_arn, "region": region,
    }  # fmt: skip
    assert event["accountId"] == alarm_arn.split(":")[4]
    data = event["alarmData"]
    assert data["alarmName"] == "errors"
    assert data["state"]["value"] == "OK"
    assert data["state"]["reason"].startswith("Threshold Crossed: 1 datapoint [1.0 (")
    assert json.loads(data["state"]["reasonData"])["recentDatapoints"] == [1.0]
    assert data["previousState"]["value"] == "ALARM"
    assert data["previousState"]["reason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [9.0 (")
    [query] = data["configuration"]["metrics"]
    assert data["configuration"]["description"] == "too many errors"
    assert query["metricStat"] == {
        "metric": {"namespace": "Shop", "name": "Errors", "dimensions": {}}, "period": 60, "stat": "Sum",
    }  # fmt: skip
    assert query["returnData"] is True
    assert history(cloudwatch, "errors", "Action")[0] == f"Successfully executed action {function['FunctionArn']}"
