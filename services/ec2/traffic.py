"""Simulated traffic: one flow at a time, evaluated as a VPC evaluates it, and recorded for the
flow logs that cover either end. Metadata only, never payloads.

A flow goes from an instance, or from an address on the internet, to an instance, with a protocol
and a destination port (the source port is an ephemeral one, 49152-65535). Its request passes:

- the source's security groups, outbound (none for the internet);
- the source subnet's network ACL, outbound, and the target subnet's, inbound, when the two are in
  different subnets (an ACL guards its subnet's edge); from the internet, the target needs a public
  address, and its subnet a route to an internet gateway attached to the VPC;
- the target's security groups, inbound.

Security groups are stateful: the reply passes them without a rule. Network ACLs are stateless:
the reply (from the destination port back to the ephemeral one) must be allowed outbound by the
target subnet's ACL and inbound by the source subnet's. As AWS documents for ping, a request the
ACL and the groups let in whose reply the ACL drops shows as an ACCEPT record (the request) and a
REJECT record (the reply), and the flow fails.

Records, on each end's interface: the request as it left (egress) or arrived (ingress), and the
reply likewise. The flow's verdict ("ACCEPT" or "REJECT") is drawn on the diagram (events.py) and
counted for the AWS/EC2 Network metrics (metrics.py).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
from typing import Any

from playground.sandboxes.models import Sandbox
from services.ec2 import events, flowlogs, metrics, network, routing
from services.ec2.exceptions import InvalidParameterValue
from services.ec2.groups import allows
from services.ec2.models import RUNNING, Instance, SecurityGroup

DEFAULT_SOURCE_IP = "198.51.100.7"


def _fields(
    sandbox: Sandbox, instance: Instance, *, direction: str, action: str, src: str, dst: str, sport: int, dport: int,
    protocol: str, packets: int, size: int, now: dt.datetime,
) -> dict[str, Any]:  # fmt: skip
    stamp = int(now.timestamp())
    icmp = protocol == "icmp"
    return {
        "version": 2, "account-id": sandbox.account_id, "interface-id": instance.eni_id, "srcaddr": src,
        "dstaddr": dst, "srcport": 0 if icmp else sport, "dstport": 0 if icmp else dport,
        "protocol": flowlogs.PROTOCOLS[protocol], "packets": packets, "bytes": size, "start": stamp, "end": stamp,
        "action": action, "log-status": "OK", "vpc-id": instance.subnet.vpc.vpc_id,
        "subnet-id": instance.subnet.subnet_id, "instance-id": instance.instance_id, "type": "IPv4",
        "pkt-srcaddr": src, "pkt-dstaddr": dst, "region": instance.region,
        "az-id": network.zone_id(instance.subnet.availability_zone), "flow-direction": direction,
        "tcp-flags": 2 if action == "REJECT" else 19,
    }  # fmt: skip


def check_flow(*, protocol: str, port: int, source_ip: str | None) -> None:
    """A flow's protocol, port and source address, as a one-off send and a standing profile take them."""
    if protocol not in flowlogs.PROTOCOLS:
        raise InvalidParameterValue(f"Invalid value '{protocol}' for protocol. Valid values: tcp, udp, icmp.")
    if protocol != "icmp" and not 0 <= port <= 65535:
        raise InvalidParameterValue(f"Invalid value '{port}' for port. Expected 0 to 65535.")
    if source_ip:
        try:
            ipaddress.ip_address(source_ip)
        except ValueError as problem:
            raise InvalidParameterValue(f"Invalid value '{source_ip}' for source address.") from problem


def traffic_send(
    *, sandbox: Sandbox, region: str, target: str, port: int, protocol: str = "tcp", source: str | None = None,
    source_ip: str | None = None, packets: int = 10, size: int = 840, now: dt.datetime,
) -> str:  # fmt: skip
    """Send one flow to the instance `target` from the instance `source` or from `source_ip` on the
    internet; answer "ACCEPT" or "REJECT" and record it for the flow logs that cover either end."""
    from services.ec2.instances import instances_get

    protocol = (protocol or "tcp").lower()
    check_flow(protocol=protocol, port=int(port), source_ip=source_ip if not source else None)
    [destination] = instances_get(sandbox=sandbox, region=region, ids=[target])
    by_id = {group.group_id: group for group in SecurityGroup.objects.filter(sandbox=sandbox, region=region)}
    sport = 49152 + secrets.randbelow(16000)
    dst = destination.private_ip
    target_acl = routing.acl_of(destination.subnet)
    origin: Instance | None = None
    if source:
        [origin] = instances_get(sandbox=sandbox, region=region, ids=[source])
        src, peer_groups = origin.private_ip, list(origin.group_ids)
        crossing = origin.subnet_id != destination.subnet_id
        source_acl = routing.acl_of(origin.subnet) if crossing else None
        leaves = origin.state == RUNNING and allows(
            [by_id[g] for g in origin.group_ids if g in by_id], direction="egress", protocol=protocol, port=port,
            peer_ip=dst, peer_groups=list(destination.group_ids),
        )  # fmt: skip
        leaves = leaves and (source_acl is None or routing.acl_allows(
            source_acl, egress=True, protocol=protocol, port=port, peer_ip=dst))  # fmt: skip
        reaches = leaves and origin.subnet.vpc_id == destination.subnet.vpc_id
    else:
        src, peer_groups, crossing, source_acl = source_ip or DEFAULT_SOURCE_IP, [], True, None
        leaves = True
        # The internet reaches an instance through its public address and its subnet's route to an
        # internet gateway.
        reaches = bool(destination.public_ip) and routing.internet_routed(destination.subnet)
    admitted = reaches and (not crossing or routing.acl_allows(
        target_acl, egress=False, protocol=protocol, port=port, peer_ip=src))  # fmt: skip
    admitted = admitted and destination.state == RUNNING and allows(
        [by_id[g] for g in destination.group_ids if g in by_id], direction="ingress", protocol=protocol, port=port,
        peer_ip=src, peer_groups=peer_groups,
    )  # fmt: skip
    # The reply: security groups let it out (stateful), network ACLs judge it again (stateless).
    replied = admitted and (not crossing or routing.acl_allows(
        target_acl, egress=True, protocol=protocol, port=sport, peer_ip=src))  # fmt: skip
    returned = replied and (source_acl is None or routing.acl_allows(
        source_acl, egress=False, protocol=protocol, port=sport, peer_ip=dst))  # fmt: skip
    action = "ACCEPT" if returned else "REJECT"

    size = size * packets // 10
    request: dict[str, Any] = {
        "src": src, "dst": dst, "sport": sport, "dport": port, "protocol": protocol, "packets": packets, "size": size,
        "now": now,
    }  # fmt: skip
    reply: dict[str, Any] = {**request, "src": dst, "dst": src, "sport": port, "dport": sport}
    verdict = {True: "ACCEPT", False: "REJECT"}
    if origin is not None:
        flowlogs.record(sandbox, origin, action=verdict[leaves], now=now, fields=_fields(
            sandbox, origin, direction="egress", action=verdict[leaves], **request))  # fmt: skip
        if leaves:
            metrics.traffic_counted(origin, inbound=False, packets=packets, size=size)
    if reaches:
        flowlogs.record(sandbox, destination, action=verdict[admitted], now=now, fields=_fields(
            sandbox, destination, direction="ingress", action=verdict[admitted], **request))  # fmt: skip
    if admitted:
        metrics.traffic_counted(destination, inbound=True, packets=packets, size=size)
        flowlogs.record(sandbox, destination, action=verdict[replied], now=now, fields=_fields(
            sandbox, destination, direction="egress", action=verdict[replied], **reply))  # fmt: skip
    if replied:
        metrics.traffic_counted(destination, inbound=False, packets=packets, size=size)
        if origin is not None:
            flowlogs.record(sandbox, origin, action=verdict[returned], now=now, fields=_fields(
                sandbox, origin, direction="ingress", action=verdict[returned], **reply))  # fmt: skip
            if returned:
                metrics.traffic_counted(origin, inbound=True, packets=packets, size=size)
    events.traffic_sent(
        sandbox, source=origin, target=destination, action=action, port=port, protocol=protocol, now=now
    )
    return action
