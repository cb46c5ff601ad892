"""Anomaly detection through boto3: a detector trained on a simulated week of a metric with a
daily pattern, the band GetMetricData draws with ANOMALY_DETECTION_BAND, and an alarm on the band
that fires when a value leaves it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of

pytestmark = pytest.mark.live

METRIC = {"Namespace": "Web", "MetricName": "Visitors"}


def daily(at: dt.datetime) -> float:
    """Busy during the day (100 at 12:00 UTC), quiet at night (10), a little noise."""
    return 100.0 if 8 <= at.hour < 20 else 10.0 + (at.day % 3)


def test_a_band_learned_over_a_week_catches_an_anomaly(
    cloudwatch: Any, now: Callable[[], dt.datetime], to_boundary: Callable[[int], None],
    advance: Callable[[float], None],
) -> None:  # fmt: skip
    to_boundary(3600)
    hour = now().replace(minute=0, second=0, microsecond=0)
    week = [hour - dt.timedelta(hours=h) for h in range(1, 7 * 24)]
    for chunk in range(0, len(week), 500):
        cloudwatch.put_metric_data(Namespace="Web", MetricData=[
            {"MetricName": "Visitors", "Value": daily(at) + (at.day % 2), "Timestamp": at}
            for at in week[chunk:chunk + 500]
        ])  # fmt: skip
    cloudwatch.put_anomaly_detector(SingleMetricAnomalyDetector={**METRIC, "Stat": "Average"})
    [detector] = cloudwatch.describe_anomaly_detectors(Namespace="Web")["AnomalyDetectors"]
    assert detector["StateValue"] == "TRAINED"
    assert detector["SingleMetricAnomalyDetector"]["MetricName"] == "Visitors"

    queries = [
        {"Id": "m1", "MetricStat": {"Metric": METRIC, "Period": 3600, "Stat": "Average"}, "ReturnData": True},
        {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "Label": "band"},
    ]
    band = cloudwatch.get_metric_data(
        MetricDataQueries=queries, StartTime=hour, EndTime=hour + dt.timedelta(hours=1)
    )["MetricDataResults"]  # fmt: skip
    edges = {r["Id"]: r["Values"][0] for r in band if r["Id"].startswith("ad1")}
    expected = daily(hour)
    assert edges["ad1_1"] < expected < edges["ad1_2"]
    assert edges["ad1_2"] - edges["ad1_1"] < 20  # the hour's own history, not the whole day's spread

    cloudwatch.put_metric_alarm(
        AlarmName="visitors-odd", Metrics=queries, ThresholdMetricId="ad1", EvaluationPeriods=1,
        ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold",
    )  # fmt: skip
    cloudwatch.put_metric_data(Namespace="Web", MetricData=[{"MetricName": "Visitors", "Value": expected * 5}])
    advance(3600)
    alarm = cloudwatch.describe_alarms(AlarmNames=["visitors-odd"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM", alarm["StateReason"]
    assert "was outside the band (" in alarm["StateReason"]
    assert alarm["ThresholdMetricId"] == "ad1"

    with pytest.raises(ClientError) as caught:
        cloudwatch.put_metric_alarm(
            AlarmName="no-band", Metrics=queries[:1], ThresholdMetricId="ad1", EvaluationPeriods=1,
            ComparisonOperator="GreaterThanUpperThreshold",
        )  # fmt: skip
    assert error_of(caught)[:2] == ("InvalidParameterCombination", 400)
    cloudwatch.delete_anomaly_detector(SingleMetricAnomalyDetector={**METRIC, "Stat": "Average"})
    assert cloudwatch.describe_anomaly_detectors()["AnomalyDetectors"] == []
    with pytest.raises(ClientError) as caught:
        cloudwatch.delete_anomaly_detector(SingleMetricAnomalyDetector={**METRIC, "Stat": "Average"})
    assert error_of(caught)[:2] == ("ResourceNotFoundException", 404)


def weekly(at: dt.datetime) -> float:
    """Busy on weekdays (100), quiet at the weekend (20), whatever the hour, a little noise."""
    return (20.0 if at.weekday() >= 5 else 100.0) + (at.hour % 3)


def test_a_band_learned_over_two_weeks_follows_the_weekly_pattern(
    cloudwatch: Any, now: Callable[[], dt.datetime], to_boundary: Callable[[int], None],
    advance: Callable[[float], None],
) -> None:  # fmt: skip
    to_boundary(3600)
    hour = now().replace(minute=0, second=0, microsecond=0)
    fortnight = [hour - dt.timedelta(hours=h) for h in range(1, 14 * 24)]  # as far back as PutMetricData takes
    cloudwatch.put_metric_data(Namespace="Web", MetricData=[
        {"MetricName": "Visitors", "Value": weekly(at), "Timestamp": at} for at in fortnight
    ])  # fmt: skip
    cloudwatch.put_anomaly_detector(SingleMetricAnomalyDetector={**METRIC, "Stat": "Average"})
    advance(3600)  # the next hour: the same hour of its weekday one and two weeks ago is in the history
    queries = [
        {"Id": "m1", "MetricStat": {"Metric": METRIC, "Period": 3600, "Stat": "Average"}, "ReturnData": True},
        {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "Label": "band"},
    ]
    start = hour + dt.timedelta(hours=1)
    band = cloudwatch.get_metric_data(
        MetricDataQueries=queries, StartTime=start, EndTime=start + dt.timedelta(hours=1)
    )["MetricDataResults"]  # fmt: skip
    edges = {r["Id"]: r["Values"][0] for r in band if r["Id"].startswith("ad1")}
    expected = weekly(start)
    other = 100.0 if expected < 50 else 20.0  # the other part of the week, which the band must not take in
    assert edges["ad1_1"] < expected < edges["ad1_2"]
    assert not edges["ad1_1"] < other < edges["ad1_2"]
