"""Metrics through boto3: PutMetricData (values, StatisticValues, Values/Counts, dimensions,
units, resolution, the timestamp window), GetMetricStatistics with percentiles, ListMetrics'
filters, retention by age on the sandbox clock, and the errors AWS gives for each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of
from tests.services.cloudwatch.conftest import unchecked

pytestmark = pytest.mark.live

Clock = Callable[[], dt.datetime]


def minute(at: dt.datetime) -> dt.datetime:
    return at.replace(second=0, microsecond=0)


def test_values_statistic_values_and_counts_add_up_per_period(cloudwatch: Any, now: Clock) -> None:
    at = minute(now()) - dt.timedelta(minutes=5)
    cloudwatch.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Latency", "Value": 10, "Unit": "Milliseconds", "Timestamp": at},
        {"MetricName": "Latency", "Values": [20, 30], "Counts": [2, 1], "Unit": "Milliseconds", "Timestamp": at},
        {"MetricName": "Latency", "StatisticValues": {"SampleCount": 2, "Sum": 100, "Minimum": 40, "Maximum": 60},
         "Unit": "Milliseconds", "Timestamp": at},
    ])  # fmt: skip
    points = cloudwatch.get_metric_statistics(
        Namespace="Shop", MetricName="Latency", StartTime=at, EndTime=at + dt.timedelta(minutes=1), Period=60,
        Statistics=["SampleCount", "Sum", "Average", "Minimum", "Maximum"],
    )["Datapoints"]  # fmt: skip
    assert len(points) == 1
    point = points[0]
    assert (point["SampleCount"], point["Sum"], point["Minimum"], point["Maximum"]) == (6.0, 180.0, 10.0, 60.0)
    assert point["Average"] == 30.0
    assert point["Unit"] == "Milliseconds"
    assert point["Timestamp"] == at


def test_extended_statistics_are_percentiles_of_the_values(cloudwatch: Any, now: Clock) -> None:
    at = minute(now()) - dt.timedelta(minutes=2)
    cloudwatch.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Time", "Values": [float(v) for v in range(1, 101)], "Timestamp": at},
    ])  # fmt: skip
    point = cloudwatch.get_metric_statistics(
        Namespace="Shop", MetricName="Time", StartTime=at, EndTime=at + dt.timedelta(minutes=1), Period=60,
        ExtendedStatistics=["p50", "p90", "p99"],
    )["Datapoints"][0]  # fmt: skip
    assert point["ExtendedStatistics"] == {"p50": 50.0, "p90": 90.0, "p99": 99.0}


def test_dimensions_make_separate_metrics_and_list_metrics_filters(cloudwatch: Any, now: Clock) -> None:
    cloudwatch.put_metric_data(Namespace="App", MetricData=[
        {"MetricName": "Errors", "Value": 1, "Dimensions": [{"Name": "Host", "Value": "a"}]},
        {"MetricName": "Errors", "Value": 2, "Dimensions": [{"Name": "Host", "Value": "b"}]},
        {"MetricName": "Calls", "Value": 3},
    ])  # fmt: skip
    cloudwatch.put_metric_data(Namespace="Other", MetricData=[{"MetricName": "Errors", "Value": 1}])
    listed = cloudwatch.list_metrics(Namespace="App")["Metrics"]
    assert sorted((m["MetricName"], tuple(d["Value"] for d in m["Dimensions"])) for m in listed) == [
        ("Calls", ()), ("Errors", ("a",)), ("Errors", ("b",)),
    ]  # fmt: skip
    by_name = cloudwatch.list_metrics(MetricName="Errors")["Metrics"]
    assert sorted(m["Namespace"] for m in by_name) == ["App", "App", "Other"]
    by_value = cloudwatch.list_metrics(Dimensions=[{"Name": "Host", "Value": "b"}])["Metrics"]
    assert [m["Dimensions"] for m in by_value] == [[{"Name": "Host", "Value": "b"}]]
    any_host = cloudwatch.list_metrics(Namespace="App", Dimensions=[{"Name": "Host"}])["Metrics"]
    assert len(any_host) == 2


def test_high_resolution_data_is_served_by_the_second_for_three_hours(
    cloudwatch: Any, now: Clock, advance: Callable[[float], None]
) -> None:
    start = minute(now()) - dt.timedelta(minutes=1)
    cloudwatch.put_metric_data(Namespace="Hi", MetricData=[
        {"MetricName": "Rps", "Value": v, "StorageResolution": 1, "Timestamp": start + dt.timedelta(seconds=s)}
        for s, v in ((0, 1.0), (5, 2.0), (40, 3.0))
    ])  # fmt: skip

    def by(period: int) -> list[float]:
        points = cloudwatch.get_metric_statistics(
            Namespace="Hi", MetricName="Rps", StartTime=start, EndTime=start + dt.timedelta(minutes=1),
            Period=period, Statistics=["Sum"],
        )["Datapoints"]  # fmt: skip
        return [p["Sum"] for p in sorted(points, key=lambda p: p["Timestamp"])]

    assert by(10) == [3.0, 3.0]
    assert by(60) == [6.0]
    advance(3 * 3600)
    assert by(10) == []  # older than 3 hours: only at 60 s and coarser
    assert by(60) == [6.0]
    advance(15 * 86400)
    assert by(60) == []
    assert by(300) == [6.0]


def test_timestamps_outside_the_window_are_refused(cloudwatch: Any, now: Clock) -> None:
    with pytest.raises(ClientError) as caught:
        cloudwatch.put_metric_data(Namespace="App", MetricData=[
            {"MetricName": "X", "Value": 1, "Timestamp": now() - dt.timedelta(days=15)}])  # fmt: skip
    assert error_of(caught) == (
        "InvalidParameterValue", 400,
        "The parameter MetricData.member.1.Timestamp must specify a time no more than two weeks in the past.",
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        cloudwatch.put_metric_data(Namespace="App", MetricData=[
            {"MetricName": "X", "Value": 1, "Timestamp": now() + dt.timedelta(hours=3)}])  # fmt: skip
    assert error_of(caught)[0] == "InvalidParameterValue"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2.0**400])
def test_nan_infinity_and_huge_values_are_refused(aws: Callable[..., Any], value: float) -> None:
    client = unchecked(aws)
    with pytest.raises(ClientError) as caught:
        client.put_metric_data(Namespace="App", MetricData=[{"MetricName": "X", "Value": value}])
    code, status, message = error_of(caught)
    assert (code, status) == ("InvalidParameterValue", 400)
    assert message.endswith("for parameter MetricData.member.1.Value is invalid.")


def test_limits_and_combinations(cloudwatch: Any, aws: Callable[..., Any]) -> None:
    client = unchecked(aws)
    with pytest.raises(ClientError) as caught:
        client.put_metric_data(Namespace="App", MetricData=[{"MetricName": f"m{i}", "Value": 1} for i in range(1001)])
    assert error_of(caught) == (
        "InvalidParameterValue",
        400,
        "The collection MetricData must not have a size greater than 1000.",
    )
    with pytest.raises(ClientError) as caught:
        client.put_metric_data(Namespace="App", MetricData=[{"MetricName": "m", "Values": [1.0] * 151}])
    assert error_of(caught) == (
        "InvalidParameterValue",
        400,
        "The collection MetricData.member.1.Values must not have a size greater than 150.",
    )
    dimensions = [{"Name": f"d{i}", "Value": "v"} for i in range(31)]
    with pytest.raises(ClientError) as caught:
        client.put_metric_data(Namespace="App", MetricData=[{"MetricName": "m", "Value": 1, "Dimensions": dimensions}])
    assert error_of(caught)[:2] == ("InvalidParameterValue", 400)  # the model's max of 30, checked first
    with pytest.raises(ClientError) as caught:
        cloudwatch.put_metric_data(Namespace="App", MetricData=[{"MetricName": "m", "Value": 1, "Values": [2.0]}])
    assert error_of(caught) == (
        "InvalidParameterCombination", 400,
        "The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you "
        "have specified both.",
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        cloudwatch.put_metric_data(Namespace="App", MetricData=[{"MetricName": "m", "Values": [1.0, 2.0],
                                                                 "Counts": [1.0]}])  # fmt: skip
    assert error_of(caught) == (
        "InvalidParameterValue", 400,
        "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size.",
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        cloudwatch.put_metric_data(Namespace="AWS/SQS", MetricData=[{"MetricName": "m", "Value": 1}])
    assert error_of(caught)[:2] == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as caught:
        cloudwatch.put_metric_data(Namespace="App", MetricData=[{"MetricName": "m", "Value": 1,
                                                                 "StorageResolution": 30}])  # fmt: skip
    assert error_of(caught) == (
        "InvalidParameterValue", 400,
        "The value 30 for parameter MetricData.member.1.StorageResolution is invalid. Valid values are 1 and 60.",
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        client.put_metric_data(Namespace="App")
    assert error_of(caught) == ("MissingParameter", 400, "The parameter MetricData is required.")


def test_get_metric_statistics_errors(cloudwatch: Any, now: Clock) -> None:
    end = now()
    base = {"Namespace": "App", "MetricName": "m", "EndTime": end}
    with pytest.raises(ClientError) as caught:
        cloudwatch.get_metric_statistics(StartTime=end - dt.timedelta(days=2), Period=60, Statistics=["Sum"], **base)
    assert error_of(caught) == (
        "InvalidParameterCombination", 400,
        "You have requested up to 2,880 datapoints, which exceeds the limit of 1,440. You may reduce the "
        "datapoints requested by increasing Period, or decreasing the time range.",
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        cloudwatch.get_metric_statistics(StartTime=end - dt.timedelta(hours=1), Period=45, Statistics=["Sum"], **base)
    assert error_of(caught) == (
        "InvalidParameterValue",
        400,
        "The parameter Period must be 1, 5, 10, 20, 30, 60, or any multiple of 60.",
    )
    with pytest.raises(ClientError) as caught:
        cloudwatch.get_metric_statistics(StartTime=end, Period=60, Statistics=["Sum"], **base)
    assert error_of(caught) == (
        "InvalidParameterValue",
        400,
        "The parameter StartTime must be less than the parameter EndTime.",
    )
    with pytest.raises(ClientError) as caught:
        cloudwatch.get_metric_statistics(StartTime=end - dt.timedelta(hours=1), Period=60,
                                         ExtendedStatistics=["p101"], **base)  # fmt: skip
    assert error_of(caught) == (
        "InvalidParameterValue",
        400,
        "The value p101 for parameter ExtendedStatistics.member.1 is invalid.",
    )
    with pytest.raises(ClientError) as caught:
        cloudwatch.get_metric_statistics(StartTime=end - dt.timedelta(hours=1), Period=60, Statistics=["Sum"],
                                         ExtendedStatistics=["p90"], **base)  # fmt: skip
    assert error_of(caught)[:2] == ("InvalidParameterCombination", 400)
