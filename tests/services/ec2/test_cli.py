"""The common EC2 commands through the real `aws` executable, and the errors a student meets first
as the CLI prints them (code and message on stderr)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.services.ec2.conftest import AMI

pytestmark = pytest.mark.live


def test_cli_launch_describe_stop(aws_cli: Callable[..., Any], paused: None, advance: Callable[[float], None]) -> None:
    group = json.loads(
        aws_cli("ec2", "create-security-group", "--group-name", "web", "--description", "web tier").stdout
    )["GroupId"]
    aws_cli("ec2", "authorize-security-group-ingress", "--group-id", group, "--protocol", "tcp", "--port", "443",
            "--cidr", "0.0.0.0/0")  # fmt: skip
    launched = json.loads(
        aws_cli(
            "ec2", "run-instances", "--image-id", AMI, "--instance-type", "t2.micro", "--count", "2",
            "--security-group-ids", group,
            "--tag-specifications", "ResourceType=instance,Tags=[{Key=env,Value=course}]",
        ).stdout
    )  # fmt: skip
    ids = [instance["InstanceId"] for instance in launched["Instances"]]
    assert len(ids) == 2
    advance(15)
    aws_cli("ec2", "wait", "instance-running", "--instance-ids", *ids)
    described = json.loads(
        aws_cli(
            "ec2", "describe-instances", "--filters", "Name=tag:env,Values=course",
            "--query", "Reservations[].Instances[].[InstanceId,State.Name]", "--output", "json",
        ).stdout
    )  # fmt: skip
    assert sorted(described) == sorted([[instance_id, "running"] for instance_id in ids])
    stopping = json.loads(aws_cli("ec2", "stop-instances", "--instance-ids", ids[0]).stdout)["StoppingInstances"]
    assert stopping[0]["CurrentState"]["Name"] == "stopping"
    advance(15)
    aws_cli("ec2", "wait", "instance-stopped", "--instance-ids", ids[0])
    rules = json.loads(aws_cli("ec2", "describe-security-groups", "--group-ids", group).stdout)
    assert rules["SecurityGroups"][0]["IpPermissions"][0]["FromPort"] == 443
    text = aws_cli("ec2", "describe-instances", "--instance-ids", ids[1], "--output", "text",
                   "--query", "Reservations[0].Instances[0].State.Name").stdout  # fmt: skip
    assert text.strip() == "running"


def test_cli_errors(aws_cli: Callable[..., Any]) -> None:
    missing = aws_cli("ec2", "stop-instances", "--instance-ids", "i-0123456789abcdef0", check=False)
    assert missing.returncode != 0
    assert "An error occurred (InvalidInstanceID.NotFound) when calling the StopInstances operation" in missing.stderr
    assert "The instance ID 'i-0123456789abcdef0' does not exist" in missing.stderr
    image = aws_cli("ec2", "run-instances", "--image-id", "ami-00000000000000000", "--count", "1", check=False)
    assert "(InvalidAMIID.NotFound)" in image.stderr
    assert "The image id '[ami-00000000000000000]' does not exist" in image.stderr
    group = aws_cli("ec2", "delete-security-group", "--group-name", "nope", check=False)
    assert "(InvalidGroup.NotFound)" in group.stderr
