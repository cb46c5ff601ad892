"""The live events EC2 publishes (the platform's types; EC2 needs no type of its own).

    resource.created / resource.changed   an instance (resource_type "instance"), with its
                                           attributes (instance_attributes below: State,
                                           PreviousState, InstanceType, SubnetId, VpcId,
                                           PrivateIpAddress, PublicIpAddress, SecurityGroups)
                                           when it is launched or its state changes; a VPC
                                           (resource_type "vpc") when it, its subnets or its
                                           security groups change (attributes: CidrBlock,
                                           IsDefault)
    resource.changed                       a security group (resource_type "security-group")
                                           when its rules change (attributes: VpcId, GroupName)
    resource.deleted                       an instance an hour after it terminated; a VPC
    flow, kind:
      reboot    client -> instance   RebootInstances (detail: state)
      accept    instance or "internet" -> instance   simulated traffic the groups and ACLs let
                through (detail: protocol, port)
      reject    the same, refused by a security group, a network ACL (the request or its reply),
                a missing route or public address, or a target not running

Every event is sent when the transaction that caused it commits (playground.live.bus).

Each state change also puts AWS's "EC2 Instance State-change Notification" event on the sandbox's
default event bus of the instance's region (services.eventbridge.public.instance_state_changed),
where rules match it as on AWS.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from playground.live.bus import publish_flow, publish_resource
from playground.sandboxes.models import Sandbox

if TYPE_CHECKING:
    from services.ec2.models import Instance, SecurityGroup, Vpc

SERVICE = "ec2"
CLIENT = "client"


def instance_arn(instance: Instance) -> str:
    return f"arn:aws:ec2:{instance.region}:{instance.sandbox.account_id}:instance/{instance.instance_id}"


def vpc_arn(vpc: Vpc) -> str:
    return f"arn:aws:ec2:{vpc.region}:{vpc.sandbox.account_id}:vpc/{vpc.vpc_id}"


def group_arn(group: SecurityGroup) -> str:
    return f"arn:aws:ec2:{group.region}:{group.sandbox.account_id}:security-group/{group.group_id}"


def instance_attributes(instance: Instance, previous: str | None) -> dict[str, Any]:
    return {
        "State": instance.state, "PreviousState": previous, "InstanceType": instance.instance_type,
        "SubnetId": instance.subnet.subnet_id, "VpcId": instance.subnet.vpc.vpc_id,
        "PrivateIpAddress": instance.private_ip, "PublicIpAddress": instance.public_ip,
        "SecurityGroups": list(instance.group_ids),
    }  # fmt: skip


def instance_changed(sandbox: Sandbox, *, instance: Instance, previous: str | None, now: dt.datetime) -> None:
    publish_resource(
        sandbox, "created" if previous is None else "changed", service=SERVICE, resource_type="instance",
        arn=instance_arn(instance), name=instance.instance_id, attributes=instance_attributes(instance, previous),
        now=now,
    )  # fmt: skip
    if instance.state != previous:
        from services.eventbridge.public import instance_state_changed  # here: EventBridge's door reaches EC2's

        instance_state_changed(
            sandbox=sandbox, region=instance.region, instance_id=instance.instance_id, state=instance.state, now=now
        )


def instance_removed(sandbox: Sandbox, *, instance: Instance, now: dt.datetime) -> None:
    publish_resource(
        sandbox, "deleted", service=SERVICE, resource_type="instance", arn=instance_arn(instance),
        name=instance.instance_id, now=now,
    )  # fmt: skip


def instance_rebooted(sandbox: Sandbox, *, instance: Instance, now: dt.datetime) -> None:
    publish_flow(
        sandbox, service=SERVICE, kind="reboot", source=CLIENT, target=instance_arn(instance),
        item_id=f"{instance.instance_id}@{now.isoformat()}", now=now, detail={"state": instance.state},
    )  # fmt: skip


def traffic_sent(
    sandbox: Sandbox, *, source: Instance | None, target: Instance, action: str, port: int, protocol: str,
    now: dt.datetime,
) -> None:  # fmt: skip
    publish_flow(
        sandbox, service=SERVICE, kind=action.lower(), source=instance_arn(source) if source else "internet",
        target=instance_arn(target), item_id=f"{target.instance_id}:{port}@{now.isoformat()}", now=now,
        detail={"protocol": protocol, "port": port},
    )  # fmt: skip


def vpc_changed(sandbox: Sandbox, *, vpc: Vpc, change: str, now: dt.datetime) -> None:
    publish_resource(
        sandbox, change, service=SERVICE, resource_type="vpc", arn=vpc_arn(vpc), name=vpc.vpc_id,
        attributes={"CidrBlock": vpc.cidr, "IsDefault": vpc.is_default}, now=now,
    )  # fmt: skip


def group_changed(sandbox: Sandbox, *, group: SecurityGroup, now: dt.datetime) -> None:
    publish_resource(
        sandbox, "changed", service=SERVICE, resource_type="security-group", arn=group_arn(group),
        name=group.group_id, attributes={"VpcId": group.vpc.vpc_id, "GroupName": group.name}, now=now,
    )  # fmt: skip
