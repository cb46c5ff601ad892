"""The issue's acceptance test "a CPU alarm that stops an instance": an instance launched with a
launch script that loads its CPU to 90 % (stress-ng in user data), a CloudWatch alarm on its
AWS/EC2 CPUUtilization above 70 % for one five-minute period with the EC2 stop action
(arn:aws:automate:REGION:ec2:stop), and, on the sandbox clock, the alarm going to ALARM and the
instance stopping. The stop action itself is CloudWatch's (services/cloudwatch, alarm actions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.services.ec2.conftest import AMI, state

pytestmark = pytest.mark.live

STRESS = "#!/bin/bash\nstress-ng --cpu 1 --cpu-load 90 --timeout 7200 &\n"


def test_a_cpu_alarm_stops_an_instance(
    ec2: Any, aws: Callable[..., Any], paused: None, advance: Callable[[float], None]
) -> None:
    cloudwatch = aws("cloudwatch")
    instance_id = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, UserData=STRESS)["Instances"][0]["InstanceId"]
    advance(15)
    assert state(ec2, instance_id) == "running"
    cloudwatch.put_metric_alarm(
        AlarmName="cpu-high", Namespace="AWS/EC2", MetricName="CPUUtilization",
        Dimensions=[{"Name": "InstanceId", "Value": instance_id}], Statistic="Average", Period=300,
        EvaluationPeriods=1, Threshold=70.0, ComparisonOperator="GreaterThanThreshold",
        AlarmActions=["arn:aws:automate:us-east-1:ec2:stop"],
    )  # fmt: skip

    # The first complete five-minute period of 90 % ends within ten minutes of the launch, wherever
    # the clock's five-minute boundaries fall; each minute the alarm is evaluated, and its stop
    # action runs in the work that advancing the clock waits for.
    for _ in range(11):
        advance(60)
        if state(ec2, instance_id) in ("stopping", "stopped"):
            break
    assert state(ec2, instance_id) in ("stopping", "stopped")
    history = cloudwatch.describe_alarm_history(AlarmName="cpu-high", HistoryItemType="StateUpdate")
    summaries = [item["HistorySummary"] for item in history["AlarmHistoryItems"]]
    assert "Alarm updated from INSUFFICIENT_DATA to ALARM" in summaries
    advance(60)  # stopping lasts 15 s
    assert state(ec2, instance_id) == "stopped"
    described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert described["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
