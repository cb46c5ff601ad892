"""Instances: RunInstances and the lifecycle on the sandbox clock.

    pending --15 s--> running --Stop--> stopping --15 s--> stopped --Start--> pending
    any but terminated --Terminate--> shutting-down --15 s--> terminated --1 h--> gone

A transitional state's end is the row's `settles_at`; the tick (tasks.py) moves the rows that are
due, and each move publishes its live event and the "EC2 Instance State-change Notification"
(events.py). Nothing boots: an instance is a record with addresses, groups and a state.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import ipaddress
import random
from typing import Any

from playground.sandboxes.models import Sandbox
from services.ec2 import common, events, groups, images, keys, load, metrics, network
from services.ec2.exceptions import (
    IncorrectInstanceState,
    InvalidInstanceIDMalformed,
    InvalidInstanceIDNotFound,
    InvalidParameterCombination,
    InvalidParameterValue,
    InvalidUserDataMalformed,
    MissingParameter,
)
from services.ec2.models import (
    PENDING,
    RUNNING,
    SHUTTING_DOWN,
    STATE_CODES,
    STOPPED,
    STOPPING,
    TERMINATED,
    Instance,
    SecurityGroup,
    Subnet,
    Tag,
)

TRANSITION = dt.timedelta(seconds=15)  # pending, stopping and shutting-down last this long
TERMINATED_VISIBLE = dt.timedelta(hours=1)  # a terminated instance stays in DescribeInstances
STATUS_INITIALIZING = dt.timedelta(minutes=2)  # status checks pass this long after running
USER_DATA_LIMIT = 16 * 1024

FAMILIES = {
    "t2": ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"),
    "t3": ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"),
    "t3a": ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"),
    "t4g": ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"),
    "m5": ("large", "xlarge", "2xlarge", "4xlarge"),
    "m6i": ("large", "xlarge", "2xlarge", "4xlarge"),
    "c5": ("large", "xlarge", "2xlarge", "4xlarge"),
    "r5": ("large", "xlarge", "2xlarge"),
    "m1": ("small", "medium", "large"),
}
INSTANCE_TYPES = frozenset(f"{family}.{size}" for family, sizes in FAMILIES.items() for size in sizes)
USER_SHUTDOWN = ("Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown")


def state_of(instance: Instance) -> dict[str, Any]:
    return {"Code": STATE_CODES[instance.state], "Name": instance.state}


def _gmt(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S GMT")


# Finding -----------------------------------------------------------------------------------------


def check_instance_ids(ids: list[str]) -> None:
    for value in ids:
        if not common.id_is_valid(value, "i"):
            raise InvalidInstanceIDMalformed(f'Invalid id: "{value}"')


def instances_get(*, sandbox: Sandbox, region: str, ids: list[str], lock: bool = False) -> list[Instance]:
    """The instances, in the order asked; InvalidInstanceID.* for a malformed or unknown ID."""
    check_instance_ids(ids)
    rows = Instance.objects.filter(sandbox=sandbox, region=region, instance_id__in=ids)
    if lock:
        rows = rows.select_for_update()
    found = {instance.instance_id: instance for instance in rows.select_related("subnet__vpc")}
    missing = [value for value in dict.fromkeys(ids) if value not in found]
    if len(missing) == 1:
        raise InvalidInstanceIDNotFound(f"The instance ID '{missing[0]}' does not exist")
    if missing:
        raise InvalidInstanceIDNotFound(f"The instance IDs '{', '.join(missing)}' do not exist")
    return [found[value] for value in dict.fromkeys(ids)]


# Launching ---------------------------------------------------------------------------------------


def _private_ip(subnet: Subnet) -> str:
    net = ipaddress.ip_network(subnet.cidr)
    used = set(Instance.objects.filter(subnet=subnet).exclude(state=TERMINATED).values_list("private_ip", flat=True))
    for offset in range(4, net.num_addresses - 1):
        address = str(net.network_address + offset)
        if address not in used:
            return address
    raise InvalidParameterValue(
        f"There are not enough free addresses in subnet '{subnet.subnet_id}' to satisfy the requested number of "
        "instances."
    )


def _public_ip() -> str:
    """An address from a pool like AWS's (3.80.0.0/12); it routes nowhere."""
    return str(ipaddress.ip_address("3.80.0.0") + random.randrange(1, 2**20 - 1))


def _user_data(value: str | None) -> str:
    if not value:
        return ""
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidUserDataMalformed("Invalid BASE64 encoding of user data.") from error
    if len(decoded) > USER_DATA_LIMIT:
        raise InvalidParameterValue("User data is limited to 16384 bytes")
    return value


def _launch_groups(
    *, sandbox: Sandbox, region: str, subnet: Subnet, ids: list[str], names: list[str]
) -> list[SecurityGroup]:
    found = [groups.group_get(sandbox=sandbox, region=region, group_id=group_id) for group_id in ids]
    found += [groups.group_get(sandbox=sandbox, region=region, name=name, vpc=subnet.vpc) for name in names]
    for group in found:
        if group.vpc_id != subnet.vpc_id:
            raise InvalidParameterValue(
                f"Security group {group.group_id} and subnet {subnet.subnet_id} belong to different networks.",
                code="InvalidParameter",
            )
    if not found:
        found = [SecurityGroup.objects.get(vpc=subnet.vpc, name="default")]
    return list({group.group_id: group for group in found}.values())


def _launch_subnet(*, sandbox: Sandbox, region: str, subnet_id: str | None, zone: str | None) -> Subnet:
    if subnet_id:
        subnet = network.subnet_get(sandbox=sandbox, region=region, subnet_id=subnet_id)
        if zone and zone != subnet.availability_zone:
            raise InvalidParameterValue(
                f"Value ({zone}) for parameter availabilityZone is invalid. Subnet '{subnet_id}' is in the "
                f"availability zone {subnet.availability_zone}"
            )
        return subnet
    if zone:
        network.check_zone(region, zone)
    vpc = network.default_vpc(sandbox=sandbox, region=region)
    if vpc is None:
        raise MissingParameter(
            "No subnets found for the default VPC. Please specify a subnet.", code="VPCIdNotSpecified"
        )
    subnets = Subnet.objects.filter(vpc=vpc, default_for_az=True).select_related("vpc")
    chosen = subnets.filter(availability_zone=zone).first() if zone else subnets.first()
    if chosen is None:
        raise MissingParameter(
            "No subnets found for the default VPC. Please specify a subnet.", code="VPCIdNotSpecified"
        )
    return chosen


def instances_run(
    *, sandbox: Sandbox, region: str, image_id: str | None, instance_type: str | None, min_count: int,
    max_count: int, key_name: str | None, group_ids: list[str], group_names: list[str], subnet_id: str | None,
    zone: str | None, user_data: str | None, tag_specs: list[dict[str, Any]], client_token: str | None,
    now: dt.datetime, monitoring: bool = False,
) -> list[Instance]:  # fmt: skip
    """Launch MaxCount instances in one reservation (the same ones again for a ClientToken already
    used). AWS's order of checks: counts, image, type, key pair, subnet, groups, tags, user data."""
    if client_token:
        earlier = list(Instance.objects.filter(sandbox=sandbox, region=region, client_token=client_token))
        if earlier:
            return earlier
    if min_count < 1:
        raise InvalidParameterValue(
            f"Value ({min_count}) for parameter minCount is invalid. Expected a positive integer."
        )
    if max_count < min_count:
        raise InvalidParameterValue(
            f"Value ({max_count}) for parameter maxCount is invalid. Expected a value greater than or equal to "
            f"minCount ({min_count})."
        )  # fmt: skip
    if not image_id:
        raise MissingParameter("The request must contain the parameter ImageId")
    image = images.image_get(image_id)
    instance_type = instance_type or "m1.small"
    if instance_type not in INSTANCE_TYPES:
        raise InvalidParameterValue(f"Invalid value '{instance_type}' for InstanceType.")
    if image[5] == "arm64" and not instance_type.startswith("t4g"):
        raise InvalidParameterValue(
            "The architecture 'x86_64' of the specified instance type does not match the architecture 'arm64' "
            "of the specified AMI. Specify an instance type and an AMI that have matching architectures, "
            "and try again. You can use 'describe-instance-types' or 'describe-images' to discover the "
            "architecture of the instance type or AMI."
        )  # fmt: skip
    if key_name:
        keys.key_get(sandbox=sandbox, region=region, name=key_name)
    subnet = _launch_subnet(sandbox=sandbox, region=region, subnet_id=subnet_id, zone=zone)
    launch_groups = _launch_groups(sandbox=sandbox, region=region, subnet=subnet, ids=group_ids, names=group_names)
    common.check_tag_specifications(tag_specs, ("instance", "volume", "network-interface"))
    data = _user_data(user_data)
    profile, percent = load.load_from_user_data(data) or ("idle", 0.0)
    schedule = load.schedule_from_user_data(data, now=now)
    if schedule:
        profile, percent = "schedule", 0.0
    reservation_id = common.new_id("r")
    launched = []
    for index in range(max_count):
        instance = Instance.objects.create(
            sandbox=sandbox, subnet=subnet, region=region, instance_id=common.new_id("i"),
            reservation_id=reservation_id, launch_index=index, image_id=image_id, instance_type=instance_type,
            key_name=key_name or "", group_ids=[group.group_id for group in launch_groups], user_data=data,
            private_ip=_private_ip(subnet), eni_id=common.new_id("eni"),
            mac_address="0a:" + ":".join(f"{random.randrange(256):02x}" for _ in range(5)),
            public_ip=_public_ip() if subnet.map_public_ip_on_launch else "", client_token=client_token or "",
            state=PENDING, settles_at=now + TRANSITION, launch_time=now, cpu_profile=profile, cpu_percent=percent,
            cpu_schedule=schedule or [], monitoring=monitoring,
        )  # fmt: skip
        common.tags_set(
            sandbox=sandbox, region=region, resource_id=instance.instance_id,
            tags=common.tag_specifications(tag_specs, "instance"),
        )  # fmt: skip
        launched.append(instance)
        events.instance_changed(sandbox, instance=instance, previous=None, now=now)
    return launched


# Changing state ----------------------------------------------------------------------------------


def _move(
    instance: Instance, state: str, *, now: dt.datetime, settles: dt.timedelta | None,
    reason: tuple[str, str] | None = None, transition: str | None = None,
) -> None:  # fmt: skip
    previous = instance.state
    instance.state = state
    instance.settles_at = now + settles if settles is not None else None
    if reason is not None:
        instance.state_reason_code, instance.state_reason_message = reason
    if transition is not None:
        instance.transition_reason = transition
    instance.save()
    events.instance_changed(instance.sandbox, instance=instance, previous=previous, now=now)


def _change(instance: Instance, previous: str) -> dict[str, Any]:
    return {
        "InstanceId": instance.instance_id,
        "CurrentState": state_of(instance),
        "PreviousState": {"Code": STATE_CODES[previous], "Name": previous},
    }


def instances_stop(
    *, sandbox: Sandbox, region: str, ids: list[str], now: dt.datetime, initiator: str = "User initiated"
) -> list[dict[str, Any]]:
    found = instances_get(sandbox=sandbox, region=region, ids=ids, lock=True)
    for instance in found:
        if instance.state in (PENDING, SHUTTING_DOWN, TERMINATED):
            raise IncorrectInstanceState(
                f"This instance '{instance.instance_id}' is not in a state from which it can be stopped."
            )
    changes = []
    for instance in found:
        previous = instance.state
        if previous == RUNNING:
            _move(instance, STOPPING, now=now, settles=TRANSITION, reason=USER_SHUTDOWN,
                  transition=f"{initiator} ({_gmt(now)})")  # fmt: skip
        changes.append(_change(instance, previous))
    return changes


def instances_start(*, sandbox: Sandbox, region: str, ids: list[str], now: dt.datetime) -> list[dict[str, Any]]:
    found = instances_get(sandbox=sandbox, region=region, ids=ids, lock=True)
    for instance in found:
        if instance.state in (STOPPING, SHUTTING_DOWN, TERMINATED):
            raise IncorrectInstanceState(
                f"The instance '{instance.instance_id}' is not in a state from which it can be started."
            )
    changes = []
    for instance in found:
        previous = instance.state
        if previous == STOPPED:
            if instance.subnet.map_public_ip_on_launch:
                instance.public_ip = _public_ip()
            _move(instance, PENDING, now=now, settles=TRANSITION, reason=("", ""), transition="")
        changes.append(_change(instance, previous))
    return changes


def instances_reboot(*, sandbox: Sandbox, region: str, ids: list[str], now: dt.datetime) -> None:
    """A reboot keeps the instance running (AWS does not show it in the state)."""
    found = instances_get(sandbox=sandbox, region=region, ids=ids)
    for instance in found:
        if instance.state in (STOPPED, STOPPING, SHUTTING_DOWN, TERMINATED):
            raise IncorrectInstanceState(
                f"The instance '{instance.instance_id}' is not in a state from which it can be rebooted."
            )
    for instance in found:
        events.instance_rebooted(sandbox, instance=instance, now=now)


def instances_terminate(
    *, sandbox: Sandbox, region: str, ids: list[str], now: dt.datetime, initiator: str = "User initiated"
) -> list[dict[str, Any]]:
    found = instances_get(sandbox=sandbox, region=region, ids=ids, lock=True)
    changes = []
    for instance in found:
        previous = instance.state
        if previous not in (SHUTTING_DOWN, TERMINATED):
            _move(instance, SHUTTING_DOWN, now=now, settles=TRANSITION, reason=USER_SHUTDOWN,
                  transition=f"{initiator} ({_gmt(now)})")  # fmt: skip
        changes.append(_change(instance, previous))
    return changes


def settle_due(sandbox: Sandbox, now: dt.datetime) -> None:
    """Move every instance whose transitional state has ended; remove terminated ones an hour on."""
    due = Instance.objects.filter(sandbox=sandbox, settles_at__lte=now).select_related("subnet__vpc", "sandbox")
    for instance in due.order_by("settles_at", "id"):
        # Claim the row: another worker may be settling the same one.
        if not Instance.objects.filter(pk=instance.pk, settles_at=instance.settles_at).update(settles_at=None):
            continue
        at = instance.settles_at or now
        if instance.state == PENDING:
            instance.running_since = at
            instance.metrics_at = metrics.next_boundary(at, metrics.period_of(instance))
            _move(instance, RUNNING, now=at, settles=None)
        elif instance.state == STOPPING:
            instance.public_ip = ""
            _move(instance, STOPPED, now=at, settles=None)
        elif instance.state == SHUTTING_DOWN:
            instance.public_ip = ""
            _move(instance, TERMINATED, now=at, settles=TERMINATED_VISIBLE)
        elif instance.state == TERMINATED:
            Tag.objects.filter(sandbox=sandbox, resource_id=instance.instance_id).delete()
            events.instance_removed(sandbox, instance=instance, now=now)
            instance.delete()


# Describing --------------------------------------------------------------------------------------

INSTANCE_FILTERS = (
    "instance-id", "instance-state-name", "instance-state-code", "instance-type", "image-id", "key-name",
    "subnet-id", "vpc-id", "availability-zone", "private-ip-address", "ip-address", "private-dns-name",
    "dns-name", "instance.group-id", "instance.group-name", "group-id", "group-name", "reservation-id",
    "launch-index", "owner-id", "architecture", "network-interface.network-interface-id",
)  # fmt: skip


def private_dns(instance: Instance) -> str:
    host = "ip-" + instance.private_ip.replace(".", "-")
    suffix = "ec2.internal" if instance.region == "us-east-1" else f"{instance.region}.compute.internal"
    return f"{host}.{suffix}"


def public_dns(instance: Instance) -> str:
    if not instance.public_ip:
        return ""
    host = "ec2-" + instance.public_ip.replace(".", "-")
    suffix = "compute-1.amazonaws.com" if instance.region == "us-east-1" else f"{instance.region}.compute.amazonaws.com"
    return f"{host}.{suffix}"


def _fields(instance: Instance, tags: dict[str, str], names: dict[str, str]) -> common.Fields:
    return common.filter_fields_with_tags(
        {
            "instance-id": [instance.instance_id], "instance-state-name": [instance.state],
            "instance-state-code": [str(STATE_CODES[instance.state])], "instance-type": [instance.instance_type],
            "image-id": [instance.image_id], "key-name": [instance.key_name] if instance.key_name else [],
            "subnet-id": [instance.subnet.subnet_id], "vpc-id": [instance.subnet.vpc.vpc_id],
            "availability-zone": [instance.subnet.availability_zone], "private-ip-address": [instance.private_ip],
            "ip-address": [instance.public_ip] if instance.public_ip else [],
            "private-dns-name": [private_dns(instance)], "dns-name": [public_dns(instance)],
            "instance.group-id": list(instance.group_ids), "group-id": list(instance.group_ids),
            "instance.group-name": [names.get(gid, "") for gid in instance.group_ids],
            "group-name": [names.get(gid, "") for gid in instance.group_ids],
            "reservation-id": [instance.reservation_id], "launch-index": [str(instance.launch_index)],
            "owner-id": [instance.sandbox.account_id], "architecture": [images.image_get(instance.image_id)[5]],
            "network-interface.network-interface-id": [instance.eni_id],
        },
        tags,
    )  # fmt: skip


def instance_view(instance: Instance, tags: dict[str, str], names: dict[str, str]) -> dict[str, Any]:
    subnet = instance.subnet
    image = images.image_get(instance.image_id)
    live = instance.state != TERMINATED
    group_list = [{"GroupId": gid, "GroupName": names.get(gid, "")} for gid in instance.group_ids] if live else []
    view: dict[str, Any] = {
        "InstanceId": instance.instance_id, "ImageId": instance.image_id, "State": state_of(instance),
        "PrivateDnsName": private_dns(instance) if live else "", "PublicDnsName": public_dns(instance),
        "StateTransitionReason": instance.transition_reason, "AmiLaunchIndex": instance.launch_index,
        "ProductCodes": [], "InstanceType": instance.instance_type, "LaunchTime": instance.launch_time,
        "Placement": {"AvailabilityZone": subnet.availability_zone, "GroupName": "", "Tenancy": "default"},
        "Monitoring": {"State": "enabled" if instance.monitoring else "disabled"}, "Architecture": image[5],
        "RootDeviceType": "ebs",
        "RootDeviceName": "/dev/xvda", "BlockDeviceMappings": [], "VirtualizationType": "hvm",
        "ClientToken": instance.client_token, "Hypervisor": "xen", "EbsOptimized": False, "EnaSupport": True,
        "SourceDestCheck": True, "SecurityGroups": group_list, "PlatformDetails": image[4],
        "CpuOptions": {"CoreCount": 1, "ThreadsPerCore": 2}, "CurrentInstanceBootMode": "uefi",
        "MetadataOptions": {"State": "applied", "HttpTokens": "required", "HttpPutResponseHopLimit": 2,
                            "HttpEndpoint": "enabled"},
    }  # fmt: skip
    if live:
        view |= {"SubnetId": subnet.subnet_id, "VpcId": subnet.vpc.vpc_id, "PrivateIpAddress": instance.private_ip}
        interface: dict[str, Any] = {
            "NetworkInterfaceId": instance.eni_id, "SubnetId": subnet.subnet_id, "VpcId": subnet.vpc.vpc_id,
            "Description": "", "OwnerId": instance.sandbox.account_id, "Status": "in-use",
            "MacAddress": instance.mac_address, "PrivateIpAddress": instance.private_ip,
            "PrivateDnsName": private_dns(instance), "SourceDestCheck": True, "Groups": group_list,
            "InterfaceType": "interface",
            "Attachment": {"AttachmentId": "eni-attach-" + instance.eni_id[4:], "DeviceIndex": 0,
                           "Status": "attached", "AttachTime": instance.launch_time, "DeleteOnTermination": True,
                           "NetworkCardIndex": 0},
            "PrivateIpAddresses": [{"Primary": True, "PrivateIpAddress": instance.private_ip,
                                    "PrivateDnsName": private_dns(instance)}],
        }  # fmt: skip
        if instance.public_ip:
            association = {"PublicIp": instance.public_ip, "PublicDnsName": public_dns(instance), "IpOwnerId": "amazon"}
            interface["Association"] = association
            interface["PrivateIpAddresses"][0]["Association"] = association
        view["NetworkInterfaces"] = [interface]
    if instance.public_ip:
        view["PublicIpAddress"] = instance.public_ip
    if instance.key_name:
        view["KeyName"] = instance.key_name
    if image[4] == "Windows":
        view["Platform"] = "windows"
    if instance.state_reason_code:
        view["StateReason"] = {"Code": instance.state_reason_code, "Message": instance.state_reason_message}
    elif instance.state == PENDING:
        view["StateReason"] = {"Code": "pending", "Message": "pending"}
    if tags:
        view["Tags"] = common.tag_list(tags)
    return view


def group_names(sandbox: Sandbox, region: str) -> dict[str, str]:
    return dict(SecurityGroup.objects.filter(sandbox=sandbox, region=region).values_list("group_id", "name"))


def reservations(
    instances: list[Instance], tags: dict[str, dict[str, str]], names: dict[str, str]
) -> list[dict[str, Any]]:
    """Instances grouped by reservation, in launch order."""
    grouped: dict[str, dict[str, Any]] = {}
    for instance in instances:
        reservation = grouped.setdefault(
            instance.reservation_id,
            {"ReservationId": instance.reservation_id, "OwnerId": instance.sandbox.account_id, "Groups": [],
             "Instances": []},
        )  # fmt: skip
        reservation["Instances"].append(instance_view(instance, tags.get(instance.instance_id, {}), names))
    return list(grouped.values())


def instances_describe(
    *, sandbox: Sandbox, region: str, ids: list[str], filters: list[dict[str, Any]], max_results: int | None,
    token: str | None,
) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
    if ids and max_results is not None:
        raise InvalidParameterCombination("The parameter instancesSet cannot be used with the parameter maxResults")
    if max_results is not None and not 5 <= max_results <= 1000:
        raise InvalidParameterValue(
            f"Value ( {max_results} ) for parameter maxResults is invalid. Expecting a value greater than 5."
        )
    if ids:
        rows = instances_get(sandbox=sandbox, region=region, ids=ids)
    else:
        query = Instance.objects.filter(sandbox=sandbox, region=region)
        for flt in filters:
            # A tag filter without wildcards narrows the rows in the database first (filters AND).
            values = [str(value) for value in flt.get("Values") or []]
            if str(flt.get("Name", "")).startswith("tag:") and not any("*" in v or "?" in v for v in values):
                tagged = Tag.objects.filter(sandbox=sandbox, key=flt["Name"][4:], value__in=values)
                query = query.filter(instance_id__in=tagged.values("resource_id"))
        rows = list(query.select_related("subnet__vpc", "sandbox").order_by("id"))
    tags = common.tags_of(sandbox, [instance.instance_id for instance in rows])
    names = group_names(sandbox, region)
    chosen = common.select(rows, filters, lambda i: _fields(i, tags.get(i.instance_id, {}), names), INSTANCE_FILTERS)
    shown, following = common.page(chosen, max_results=max_results, token=token)
    return reservations(shown, tags, names), following


def statuses_describe(
    *, sandbox: Sandbox, region: str, ids: list[str], include_all: bool, filters: list[dict[str, Any]],
    now: dt.datetime,
) -> list[dict[str, Any]]:  # fmt: skip
    """DescribeInstanceStatus: running instances (all with IncludeAllInstances); the status checks
    are `initializing` for two minutes after an instance starts running, then `ok`."""
    if ids:
        rows = instances_get(sandbox=sandbox, region=region, ids=ids)
    else:
        rows = list(Instance.objects.filter(sandbox=sandbox, region=region).select_related("subnet").order_by("id"))
    if not include_all:
        rows = [instance for instance in rows if instance.state == RUNNING]
    views = []
    for instance in rows:
        if instance.state != RUNNING:
            status, detail = "not-applicable", None
        elif instance.running_since and now - instance.running_since >= STATUS_INITIALIZING:
            status, detail = "ok", "passed"
        else:
            status, detail = "initializing", "initializing"
        check: dict[str, Any] = {"Status": status}
        if detail:
            check["Details"] = [{"Name": "reachability", "Status": detail}]
        view = {
            "InstanceId": instance.instance_id, "AvailabilityZone": instance.subnet.availability_zone,
            "InstanceState": state_of(instance), "InstanceStatus": check, "SystemStatus": dict(check),
            "AttachedEbsStatus": dict(check) if instance.state == RUNNING else {"Status": "not-applicable"},
        }  # fmt: skip
        fields = {
            "availability-zone": [instance.subnet.availability_zone], "instance-state-name": [instance.state],
            "instance-state-code": [str(STATE_CODES[instance.state])], "instance-status.status": [status],
            "system-status.status": [status], "instance-status.reachability": [detail or ""],
        }  # fmt: skip
        if common.matches(fields, filters):
            views.append(view)
    common.check_filters(filters, (
        "availability-zone", "instance-state-name", "instance-state-code", "instance-status.status",
        "system-status.status", "instance-status.reachability",
    ))  # fmt: skip
    return views
