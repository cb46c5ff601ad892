"""Metric alarms through boto3, on the sandbox clock: evaluation at the end of each period, M of N,
every TreatMissingData, state reasons with the datapoints, history, SetAlarmState, actions
enabled and disabled, SNS notifications with AWS's alarm message, DescribeAlarms' filters, and
the errors AWS gives."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of
from tests.waiting import wait_until

pytestmark = pytest.mark.live

Clock = Callable[[], dt.datetime]
Move = Callable[[float], None]


def make_alarm(cloudwatch: Any, name: str = "high", **overrides: Any) -> None:
    params: dict[str, Any] = {
        "AlarmName": name, "Namespace": "App", "MetricName": "Load", "Statistic": "Maximum", "Period": 60,
        "EvaluationPeriods": 1, "Threshold": 5.0, "ComparisonOperator": "GreaterThanThreshold",
    }  # fmt: skip
    params.update(overrides)
    cloudwatch.put_metric_alarm(**params)


def put(cloudwatch: Any, value: float, at: dt.datetime | None = None) -> None:
    datum: dict[str, Any] = {"MetricName": "Load", "Value": value}
    if at is not None:
        datum["Timestamp"] = at
    cloudwatch.put_metric_data(Namespace="App", MetricData=[datum])


def alarm(cloudwatch: Any, name: str = "high") -> dict[str, Any]:
    found: dict[str, Any] = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    return found


def test_an_alarm_fires_when_its_period_ends_and_says_why(
    cloudwatch: Any, to_boundary: Callable[[int], None], advance: Move, now: Clock
) -> None:
    to_boundary(60)
    make_alarm(cloudwatch)
    first = alarm(cloudwatch)
    assert (first["StateValue"], first["StateReason"]) == ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")
    put(cloudwatch, 9.0)
    assert alarm(cloudwatch)["StateValue"] == "INSUFFICIENT_DATA"  # the period has not ended
    period_start = now().replace(second=0, microsecond=0)
    advance(60)
    fired = alarm(cloudwatch)
    assert fired["StateValue"] == "ALARM"
    stamp = period_start.strftime("%d/%m/%y %H:%M:%S")
    assert fired["StateReason"] == (
        f"Threshold Crossed: 1 out of the last 1 datapoints [9.0 ({stamp})] was greater than the threshold (5.0) "
        "(minimum 1 datapoint for OK -> ALARM transition)."
    )
    data = json.loads(fired["StateReasonData"])
    assert data["recentDatapoints"] == [9.0]
    assert data["threshold"] == 5.0
    assert data["statistic"] == "Maximum"
    assert data["evaluatedDatapoints"][0]["value"] == 9.0
    put(cloudwatch, 1.0)
    advance(60)
    assert alarm(cloudwatch)["StateValue"] == "OK"
    history = cloudwatch.describe_alarm_history(AlarmName="high", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == [
        "Alarm updated from ALARM to OK", "Alarm updated from INSUFFICIENT_DATA to ALARM",
    ]  # fmt: skip
    assert json.loads(history[0]["HistoryData"])["newState"]["stateValue"] == "OK"
    configured = cloudwatch.describe_alarm_history(AlarmName="high", HistoryItemType="ConfigurationUpdate")
    assert configured["AlarmHistoryItems"][0]["HistorySummary"] == 'Alarm "high" created'


def test_m_out_of_n(cloudwatch: Any, to_boundary: Callable[[int], None], advance: Move) -> None:
    to_boundary(60)
    make_alarm(cloudwatch, EvaluationPeriods=3, DatapointsToAlarm=2)
    for value in (9.0, 1.0):
        put(cloudwatch, value)
        advance(60)
    assert alarm(cloudwatch)["StateValue"] == "OK"  # 1 of the 2 periods with data breached
    put(cloudwatch, 8.0)
    advance(60)
    fired = alarm(cloudwatch)
    assert fired["StateValue"] == "ALARM"
    assert fired["StateReason"].startswith("Threshold Crossed: 2 out of the last 3 datapoints [8.0 (")
    assert fired["StateReason"].endswith("(minimum 2 datapoints for OK -> ALARM transition).")


@pytest.mark.parametrize(
    ("treat", "state"),
    [("missing", "INSUFFICIENT_DATA"), ("breaching", "ALARM"), ("notBreaching", "OK"), ("ignore", "ALARM")],
)
def test_treat_missing_data(
    cloudwatch: Any, to_boundary: Callable[[int], None], advance: Move, treat: str, state: str
) -> None:
    """The alarm fired on data, then no data comes for its periods."""
    to_boundary(60)
    make_alarm(cloudwatch, EvaluationPeriods=2, TreatMissingData=treat)
    put(cloudwatch, 9.0)
    advance(60)
    put(cloudwatch, 9.0)
    advance(60)
    assert alarm(cloudwatch)["StateValue"] == "ALARM"
    advance(120)
    found = alarm(cloudwatch)
    assert found["StateValue"] == state
    assert found["TreatMissingData"] == treat
    if treat == "missing":
        assert found["StateReason"] == "Insufficient Data: 2 datapoints were unknown."
    if treat == "notBreaching":
        assert found["StateReason"] == (
            "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as "
            "[NonBreaching]."
        )


def test_percentile_alarm(cloudwatch: Any, to_boundary: Callable[[int], None], advance: Move) -> None:
    to_boundary(60)
    cloudwatch.put_metric_alarm(
        AlarmName="p90",
        Namespace="App",
        MetricName="Load",
        ExtendedStatistic="p90",
        Period=60,
        EvaluationPeriods=1,
        Threshold=90.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    cloudwatch.put_metric_data(Namespace="App", MetricData=[{"MetricName": "Load",
                                                             "Values": [float(v) for v in range(1, 101)]}])  # fmt: skip
    advance(60)
    assert alarm(cloudwatch, "p90")["StateValue"] == "ALARM"


def test_set_alarm_state_and_disabled_actions(
    cloudwatch: Any, aws: Callable[..., Any], to_boundary: Callable[[int], None], advance: Move
) -> None:
    sns, sqs = aws("sns"), aws("sqs")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": queue_arn}]})})  # fmt: skip
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    to_boundary(60)
    make_alarm(cloudwatch, AlarmActions=[topic], AlarmDescription="load is high")
    cloudwatch.set_alarm_state(AlarmName="high", StateValue="ALARM", StateReason="testing the page")
    messages: list[dict[str, Any]] = []

    def received() -> bool:
        messages.extend(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []))
        return bool(messages)

    wait_until(received, timeout=10)
    body = json.loads(messages[0]["Body"])
    assert body["AlarmName"] == "high"
    assert body["AlarmDescription"] == "load is high"
    assert body["NewStateValue"] == "ALARM"
    assert body["OldStateValue"] == "INSUFFICIENT_DATA"
    assert body["NewStateReason"] == "testing the page"
    assert body["Region"] == "US East (N. Virginia)"
    assert body["Trigger"]["MetricName"] == "Load"
    assert body["Trigger"]["Statistic"] == "MAXIMUM"
    assert body["Trigger"]["Threshold"] == 5.0
    actions = cloudwatch.describe_alarm_history(AlarmName="high", HistoryItemType="Action")["AlarmHistoryItems"]
    assert actions[0]["HistorySummary"] == f"Successfully executed action {topic}"
    cloudwatch.disable_alarm_actions(AlarmNames=["high"])
    assert alarm(cloudwatch)["ActionsEnabled"] is False
    put(cloudwatch, 1.0)
    advance(60)
    assert alarm(cloudwatch)["StateValue"] == "OK"
    assert len(cloudwatch.describe_alarm_history(AlarmName="high", HistoryItemType="Action")["AlarmHistoryItems"]) == 1
    cloudwatch.enable_alarm_actions(AlarmNames=["high"])
    assert alarm(cloudwatch)["ActionsEnabled"] is True


def test_describe_filters_and_delete(cloudwatch: Any) -> None:
    make_alarm(cloudwatch, "web-cpu")
    make_alarm(cloudwatch, "web-mem", AlarmActions=["arn:aws:sns:us-east-1:123456789012:x"])
    make_alarm(cloudwatch, "db-cpu")
    names = [a["AlarmName"] for a in cloudwatch.describe_alarms(AlarmNamePrefix="web")["MetricAlarms"]]
    assert names == ["web-cpu", "web-mem"]
    assert [a["AlarmName"] for a in cloudwatch.describe_alarms(ActionPrefix="arn:aws:sns")["MetricAlarms"]] == [
        "web-mem"
    ]
    assert len(cloudwatch.describe_alarms(StateValue="INSUFFICIENT_DATA")["MetricAlarms"]) == 3
    for_metric = cloudwatch.describe_alarms_for_metric(Namespace="App", MetricName="Load")["MetricAlarms"]
    assert len(for_metric) == 3
    page = cloudwatch.describe_alarms(MaxRecords=2)
    assert len(page["MetricAlarms"]) == 2
    assert len(cloudwatch.describe_alarms(MaxRecords=2, NextToken=page["NextToken"])["MetricAlarms"]) == 1
    cloudwatch.delete_alarms(AlarmNames=["db-cpu"])
    assert [a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]] == ["web-cpu", "web-mem"]
    with pytest.raises(ClientError) as caught:
        cloudwatch.delete_alarms(AlarmNames=["db-cpu"])
    assert error_of(caught) == ("ResourceNotFound", 404, "Alarm db-cpu not found")


def test_alarm_errors(cloudwatch: Any) -> None:
    with pytest.raises(ClientError) as caught:
        make_alarm(cloudwatch, EvaluationPeriods=2, DatapointsToAlarm=3)
    assert error_of(caught) == (
        "InvalidParameterValue",
        400,
        "DatapointsToAlarm must be less than or equal to EvaluationPeriods.",
    )
    with pytest.raises(ClientError) as caught:
        make_alarm(cloudwatch, Period=45)
    assert error_of(caught) == ("InvalidParameterValue", 400, "Period must be 10, 20, 30 or a multiple of 60.")
    with pytest.raises(ClientError) as caught:
        make_alarm(cloudwatch, ExtendedStatistic="p90")
    assert error_of(caught) == (
        "InvalidParameterCombination", 400, "Exactly one of the parameters Statistic and ExtendedStatistic must be "
        "specified.",
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        make_alarm(cloudwatch, TreatMissingData="sometimes")
    assert error_of(caught)[:2] == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as caught:
        make_alarm(cloudwatch, AlarmActions=["not-an-arn"])
    assert error_of(caught) == ("InvalidParameterValue", 400, "Invalid arn syntax: not-an-arn")
    with pytest.raises(ClientError) as caught:
        cloudwatch.set_alarm_state(AlarmName="nowhere", StateValue="OK", StateReason="x")
    assert error_of(caught) == ("ResourceNotFound", 404, "Alarm nowhere not found")
    make_alarm(cloudwatch)
    with pytest.raises(ClientError) as caught:
        cloudwatch.set_alarm_state(AlarmName="high", StateValue="OK", StateReason="x", StateReasonData="{nope")
    assert error_of(caught) == ("InvalidFormat", 400, "Could not parse the StateReasonData as JSON.")
    with pytest.raises(ClientError) as caught:
        cloudwatch.put_metric_alarm(AlarmName="x", EvaluationPeriods=1, ComparisonOperator="GreaterThanThreshold",
                                    Threshold=1.0, Statistic="Sum", Period=60, Namespace="App")  # fmt: skip
    assert error_of(caught) == ("MissingParameter", 400, "The parameter MetricName is required.")
