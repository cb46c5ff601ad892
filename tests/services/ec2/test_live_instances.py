"""Instances through boto3: launch, the lifecycle on the sandbox clock, Describe* with filters and
pagination, and the errors."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of
from tests.services.ec2.conftest import AMI, state

pytestmark = pytest.mark.live


def test_an_instance_lives_on_the_sandbox_clock(ec2: Any, paused: None, advance: Callable[[float], None]) -> None:
    group = ec2.create_security_group(GroupName="web", Description="web servers")["GroupId"]
    ec2.create_key_pair(KeyName="deployer")
    reservation = ec2.run_instances(
        ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1, KeyName="deployer", SecurityGroupIds=[group],
        UserData=base64.b64encode(b"#!/bin/bash\necho hi").decode(),
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}],
    )  # fmt: skip
    instance = reservation["Instances"][0]
    instance_id = instance["InstanceId"]
    assert reservation["ReservationId"].startswith("r-")
    assert instance["State"] == {"Code": 0, "Name": "pending"}
    assert instance["InstanceType"] == "t3.micro"
    assert instance["KeyName"] == "deployer"
    assert instance["SecurityGroups"] == [{"GroupId": group, "GroupName": "web"}]
    assert instance["Tags"] == [{"Key": "Name", "Value": "web-1"}]
    assert instance["PrivateIpAddress"].startswith("172.31.")
    assert instance["PublicIpAddress"]
    assert instance["Placement"]["AvailabilityZone"] == "us-east-1a"

    advance(15)
    assert state(ec2, instance_id) == "running"
    statuses = ec2.describe_instance_status(InstanceIds=[instance_id])["InstanceStatuses"]
    assert statuses[0]["InstanceStatus"]["Status"] == "initializing"
    advance(120)
    statuses = ec2.describe_instance_status()["InstanceStatuses"]
    assert [(s["InstanceId"], s["InstanceStatus"]["Status"]) for s in statuses] == [(instance_id, "ok")]

    stopping = ec2.stop_instances(InstanceIds=[instance_id])["StoppingInstances"]
    assert stopping == [{"InstanceId": instance_id, "CurrentState": {"Code": 64, "Name": "stopping"},
                         "PreviousState": {"Code": 16, "Name": "running"}}]  # fmt: skip
    advance(15)
    stopped = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert stopped["State"]["Name"] == "stopped"
    assert "PublicIpAddress" not in stopped
    assert stopped["StateReason"] == {
        "Code": "Client.UserInitiatedShutdown", "Message": "Client.UserInitiatedShutdown: User initiated shutdown"
    }  # fmt: skip
    assert stopped["StateTransitionReason"].startswith("User initiated (")
    assert stopped["StateTransitionReason"].endswith(" GMT)")
    assert ec2.describe_instance_status()["InstanceStatuses"] == []
    assert (
        ec2.describe_instance_status(IncludeAllInstances=True)["InstanceStatuses"][0]["InstanceState"]["Name"]
        == "stopped"
    )
    # Stopping a stopped instance is no error: it answers its state.
    again = ec2.stop_instances(InstanceIds=[instance_id])["StoppingInstances"][0]
    assert again["CurrentState"]["Name"] == "stopped"
    assert again["PreviousState"]["Name"] == "stopped"

    starting = ec2.start_instances(InstanceIds=[instance_id])["StartingInstances"][0]
    assert (starting["PreviousState"]["Name"], starting["CurrentState"]["Name"]) == ("stopped", "pending")
    advance(15)
    assert state(ec2, instance_id) == "running"
    ec2.reboot_instances(InstanceIds=[instance_id])
    assert state(ec2, instance_id) == "running"

    terminating = ec2.terminate_instances(InstanceIds=[instance_id])["TerminatingInstances"][0]
    assert terminating["CurrentState"] == {"Code": 32, "Name": "shutting-down"}
    advance(15)
    assert state(ec2, instance_id) == "terminated"
    with pytest.raises(ClientError) as caught:
        ec2.start_instances(InstanceIds=[instance_id])
    assert error_of(caught) == (
        "IncorrectInstanceState", 400, f"The instance '{instance_id}' is not in a state from which it can be started."
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        ec2.stop_instances(InstanceIds=[instance_id])
    assert error_of(caught) == (
        "IncorrectInstanceState", 400, f"This instance '{instance_id}' is not in a state from which it can be stopped."
    )  # fmt: skip
    advance(3600)
    assert ec2.describe_instances()["Reservations"] == []


def test_run_many_filter_and_page(ec2: Any) -> None:
    first = ec2.run_instances(ImageId=AMI, MinCount=3, MaxCount=3, InstanceType="t2.micro",
                              TagSpecifications=[{"ResourceType": "instance",
                                                  "Tags": [{"Key": "team", "Value": "a"}]}])  # fmt: skip
    second = ec2.run_instances(ImageId=AMI, MinCount=2, MaxCount=2, InstanceType="t3.small")
    assert [i["AmiLaunchIndex"] for i in first["Instances"]] == [0, 1, 2]
    assert len({i["PrivateIpAddress"] for i in first["Instances"] + second["Instances"]}) == 5
    small = ec2.describe_instances(Filters=[{"Name": "instance-type", "Values": ["t3.small"]}])["Reservations"]
    assert [r["ReservationId"] for r in small] == [second["ReservationId"]]
    tagged = ec2.describe_instances(Filters=[{"Name": "tag:team", "Values": ["a"]},
                                             {"Name": "instance-state-name",
                                              "Values": ["pending", "running"]}])  # fmt: skip
    assert len(tagged["Reservations"][0]["Instances"]) == 3
    pages = list(ec2.get_paginator("describe_instances").paginate(PaginationConfig={"PageSize": 5}))
    assert sum(len(r["Instances"]) for p in pages for r in p["Reservations"]) == 5
    page = ec2.describe_instances(MaxResults=5)
    assert "NextToken" not in page
    waiter_ids = [i["InstanceId"] for i in second["Instances"]]
    default_group = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
    assert second["Instances"][0]["SecurityGroups"] == [{"GroupId": default_group, "GroupName": "default"}]
    by_group = ec2.describe_instances(Filters=[{"Name": "instance.group-name", "Values": ["default"]}])["Reservations"]
    assert sum(len(r["Instances"]) for r in by_group) == 5
    ec2.terminate_instances(InstanceIds=waiter_ids)


def test_instance_errors(ec2: Any) -> None:
    missing = "i-0123456789abcdef0"
    with pytest.raises(ClientError) as caught:
        ec2.describe_instances(InstanceIds=[missing])
    assert error_of(caught) == ("InvalidInstanceID.NotFound", 400, f"The instance ID '{missing}' does not exist")
    with pytest.raises(ClientError) as caught:
        ec2.stop_instances(InstanceIds=[missing, "i-0123456789abcdef1"])
    assert error_of(caught) == (
        "InvalidInstanceID.NotFound", 400, f"The instance IDs '{missing}, i-0123456789abcdef1' do not exist"
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        ec2.terminate_instances(InstanceIds=["web-1"])
    assert error_of(caught) == ("InvalidInstanceID.Malformed", 400, 'Invalid id: "web-1"')
    with pytest.raises(ClientError) as caught:
        ec2.run_instances(ImageId="ami-00000000000000000", MinCount=1, MaxCount=1)
    assert error_of(caught) == ("InvalidAMIID.NotFound", 400, "The image id '[ami-00000000000000000]' does not exist")
    with pytest.raises(ClientError) as caught:
        ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t9.huge")
    assert error_of(caught) == ("InvalidParameterValue", 400, "Invalid value 't9.huge' for InstanceType.")
    with pytest.raises(ClientError) as caught:
        ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, KeyName="nobody")
    assert error_of(caught) == ("InvalidKeyPair.NotFound", 400, "The key pair 'nobody' does not exist")
    with pytest.raises(ClientError) as caught:
        ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SecurityGroupIds=["sg-0123456789abcdef0"])
    assert error_of(caught) == (
        "InvalidGroup.NotFound",
        400,
        "The security group 'sg-0123456789abcdef0' does not exist",
    )
    with pytest.raises(ClientError) as caught:
        ec2.run_instances(ImageId=AMI, MinCount=2, MaxCount=1)
    assert error_of(caught)[:2] == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as caught:
        ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId="subnet-0123456789abcdef0")
    assert error_of(caught)[0] == "InvalidSubnetID.NotFound"
    with pytest.raises(ClientError) as caught:
        ec2.describe_instances(InstanceIds=[missing], MaxResults=5)
    assert error_of(caught) == (
        "InvalidParameterCombination", 400, "The parameter instancesSet cannot be used with the parameter maxResults"
    )  # fmt: skip
    assert ec2.describe_instances()["Reservations"] == []
