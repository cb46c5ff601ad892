"""The default VPC, VPCs, subnets, zones, regions, tags and filters through boto3."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of

pytestmark = pytest.mark.live


def test_every_region_has_a_default_vpc_with_a_subnet_per_zone(ec2: Any) -> None:
    vpcs = ec2.describe_vpcs()["Vpcs"]
    assert [(vpc["CidrBlock"], vpc["IsDefault"], vpc["State"]) for vpc in vpcs] == [
        ("172.31.0.0/16", True, "available")
    ]
    zones = [zone["ZoneName"] for zone in ec2.describe_availability_zones()["AvailabilityZones"]]
    assert zones == ["us-east-1a", "us-east-1b", "us-east-1c"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}])["Subnets"]
    assert sorted(subnet["AvailabilityZone"] for subnet in subnets) == zones
    assert all(subnet["DefaultForAz"] and subnet["MapPublicIpOnLaunch"] for subnet in subnets)
    assert {subnet["CidrBlock"] for subnet in subnets} == {"172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"}
    assert subnets[0]["AvailableIpAddressCount"] == 4091
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    assert len(groups) == 1
    assert groups[0]["VpcId"] == vpcs[0]["VpcId"]
    assert groups[0]["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    regions = [region["RegionName"] for region in ec2.describe_regions()["Regions"]]
    assert "eu-west-1" in regions
    assert "us-east-1" in regions


def test_vpc_and_subnet_round_trip_with_tags_and_filters(ec2: Any) -> None:
    vpc = ec2.create_vpc(
        CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "lab"}]}]
    )["Vpc"]
    assert vpc["Tags"] == [{"Key": "Name", "Value": "lab"}]
    assert vpc["IsDefault"] is False
    subnet = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1b")["Subnet"]
    assert subnet["AvailableIpAddressCount"] == 251
    assert subnet["MapPublicIpOnLaunch"] is False
    found = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["la*"]}])["Vpcs"]
    assert [v["VpcId"] for v in found] == [vpc["VpcId"]]
    ec2.create_tags(Resources=[subnet["SubnetId"]], Tags=[{"Key": "tier", "Value": "web"}])
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [subnet["SubnetId"]]}])["Tags"]
    assert tags == [{"ResourceId": subnet["SubnetId"], "ResourceType": "subnet", "Key": "tier", "Value": "web"}]
    ec2.delete_tags(Resources=[subnet["SubnetId"]], Tags=[{"Key": "tier"}])
    assert ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [subnet["SubnetId"]]}])["Tags"] == []

    with pytest.raises(ClientError) as caught:
        ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.0.1.128/25")
    assert error_of(caught) == ("InvalidSubnet.Conflict", 400, "The CIDR '10.0.1.128/25' conflicts with another subnet")
    with pytest.raises(ClientError) as caught:
        ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="192.168.0.0/24")
    assert error_of(caught) == ("InvalidSubnet.Range", 400, "The CIDR '192.168.0.0/24' is invalid.")
    with pytest.raises(ClientError) as caught:
        ec2.delete_vpc(VpcId=vpc["VpcId"])
    assert error_of(caught) == (
        "DependencyViolation", 400, f"The vpc '{vpc['VpcId']}' has dependencies and cannot be deleted."
    )  # fmt: skip
    ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    ec2.delete_vpc(VpcId=vpc["VpcId"])
    with pytest.raises(ClientError) as caught:
        ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])
    assert error_of(caught) == ("InvalidVpcID.NotFound", 400, f"The vpc ID '{vpc['VpcId']}' does not exist")


def test_network_errors(ec2: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ec2.create_vpc(CidrBlock="10.0.0.0/8")
    assert error_of(caught) == ("InvalidVpc.Range", 400, "The CIDR '10.0.0.0/8' is invalid.")
    with pytest.raises(ClientError) as caught:
        ec2.describe_subnets(SubnetIds=["subnet-0123456789abcdef0"])
    assert error_of(caught) == (
        "InvalidSubnetID.NotFound", 400, "The subnet ID 'subnet-0123456789abcdef0' does not exist"
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        ec2.describe_vpcs(Filters=[{"Name": "colour", "Values": ["blue"]}])
    assert error_of(caught) == ("InvalidParameterValue", 400, "The filter 'colour' is invalid")
    with pytest.raises(ClientError) as caught:
        ec2.create_tags(Resources=["nothing"], Tags=[{"Key": "a", "Value": "b"}])
    assert error_of(caught) == ("InvalidID", 400, "The ID 'nothing' is not valid")
    with pytest.raises(ClientError) as caught:
        ec2.describe_vpcs(DryRun=True)
    assert error_of(caught) == ("DryRunOperation", 412, "Request would have succeeded, but DryRun flag is set.")
