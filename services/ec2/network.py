"""VPCs, subnets, availability zones and regions, and each region's default VPC: made on the first
call that needs it (172.31.0.0/16 with a /20 default subnet per availability zone and its default
security group), as every AWS account has one."""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

from django.db import IntegrityError, transaction

from playground.sandboxes.models import Sandbox
from services.ec2 import common, events
from services.ec2.exceptions import (
    DependencyViolation,
    InvalidAvailabilityZone,
    InvalidParameterValue,
    InvalidSubnetConflict,
    InvalidSubnetIDMalformed,
    InvalidSubnetIDNotFound,
    InvalidSubnetRange,
    InvalidVpcIDMalformed,
    InvalidVpcIDNotFound,
    InvalidVpcRange,
)
from services.ec2.models import TERMINATED, Instance, RegionState, SecurityGroup, Subnet, Tag, Vpc

ZONE_LETTERS = ("a", "b", "c")
DEFAULT_VPC_CIDR = "172.31.0.0/16"
REGIONS = (
    "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-north-1", "eu-south-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "me-south-1", "sa-east-1", "us-east-1", "us-east-2",
    "us-west-1", "us-west-2",
)  # fmt: skip
# Regions a new account must opt in to; the others are "opt-in-not-required".
OPT_IN_REGIONS = frozenset({"af-south-1", "ap-east-1", "eu-south-1", "me-south-1"})


def zone_names(region: str) -> list[str]:
    return [f"{region}{letter}" for letter in ZONE_LETTERS]


def zone_id(zone: str) -> str:
    """use1-az1 for us-east-1a: the region's initials and the zone's number."""
    region, letter = zone[:-1], zone[-1]
    parts = region.split("-")
    short = parts[0] + "".join(part[0] for part in parts[1:-1]) + parts[-1]
    return f"{short}-az{ZONE_LETTERS.index(letter) + 1}"


def zones(region: str) -> list[dict[str, Any]]:
    return [
        {
            "State": "available", "OptInStatus": "opt-in-not-required", "Messages": [], "RegionName": region,
            "ZoneName": zone, "ZoneId": zone_id(zone), "GroupName": region, "NetworkBorderGroup": region,
            "ZoneType": "availability-zone",
        }
        for zone in zone_names(region)
    ]  # fmt: skip


def regions() -> list[dict[str, Any]]:
    return [
        {
            "Endpoint": f"ec2.{name}.amazonaws.com", "RegionName": name,
            "OptInStatus": "opted-in" if name in OPT_IN_REGIONS else "opt-in-not-required",
        }
        for name in REGIONS
    ]  # fmt: skip


# The default VPC ---------------------------------------------------------------------------------


def ensure_default(*, sandbox: Sandbox, region: str, now: dt.datetime) -> None:
    """Make the region's default VPC the first time EC2 is used there."""
    if RegionState.objects.filter(sandbox=sandbox, region=region).exists():
        return
    try:
        with transaction.atomic():
            RegionState.objects.create(sandbox=sandbox, region=region, created_at=now)
    except IntegrityError:
        return  # another request made it meanwhile
    vpc = Vpc.objects.create(
        sandbox=sandbox, region=region, vpc_id=common.new_id("vpc"), cidr=DEFAULT_VPC_CIDR, is_default=True,
        created_at=now,
    )  # fmt: skip
    _default_group(vpc)
    network = ipaddress.ip_network(DEFAULT_VPC_CIDR)
    for zone, block in zip(zone_names(region), network.subnets(new_prefix=20), strict=False):
        Subnet.objects.create(
            sandbox=sandbox, vpc=vpc, region=region, subnet_id=common.new_id("subnet"), cidr=str(block),
            availability_zone=zone, default_for_az=True, map_public_ip_on_launch=True, created_at=now,
        )  # fmt: skip
    from services.ec2 import routing  # routing.py builds on this module

    routing.vpc_defaults(vpc)


def _default_group(vpc: Vpc) -> SecurityGroup:
    """Every VPC's `default` group: all traffic from its own members in, everything out."""
    group_id = common.new_id("sg")
    return SecurityGroup.objects.create(
        sandbox=vpc.sandbox, vpc=vpc, region=vpc.region, group_id=group_id, name="default",
        description="default VPC security group",
        ingress=[{"rule_id": common.new_id("sgr"), "protocol": "-1", "group_id": group_id}],
        egress=[{"rule_id": common.new_id("sgr"), "protocol": "-1", "cidr_ipv4": "0.0.0.0/0"}],
    )  # fmt: skip


def default_vpc(*, sandbox: Sandbox, region: str) -> Vpc | None:
    return Vpc.objects.filter(sandbox=sandbox, region=region, is_default=True).first()


# VPCs --------------------------------------------------------------------------------------------


def _network(cidr: str, error: type[Exception]) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError as problem:
        raise error(f"The CIDR '{cidr}' is invalid.") from problem
    if not isinstance(network, ipaddress.IPv4Network) or not 16 <= network.prefixlen <= 28:
        raise error(f"The CIDR '{cidr}' is invalid.")
    return network


def vpc_create(
    *, sandbox: Sandbox, region: str, cidr: str, tenancy: str | None, tags: list[dict[str, Any]], now: dt.datetime
) -> Vpc:
    network = _network(cidr, InvalidVpcRange)
    common.check_tags(tags)
    vpc = Vpc.objects.create(
        sandbox=sandbox, region=region, vpc_id=common.new_id("vpc"), cidr=str(network),
        instance_tenancy=tenancy or "default", created_at=now,
    )  # fmt: skip
    _default_group(vpc)
    from services.ec2 import routing  # routing.py builds on this module

    routing.vpc_defaults(vpc)
    common.tags_set(sandbox=sandbox, region=region, resource_id=vpc.vpc_id, tags=tags)
    events.vpc_changed(sandbox, vpc=vpc, change="created", now=now)
    return vpc


def vpc_get(*, sandbox: Sandbox, region: str, vpc_id: str) -> Vpc:
    if not common.id_is_valid(vpc_id, "vpc"):
        raise InvalidVpcIDMalformed(f'Invalid id: "{vpc_id}"')
    vpc = Vpc.objects.filter(sandbox=sandbox, region=region, vpc_id=vpc_id).first()
    if vpc is None:
        raise InvalidVpcIDNotFound(f"The vpc ID '{vpc_id}' does not exist")
    return vpc


def vpc_delete(*, sandbox: Sandbox, region: str, vpc_id: str, now: dt.datetime) -> None:
    vpc = vpc_get(sandbox=sandbox, region=region, vpc_id=vpc_id)
    others = SecurityGroup.objects.filter(vpc=vpc).exclude(name="default")
    if vpc.subnets.exists() or others.exists():
        raise DependencyViolation(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
    from services.ec2.models import InternetGateway

    attached = InternetGateway.objects.filter(vpc=vpc).first()
    if attached is not None and not vpc.is_default:
        raise DependencyViolation(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
    InternetGateway.objects.filter(vpc=vpc).delete()  # the default VPC's own gateway goes with it
    group_ids = list(SecurityGroup.objects.filter(vpc=vpc).values_list("group_id", flat=True))
    Tag.objects.filter(sandbox=sandbox, resource_id__in=[vpc_id, *group_ids]).delete()
    events.vpc_changed(sandbox, vpc=vpc, change="deleted", now=now)
    vpc.delete()


VPC_FILTERS = (
    "vpc-id",
    "cidr",
    "cidr-block-association.cidr-block",
    "is-default",
    "state",
    "owner-id",
    "dhcp-options-id",
)


def vpc_fields(vpc: Vpc, tags: dict[str, str]) -> common.Fields:
    return common.filter_fields_with_tags(
        {
            "vpc-id": [vpc.vpc_id], "cidr": [vpc.cidr], "cidr-block-association.cidr-block": [vpc.cidr],
            "is-default": [str(vpc.is_default).lower()], "state": ["available"], "owner-id": [vpc.sandbox.account_id],
            "dhcp-options-id": ["default"],
        },
        tags,
    )  # fmt: skip


def vpc_view(vpc: Vpc, tags: dict[str, str]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "VpcId": vpc.vpc_id, "CidrBlock": vpc.cidr, "State": "available", "DhcpOptionsId": "default",
        "InstanceTenancy": vpc.instance_tenancy, "IsDefault": vpc.is_default, "OwnerId": vpc.sandbox.account_id,
        "CidrBlockAssociationSet": [
            {"AssociationId": f"vpc-cidr-assoc-{vpc.vpc_id[4:]}", "CidrBlock": vpc.cidr,
             "CidrBlockState": {"State": "associated"}}
        ],
    }  # fmt: skip
    if tags:
        view["Tags"] = common.tag_list(tags)
    return view


def vpcs_describe(
    *, sandbox: Sandbox, region: str, vpc_ids: list[str], filters: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = list(Vpc.objects.filter(sandbox=sandbox, region=region).select_related("sandbox"))
    rows = common.named(
        rows, vpc_ids, lambda vpc: vpc.vpc_id, lambda vpc_id: vpc_get(sandbox=sandbox, region=region, vpc_id=vpc_id)
    )
    tags = common.tags_of(sandbox, [vpc.vpc_id for vpc in rows])
    chosen = common.select(rows, filters, lambda vpc: vpc_fields(vpc, tags.get(vpc.vpc_id, {})), VPC_FILTERS)
    return [vpc_view(vpc, tags.get(vpc.vpc_id, {})) for vpc in chosen]


# Subnets -----------------------------------------------------------------------------------------


def subnet_create(
    *, sandbox: Sandbox, region: str, vpc_id: str, cidr: str, zone: str | None, zone_id_: str | None,
    tags: list[dict[str, Any]], now: dt.datetime,
) -> Subnet:  # fmt: skip
    vpc = vpc_get(sandbox=sandbox, region=region, vpc_id=vpc_id)
    network = _network(cidr, InvalidSubnetRange)
    if not network.subnet_of(ipaddress.ip_network(vpc.cidr)):  # type: ignore[arg-type]
        raise InvalidSubnetRange(f"The CIDR '{cidr}' is invalid.")
    for other in vpc.subnets.all():
        if network.overlaps(ipaddress.ip_network(other.cidr)):
            raise InvalidSubnetConflict(f"The CIDR '{network}' conflicts with another subnet")
    names = zone_names(region)
    if zone_id_ and not zone:
        zone = next((name for name in names if zone_id(name) == zone_id_), None)
        if zone is None:
            raise InvalidParameterValue(f"Value ({zone_id_}) for parameter availabilityZoneId is invalid.")
    if zone and zone not in names:
        raise InvalidParameterValue(
            f"Value ({zone}) for parameter availabilityZone is invalid. Subnets can currently only be created in "
            f"the following availability zones: {', '.join(names)}."
        )
    common.check_tags(tags)
    used = vpc.subnets.count()
    subnet = Subnet.objects.create(
        sandbox=sandbox, vpc=vpc, region=region, subnet_id=common.new_id("subnet"), cidr=str(network),
        availability_zone=zone or names[used % len(names)], created_at=now,
    )  # fmt: skip
    from services.ec2 import routing  # routing.py builds on this module

    routing.subnet_added(subnet)
    common.tags_set(sandbox=sandbox, region=region, resource_id=subnet.subnet_id, tags=tags)
    events.vpc_changed(sandbox, vpc=vpc, change="changed", now=now)
    return subnet


def subnet_get(*, sandbox: Sandbox, region: str, subnet_id: str) -> Subnet:
    if not common.id_is_valid(subnet_id, "subnet"):
        raise InvalidSubnetIDMalformed(f'Invalid id: "{subnet_id}"')
    subnet = Subnet.objects.filter(sandbox=sandbox, region=region, subnet_id=subnet_id).select_related("vpc").first()
    if subnet is None:
        raise InvalidSubnetIDNotFound(f"The subnet ID '{subnet_id}' does not exist")
    return subnet


def subnet_delete(*, sandbox: Sandbox, region: str, subnet_id: str, now: dt.datetime) -> None:
    subnet = subnet_get(sandbox=sandbox, region=region, subnet_id=subnet_id)
    if subnet.instances.exclude(state=TERMINATED).exists():
        raise DependencyViolation(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
    Instance.objects.filter(subnet=subnet).delete()
    Tag.objects.filter(sandbox=sandbox, resource_id=subnet_id).delete()
    from services.ec2 import routing  # routing.py builds on this module

    routing.subnet_removed(subnet)
    subnet.delete()
    events.vpc_changed(sandbox, vpc=subnet.vpc, change="changed", now=now)


SUBNET_FILTERS = (
    "subnet-id", "vpc-id", "cidr-block", "cidr", "availability-zone", "availability-zone-id", "default-for-az",
    "defaultForAz", "map-public-ip-on-launch", "state", "owner-id",
)  # fmt: skip


def free_addresses(subnet: Subnet) -> int:
    """Addresses left: AWS keeps the first four and the last of every subnet."""
    size = ipaddress.ip_network(subnet.cidr).num_addresses - 5
    return size - subnet.instances.exclude(state=TERMINATED).count()


def subnet_fields(subnet: Subnet, tags: dict[str, str]) -> common.Fields:
    return common.filter_fields_with_tags(
        {
            "subnet-id": [subnet.subnet_id], "vpc-id": [subnet.vpc.vpc_id], "cidr-block": [subnet.cidr],
            "cidr": [subnet.cidr], "availability-zone": [subnet.availability_zone],
            "availability-zone-id": [zone_id(subnet.availability_zone)],
            "default-for-az": [str(subnet.default_for_az).lower()],
            "defaultForAz": [str(subnet.default_for_az).lower()],
            "map-public-ip-on-launch": [str(subnet.map_public_ip_on_launch).lower()], "state": ["available"],
            "owner-id": [subnet.sandbox.account_id],
        },
        tags,
    )  # fmt: skip


def subnet_view(subnet: Subnet, tags: dict[str, str]) -> dict[str, Any]:
    account = subnet.sandbox.account_id
    view: dict[str, Any] = {
        "SubnetId": subnet.subnet_id, "VpcId": subnet.vpc.vpc_id, "CidrBlock": subnet.cidr, "State": "available",
        "AvailabilityZone": subnet.availability_zone, "AvailabilityZoneId": zone_id(subnet.availability_zone),
        "AvailableIpAddressCount": free_addresses(subnet), "DefaultForAz": subnet.default_for_az,
        "MapPublicIpOnLaunch": subnet.map_public_ip_on_launch, "OwnerId": account,
        "AssignIpv6AddressOnCreation": False, "Ipv6CidrBlockAssociationSet": [],
        "SubnetArn": f"arn:aws:ec2:{subnet.region}:{account}:subnet/{subnet.subnet_id}",
    }  # fmt: skip
    if tags:
        view["Tags"] = common.tag_list(tags)
    return view


def subnets_describe(
    *, sandbox: Sandbox, region: str, subnet_ids: list[str], filters: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = list(Subnet.objects.filter(sandbox=sandbox, region=region).select_related("vpc", "sandbox"))
    rows = common.named(
        rows, subnet_ids, lambda subnet: subnet.subnet_id,
        lambda subnet_id: subnet_get(sandbox=sandbox, region=region, subnet_id=subnet_id),
    )  # fmt: skip
    tags = common.tags_of(sandbox, [subnet.subnet_id for subnet in rows])
    chosen = common.select(rows, filters, lambda s: subnet_fields(s, tags.get(s.subnet_id, {})), SUBNET_FILTERS)
    return [subnet_view(subnet, tags.get(subnet.subnet_id, {})) for subnet in chosen]


def subnet_modify(*, sandbox: Sandbox, region: str, subnet_id: str, map_public_ip: bool | None) -> None:
    subnet = subnet_get(sandbox=sandbox, region=region, subnet_id=subnet_id)
    if map_public_ip is not None:
        subnet.map_public_ip_on_launch = map_public_ip
        subnet.save(update_fields=["map_public_ip_on_launch"])


def check_zone(region: str, zone: str) -> None:
    if zone not in zone_names(region):
        raise InvalidAvailabilityZone(f"The requested Availability Zone is not valid: {zone}")
