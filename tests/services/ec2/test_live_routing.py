"""Network ACLs, route tables and internet gateways through boto3 and the aws CLI: every VPC's
default ACL (rule 100 allows all, `*` denies the rest) with its subnets, a custom ACL's entries by
rule number, replacing and moving associations; the default VPC's main route table to its internet
gateway; a new VPC's gateway and routes; and AWS's errors for each, which change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of

pytestmark = pytest.mark.live


def _entries(acl: dict[str, Any], *, egress: bool) -> list[tuple[int, str, str, str]]:
    return [
        (e["RuleNumber"], e["Protocol"], e["RuleAction"], e["CidrBlock"])
        for e in acl["Entries"]
        if e["Egress"] == egress
    ]


def test_network_acls_default_custom_entries_and_associations(ec2: Any) -> None:
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    [default] = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"]
    assert default["IsDefault"] is True
    assert _entries(default, egress=False) == [(100, "-1", "allow", "0.0.0.0/0"), (32767, "-1", "deny", "0.0.0.0/0")]
    assert _entries(default, egress=True) == [(100, "-1", "allow", "0.0.0.0/0"), (32767, "-1", "deny", "0.0.0.0/0")]
    subnets = {s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]}
    assert {a["SubnetId"] for a in default["Associations"]} == subnets
    assert all(a["NetworkAclAssociationId"].startswith("aclassoc-") for a in default["Associations"])

    acl = ec2.create_network_acl(
        VpcId=vpc_id, TagSpecifications=[{"ResourceType": "network-acl", "Tags": [{"Key": "Name", "Value": "web"}]}]
    )["NetworkAcl"]
    acl_id = acl["NetworkAclId"]
    assert acl["IsDefault"] is False
    assert acl["Associations"] == []
    assert _entries(acl, egress=False) == [(32767, "-1", "deny", "0.0.0.0/0")]
    assert acl["Tags"] == [{"Key": "Name", "Value": "web"}]
    ec2.create_network_acl_entry(
        NetworkAclId=acl_id, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
        CidrBlock="0.0.0.0/0", PortRange={"From": 443, "To": 443},
    )  # fmt: skip
    ec2.create_network_acl_entry(
        NetworkAclId=acl_id, RuleNumber=90, Protocol="6", RuleAction="deny", Egress=False,
        CidrBlock="203.0.113.0/24", PortRange={"From": 443, "To": 443},
    )  # fmt: skip
    ec2.create_network_acl_entry(
        NetworkAclId=acl_id, RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=True, CidrBlock="0.0.0.0/0"
    )

    with pytest.raises(ClientError) as caught:
        ec2.create_network_acl_entry(
            NetworkAclId=acl_id, RuleNumber=100, Protocol="6", RuleAction="deny", Egress=False,
            CidrBlock="0.0.0.0/0", PortRange={"From": 22, "To": 22},
        )  # fmt: skip
    assert error_of(caught) == (
        "NetworkAclEntryAlreadyExists", 400, "The network acl entry identified by 100 already exists."
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        ec2.replace_network_acl_entry(
            NetworkAclId=acl_id, RuleNumber=120, Protocol="-1", RuleAction="deny", Egress=False, CidrBlock="0.0.0.0/0"
        )
    assert error_of(caught) == (
        "InvalidNetworkAclEntry.NotFound", 400, "The network acl entry identified by 120 does not exist."
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        ec2.create_network_acl_entry(
            NetworkAclId=acl_id, RuleNumber=40000, Protocol="-1", RuleAction="allow", Egress=False,
            CidrBlock="0.0.0.0/0",
        )  # fmt: skip
    assert error_of(caught)[:2] == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as caught:
        ec2.create_network_acl_entry(
            NetworkAclId="acl-0123456789abcdef0", RuleNumber=10, Protocol="-1", RuleAction="allow", Egress=False,
            CidrBlock="0.0.0.0/0",
        )  # fmt: skip
    assert error_of(caught) == (
        "InvalidNetworkAclID.NotFound", 400, "The networkAcl ID 'acl-0123456789abcdef0' does not exist"
    )  # fmt: skip

    ec2.replace_network_acl_entry(
        NetworkAclId=acl_id, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
        CidrBlock="0.0.0.0/0", PortRange={"From": 80, "To": 443},
    )  # fmt: skip
    [acl] = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"]
    inbound = [e for e in acl["Entries"] if not e["Egress"]]
    assert [(e["RuleNumber"], e.get("PortRange")) for e in inbound] == [
        (90, {"From": 443, "To": 443}), (100, {"From": 80, "To": 443}), (32767, None)
    ]  # fmt: skip

    # Move one subnet's association from the default ACL to the new one; the old ID is gone.
    association = default["Associations"][0]
    moved = ec2.replace_network_acl_association(
        AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl_id
    )["NewAssociationId"]
    assert moved.startswith("aclassoc-")
    assert moved != association["NetworkAclAssociationId"]
    found = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [association["SubnetId"]]}])
    assert [a["NetworkAclId"] for a in found["NetworkAcls"]] == [acl_id]
    with pytest.raises(ClientError) as caught:
        ec2.replace_network_acl_association(AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl_id)
    assert error_of(caught) == (
        "InvalidAssociationID.NotFound", 400,
        f"The association ID '{association['NetworkAclAssociationId']}' does not exist",
    )  # fmt: skip

    with pytest.raises(ClientError) as caught:
        ec2.delete_network_acl(NetworkAclId=acl_id)
    assert error_of(caught) == (
        "DependencyViolation", 400, f"The networkAcl '{acl_id}' has dependencies and cannot be deleted."
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        ec2.delete_network_acl(NetworkAclId=default["NetworkAclId"])
    assert error_of(caught)[:2] == ("InvalidParameterValue", 400)

    ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=90, Egress=False)
    with pytest.raises(ClientError) as caught:
        ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=90, Egress=False)
    assert error_of(caught)[0] == "InvalidNetworkAclEntry.NotFound"
    back = ec2.describe_network_acls(NetworkAclIds=[default["NetworkAclId"]])["NetworkAcls"][0]
    ec2.replace_network_acl_association(AssociationId=moved, NetworkAclId=back["NetworkAclId"])  # back to the default
    ec2.delete_network_acl(NetworkAclId=acl_id)
    assert ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["false"]}])["NetworkAcls"] == []


def test_route_tables_and_internet_gateways(ec2: Any) -> None:
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    [main] = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [default_vpc]}])["RouteTables"]
    [gateway] = ec2.describe_internet_gateways()["InternetGateways"]
    assert gateway["Attachments"] == [{"State": "available", "VpcId": default_vpc}]
    assert [(r["DestinationCidrBlock"], r["GatewayId"]) for r in main["Routes"]] == [
        ("172.31.0.0/16", "local"), ("0.0.0.0/0", gateway["InternetGatewayId"])
    ]  # fmt: skip
    assert main["Associations"][0]["Main"] is True

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    # A new VPC: a default network ACL and a main route table with the local route only.
    assert len(ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"]) == 1
    [own_main] = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"]
    assert [r["GatewayId"] for r in own_main["Routes"]] == ["local"]

    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    with pytest.raises(ClientError) as caught:
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId="igw-0123456789abcdef0")
    assert error_of(caught) == (
        "InvalidGatewayID.NotFound", 400, "The gateway ID 'igw-0123456789abcdef0' does not exist"
    )  # fmt: skip
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    with pytest.raises(ClientError) as caught:
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert error_of(caught) == (
        "Resource.AlreadyAssociated", 400, f"resource {igw} is already attached to network {vpc}"
    )  # fmt: skip
    assert ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)["Return"] is True
    with pytest.raises(ClientError) as caught:
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assert error_of(caught) == ("RouteAlreadyExists", 400, "The route identified by 0.0.0.0/0 already exists.")
    association = ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)["AssociationId"]
    assert association.startswith("rtbassoc-")
    with pytest.raises(ClientError) as caught:
        ec2.associate_route_table(RouteTableId=own_main["RouteTableId"], SubnetId=subnet)
    assert error_of(caught)[:2] == ("Resource.AlreadyAssociated", 400)
    [described] = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
    )["RouteTables"]  # fmt: skip
    assert described["RouteTableId"] == table
    assert [(r["DestinationCidrBlock"], r["GatewayId"], r["State"]) for r in described["Routes"]] == [
        ("10.0.0.0/16", "local", "active"), ("0.0.0.0/0", igw, "active")
    ]  # fmt: skip

    with pytest.raises(ClientError) as caught:
        ec2.delete_route_table(RouteTableId=table)
    assert error_of(caught) == (
        "DependencyViolation", 400, f"The routeTable '{table}' has dependencies and cannot be deleted."
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        ec2.delete_internet_gateway(InternetGatewayId=igw)
    assert error_of(caught)[0] == "DependencyViolation"
    with pytest.raises(ClientError) as caught:
        ec2.describe_route_tables(RouteTableIds=["rtb-0123456789abcdef0"])
    assert error_of(caught) == (
        "InvalidRouteTableID.NotFound", 400, "The routeTable ID 'rtb-0123456789abcdef0' does not exist"
    )  # fmt: skip

    ec2.disassociate_route_table(AssociationId=association)
    ec2.delete_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0")
    ec2.delete_route_table(RouteTableId=table)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    with pytest.raises(ClientError) as caught:
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert error_of(caught) == ("Gateway.NotAttached", 400, f"resource {igw} is not attached to network {vpc}")
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    with pytest.raises(ClientError) as caught:
        ec2.describe_internet_gateways(InternetGatewayIds=[igw])
    assert error_of(caught) == (
        "InvalidInternetGatewayID.NotFound", 400, f"The internetGateway ID '{igw}' does not exist"
    )  # fmt: skip


def test_network_acl_errors_through_the_cli(aws_cli: Callable[..., Any], ec2: Any) -> None:
    vpc_id = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    acl_id = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    entry = ["--network-acl-id", acl_id, "--rule-number", "100", "--protocol", "-1", "--rule-action", "allow",
             "--ingress", "--cidr-block", "0.0.0.0/0"]  # fmt: skip
    assert aws_cli("ec2", "create-network-acl-entry", *entry).returncode == 0
    again = aws_cli("ec2", "create-network-acl-entry", *entry, check=False)
    assert again.returncode != 0
    assert "(NetworkAclEntryAlreadyExists)" in again.stderr
    assert "The network acl entry identified by 100 already exists." in again.stderr
    shown = json.loads(aws_cli("ec2", "describe-network-acls", "--network-acl-ids", acl_id).stdout)
    assert [e["RuleNumber"] for e in shown["NetworkAcls"][0]["Entries"] if not e["Egress"]] == [100, 32767]
