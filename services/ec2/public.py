"""What other services may use of EC2 (docs/services.md: services meet through public doors).

instance_stop(sandbox=, region=, instance_id=, now=, initiator=)       stop a running instance as
instance_terminate(sandbox=, region=, instance_id=, now=, initiator=)  a service does (CloudWatch
instance_reboot(sandbox=, region=, instance_id=, now=)                 alarm actions, EventBridge
                                                                       targets); each answers AWS's
                                                                       state change {InstanceId,
                                                                       CurrentState, PreviousState}
                                                                       (reboot: None)
instance_act(sandbox=, region=, instance_id=, action=, now=, initiator=)
                                                                       one of those three by name
                                                                       ("stop", "terminate",
                                                                       "reboot"), as an alarm
                                                                       action or a built-in target
                                                                       names it
instance_lookup(sandbox=, region=, instance_id=)                       an instance's summary
                                                                       (state, type, addresses,
                                                                       groups, tags) or None
instance_ids(sandbox=, region=, states=)                               the IDs of the region's
                                                                       instances, optionally only
                                                                       those in the given states

traffic_send(sandbox=, region=, target=, port=, protocol=, source=, source_ip=, now=)
                                                                       simulated traffic to an
                                                                       instance: "ACCEPT" or
                                                                       "REJECT" by the security
                                                                       groups, captured by the flow
                                                                       logs that cover either end
                                                                       (security groups, network
                                                                       ACLs both ways, routes)

Errors are EC2's own (Ec2Error subclasses: InvalidInstanceID.NotFound, IncorrectInstanceState),
which the caller turns into its own failure. `initiator` words StateTransitionReason ("User
initiated", or the service's own wording).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction

from services.ec2 import common, instances, traffic
from services.ec2.exceptions import Ec2Error
from services.ec2.models import Instance

if TYPE_CHECKING:
    from playground.sandboxes.models import Sandbox

__all__ = [
    "Ec2Error",
    "instance_act",
    "instance_ids",
    "instance_lookup",
    "instance_reboot",
    "instance_stop",
    "instance_terminate",
    "traffic_send",
]


# Each change runs in a transaction of its own (a savepoint inside the caller's): the instance row
# is locked while it changes, and a caller such as due work need not open one.


@transaction.atomic
def instance_stop(
    *, sandbox: Sandbox, region: str, instance_id: str, now: dt.datetime, initiator: str = "User initiated"
) -> dict[str, Any]:
    return instances.instances_stop(sandbox=sandbox, region=region, ids=[instance_id], now=now, initiator=initiator)[0]


@transaction.atomic
def instance_terminate(
    *, sandbox: Sandbox, region: str, instance_id: str, now: dt.datetime, initiator: str = "User initiated"
) -> dict[str, Any]:
    return instances.instances_terminate(
        sandbox=sandbox, region=region, ids=[instance_id], now=now, initiator=initiator
    )[0]


@transaction.atomic
def instance_reboot(*, sandbox: Sandbox, region: str, instance_id: str, now: dt.datetime) -> None:
    instances.instances_reboot(sandbox=sandbox, region=region, ids=[instance_id], now=now)


def instance_act(
    *, sandbox: Sandbox, region: str, instance_id: str, action: str, now: dt.datetime,
    initiator: str = "User initiated",
) -> None:  # fmt: skip
    if action == "stop":
        instance_stop(sandbox=sandbox, region=region, instance_id=instance_id, now=now, initiator=initiator)
    elif action == "terminate":
        instance_terminate(sandbox=sandbox, region=region, instance_id=instance_id, now=now, initiator=initiator)
    elif action == "reboot":
        instance_reboot(sandbox=sandbox, region=region, instance_id=instance_id, now=now)
    else:
        raise ValueError(f"no instance action {action!r}")


def instance_lookup(*, sandbox: Sandbox, region: str, instance_id: str) -> dict[str, Any] | None:
    instance = (
        Instance.objects.filter(sandbox=sandbox, region=region, instance_id=instance_id)
        .select_related("subnet__vpc").first()
    )  # fmt: skip
    if instance is None:
        return None
    return {
        "InstanceId": instance.instance_id, "State": instance.state, "InstanceType": instance.instance_type,
        "ImageId": instance.image_id, "SubnetId": instance.subnet.subnet_id, "VpcId": instance.subnet.vpc.vpc_id,
        "PrivateIpAddress": instance.private_ip, "PublicIpAddress": instance.public_ip or None,
        "SecurityGroupIds": list(instance.group_ids), "LaunchTime": instance.launch_time,
        "Tags": common.tags_of(sandbox, [instance.instance_id]).get(instance.instance_id, {}),
    }  # fmt: skip


def instance_ids(*, sandbox: Sandbox, region: str, states: list[str] | None = None) -> list[str]:
    rows = Instance.objects.filter(sandbox=sandbox, region=region).order_by("id")
    if states:
        rows = rows.filter(state__in=states)
    return list(rows.values_list("instance_id", flat=True))


def traffic_send(
    *, sandbox: Sandbox, region: str, target: str, port: int, now: dt.datetime, protocol: str = "tcp",
    source: str | None = None, source_ip: str | None = None,
) -> str:  # fmt: skip
    return traffic.traffic_send(
        sandbox=sandbox, region=region, target=target, port=port, protocol=protocol, source=source,
        source_ip=source_ip, now=now,
    )  # fmt: skip
