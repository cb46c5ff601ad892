"""Security groups: create, describe, delete, and their ingress and egress rules. A rule is stored
flat, one per (protocol, port range, peer), and shown as AWS groups them, in IpPermissions.
`allows` evaluates the rules for a flow (the simulated traffic and Flow Logs build on it)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

from playground.sandboxes.models import Sandbox
from services.ec2 import common, events, network
from services.ec2.exceptions import (
    CannotDelete,
    DependencyViolation,
    InvalidGroupDuplicate,
    InvalidGroupIdMalformed,
    InvalidGroupNotFound,
    InvalidGroupReserved,
    InvalidParameterValue,
    InvalidPermissionDuplicate,
    InvalidPermissionNotFound,
    MissingParameter,
)
from services.ec2.models import TERMINATED, Instance, SecurityGroup, Tag, Vpc

PROTOCOL_NUMBERS = {"6": "tcp", "17": "udp", "1": "icmp", "all": "-1"}
PROTOCOL_NAMES = {"tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "-1": "ALL"}


def group_get(
    *, sandbox: Sandbox, region: str, group_id: str | None = None, name: str | None = None, vpc: Vpc | None = None
) -> SecurityGroup:
    rows = SecurityGroup.objects.filter(sandbox=sandbox, region=region).select_related("vpc")
    if group_id:
        if not common.id_is_valid(group_id, "sg"):
            raise InvalidGroupIdMalformed(f'Invalid id: "{group_id}" (expecting "sg-...")')
        found = rows.filter(group_id=group_id).first()
        if found is None:
            raise InvalidGroupNotFound(f"The security group '{group_id}' does not exist")
        return found
    if not name:
        raise MissingParameter("The request must contain the parameter groupName or groupId")
    vpc = vpc or network.default_vpc(sandbox=sandbox, region=region)
    found = rows.filter(name=name, vpc=vpc).first() if vpc else None
    if found is None:
        where = f" in default VPC '{vpc.vpc_id}'" if vpc else ""
        raise InvalidGroupNotFound(f"The security group '{name}' does not exist{where}")
    return found


def group_create(
    *, sandbox: Sandbox, region: str, name: str, description: str, vpc_id: str | None,
    tags: list[dict[str, Any]], now: dt.datetime,
) -> SecurityGroup:  # fmt: skip
    if vpc_id:
        vpc = network.vpc_get(sandbox=sandbox, region=region, vpc_id=vpc_id)
    else:
        found = network.default_vpc(sandbox=sandbox, region=region)
        if found is None:
            raise common.InvalidParameterValue("No default VPC for this user")
        vpc = found
    if name.lower().startswith("sg-"):
        raise InvalidParameterValue("Group names may not be in the format sg-*")
    if name == "default":
        raise InvalidGroupReserved("The security group 'default' is reserved")
    if len(name) > 255 or len(description) > 255:
        raise InvalidParameterValue("Value for parameter groupName or groupDescription is too long (255 maximum)")
    if SecurityGroup.objects.filter(vpc=vpc, name=name).exists():
        raise InvalidGroupDuplicate(f"The security group '{name}' already exists for VPC '{vpc.vpc_id}'")
    common.check_tags(tags)
    group = SecurityGroup.objects.create(
        sandbox=sandbox, vpc=vpc, region=region, group_id=common.new_id("sg"), name=name, description=description,
        egress=[{"rule_id": common.new_id("sgr"), "protocol": "-1", "cidr_ipv4": "0.0.0.0/0"}],
    )  # fmt: skip
    common.tags_set(sandbox=sandbox, region=region, resource_id=group.group_id, tags=tags)
    events.vpc_changed(sandbox, vpc=vpc, change="changed", now=now)
    return group


def group_delete(*, sandbox: Sandbox, region: str, group_id: str | None, name: str | None, now: dt.datetime) -> None:
    group = group_get(sandbox=sandbox, region=region, group_id=group_id, name=name)
    if group.name == "default":
        raise CannotDelete(f'the specified group: "{group.group_id}" name: "default" cannot be deleted by a user')
    live = Instance.objects.filter(sandbox=sandbox, region=region).exclude(state=TERMINATED)
    if any(group.group_id in instance.group_ids for instance in live):
        raise DependencyViolation(f"resource {group.group_id} has a dependent object")
    for other in SecurityGroup.objects.filter(sandbox=sandbox, region=region).exclude(pk=group.pk):
        if any(rule.get("group_id") == group.group_id for rule in [*other.ingress, *other.egress]):
            raise DependencyViolation(f"resource {group.group_id} has a dependent object")
    Tag.objects.filter(sandbox=sandbox, resource_id=group.group_id).delete()
    group.delete()
    events.vpc_changed(sandbox, vpc=group.vpc, change="changed", now=now)


# Rules -------------------------------------------------------------------------------------------


def _protocol(value: str | None) -> str:
    protocol = (value or "").lower()
    protocol = PROTOCOL_NUMBERS.get(protocol, protocol)
    if protocol in ("tcp", "udp", "icmp", "-1"):
        return protocol
    if protocol.isdigit() and 0 <= int(protocol) <= 255:
        return protocol
    raise InvalidParameterValue(f"Invalid value '{value}' for IP protocol. Unknown protocol.")


def rules_from_permissions(permissions: list[dict[str, Any]], *, sandbox: Sandbox, region: str) -> list[dict[str, Any]]:
    """Flat rules from an IpPermissions list, checked as AWS checks them."""
    rules: list[dict[str, Any]] = []
    for permission in permissions:
        protocol = _protocol(permission.get("IpProtocol"))
        base: dict[str, Any] = {"protocol": protocol}
        if protocol in ("tcp", "udp"):
            low, high = permission.get("FromPort"), permission.get("ToPort")
            if low is None or high is None:
                raise InvalidParameterValue(
                    "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange"
                )
            if not (0 <= low <= high <= 65535):
                raise InvalidParameterValue(f"Invalid TCP/UDP port range: {low}-{high}")
            base |= {"from_port": low, "to_port": high}
        elif protocol == "icmp":
            base |= {"from_port": permission.get("FromPort", -1), "to_port": permission.get("ToPort", -1)}
        peers: list[dict[str, Any]] = []
        for ip_range in permission.get("IpRanges") or []:
            cidr = ip_range.get("CidrIp") or ""
            try:
                cidr = str(ipaddress.IPv4Network(cidr, strict=False))
            except ValueError as error:
                raise InvalidParameterValue(f"CIDR block {cidr} is malformed") from error
            peers.append({"cidr_ipv4": cidr, "description": ip_range.get("Description") or ""})
        for ip_range in permission.get("Ipv6Ranges") or []:
            cidr = ip_range.get("CidrIpv6") or ""
            try:
                cidr = str(ipaddress.IPv6Network(cidr, strict=False))
            except ValueError as error:
                raise InvalidParameterValue(f"CIDR block {cidr} is malformed") from error
            peers.append({"cidr_ipv6": cidr, "description": ip_range.get("Description") or ""})
        for pair in permission.get("UserIdGroupPairs") or []:
            peer = group_get(sandbox=sandbox, region=region, group_id=pair.get("GroupId"), name=pair.get("GroupName"))
            peers.append({"group_id": peer.group_id, "description": pair.get("Description") or ""})
        if not peers:
            raise MissingParameter("The request must contain the parameter ipPermissions")
        rules.extend(base | peer for peer in peers)
    return rules


def _same(one: dict[str, Any], other: dict[str, Any]) -> bool:
    keys = ("protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6", "group_id")
    return all(one.get(key) == other.get(key) for key in keys)


def _rule_text(rule: dict[str, Any]) -> str:
    peer = rule.get("cidr_ipv4") or rule.get("cidr_ipv6") or rule.get("group_id")
    text = f"peer: {peer}, {PROTOCOL_NAMES.get(rule['protocol'], rule['protocol'])}"
    if "from_port" in rule:
        text += f", from port: {rule['from_port']}, to port: {rule['to_port']}"
    return f'the specified rule "{text}, ALLOW" already exists'


def rules_authorize(
    *, sandbox: Sandbox, region: str, group_id: str | None, name: str | None, direction: str,
    permissions: list[dict[str, Any]], now: dt.datetime,
) -> tuple[SecurityGroup, list[dict[str, Any]]]:  # fmt: skip
    group = group_get(sandbox=sandbox, region=region, group_id=group_id, name=name)
    rules = rules_from_permissions(permissions, sandbox=sandbox, region=region)
    existing: list[dict[str, Any]] = getattr(group, direction)
    added: list[dict[str, Any]] = []
    for rule in rules:
        if any(_same(rule, old) for old in [*existing, *added]):
            raise InvalidPermissionDuplicate(_rule_text(rule))
        added.append({"rule_id": common.new_id("sgr"), **rule})
    setattr(group, direction, existing + added)
    group.save(update_fields=[direction])
    events.group_changed(sandbox, group=group, now=now)
    return group, added


def rules_revoke(
    *, sandbox: Sandbox, region: str, group_id: str | None, name: str | None, direction: str,
    permissions: list[dict[str, Any]], rule_ids: list[str], now: dt.datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # fmt: skip
    """Remove the rules; answer (the rules revoked, the permissions that matched no rule)."""
    group = group_get(sandbox=sandbox, region=region, group_id=group_id, name=name)
    existing: list[dict[str, Any]] = getattr(group, direction)
    rules = rules_from_permissions(permissions, sandbox=sandbox, region=region) if permissions else []
    revoked = [old for old in existing if old["rule_id"] in rule_ids or any(_same(rule, old) for rule in rules)]
    unknown = [rule for rule in rules if not any(_same(rule, old) for old in existing)]
    missing_ids = [rule_id for rule_id in rule_ids if not any(old["rule_id"] == rule_id for old in existing)]
    if missing_ids:
        raise InvalidPermissionNotFound(f"The security group rule ID '{missing_ids[0]}' does not exist")
    if not revoked:
        raise InvalidPermissionNotFound("The specified rule does not exist in this security group.")
    setattr(group, direction, [old for old in existing if old not in revoked])
    group.save(update_fields=[direction])
    events.group_changed(sandbox, group=group, now=now)
    return revoked, permissions_of(unknown)


def permissions_of(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """AWS's IpPermissions: rules grouped by protocol and port range, peers listed under each."""
    grouped: dict[tuple[Any, ...], dict[str, Any]] = {}
    for rule in rules:
        key = (rule["protocol"], rule.get("from_port"), rule.get("to_port"))
        permission = grouped.get(key)
        if permission is None:
            permission = {"IpProtocol": rule["protocol"], "IpRanges": [], "Ipv6Ranges": [], "UserIdGroupPairs": [],
                          "PrefixListIds": []}  # fmt: skip
            if "from_port" in rule:
                permission |= {"FromPort": rule["from_port"], "ToPort": rule["to_port"]}
            grouped[key] = permission
        description = {"Description": rule["description"]} if rule.get("description") else {}
        if "cidr_ipv4" in rule:
            permission["IpRanges"].append({"CidrIp": rule["cidr_ipv4"], **description})
        elif "cidr_ipv6" in rule:
            permission["Ipv6Ranges"].append({"CidrIpv6": rule["cidr_ipv6"], **description})
        elif "group_id" in rule:
            permission["UserIdGroupPairs"].append({"GroupId": rule["group_id"], **description})
    return list(grouped.values())


def rule_views(group: SecurityGroup, rules: list[dict[str, Any]], *, egress: bool) -> list[dict[str, Any]]:
    """SecurityGroupRules, as Authorize* answers them."""
    views = []
    for rule in rules:
        view: dict[str, Any] = {
            "SecurityGroupRuleId": rule["rule_id"], "GroupId": group.group_id, "GroupOwnerId": group.sandbox.account_id,
            "IsEgress": egress, "IpProtocol": rule["protocol"], "FromPort": rule.get("from_port", -1),
            "ToPort": rule.get("to_port", -1),
        }  # fmt: skip
        if "cidr_ipv4" in rule:
            view["CidrIpv4"] = rule["cidr_ipv4"]
        if "cidr_ipv6" in rule:
            view["CidrIpv6"] = rule["cidr_ipv6"]
        if "group_id" in rule:
            view["ReferencedGroupInfo"] = {"GroupId": rule["group_id"], "UserId": group.sandbox.account_id}
        if rule.get("description"):
            view["Description"] = rule["description"]
        views.append(view)
    return views


GROUP_FILTERS = (
    "group-id", "group-name", "vpc-id", "description", "owner-id", "ip-permission.protocol",
    "ip-permission.from-port", "ip-permission.to-port", "ip-permission.cidr", "ip-permission.group-id",
    "egress.ip-permission.cidr", "egress.ip-permission.protocol",
)  # fmt: skip


def group_fields(group: SecurityGroup, tags: dict[str, str]) -> common.Fields:
    def values(rules: list[dict[str, Any]], key: str) -> list[str]:
        return [str(rule[key]) for rule in rules if key in rule]

    return common.filter_fields_with_tags(
        {
            "group-id": [group.group_id], "group-name": [group.name], "vpc-id": [group.vpc.vpc_id],
            "description": [group.description], "owner-id": [group.sandbox.account_id],
            "ip-permission.protocol": values(group.ingress, "protocol"),
            "ip-permission.from-port": values(group.ingress, "from_port"),
            "ip-permission.to-port": values(group.ingress, "to_port"),
            "ip-permission.cidr": values(group.ingress, "cidr_ipv4"),
            "ip-permission.group-id": values(group.ingress, "group_id"),
            "egress.ip-permission.cidr": values(group.egress, "cidr_ipv4"),
            "egress.ip-permission.protocol": values(group.egress, "protocol"),
        },
        tags,
    )  # fmt: skip


def group_view(group: SecurityGroup, tags: dict[str, str]) -> dict[str, Any]:
    account = group.sandbox.account_id
    view: dict[str, Any] = {
        "GroupId": group.group_id, "GroupName": group.name, "Description": group.description,
        "VpcId": group.vpc.vpc_id, "OwnerId": account,
        "SecurityGroupArn": f"arn:aws:ec2:{group.region}:{account}:security-group/{group.group_id}",
        "IpPermissions": _with_owner(permissions_of(group.ingress), account),
        "IpPermissionsEgress": _with_owner(permissions_of(group.egress), account),
    }  # fmt: skip
    if tags:
        view["Tags"] = common.tag_list(tags)
    return view


def _with_owner(permissions: list[dict[str, Any]], account: str) -> list[dict[str, Any]]:
    for permission in permissions:
        for pair in permission["UserIdGroupPairs"]:
            pair["UserId"] = account
    return permissions


def groups_describe(
    *, sandbox: Sandbox, region: str, group_ids: list[str], names: list[str], filters: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = list(SecurityGroup.objects.filter(sandbox=sandbox, region=region).select_related("vpc", "sandbox"))
    if group_ids or names:
        chosen_ids = {group_get(sandbox=sandbox, region=region, group_id=gid).group_id for gid in group_ids}
        chosen_ids |= {group_get(sandbox=sandbox, region=region, name=name).group_id for name in names}
        rows = [group for group in rows if group.group_id in chosen_ids]
    tags = common.tags_of(sandbox, [group.group_id for group in rows])
    chosen = common.select(rows, filters, lambda g: group_fields(g, tags.get(g.group_id, {})), GROUP_FILTERS)
    return [group_view(group, tags.get(group.group_id, {})) for group in chosen]


def allows(
    groups: list[SecurityGroup], *, direction: str, protocol: str, port: int, peer_ip: str, peer_groups: list[str]
) -> bool:
    """Whether any rule of the groups lets a flow through (security groups are stateful and only
    allow: no rule, no traffic)."""
    address = ipaddress.ip_address(peer_ip) if peer_ip else None
    for group in groups:
        for rule in getattr(group, direction):
            if rule["protocol"] not in ("-1", protocol):
                continue
            ported = "from_port" in rule and rule["protocol"] in ("tcp", "udp")
            if ported and not rule["from_port"] <= port <= rule["to_port"]:
                continue
            if "group_id" in rule and rule["group_id"] in peer_groups:
                return True
            cidr = rule.get("cidr_ipv4") or rule.get("cidr_ipv6")
            if cidr and address is not None and address in ipaddress.ip_network(cidr):
                return True
    return False
