"""The common CloudWatch commands through the real `aws` executable (today's, which speaks RPC v2
CBOR to CloudWatch), and the errors a student meets first as the CLI prints them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.live


def test_cli_metric_alarm_round_trip(
    aws_cli: Callable[..., Any], to_boundary: Callable[[int], None], advance: Callable[[float], None]
) -> None:
    to_boundary(60)
    aws_cli("cloudwatch", "put-metric-data", "--namespace", "Shop", "--metric-name", "Orders", "--value", "12",
            "--unit", "Count", "--dimensions", "Store=north")  # fmt: skip
    aws_cli("cloudwatch", "put-metric-alarm", "--alarm-name", "orders-high", "--namespace", "Shop",
            "--metric-name", "Orders", "--dimensions", "Name=Store,Value=north", "--statistic", "Sum",
            "--period", "60", "--evaluation-periods", "1", "--threshold", "10",
            "--comparison-operator", "GreaterThanThreshold")  # fmt: skip
    advance(60)
    alarms = json.loads(aws_cli("cloudwatch", "describe-alarms", "--state-value", "ALARM").stdout)["MetricAlarms"]
    assert [a["AlarmName"] for a in alarms] == ["orders-high"]


def test_cli_errors(aws_cli: Callable[..., Any]) -> None:
    reserved = aws_cli("cloudwatch", "put-metric-data", "--namespace", "AWS/EC2", "--metric-name", "X",
                       "--value", "1", check=False)  # fmt: skip
    assert reserved.returncode != 0
    assert "An error occurred (InvalidParameterValue) when calling the PutMetricData operation" in reserved.stderr
    assert "The value AWS/EC2 for parameter Namespace is invalid. The namespace prefix AWS/ is reserved" in (
        reserved.stderr
    )
    missing = aws_cli("cloudwatch", "set-alarm-state", "--alarm-name", "nowhere", "--state-value", "OK",
                      "--state-reason", "x", check=False)  # fmt: skip
    assert missing.returncode != 0
    assert "An error occurred (ResourceNotFound) when calling the SetAlarmState operation" in missing.stderr
    assert missing.stderr.strip().endswith(": Alarm nowhere not found")
    stop = aws_cli("cloudwatch", "put-metric-alarm", "--alarm-name", "stopper", "--namespace", "Shop",
                   "--metric-name", "Orders", "--statistic", "Sum", "--period", "60", "--evaluation-periods", "1",
                   "--threshold", "10", "--comparison-operator", "GreaterThanThreshold",
                   "--alarm-actions", "arn:aws:automate:us-east-1:ec2:stop", check=False)  # fmt: skip
    assert stop.returncode != 0
    assert "An error occurred (ValidationError) when calling the PutMetricAlarm operation" in stop.stderr
    assert stop.stderr.strip().endswith(
        ": Invalid use of EC2 action. An EC2 action can only be used if the alarm is monitoring an EC2 instance."
    )
