"""GetMetricData with metric math, composite alarms with the AlarmRule language, and dashboards,
through boto3."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of

pytestmark = pytest.mark.live

Clock = Callable[[], dt.datetime]


def stat(query_id: str, name: str, *, stat: str = "Sum", return_data: bool = True) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {"Metric": {"Namespace": "Web", "MetricName": name}, "Period": 60, "Stat": stat},
        "ReturnData": return_data,
    }


def test_metric_math(cloudwatch: Any, now: Clock) -> None:
    start = now().replace(second=0, microsecond=0) - dt.timedelta(minutes=4)
    minutes = [start + dt.timedelta(minutes=i) for i in range(4)]
    data = [{"MetricName": "Errors", "Value": v, "Timestamp": at} for v, at in zip((1, 2, 3), minutes, strict=False)]
    data += [
        {"MetricName": "Requests", "Value": v, "Timestamp": at} for v, at in zip((10, 20, 30, 40), minutes, strict=True)
    ]
    cloudwatch.put_metric_data(Namespace="Web", MetricData=data)
    queries = [
        stat("errors", "Errors", return_data=False),
        stat("requests", "Requests", return_data=False),
        {"Id": "rate", "Expression": "100 * errors / requests", "Label": "Error rate"},
        {"Id": "total", "Expression": "SUM(METRICS())"},
        {"Id": "filled", "Expression": "FILL(errors, 0)"},
        {"Id": "busy", "Expression": "IF(requests > 15 AND requests < 35, requests, 0)"},
        {"Id": "growth", "Expression": "RATE(requests)"},
        {"Id": "peak", "Expression": "MAX(requests)"},
        {"Id": "both", "Expression": "AVG([errors, requests])"},
    ]
    results = cloudwatch.get_metric_data(
        MetricDataQueries=queries, StartTime=start, EndTime=start + dt.timedelta(minutes=4), ScanBy="TimestampAscending"
    )["MetricDataResults"]
    by_id = {r["Id"]: r for r in results}
    assert set(by_id) == {"rate", "total", "filled", "busy", "growth", "peak", "both"}
    assert by_id["rate"]["Label"] == "Error rate"
    assert by_id["rate"]["Values"] == [10.0, 10.0, 10.0]
    assert by_id["rate"]["Timestamps"] == minutes[:3]
    assert by_id["total"]["Values"] == [11.0, 22.0, 33.0, 40.0]
    assert by_id["filled"]["Values"] == [1.0, 2.0, 3.0, 0.0]
    assert by_id["busy"]["Values"] == [0.0, 20.0, 30.0, 0.0]
    assert by_id["growth"]["Values"] == [10 / 60, 10 / 60, 10 / 60]
    assert by_id["peak"]["Values"] == [40.0]
    assert by_id["both"]["Values"] == [5.5, 11.0, 16.5, 40.0]
    assert all(r["StatusCode"] == "Complete" for r in results)


def test_metric_math_errors(cloudwatch: Any, now: Clock) -> None:
    window = {"StartTime": now() - dt.timedelta(hours=1), "EndTime": now()}
    with pytest.raises(ClientError) as caught:
        cloudwatch.get_metric_data(MetricDataQueries=[{"Id": "bad", "Expression": "SUM(("}], **window)
    assert error_of(caught) == (
        "InvalidParameterValue",
        400,
        "Syntax error in expression: SUM(( (MetricDataQueries.member.1.Expression)",
    )
    with pytest.raises(ClientError) as caught:
        cloudwatch.get_metric_data(MetricDataQueries=[{"Id": "Upper", "Expression": "1"}], **window)
    assert error_of(caught)[:2] == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as caught:
        cloudwatch.get_metric_data(MetricDataQueries=[{"Id": "e1", "Expression": "nothere * 2"}], **window)
    assert error_of(caught) == (
        "InvalidParameterValue",
        400,
        "Error in expression e1: Unrecognized metric id or function: nothere",
    )
    both = {**stat("m1", "Errors"), "Expression": "1"}
    with pytest.raises(ClientError) as caught:
        cloudwatch.get_metric_data(MetricDataQueries=[both], **window)
    assert error_of(caught)[:2] == ("InvalidParameterCombination", 400)


def test_a_composite_alarm_follows_its_rule(cloudwatch: Any) -> None:
    for name in ("cpu", "memory"):
        cloudwatch.put_metric_alarm(
            AlarmName=name, Namespace="Web", MetricName=name, Statistic="Average", Period=60, EvaluationPeriods=1,
            Threshold=80.0, ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
    cloudwatch.put_composite_alarm(AlarmName="both", AlarmRule='ALARM("cpu") AND NOT OK(memory)')
    cloudwatch.put_composite_alarm(AlarmName="either", AlarmRule="(ALARM(cpu) OR ALARM(memory)) AND TRUE")

    def state(name: str) -> str:
        found = cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
        return str(found[0]["StateValue"])

    assert (state("both"), state("either")) == ("OK", "OK")
    cloudwatch.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="test")
    assert (state("both"), state("either")) == ("ALARM", "ALARM")
    cloudwatch.set_alarm_state(AlarmName="memory", StateValue="OK", StateReason="test")
    assert (state("both"), state("either")) == ("OK", "ALARM")
    children = cloudwatch.describe_alarms(ChildrenOfAlarmName="both")["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in children) == ["cpu", "memory"]
    parents = cloudwatch.describe_alarms(ParentsOfAlarmName="cpu")["CompositeAlarms"]
    assert sorted(a["AlarmName"] for a in parents) == ["both", "either"]
    history = cloudwatch.describe_alarm_history(AlarmName="both", HistoryItemType="StateUpdate")
    assert [h["HistorySummary"] for h in history["AlarmHistoryItems"]][:2] == [
        "Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM",
    ]  # fmt: skip
    with pytest.raises(ClientError) as caught:
        cloudwatch.put_composite_alarm(AlarmName="broken", AlarmRule="ALARM(cpu) AND")
    assert error_of(caught) == ("InvalidParameterValue", 400, "Syntax error in AlarmRule: ALARM(cpu) AND")
    with pytest.raises(ClientError) as caught:
        cloudwatch.put_composite_alarm(AlarmName="ghost", AlarmRule="ALARM(nothing)")
    assert error_of(caught) == (
        "InvalidParameterValue", 400,
        "Could not save the composite alarm as alarms [nothing] in the alarm rule do not exist",
    )  # fmt: skip


def test_dashboards(cloudwatch: Any) -> None:
    body = {
        "widgets": [
            {
                "type": "metric",
                "x": 0,
                "y": 0,
                "width": 12,
                "height": 6,
                "properties": {
                    "metrics": [["Web", "Errors"]],
                    "period": 300,
                    "stat": "Sum",
                    "region": "us-east-1",
                    "title": "Errors",
                },
            }
        ]
    }
    assert cloudwatch.put_dashboard(DashboardName="ops", DashboardBody=json.dumps(body))[
        "DashboardValidationMessages"] == []  # fmt: skip
    got = cloudwatch.get_dashboard(DashboardName="ops")
    assert json.loads(got["DashboardBody"]) == body
    assert got["DashboardArn"].endswith(":dashboard/ops")
    entries = cloudwatch.list_dashboards(DashboardNamePrefix="o")["DashboardEntries"]
    assert [e["DashboardName"] for e in entries] == ["ops"]
    with pytest.raises(ClientError) as caught:
        cloudwatch.put_dashboard(DashboardName="bad", DashboardBody="{not json")
    assert error_of(caught) == ("InvalidParameterInput", 400, "The field DashboardBody must be a valid JSON object")
    with pytest.raises(ClientError) as caught:
        cloudwatch.put_dashboard(DashboardName="bad", DashboardBody=json.dumps({"widgets": [{"type": "metric"}]}))
    code, status, message = error_of(caught)
    assert (code, status) == ("InvalidParameterInput", 400)
    assert message.startswith("The dashboard body is invalid, there are 1 validation errors:")
    assert caught.value.response["dashboardValidationMessages"] == [
        {"DataPath": "/widgets/0", "Message": "Should have required property 'properties'"}
    ]
    with pytest.raises(ClientError) as caught:
        cloudwatch.get_dashboard(DashboardName="nope")
    assert error_of(caught) == ("ResourceNotFound", 404, "Dashboard nope does not exist")
    cloudwatch.delete_dashboards(DashboardNames=["ops"])
    assert cloudwatch.list_dashboards()["DashboardEntries"] == []
    with pytest.raises(ClientError) as caught:
        cloudwatch.delete_dashboards(DashboardNames=["ops"])
    assert error_of(caught) == ("ResourceNotFound", 404, "The specified dashboard does not exist. [ops]")
