"""VPC Flow Logs to S3: a security group that accepts 443 and rejects 22, simulated traffic from
the internet (through EC2's public door, as the GUI and REST API will send it), and the records in
the bucket after the aggregation interval on the sandbox clock: AWS's key layout, gzip, the default
v2 format. Delivery needs the bucket policy to allow delivery.logs.amazonaws.com."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, error_of
from tests.services.ec2.conftest import AMI

pytestmark = pytest.mark.live


@pytest.fixture
def sandbox(owned: SandboxInfo) -> SandboxInfo:
    return owned  # the REST API (the diagram) is its owner's


def _bucket(s3: Any, name: str, *, allow_delivery: bool) -> None:
    s3.create_bucket(Bucket=name)
    if allow_delivery:
        statement = {
            "Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{name}/*",
        }  # fmt: skip
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))


def _send(sandbox: SandboxInfo, target: str, port: int) -> str:
    from django.db import transaction

    from playground.sandboxes.models import Clock, Sandbox
    from services.ec2 import public

    row = Sandbox.objects.get(pk=sandbox.id)
    with transaction.atomic():
        return public.traffic_send(
            sandbox=row, region="us-east-1", target=target, port=port, source_ip="203.0.113.9",
            now=Clock.current(row.pk).now(),
        )  # fmt: skip


def test_flow_logs_record_accepts_and_rejects_in_s3(
    ec2: Any, aws: Callable[..., Any], rest: Callable[..., requests.Response], sandbox: SandboxInfo, paused: None,
    advance: Callable[[float], None],
) -> None:  # fmt: skip
    s3 = aws("s3")
    _bucket(s3, "flow-logs", allow_delivery=True)
    _bucket(s3, "locked", allow_delivery=False)
    group = ec2.create_security_group(GroupName="web", Description="https only")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=443, ToPort=443, CidrIp="0.0.0.0/0")
    instance = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SecurityGroupIds=[group])["Instances"][0]
    advance(15)
    subnet, eni = instance["SubnetId"], instance["NetworkInterfaces"][0]["NetworkInterfaceId"]

    created = ec2.create_flow_logs(
        ResourceIds=[subnet], ResourceType="Subnet", TrafficType="ALL", LogDestinationType="s3",
        LogDestination="arn:aws:s3:::flow-logs/vpc", MaxAggregationInterval=60,
    )  # fmt: skip
    assert created["Unsuccessful"] == []
    [flow_log_id] = created["FlowLogIds"]
    locked = ec2.create_flow_logs(
        ResourceIds=[eni], ResourceType="NetworkInterface", TrafficType="REJECT", LogDestinationType="s3",
        LogDestination="arn:aws:s3:::locked", MaxAggregationInterval=60,
    )["FlowLogIds"][0]  # fmt: skip
    again = ec2.create_flow_logs(
        ResourceIds=[subnet], ResourceType="Subnet", TrafficType="ALL", LogDestinationType="s3",
        LogDestination="arn:aws:s3:::flow-logs/vpc", MaxAggregationInterval=60,
    )  # fmt: skip
    # On the diagram: EC2's own "flow-log" edge from what each watches to its bucket.
    graph = rest("GET", f"/api/sandboxes/{sandbox.id}/graph/").json()
    drawn = sorted((e["source"].split(":")[-1], e["target"]) for e in graph["edges"] if e["type"] == "flow-log")
    assert drawn == [
        (f"instance/{instance['InstanceId']}", "arn:aws:s3:::locked"),
        (f"subnet/{subnet}", "arn:aws:s3:::flow-logs"),
    ]
    assert again["Unsuccessful"][0]["Error"] == {
        "Code": "FlowLogAlreadyExists",
        "Message": "There is an existing Flow Log with the same configuration and log destination.",
    }
    nowhere = ec2.create_flow_logs(
        ResourceIds=[subnet], ResourceType="Subnet", TrafficType="ALL", LogDestinationType="s3",
        LogDestination="arn:aws:s3:::no-such-bucket",
    )  # fmt: skip
    assert nowhere["Unsuccessful"][0]["Error"] == {
        "Code": "400",
        "Message": "LogDestination: no-such-bucket does not exist.",
    }
    with pytest.raises(ClientError) as caught:
        ec2.create_flow_logs(
            ResourceIds=[subnet], ResourceType="Subnet", TrafficType="ALL", LogDestinationType="s3",
            LogDestination="arn:aws:s3:::flow-logs", MaxAggregationInterval=300,
        )  # fmt: skip
    assert error_of(caught) == (
        "InvalidParameterValue", 400, "Invalid value for MaxAggregationInterval. Valid values are 60 and 600."
    )  # fmt: skip

    assert _send(sandbox, instance["InstanceId"], 443) == "ACCEPT"
    assert _send(sandbox, instance["InstanceId"], 22) == "REJECT"
    advance(60)

    prefix = f"vpc/AWSLogs/{sandbox.account_id}/vpcflowlogs/us-east-1/"
    [key] = [item["Key"] for item in s3.list_objects_v2(Bucket="flow-logs", Prefix=prefix)["Contents"]]
    assert key.split("/")[-1].startswith(f"{sandbox.account_id}_vpcflowlogs_us-east-1_{flow_log_id}_")
    assert key.endswith(".log.gz")
    lines = gzip.decompress(s3.get_object(Bucket="flow-logs", Key=key)["Body"].read()).decode().splitlines()
    assert lines[0] == (
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
        "log-status"
    )
    records = [line.split(" ") for line in lines[1:]]
    # The request and its reply (security groups are stateful: the answer goes out unasked), then
    # the refused request, which has no reply.
    assert [(r[2], r[3], r[4], r[6], r[7], r[12], r[13]) for r in records] == [
        (eni, "203.0.113.9", instance["PrivateIpAddress"], "443", "6", "ACCEPT", "OK"),
        (eni, instance["PrivateIpAddress"], "203.0.113.9", records[0][5], "6", "ACCEPT", "OK"),
        (eni, "203.0.113.9", instance["PrivateIpAddress"], "22", "6", "REJECT", "OK"),
    ]
    assert records[1][5] == "443"
    described = {log["FlowLogId"]: log for log in ec2.describe_flow_logs()["FlowLogs"]}
    assert described[flow_log_id]["DeliverLogsStatus"] == "SUCCESS"
    assert described[flow_log_id]["MaxAggregationInterval"] == 60
    assert (described[locked]["DeliverLogsStatus"], described[locked]["DeliverLogsErrorMessage"]) == (
        "FAILED", "Access error"
    )  # fmt: skip
    assert "Contents" not in s3.list_objects_v2(Bucket="locked")

    assert ec2.delete_flow_logs(FlowLogIds=[flow_log_id, locked])["Unsuccessful"] == []
    gone = ec2.delete_flow_logs(FlowLogIds=[flow_log_id])["Unsuccessful"][0]
    assert gone["Error"] == {
        "Code": "InvalidFlowLogId.NotFound",
        "Message": f"Flow log ID '{flow_log_id}' does not exist",
    }
