"""The EC2 part of a sandbox's diagram: VPCs, their subnets and the instances in them, as nodes
joined by "contains" edges (VPC -> subnet -> instance), so that the layout groups each subnet's
instances under it; a flow log to S3 is a "flow-log" edge from what it watches (the VPC, the
subnet, or the instance of the interface) to its bucket (one to CloudWatch Logs delivers with
that node as its writer, and Logs' graph draws the edge to the group). An instance node carries its state,
type, addresses and security groups with their rules; describe(arn) gives the same for the
inspector, plus tags."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.sandboxes.models import Sandbox
from services.ec2 import common, groups, instances
from services.ec2.events import group_arn, instance_arn, vpc_arn
from services.ec2.models import FlowLog, Instance, SecurityGroup, Subnet, Vpc


def subnet_arn(subnet: Subnet) -> str:
    return f"arn:aws:ec2:{subnet.region}:{subnet.sandbox.account_id}:subnet/{subnet.subnet_id}"


def _groups(group_ids: list[str], by_id: dict[str, SecurityGroup]) -> list[dict[str, Any]]:
    found = []
    for group_id in group_ids:
        group = by_id.get(group_id)
        if group is not None:
            found.append({
                "GroupId": group.group_id, "GroupName": group.name,
                "Ingress": groups.permissions_of(group.ingress), "Egress": groups.permissions_of(group.egress),
            })  # fmt: skip
    return found


def instance_node(instance: Instance, tags: dict[str, str], by_id: dict[str, SecurityGroup]) -> dict[str, Any]:
    return {
        "id": instance_arn(instance), "service": "ec2", "type": "instance", "name": instance.instance_id,
        "label": tags.get("Name") or instance.instance_id, "region": instance.region, "state": instance.state,
        "instance_id": instance.instance_id, "instance_type": instance.instance_type, "image_id": instance.image_id,
        "subnet_id": instance.subnet.subnet_id, "vpc_id": instance.subnet.vpc.vpc_id,
        "availability_zone": instance.subnet.availability_zone, "private_ip": instance.private_ip,
        "public_ip": instance.public_ip, "key_name": instance.key_name,
        "security_groups": _groups(instance.group_ids, by_id),
        "group_names": [by_id[gid].name for gid in instance.group_ids if gid in by_id], "tags": tags,
    }  # fmt: skip


def rule_lines(rules: list[dict[str, Any]]) -> list[str]:
    """A group's rules as "tcp 443 0.0.0.0/0" lines ("all" for every protocol, "22-25" for a range)."""
    lines = []
    for rule in rules:
        protocol = "all" if rule["protocol"] == "-1" else rule["protocol"]
        low, high = rule.get("from_port"), rule.get("to_port")
        ports = "" if low is None else f" {low}" if low == high else f" {low}-{high}"
        peer = rule.get("cidr_ipv4") or rule.get("cidr_ipv6") or rule.get("group_id")
        lines.append(f"{protocol}{ports} {peer}")
    return lines


def group_node(group: SecurityGroup, tags: dict[str, str]) -> dict[str, Any]:
    """A security group's node: the GUI folds it into its instances (gui.js `hidden`); lab checks
    read its rules as lines."""
    return {
        "id": group_arn(group), "service": "ec2", "type": "security-group", "name": group.name,
        "label": group.name, "region": group.region, "group_id": group.group_id, "vpc_id": group.vpc.vpc_id,
        "ingress": rule_lines(group.ingress), "egress": rule_lines(group.egress), "tags": tags,
    }  # fmt: skip


def graph(*, sandbox: Sandbox, now: dt.datetime, region: str | None) -> dict[str, list[dict[str, Any]]]:
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    vpcs = Vpc.objects.filter(sandbox=sandbox).select_related("sandbox")
    subnets = Subnet.objects.filter(sandbox=sandbox).select_related("sandbox", "vpc")
    rows = Instance.objects.filter(sandbox=sandbox).select_related("sandbox", "subnet__vpc")
    if region:
        vpcs, subnets, rows = vpcs.filter(region=region), subnets.filter(region=region), rows.filter(region=region)
    found = list(rows)
    by_id = {
        group.group_id: group
        for group in SecurityGroup.objects.filter(sandbox=sandbox).select_related("sandbox", "vpc")
    }
    tags = common.tags_of(sandbox, [
        *[vpc.vpc_id for vpc in vpcs], *[subnet.subnet_id for subnet in subnets], *[i.instance_id for i in found],
        *by_id,
    ])  # fmt: skip
    for vpc in vpcs:
        name = tags.get(vpc.vpc_id, {}).get("Name")
        nodes.append({
            "id": vpc_arn(vpc), "service": "ec2", "type": "vpc", "name": vpc.vpc_id,
            "label": name or (f"default VPC {vpc.vpc_id}" if vpc.is_default else vpc.vpc_id), "region": vpc.region,
            "cidr": vpc.cidr, "is_default": vpc.is_default,
        })  # fmt: skip
    for group in by_id.values():
        if region and group.region != region:
            continue
        nodes.append(group_node(group, tags.get(group.group_id, {})))
    for subnet in subnets:
        arn = subnet_arn(subnet)
        nodes.append({
            "id": arn, "service": "ec2", "type": "subnet", "name": subnet.subnet_id,
            "label": tags.get(subnet.subnet_id, {}).get("Name") or f"{subnet.subnet_id} ({subnet.availability_zone})",
            "region": subnet.region, "cidr": subnet.cidr, "availability_zone": subnet.availability_zone,
            "vpc_id": subnet.vpc.vpc_id,
        })  # fmt: skip
        edges.append({"id": f"{vpc_arn(subnet.vpc)}->{arn}", "source": vpc_arn(subnet.vpc), "target": arn,
                      "type": "contains"})  # fmt: skip
    for instance in found:
        node = instance_node(instance, tags.get(instance.instance_id, {}), by_id)
        nodes.append(node)
        source = subnet_arn(instance.subnet)
        edges.append({"id": f"{source}->{node['id']}", "source": source, "target": node["id"], "type": "contains"})
    edges.extend(_flow_log_edges(sandbox, region, vpcs=list(vpcs), subnets=list(subnets), instances=found))
    return {"nodes": nodes, "edges": edges}


def _flow_log_edges(
    sandbox: Sandbox, region: str | None, *, vpcs: list[Vpc], subnets: list[Subnet], instances: list[Instance]
) -> list[dict[str, Any]]:  # fmt: skip
    watched = {vpc.vpc_id: vpc_arn(vpc) for vpc in vpcs}
    watched.update({subnet.subnet_id: subnet_arn(subnet) for subnet in subnets})
    watched.update({instance.eni_id: instance_arn(instance) for instance in instances})
    rows = FlowLog.objects.filter(sandbox=sandbox, destination_type="s3")
    if region:
        rows = rows.filter(region=region)
    edges = []
    for flow_log in rows:
        source = watched.get(flow_log.resource_id)
        if source is None:
            continue
        target = "arn:aws:s3:::" + flow_log.destination.removeprefix("arn:aws:s3:::").split("/")[0]
        edges.append({
            "id": f"{source}->{target}#{flow_log.flow_log_id}", "source": source, "target": target, "type": "flow-log",
            "label": f"flow log {flow_log.traffic_type}", "flow_log_id": flow_log.flow_log_id,
        })  # fmt: skip
    return edges


def describe(*, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[2] != "ec2" or "/" not in parts[5]:
        return None
    kind, resource_id = parts[5].split("/", 1)
    if kind != "instance":
        return None
    instance = (
        Instance.objects.filter(sandbox=sandbox, region=parts[3], instance_id=resource_id)
        .select_related("sandbox", "subnet__vpc").first()
    )  # fmt: skip
    if instance is None:
        return None
    tags = common.tags_of(sandbox, [instance.instance_id]).get(instance.instance_id, {})
    by_id = {group.group_id: group for group in SecurityGroup.objects.filter(sandbox=sandbox)}
    node = instance_node(instance, tags, by_id)
    view = instances.instance_view(instance, tags, instances.group_names(sandbox, instance.region))
    attributes = {key: value for key, value in view.items() if isinstance(value, str | int)}
    return {
        **node, "attributes": attributes, "tags": tags, "state_reason": view.get("StateReason"),
        "launch_time": instance.launch_time.isoformat(),
    }  # fmt: skip
