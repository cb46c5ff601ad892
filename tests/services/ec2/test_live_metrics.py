"""AWS/EC2 metrics from simulated instances, read back with CloudWatch's GetMetricStatistics:
CPUUtilization from the load a launch script asks for (`stress-ng --cpu-load 90` in user data) or
that the REST API sets, NetworkIn/Out from simulated traffic, StatusCheckFailed 0; every five
minutes of sandbox time, every minute after MonitorInstances; nothing while stopped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.conftest import SandboxInfo
from tests.services.ec2.conftest import AMI

pytestmark = pytest.mark.live

STRESS = "#!/bin/bash\ndnf install -y stress-ng\nstress-ng --cpu 1 --cpu-load 90 --timeout 3600 &\n"


@pytest.fixture
def sandbox(owned: SandboxInfo) -> SandboxInfo:
    return owned


def _points(cloudwatch: Any, instance_id: str, name: str, *, period: int = 60) -> list[tuple[dt.datetime, float]]:
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)  # buckets from StartTime
    found = cloudwatch.get_metric_statistics(
        Namespace="AWS/EC2", MetricName=name, Dimensions=[{"Name": "InstanceId", "Value": instance_id}],
        StartTime=now - dt.timedelta(hours=3), EndTime=now + dt.timedelta(hours=3), Period=period,
        Statistics=["Average"],
    )["Datapoints"]  # fmt: skip
    return sorted((point["Timestamp"], point["Average"]) for point in found)


def test_cpu_and_network_metrics_follow_load_traffic_and_monitoring(
    ec2: Any, aws: Callable[..., Any], rest: Callable[..., requests.Response], paused: None,
    advance: Callable[[float], None],
) -> None:  # fmt: skip
    cloudwatch = aws("cloudwatch")
    busy = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, UserData=STRESS)["Instances"][0]["InstanceId"]
    quiet = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    advance(15)
    sent = rest("POST", "traffic/", {"target": quiet, "port": 443, "source": busy, "protocol": "tcp"})
    assert sent.json()["action"] == "ACCEPT"  # the default group: members reach each other
    advance(600)

    cpu = _points(cloudwatch, busy, "CPUUtilization")
    assert cpu
    assert {value for _, value in cpu} == {90.0}
    assert all(stamp.minute % 5 == 0 and stamp.second == 0 for stamp, _ in cpu)  # five-minute periods
    assert {value for _, value in _points(cloudwatch, quiet, "CPUUtilization")} == {1.0}  # idle
    assert sum(value for _, value in _points(cloudwatch, quiet, "NetworkIn")) == 840
    assert sum(value for _, value in _points(cloudwatch, busy, "NetworkOut")) == 840
    assert sum(value for _, value in _points(cloudwatch, quiet, "NetworkPacketsIn")) == 10
    assert {value for _, value in _points(cloudwatch, busy, "StatusCheckFailed")} == {0.0}
    listed = cloudwatch.list_metrics(Namespace="AWS/EC2", Dimensions=[{"Name": "InstanceId", "Value": busy}])
    assert {"CPUUtilization", "NetworkIn", "NetworkOut", "NetworkPacketsIn", "NetworkPacketsOut",
            "StatusCheckFailed"} <= {metric["MetricName"] for metric in listed["Metrics"]}  # fmt: skip

    # The REST API sets a load; detailed monitoring publishes every minute.
    assert rest("POST", "load/", {"instance": quiet, "profile": "steady", "percent": 55}).json() == {
        "instance": quiet,
        "profile": "steady",
        "percent": 55.0,
    }
    monitored = ec2.monitor_instances(InstanceIds=[quiet])["InstanceMonitorings"]
    assert monitored == [{"InstanceId": quiet, "Monitoring": {"State": "pending"}}]
    before = len(_points(cloudwatch, quiet, "CPUUtilization"))
    advance(300)
    after = _points(cloudwatch, quiet, "CPUUtilization")
    assert len(after) - before >= 4
    assert after[-1][1] == 55.0
    described = ec2.describe_instances(InstanceIds=[quiet])["Reservations"][0]["Instances"][0]
    assert described["Monitoring"] == {"State": "enabled"}
    ec2.unmonitor_instances(InstanceIds=[quiet])

    # A stopped instance publishes nothing.
    ec2.stop_instances(InstanceIds=[busy])
    advance(15)
    stopped_at = len(_points(cloudwatch, busy, "CPUUtilization"))
    advance(900)
    assert len(_points(cloudwatch, busy, "CPUUtilization")) <= stopped_at + 1
