"""What keeps going on the sandbox clock once set through the REST API: a CPU load schedule (daily
steps of time and percent) that AWS/EC2 CPUUtilization follows in CloudWatch, and a traffic
profile (a standing flow, sent every minute and judged like a one-off send) whose flow log records
reach CloudWatch Logs until it is cleared."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.conftest import SandboxInfo
from tests.services.ec2.conftest import AMI

pytestmark = pytest.mark.live

ROLE = "arn:aws:iam::123456789012:role/flow-logs"


@pytest.fixture
def sandbox(owned: SandboxInfo) -> SandboxInfo:
    return owned


def _now(sandbox: SandboxInfo) -> dt.datetime:
    from playground.sandboxes.models import Clock

    return Clock.current(sandbox.id).now()


def _cpu(cloudwatch: Any, instance_id: str, now: dt.datetime) -> list[tuple[dt.datetime, float]]:
    now = now.replace(second=0, microsecond=0)  # GetMetricStatistics buckets from StartTime
    found = cloudwatch.get_metric_statistics(
        Namespace="AWS/EC2", MetricName="CPUUtilization", Dimensions=[{"Name": "InstanceId", "Value": instance_id}],
        StartTime=now - dt.timedelta(hours=3), EndTime=now + dt.timedelta(hours=3), Period=60,
        Statistics=["Average"],
    )["Datapoints"]  # fmt: skip
    return sorted((point["Timestamp"], point["Average"]) for point in found)


def test_cpu_utilization_follows_a_load_schedule_set_through_rest(
    ec2: Any, aws: Callable[..., Any], rest: Callable[..., requests.Response], sandbox: SandboxInfo, paused: None,
    advance: Callable[[float], None], db_access: None,
) -> None:  # fmt: skip
    cloudwatch = aws("cloudwatch")
    [web] = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, Monitoring={"Enabled": True})["Instances"]
    advance(15)
    now = _now(sandbox)
    minute = now.replace(second=0, microsecond=0)
    busy_from, busy_until = minute + dt.timedelta(minutes=3), minute + dt.timedelta(minutes=9)
    # One step at a time of day (UTC), one in minutes from now.
    steps = [{"at": "+9", "percent": 10}, {"at": busy_from.strftime("%H:%M"), "percent": 80}]
    answer = rest("POST", "load/", {"instance": web["InstanceId"], "profile": "schedule", "schedule": steps})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["instance"], body["profile"], body["percent"]) == (web["InstanceId"], "schedule", 0.0)
    # The steps come back as times of day, sorted (past midnight, the "+9" one sorts first).
    assert sorted(body["schedule"], key=lambda step: step["at"]) == body["schedule"]
    assert {(step["at"], step["percent"]) for step in body["schedule"]} == {
        (busy_from.strftime("%H:%M"), 80.0), (busy_until.strftime("%H:%M"), 10.0)
    }  # fmt: skip

    for _ in range(14):
        advance(60)
    points = [(stamp, value) for stamp, value in _cpu(cloudwatch, web["InstanceId"], now) if stamp >= minute]
    assert len(points) >= 12
    for stamp, value in points:
        # Before the day's first step, the last step holds (the schedule repeats daily).
        assert value == (80.0 if busy_from <= stamp < busy_until else 10.0), (stamp, value)
    assert {value for _, value in points} == {10.0, 80.0}

    # Bad steps: EC2's error, and the schedule stays as it was.
    for bad in ([{"at": "25:00", "percent": 50}], [{"at": "10:00", "percent": 150}], [], "noon"):
        refused = rest("POST", "load/", {"instance": web["InstanceId"], "profile": "schedule", "schedule": bad})
        assert (refused.status_code, refused.json()["code"]) == (400, "InvalidParameterValue"), bad
    before = len(points)
    advance(120)
    later = [(s, v) for s, v in _cpu(cloudwatch, web["InstanceId"], now) if s >= minute][before:]
    assert later
    assert all(value == (80.0 if busy_from <= stamp < busy_until else 10.0) for stamp, value in later)


def test_a_schedule_in_user_data_sets_the_load_at_launch(
    ec2: Any, aws: Callable[..., Any], sandbox: SandboxInfo, paused: None, advance: Callable[[float], None],
    db_access: None,
) -> None:  # fmt: skip
    script = "#!/bin/bash\n# playground: cpu=schedule 00:00=42\n"
    [web] = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, Monitoring={"Enabled": True}, UserData=script)[
        "Instances"
    ]  # boto3 base64-encodes user data
    advance(15)
    now = _now(sandbox)
    advance(180)
    assert {value for _, value in _cpu(aws("cloudwatch"), web["InstanceId"], now)} == {42.0}


def _records(logs: Any, stream: str) -> list[list[str]]:
    events = logs.get_log_events(logGroupName="vpc-flow-logs", logStreamName=stream, startFromHead=True)["events"]
    return [event["message"].split(" ") for event in events]


def test_a_traffic_profile_keeps_sending_into_the_flow_logs_until_cleared(
    ec2: Any, aws: Callable[..., Any], rest: Callable[..., requests.Response], sandbox: SandboxInfo, paused: None,
    advance: Callable[[float], None], db_access: None,
) -> None:  # fmt: skip
    logs = aws("logs")
    group = ec2.create_security_group(GroupName="web", Description="https only")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=443, ToPort=443, CidrIp="0.0.0.0/0")
    [web, app] = ec2.run_instances(ImageId=AMI, MinCount=2, MaxCount=2, SecurityGroupIds=[group])["Instances"]
    advance(15)
    ec2.create_flow_logs(
        ResourceIds=[web["VpcId"]], ResourceType="VPC", TrafficType="ALL", LogDestinationType="cloud-watch-logs",
        LogGroupName="vpc-flow-logs", DeliverLogsPermissionArn=ROLE, MaxAggregationInterval=60,
    )  # fmt: skip
    web_eni = web["NetworkInterfaces"][0]["NetworkInterfaceId"]
    app_eni = app["NetworkInterfaces"][0]["NetworkInterfaceId"]

    https = {"instance": web["InstanceId"], "source_ip": "203.0.113.9", "port": 443, "packets_per_minute": 30}
    set_web = rest("POST", "traffic-profile/", https)
    assert set_web.status_code == 200, set_web.text
    assert set_web.json()["profile"] == {
        "instance": web["InstanceId"], "target": web["InstanceId"], "source": None, "source_ip": "203.0.113.9",
        "protocol": "tcp", "port": 443, "packets_per_minute": 30,
    }  # fmt: skip
    ssh = {"instance": app["InstanceId"], "source_ip": "203.0.113.9", "port": 22, "packets_per_minute": 5}
    assert rest("POST", "traffic-profile/", ssh).status_code == 200
    got = rest("GET", f"traffic-profile/?instance={web['InstanceId']}").json()
    assert got["profile"]["port"] == 443

    for _ in range(3):
        advance(60)
    web_requests = [r for r in _records(logs, web_eni) if r[3] == "203.0.113.9"]
    assert len(web_requests) >= 2
    assert {(r[6], r[8], r[12]) for r in web_requests} == {("443", "30", "ACCEPT")}
    app_requests = [r for r in _records(logs, app_eni) if r[3] == "203.0.113.9"]
    assert len(app_requests) >= 2
    assert {(r[6], r[8], r[12]) for r in app_requests} == {("22", "5", "REJECT")}

    # Cleared, the HTTPS flow stops: after the window in flight, only NODATA for it; SSH goes on.
    cleared = rest("DELETE", f"traffic-profile/?instance={web['InstanceId']}")
    assert (cleared.status_code, cleared.json()) == (200, {"profile": None})
    assert rest("GET", f"traffic-profile/?instance={web['InstanceId']}").json() == {"profile": None}
    advance(60)
    seen_web, seen_app = len(_records(logs, web_eni)), len(_records(logs, app_eni))
    for _ in range(2):
        advance(60)
    assert {r[13] for r in _records(logs, web_eni)[seen_web:]} == {"NODATA"}
    assert {r[12] for r in _records(logs, app_eni)[seen_app:]} == {"REJECT"}

    # NetworkIn counts the accepted packets, a whole number of minutes' worth.
    advance(300)
    cloudwatch = aws("cloudwatch")
    stamp = _now(sandbox)
    found = cloudwatch.get_metric_statistics(
        Namespace="AWS/EC2", MetricName="NetworkPacketsIn",
        Dimensions=[{"Name": "InstanceId", "Value": web["InstanceId"]}], StartTime=stamp - dt.timedelta(hours=1),
        EndTime=stamp + dt.timedelta(hours=1), Period=300, Statistics=["Sum"],
    )["Datapoints"]  # fmt: skip
    received = sum(point["Sum"] for point in found)
    assert received > 0
    assert received % 30 == 0


def test_traffic_profile_refuses_bad_input_with_ec2_errors(
    ec2: Any, rest: Callable[..., requests.Response], paused: None, advance: Callable[[float], None],
) -> None:  # fmt: skip
    [web, app, other] = ec2.run_instances(ImageId=AMI, MinCount=3, MaxCount=3)["Instances"]
    advance(15)
    base = {"instance": web["InstanceId"], "source_ip": "203.0.113.9", "port": 443, "packets_per_minute": 10}
    cases = [
        ({**base, "packets_per_minute": 0}, "InvalidParameterValue"),
        ({**base, "protocol": "sctp"}, "InvalidParameterValue"),
        ({**base, "source_ip": "not-an-address"}, "InvalidParameterValue"),
        ({**base, "source": app["InstanceId"]}, "InvalidParameterCombination"),
        ({**base, "source_ip": None, "source": app["InstanceId"], "target": other["InstanceId"]},
         "InvalidParameterCombination"),
        ({**base, "instance": "i-0123456789abcdef0"}, "InvalidInstanceID.NotFound"),
    ]  # fmt: skip
    for body, code in cases:
        refused = rest("POST", "traffic-profile/", body)
        assert (refused.status_code, refused.json()["code"]) == (400, code), body
    assert rest("GET", f"traffic-profile/?instance={web['InstanceId']}").json() == {"profile": None}
    assert rest("POST", "traffic-profile/", {"port": 443}).status_code == 400
    # An instance may be the flow's source: web sends to app.
    outbound = {"instance": web["InstanceId"], "source": web["InstanceId"], "target": app["InstanceId"], "port": 80}
    assert rest("POST", "traffic-profile/", outbound).json()["profile"]["target"] == app["InstanceId"]
