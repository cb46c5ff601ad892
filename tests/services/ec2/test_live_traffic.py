"""Simulated traffic sent through the REST API (POST /ec2/sandboxes/<id>/traffic/, as a script or
the inspector sends it), judged by security groups and network ACLs, and the VPC Flow Log records
it leaves in CloudWatch Logs: a stream per network interface named by its ID, one event per record
in the default format, after the aggregation interval on the sandbox clock. Network ACLs are
stateless: a request they let in whose reply they refuse shows as an ACCEPT record and then a
REJECT record (AWS's documented example), and the flow fails. An interval without traffic writes a
NODATA record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, error_of
from tests.services.ec2.conftest import AMI

pytestmark = pytest.mark.live

ROLE = "arn:aws:iam::123456789012:role/flow-logs"


@pytest.fixture
def sandbox(owned: SandboxInfo) -> SandboxInfo:
    return owned


def _send(rest: Callable[..., requests.Response], target: str, port: int, **more: Any) -> str:
    response = rest("POST", "traffic/", {"target": target, "port": port, **more})
    assert response.status_code == 200, response.text
    return str(response.json()["action"])


def _records(logs: Any, group: str, stream: str) -> list[list[str]]:
    events = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
    return [event["message"].split(" ") for event in events]


def test_traffic_judged_by_groups_and_stateless_acls_lands_in_cloudwatch_logs(
    ec2: Any, aws: Callable[..., Any], rest: Callable[..., requests.Response], sandbox: SandboxInfo, paused: None,
    advance: Callable[[float], None],
) -> None:  # fmt: skip
    logs = aws("logs")
    group = ec2.create_security_group(GroupName="web", Description="https only")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=443, ToPort=443, CidrIp="0.0.0.0/0")
    [web, app] = ec2.run_instances(ImageId=AMI, MinCount=2, MaxCount=2, SecurityGroupIds=[group])["Instances"]
    advance(15)
    vpc, subnet = web["VpcId"], web["SubnetId"]
    eni = web["NetworkInterfaces"][0]["NetworkInterfaceId"]

    with pytest.raises(ClientError) as caught:
        ec2.create_flow_logs(
            ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="cloud-watch-logs",
            LogGroupName="vpc-flow-logs",
        )  # fmt: skip
    assert error_of(caught) == (
        "InvalidParameter", 400, "DeliverLogsPermissionArn is required for cloud-watch-logs delivery"
    )  # fmt: skip
    created = ec2.create_flow_logs(
        ResourceIds=[subnet], ResourceType="Subnet", TrafficType="ALL", LogDestinationType="cloud-watch-logs",
        LogGroupName="vpc-flow-logs", DeliverLogsPermissionArn=ROLE, MaxAggregationInterval=60,
    )  # fmt: skip
    assert created["Unsuccessful"] == []
    [described] = ec2.describe_flow_logs(FlowLogIds=created["FlowLogIds"])["FlowLogs"]
    assert (described["LogDestinationType"], described["LogGroupName"], described["DeliverLogsPermissionArn"]) == (
        "cloud-watch-logs", "vpc-flow-logs", ROLE
    )  # fmt: skip

    def drawn() -> list[tuple[str, str, str]]:
        graph = rest("GET", f"/api/sandboxes/{sandbox.id}/graph/").json()
        kinds = ("flow-log", "log-writer")
        return [(e["source"].split(":")[-1], e["target"], e["type"]) for e in graph["edges"] if e["type"] in kinds]

    assert drawn() == []  # nothing delivered yet: the group is made by the first delivery
    # The default network ACL allows everything: the security group decides.
    assert _send(rest, web["InstanceId"], 443, source_ip="203.0.113.9") == "ACCEPT"
    assert _send(rest, web["InstanceId"], 22, source_ip="203.0.113.9") == "REJECT"

    # A network ACL of the subnet's own: HTTPS in, but out only to port 443, not to the clients'
    # ephemeral ports; and 198.51.100.0/24 denied in before anything else.
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=50, Protocol="-1", RuleAction="deny", Egress=False,
                                 CidrBlock="198.51.100.0/24")  # fmt: skip
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
                                 CidrBlock="0.0.0.0/0", PortRange={"From": 443, "To": 443})  # fmt: skip
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=True,
                                 CidrBlock="0.0.0.0/0", PortRange={"From": 443, "To": 443})  # fmt: skip
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"]
    association = next(a for a in acls[0]["Associations"] if a["SubnetId"] == subnet)["NetworkAclAssociationId"]
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)
    assert _send(rest, web["InstanceId"], 443, source_ip="203.0.113.9") == "REJECT"  # the reply is dropped
    assert _send(rest, web["InstanceId"], 443, source_ip="198.51.100.20") == "REJECT"  # rule 50
    # Within one subnet, no network ACL is crossed: the groups alone decide.
    assert _send(rest, web["InstanceId"], 443, source=app["InstanceId"]) == "ACCEPT"

    advance(60)
    records = _records(logs, "vpc-flow-logs", eni)
    # On the diagram: one edge from the subnet to the log group, Logs' edge of its writer.
    group_arn = f"arn:aws:logs:us-east-1:{sandbox.account_id}:log-group:vpc-flow-logs"
    assert drawn() == [(f"subnet/{subnet}", group_arn, "log-writer")]
    internet = [(r[3], r[4], r[6], r[12], r[13]) for r in records if "203.0.113.9" in (r[3], r[4])]
    private = web["PrivateIpAddress"]
    assert internet == [
        ("203.0.113.9", private, "443", "ACCEPT", "OK"),  # the request, and its reply
        (private, "203.0.113.9", internet[1][2], "ACCEPT", "OK"),
        ("203.0.113.9", private, "22", "REJECT", "OK"),  # the security group
        ("203.0.113.9", private, "443", "ACCEPT", "OK"),  # let in by the ACL and the group...
        (private, "203.0.113.9", internet[4][2], "REJECT", "OK"),  # ...its reply refused by the ACL
    ]
    assert [(r[3], r[12]) for r in records if r[3] == "198.51.100.20"] == [("198.51.100.20", "REJECT")]
    assert [r[12] for r in records if app["PrivateIpAddress"] in (r[3], r[4])] == ["ACCEPT", "ACCEPT"]
    # The other interface has a stream of its own.
    other = app["NetworkInterfaces"][0]["NetworkInterfaceId"]
    assert {r[2] for r in _records(logs, "vpc-flow-logs", other)} == {other}

    # A quiet interval: one NODATA record per interface, with "-" for the flow's fields.
    advance(60)
    quiet = _records(logs, "vpc-flow-logs", eni)[len(records) :]
    assert [(r[2], r[3], r[12], r[13]) for r in quiet] == [(eni, "-", "-", "NODATA")]

    # Deleting the flow log takes its edge away.
    assert ec2.delete_flow_logs(FlowLogIds=created["FlowLogIds"])["Unsuccessful"] == []
    assert drawn() == []


def test_traffic_endpoint_refuses_bad_input_with_ec2_errors(
    ec2: Any, rest: Callable[..., requests.Response], paused: None, advance: Callable[[float], None],
    make_sandbox: Callable[..., SandboxInfo], daphne: Any,
) -> None:  # fmt: skip
    [web] = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"]
    advance(15)
    bad = rest("POST", "traffic/", {"target": web["InstanceId"], "port": 443, "protocol": "sctp"})
    assert (bad.status_code, bad.json()["code"]) == (400, "InvalidParameterValue")
    missing = rest("POST", "traffic/", {"target": "i-0123456789abcdef0", "port": 443})
    assert (missing.status_code, missing.json()) == (
        400, {"code": "InvalidInstanceID.NotFound", "message": "The instance ID 'i-0123456789abcdef0' does not exist"}
    )  # fmt: skip
    assert rest("POST", "traffic/", {"port": 443}).status_code == 400
    load = rest("POST", "load/", {"instance": web["InstanceId"], "profile": "busy", "percent": 50})
    assert (load.status_code, load.json()["code"]) == (400, "InvalidParameterValue")
    load = rest("POST", "load/", {"instance": web["InstanceId"], "profile": "steady", "percent": 150})
    assert (load.status_code, load.json()["code"]) == (400, "InvalidParameterValue")
    stranger = make_sandbox()  # not this user's: as if it did not exist
    elsewhere = rest("POST", f"/ec2/sandboxes/{stranger.id}/traffic/", {"target": web["InstanceId"], "port": 443})
    assert elsewhere.status_code == 404
    anonymous = requests.post(f"{daphne.url}/ec2/sandboxes/1/traffic/", json={}, timeout=30)
    assert anonymous.status_code == 401


def test_flow_log_to_cloudwatch_logs_without_a_role_through_the_cli(aws_cli: Callable[..., Any], ec2: Any) -> None:
    vpc_id = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    refused = aws_cli(
        "ec2", "create-flow-logs", "--resource-type", "VPC", "--resource-ids", vpc_id, "--traffic-type", "ALL",
        "--log-group-name", "vpc-flow-logs", check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "(InvalidParameter)" in refused.stderr
    assert "DeliverLogsPermissionArn is required for cloud-watch-logs delivery" in refused.stderr
    made = aws_cli(
        "ec2", "create-flow-logs", "--resource-type", "VPC", "--resource-ids", vpc_id, "--traffic-type", "REJECT",
        "--log-group-name", "vpc-flow-logs", "--deliver-logs-permission-arn", ROLE,
    )  # fmt: skip
    assert '"Unsuccessful": []' in made.stdout


def test_acls_guard_each_subnet_edge_between_instances_both_ways(
    ec2: Any, rest: Callable[..., requests.Response], paused: None, advance: Callable[[float], None]
) -> None:
    """Instances in two subnets (the default group lets its members talk): the target subnet's ACL
    judges the request in and the reply out, the source subnet's the request out and the reply in."""
    [client] = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, Placement={"AvailabilityZone": "us-east-1a"})[
        "Instances"
    ]
    [server] = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, Placement={"AvailabilityZone": "us-east-1b"})[
        "Instances"
    ]
    advance(15)
    vpc = client["VpcId"]
    assert _send(rest, server["InstanceId"], 443, source=client["InstanceId"]) == "ACCEPT"

    def own_acl(subnet: str) -> str:
        acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
        held = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
        association = next(a for a in held["NetworkAcls"][0]["Associations"] if a["SubnetId"] == subnet)
        ec2.replace_network_acl_association(AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl)
        return str(acl)

    def entry(acl: str, number: int, egress: bool, low: int, high: int, *, replace: bool = False) -> None:
        call = ec2.replace_network_acl_entry if replace else ec2.create_network_acl_entry
        call(NetworkAclId=acl, RuleNumber=number, Protocol="6", RuleAction="allow", Egress=egress,
             CidrBlock="172.31.0.0/16", PortRange={"From": low, "To": high})  # fmt: skip

    server_acl = own_acl(server["SubnetId"])
    entry(server_acl, 100, False, 443, 443)
    assert _send(rest, server["InstanceId"], 443, source=client["InstanceId"]) == "REJECT"  # no way back out
    entry(server_acl, 100, True, 1024, 65535)
    assert _send(rest, server["InstanceId"], 443, source=client["InstanceId"]) == "ACCEPT"
    assert _send(rest, server["InstanceId"], 80, source=client["InstanceId"]) == "REJECT"  # not let in

    client_acl = own_acl(client["SubnetId"])
    entry(client_acl, 100, True, 443, 443)
    assert _send(rest, server["InstanceId"], 443, source=client["InstanceId"]) == "REJECT"  # the reply is not let in
    entry(client_acl, 100, False, 1024, 65535)
    assert _send(rest, server["InstanceId"], 443, source=client["InstanceId"]) == "ACCEPT"
    entry(client_acl, 100, True, 22, 22, replace=True)
    assert _send(rest, server["InstanceId"], 443, source=client["InstanceId"]) == "REJECT"  # not let out
