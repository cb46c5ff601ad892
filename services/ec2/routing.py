"""Network ACLs, route tables and internet gateways.

Every VPC has a default network ACL (rule 100 allows all traffic in and out, the `*` rule 32767
denies what no rule matched) and a main route table (the VPC's local route; in the default VPC also
0.0.0.0/0 to its internet gateway). A subnet uses the network ACL and the route table it is
associated with, or its VPC's default ACL and main table. Both are made with the VPC
(`vpc_defaults`), and a new subnet is associated with the default ACL at once (`subnet_added`).

Network ACLs are stateless and evaluated in rule-number order: the first entry that matches the
packet (protocol, port, address) decides. `acl_allows` answers that for one packet in one direction;
traffic.py asks it for the request and for the reply, which a NACL can refuse on its own (AWS's
"the response ping is dropped" case: an ACCEPT record and then a REJECT record).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from playground.sandboxes.models import Sandbox
from services.ec2 import common, network
from services.ec2.exceptions import (
    DependencyViolation,
    GatewayNotAttached,
    InvalidAssociationIDNotFound,
    InvalidGatewayIDNotFound,
    InvalidInternetGatewayIDNotFound,
    InvalidNetworkAclEntryNotFound,
    InvalidNetworkAclIDNotFound,
    InvalidParameterValue,
    InvalidRouteNotFound,
    InvalidRouteTableIDNotFound,
    MissingParameter,
    NetworkAclEntryAlreadyExists,
    ResourceAlreadyAssociated,
    RouteAlreadyExists,
)
from services.ec2.models import InternetGateway, NetworkAcl, RouteTable, Subnet, Vpc

LAST_RULE = 32767  # the `*` entry
PROTOCOL_NUMBERS = {"tcp": "6", "udp": "17", "icmp": "1", "all": "-1", "-1": "-1"}


def _all(egress: bool, number: int, action: str) -> dict[str, Any]:
    return {"rule_number": number, "egress": egress, "protocol": "-1", "action": action, "cidr": "0.0.0.0/0"}


# Defaults ----------------------------------------------------------------------------------------


def vpc_defaults(vpc: Vpc) -> None:
    """Make a new VPC's default network ACL (associated with the subnets it already has) and main
    route table; for the default VPC also its attached internet gateway and the 0.0.0.0/0 route
    to it."""
    NetworkAcl.objects.create(
        sandbox_id=vpc.sandbox_id, vpc=vpc, region=vpc.region, acl_id=common.new_id("acl"), is_default=True,
        entries=[_all(False, 100, "allow"), _all(True, 100, "allow"),
                 _all(False, LAST_RULE, "deny"), _all(True, LAST_RULE, "deny")],
        associations={subnet.subnet_id: common.new_id("aclassoc") for subnet in Subnet.objects.filter(vpc=vpc)},
    )  # fmt: skip
    routes = []
    if vpc.is_default:
        gateway = InternetGateway.objects.create(
            sandbox_id=vpc.sandbox_id, region=vpc.region, gateway_id=common.new_id("igw"), vpc=vpc
        )
        routes.append({"destination": "0.0.0.0/0", "gateway_id": gateway.gateway_id})
    RouteTable.objects.create(
        sandbox_id=vpc.sandbox_id, vpc=vpc, region=vpc.region, route_table_id=common.new_id("rtb"), is_main=True,
        main_association_id=common.new_id("rtbassoc"), routes=routes,
    )  # fmt: skip


def subnet_added(subnet: Subnet) -> None:
    """A new subnet is associated with its VPC's default network ACL (AWS gives each subnet an
    ACL association from the start) and, implicitly, with the main route table."""
    acl = NetworkAcl.objects.select_for_update().get(vpc_id=subnet.vpc_id, is_default=True)
    acl.associations = {**acl.associations, subnet.subnet_id: common.new_id("aclassoc")}
    acl.save(update_fields=["associations"])


def acl_of(subnet: Subnet) -> NetworkAcl:
    acls = list(NetworkAcl.objects.filter(vpc_id=subnet.vpc_id))
    for acl in acls:
        if subnet.subnet_id in acl.associations:
            return acl
    return next(acl for acl in acls if acl.is_default)


def table_of(subnet: Subnet) -> RouteTable:
    tables = list(RouteTable.objects.filter(vpc_id=subnet.vpc_id))
    for table in tables:
        if subnet.subnet_id in table.associations:
            return table
    return next(table for table in tables if table.is_main)


def _acl_association(acl: NetworkAcl, subnet_id: str) -> str:
    return str(acl.associations.get(subnet_id) or "")


# Evaluation --------------------------------------------------------------------------------------


def acl_allows(acl: NetworkAcl, *, egress: bool, protocol: str, port: int, peer_ip: str) -> bool:
    """Whether the ACL lets one packet through in one direction: the lowest-numbered matching
    entry decides (stateless: the reply is a packet of its own)."""
    number = PROTOCOL_NUMBERS.get(protocol, protocol)
    address = ipaddress.ip_address(peer_ip)
    for entry in sorted((e for e in acl.entries if e["egress"] == egress), key=lambda e: e["rule_number"]):
        if entry["protocol"] not in ("-1", number):
            continue
        ported = entry["protocol"] in ("6", "17") and entry.get("from_port") is not None
        if ported and not entry["from_port"] <= port <= entry["to_port"]:
            continue
        if address not in ipaddress.ip_network(entry["cidr"]):
            continue
        return bool(entry["action"] == "allow")
    return False


def internet_routed(subnet: Subnet) -> bool:
    """Whether the subnet's route table sends 0.0.0.0/0 to an internet gateway attached to its VPC
    (a public subnet)."""
    table = table_of(subnet)
    attached = set(InternetGateway.objects.filter(vpc_id=subnet.vpc_id).values_list("gateway_id", flat=True))
    return any(
        route.get("gateway_id") in attached and ipaddress.ip_network(route["destination"]).prefixlen == 0
        for route in table.routes
    )


# Network ACLs ------------------------------------------------------------------------------------


def acl_get(*, sandbox: Sandbox, region: str, acl_id: str, lock: bool = False) -> NetworkAcl:
    rows = NetworkAcl.objects.filter(sandbox=sandbox, region=region, acl_id=acl_id)
    found = (rows.select_for_update() if lock else rows).select_related("vpc").first()
    if found is None:
        raise InvalidNetworkAclIDNotFound(f"The networkAcl ID '{acl_id}' does not exist")
    return found


def acl_create(*, sandbox: Sandbox, region: str, vpc_id: str, tags: list[dict[str, Any]]) -> NetworkAcl:
    vpc = network.vpc_get(sandbox=sandbox, region=region, vpc_id=vpc_id)
    common.check_tags(tags)
    acl = NetworkAcl.objects.create(
        sandbox=sandbox, vpc=vpc, region=region, acl_id=common.new_id("acl"),
        entries=[_all(False, LAST_RULE, "deny"), _all(True, LAST_RULE, "deny")],
    )  # fmt: skip
    common.tags_set(sandbox=sandbox, region=region, resource_id=acl.acl_id, tags=tags)
    return acl


def acl_delete(*, sandbox: Sandbox, region: str, acl_id: str) -> None:
    acl = acl_get(sandbox=sandbox, region=region, acl_id=acl_id)
    if acl.is_default:
        raise InvalidParameterValue(f"cannot delete default network ACL {acl_id}", code="InvalidParameterValue")
    if acl.associations:
        raise DependencyViolation(f"The networkAcl '{acl_id}' has dependencies and cannot be deleted.")
    common.tags_clear(sandbox=sandbox, resource_id=acl_id)
    acl.delete()


def _entry(
    *, number: int, egress: bool, protocol: str, action: str, cidr: str | None, ports: dict[str, Any] | None
) -> dict[str, Any]:  # fmt: skip
    if not 1 <= number <= 32766:
        raise InvalidParameterValue(
            f"Value ({number}) for parameter ruleNumber is invalid. Valid values are 1 through 32766."
        )
    if action not in ("allow", "deny"):
        raise InvalidParameterValue(f"Value ({action}) for parameter ruleAction is invalid.")
    number_of = PROTOCOL_NUMBERS.get(protocol.lower(), protocol)
    if not (number_of == "-1" or (number_of.isdigit() and 0 <= int(number_of) <= 255)):
        raise InvalidParameterValue(f"Invalid value '{protocol}' for protocol. Must be a protocol number or -1.")
    if not cidr:
        raise MissingParameter("Either 'cidrBlock' or 'ipv6CidrBlock' should be provided.")
    try:
        block = ipaddress.ip_network(cidr, strict=False)
    except ValueError as problem:
        raise InvalidParameterValue(f"Value ({cidr}) for parameter cidrBlock is invalid.") from problem
    entry: dict[str, Any] = {
        "rule_number": number, "egress": egress, "protocol": number_of, "action": action, "cidr": str(block),
    }  # fmt: skip
    if number_of in ("6", "17"):
        if not ports or ports.get("From") is None or ports.get("To") is None:
            raise InvalidParameterValue("TCP and UDP entries need a PortRange (From and To).", code="MissingParameter")
        entry["from_port"], entry["to_port"] = int(ports["From"]), int(ports["To"])
    return entry


def entry_put(
    *, sandbox: Sandbox, region: str, acl_id: str, number: int, egress: bool, protocol: str, action: str,
    cidr: str | None, ports: dict[str, Any] | None, replace: bool,
) -> None:  # fmt: skip
    """CreateNetworkAclEntry (replace=False) or ReplaceNetworkAclEntry (replace=True)."""
    entry = _entry(number=number, egress=egress, protocol=protocol, action=action, cidr=cidr, ports=ports)
    acl = acl_get(sandbox=sandbox, region=region, acl_id=acl_id, lock=True)
    others = [e for e in acl.entries if not (e["rule_number"] == number and e["egress"] == egress)]
    exists = len(others) != len(acl.entries)
    if exists and not replace:
        raise NetworkAclEntryAlreadyExists(f"The network acl entry identified by {number} already exists.")
    if replace and not exists:
        raise InvalidNetworkAclEntryNotFound(f"The network acl entry identified by {number} does not exist.")
    acl.entries = [*others, entry]
    acl.save(update_fields=["entries"])


def entry_delete(*, sandbox: Sandbox, region: str, acl_id: str, number: int, egress: bool) -> None:
    acl = acl_get(sandbox=sandbox, region=region, acl_id=acl_id, lock=True)
    others = [e for e in acl.entries if not (e["rule_number"] == number and e["egress"] == egress)]
    if number == LAST_RULE or len(others) == len(acl.entries):
        raise InvalidNetworkAclEntryNotFound(f"The network acl entry identified by {number} does not exist.")
    acl.entries = others
    acl.save(update_fields=["entries"])


def acl_reassociate(*, sandbox: Sandbox, region: str, association_id: str, acl_id: str) -> str:
    """ReplaceNetworkAclAssociation: move the subnet of `association_id` to the ACL; the new
    association ID."""
    target = acl_get(sandbox=sandbox, region=region, acl_id=acl_id, lock=True)
    for acl in NetworkAcl.objects.select_for_update().filter(sandbox=sandbox, region=region):
        for subnet_id, held in acl.associations.items():
            if held != association_id:
                continue
            if acl.vpc_id != target.vpc_id:
                raise InvalidParameterValue(
                    f"Network ACL {acl_id} and subnet {subnet_id} belong to different networks.",
                    code="InvalidParameterValue",
                )  # fmt: skip
            new = common.new_id("aclassoc")
            acl.associations = {k: v for k, v in acl.associations.items() if k != subnet_id}
            acl.save(update_fields=["associations"])
            target.refresh_from_db()
            target.associations = {**target.associations, subnet_id: new}
            target.save(update_fields=["associations"])
            return new
    raise InvalidAssociationIDNotFound(f"The association ID '{association_id}' does not exist")


def subnet_removed(subnet: Subnet) -> None:
    for model in (NetworkAcl, RouteTable):
        for row in model.objects.filter(vpc_id=subnet.vpc_id):
            if subnet.subnet_id in row.associations:
                row.associations = {k: v for k, v in row.associations.items() if k != subnet.subnet_id}
                row.save(update_fields=["associations"])


ACL_FILTERS = (
    "network-acl-id", "vpc-id", "default", "association.subnet-id", "association.association-id",
    "association.network-acl-id", "entry.rule-number", "entry.protocol", "entry.rule-action", "entry.egress",
    "entry.cidr", "owner-id",
)  # fmt: skip


def acl_view(acl: NetworkAcl, tags: dict[str, str]) -> dict[str, Any]:
    entries = []
    for entry in sorted(acl.entries, key=lambda e: (e["egress"], e["rule_number"])):
        view: dict[str, Any] = {
            "CidrBlock": entry["cidr"], "Egress": entry["egress"], "Protocol": entry["protocol"],
            "RuleAction": entry["action"], "RuleNumber": entry["rule_number"],
        }  # fmt: skip
        if entry.get("from_port") is not None:
            view["PortRange"] = {"From": entry["from_port"], "To": entry["to_port"]}
        entries.append(view)
    return {
        "Associations": [
            {"NetworkAclAssociationId": held, "NetworkAclId": acl.acl_id, "SubnetId": subnet_id}
            for subnet_id, held in acl.associations.items()
        ],
        "Entries": entries, "IsDefault": acl.is_default, "NetworkAclId": acl.acl_id, "Tags": common.tag_list(tags),
        "VpcId": acl.vpc.vpc_id, "OwnerId": acl.sandbox.account_id,
    }  # fmt: skip


def acls_describe(
    *, sandbox: Sandbox, region: str, ids: list[str], filters: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = list(NetworkAcl.objects.filter(sandbox=sandbox, region=region).select_related("vpc", "sandbox"))
    rows = common.named(rows, ids, lambda acl: acl.acl_id, common.not_found(InvalidNetworkAclIDNotFound, "networkAcl"))
    tags = common.tags_of(sandbox, [acl.acl_id for acl in rows])

    def fields(acl: NetworkAcl) -> common.Fields:
        entries = acl.entries
        return common.filter_fields_with_tags({
            "network-acl-id": [acl.acl_id], "vpc-id": [acl.vpc.vpc_id], "default": [str(acl.is_default).lower()],
            "association.subnet-id": list(acl.associations),
            "association.association-id": list(acl.associations.values()),
            "association.network-acl-id": [acl.acl_id] if acl.associations else [],
            "entry.rule-number": [str(e["rule_number"]) for e in entries],
            "entry.protocol": [e["protocol"] for e in entries], "entry.rule-action": [e["action"] for e in entries],
            "entry.egress": [str(e["egress"]).lower() for e in entries], "entry.cidr": [e["cidr"] for e in entries],
            "owner-id": [sandbox.account_id],
        }, tags.get(acl.acl_id, {}))  # fmt: skip

    return [acl_view(acl, tags.get(acl.acl_id, {})) for acl in common.select(rows, filters, fields, ACL_FILTERS)]


# Route tables ------------------------------------------------------------------------------------


def table_get(*, sandbox: Sandbox, region: str, table_id: str, lock: bool = False) -> RouteTable:
    rows = RouteTable.objects.filter(sandbox=sandbox, region=region, route_table_id=table_id)
    found = (rows.select_for_update() if lock else rows).select_related("vpc").first()
    if found is None:
        raise InvalidRouteTableIDNotFound(f"The routeTable ID '{table_id}' does not exist")
    return found


def table_create(*, sandbox: Sandbox, region: str, vpc_id: str, tags: list[dict[str, Any]]) -> RouteTable:
    vpc = network.vpc_get(sandbox=sandbox, region=region, vpc_id=vpc_id)
    common.check_tags(tags)
    table = RouteTable.objects.create(sandbox=sandbox, vpc=vpc, region=region, route_table_id=common.new_id("rtb"))
    common.tags_set(sandbox=sandbox, region=region, resource_id=table.route_table_id, tags=tags)
    return table


def table_delete(*, sandbox: Sandbox, region: str, table_id: str) -> None:
    table = table_get(sandbox=sandbox, region=region, table_id=table_id)
    if table.is_main or table.associations:
        raise DependencyViolation(f"The routeTable '{table_id}' has dependencies and cannot be deleted.")
    common.tags_clear(sandbox=sandbox, resource_id=table_id)
    table.delete()


def route_create(
    *, sandbox: Sandbox, region: str, table_id: str, destination: str | None, gateway_id: str | None
) -> None:
    if not destination:
        raise MissingParameter("The request must contain the parameter destinationCidrBlock")
    try:
        block = str(ipaddress.ip_network(destination, strict=False))
    except ValueError as problem:
        raise InvalidParameterValue(
            f"Value ({destination}) for parameter destinationCidrBlock is invalid."
        ) from problem
    table = table_get(sandbox=sandbox, region=region, table_id=table_id, lock=True)
    if not gateway_id:
        raise MissingParameter("The request must contain the parameter gatewayId")
    gateway = InternetGateway.objects.filter(sandbox=sandbox, region=region, gateway_id=gateway_id).first()
    if gateway is None:
        raise InvalidGatewayIDNotFound(f"The gateway ID '{gateway_id}' does not exist")
    if gateway.vpc_id != table.vpc_id:
        raise InvalidParameterValue(
            f"route table {table_id} and network gateway {gateway_id} belong to different networks",
            code="InvalidParameterValue",
        )  # fmt: skip
    if any(route["destination"] == block for route in table.routes) or block == table.vpc.cidr:
        raise RouteAlreadyExists(f"The route identified by {block} already exists.")
    table.routes = [*table.routes, {"destination": block, "gateway_id": gateway_id}]
    table.save(update_fields=["routes"])


def route_delete(*, sandbox: Sandbox, region: str, table_id: str, destination: str) -> None:
    table = table_get(sandbox=sandbox, region=region, table_id=table_id, lock=True)
    kept = [route for route in table.routes if route["destination"] != destination]
    if len(kept) == len(table.routes):
        raise InvalidRouteNotFound(f"no route with destination-cidr-block {destination} in route table {table_id}")
    table.routes = kept
    table.save(update_fields=["routes"])


def table_associate(*, sandbox: Sandbox, region: str, table_id: str, subnet_id: str) -> str:
    table = table_get(sandbox=sandbox, region=region, table_id=table_id, lock=True)
    subnet = network.subnet_get(sandbox=sandbox, region=region, subnet_id=subnet_id)
    if subnet.vpc_id != table.vpc_id:
        raise InvalidParameterValue(
            f"Route table {table_id} and subnet {subnet_id} belong to different networks.", code="InvalidParameterValue"
        )
    for other in RouteTable.objects.filter(vpc_id=table.vpc_id):
        if subnet_id in other.associations:
            raise ResourceAlreadyAssociated(
                f"the specified association for route table {other.route_table_id} conflicts with an existing "
                "association"
            )
    association = common.new_id("rtbassoc")
    table.associations = {**table.associations, subnet_id: association}
    table.save(update_fields=["associations"])
    return association


def table_disassociate(*, sandbox: Sandbox, region: str, association_id: str) -> None:
    for table in RouteTable.objects.select_for_update().filter(sandbox=sandbox, region=region):
        for subnet_id, held in table.associations.items():
            if held == association_id:
                table.associations = {k: v for k, v in table.associations.items() if k != subnet_id}
                table.save(update_fields=["associations"])
                return
    raise InvalidAssociationIDNotFound(f"The association ID '{association_id}' does not exist")


TABLE_FILTERS = (
    "route-table-id", "vpc-id", "association.main", "association.subnet-id", "association.route-table-association-id",
    "route.destination-cidr-block", "route.gateway-id", "owner-id",
)  # fmt: skip


def table_view(table: RouteTable, tags: dict[str, str]) -> dict[str, Any]:
    routes = [{"DestinationCidrBlock": table.vpc.cidr, "GatewayId": "local", "Origin": "CreateRouteTable",
               "State": "active"}]  # fmt: skip
    attached = set(InternetGateway.objects.filter(vpc_id=table.vpc_id).values_list("gateway_id", flat=True))
    for route in table.routes:
        routes.append({
            "DestinationCidrBlock": route["destination"], "GatewayId": route["gateway_id"], "Origin": "CreateRoute",
            "State": "active" if route["gateway_id"] in attached else "blackhole",
        })  # fmt: skip
    associations = [
        {"Main": False, "RouteTableAssociationId": held, "RouteTableId": table.route_table_id, "SubnetId": subnet_id,
         "AssociationState": {"State": "associated"}}
        for subnet_id, held in table.associations.items()
    ]  # fmt: skip
    if table.is_main:
        associations.insert(0, {
            "Main": True, "RouteTableAssociationId": table.main_association_id, "RouteTableId": table.route_table_id,
            "AssociationState": {"State": "associated"},
        })  # fmt: skip
    return {
        "Associations": associations, "PropagatingVgws": [], "RouteTableId": table.route_table_id, "Routes": routes,
        "Tags": common.tag_list(tags), "VpcId": table.vpc.vpc_id, "OwnerId": table.sandbox.account_id,
    }  # fmt: skip


def tables_describe(
    *, sandbox: Sandbox, region: str, ids: list[str], filters: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = list(RouteTable.objects.filter(sandbox=sandbox, region=region).select_related("vpc", "sandbox"))
    rows = common.named(
        rows, ids, lambda table: table.route_table_id, common.not_found(InvalidRouteTableIDNotFound, "routeTable")
    )
    tags = common.tags_of(sandbox, [table.route_table_id for table in rows])

    def fields(table: RouteTable) -> common.Fields:
        return common.filter_fields_with_tags({
            "route-table-id": [table.route_table_id], "vpc-id": [table.vpc.vpc_id],
            "association.main": ["true"] if table.is_main else ["false"],
            "association.subnet-id": list(table.associations),
            "association.route-table-association-id": list(table.associations.values()),
            "route.destination-cidr-block": [table.vpc.cidr, *[r["destination"] for r in table.routes]],
            "route.gateway-id": ["local", *[r["gateway_id"] for r in table.routes]], "owner-id": [sandbox.account_id],
        }, tags.get(table.route_table_id, {}))  # fmt: skip

    chosen = common.select(rows, filters, fields, TABLE_FILTERS)
    return [table_view(table, tags.get(table.route_table_id, {})) for table in chosen]


# Internet gateways -------------------------------------------------------------------------------


def gateway_get(*, sandbox: Sandbox, region: str, gateway_id: str) -> InternetGateway:
    found = InternetGateway.objects.filter(sandbox=sandbox, region=region, gateway_id=gateway_id).first()
    if found is None:
        raise InvalidInternetGatewayIDNotFound(f"The internetGateway ID '{gateway_id}' does not exist")
    return found


def gateway_create(*, sandbox: Sandbox, region: str, tags: list[dict[str, Any]]) -> InternetGateway:
    common.check_tags(tags)
    gateway = InternetGateway.objects.create(sandbox=sandbox, region=region, gateway_id=common.new_id("igw"))
    common.tags_set(sandbox=sandbox, region=region, resource_id=gateway.gateway_id, tags=tags)
    return gateway


def gateway_attach(*, sandbox: Sandbox, region: str, gateway_id: str, vpc_id: str) -> None:
    gateway = gateway_get(sandbox=sandbox, region=region, gateway_id=gateway_id)
    vpc = network.vpc_get(sandbox=sandbox, region=region, vpc_id=vpc_id)
    if gateway.vpc is not None:
        raise ResourceAlreadyAssociated(f"resource {gateway_id} is already attached to network {gateway.vpc.vpc_id}")
    if InternetGateway.objects.filter(vpc=vpc).exists():
        raise InvalidParameterValue(f"Network {vpc_id} already has an internet gateway attached")
    gateway.vpc = vpc
    gateway.save(update_fields=["vpc"])


def gateway_detach(*, sandbox: Sandbox, region: str, gateway_id: str, vpc_id: str) -> None:
    gateway = gateway_get(sandbox=sandbox, region=region, gateway_id=gateway_id)
    network.vpc_get(sandbox=sandbox, region=region, vpc_id=vpc_id)
    if gateway.vpc is None or gateway.vpc.vpc_id != vpc_id:
        raise GatewayNotAttached(f"resource {gateway_id} is not attached to network {vpc_id}")
    gateway.vpc = None
    gateway.save(update_fields=["vpc"])


def gateway_delete(*, sandbox: Sandbox, region: str, gateway_id: str) -> None:
    gateway = gateway_get(sandbox=sandbox, region=region, gateway_id=gateway_id)
    if gateway.vpc_id is not None:
        raise DependencyViolation(f"The internetGateway '{gateway_id}' has dependencies and cannot be deleted.")
    common.tags_clear(sandbox=sandbox, resource_id=gateway_id)
    gateway.delete()


def gateways_describe(
    *, sandbox: Sandbox, region: str, ids: list[str], filters: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = list(InternetGateway.objects.filter(sandbox=sandbox, region=region).select_related("vpc"))
    missing = common.not_found(InvalidInternetGatewayIDNotFound, "internetGateway")
    rows = common.named(rows, ids, lambda gateway: gateway.gateway_id, missing)
    tags = common.tags_of(sandbox, [gateway.gateway_id for gateway in rows])

    def fields(gateway: InternetGateway) -> common.Fields:
        return common.filter_fields_with_tags({
            "internet-gateway-id": [gateway.gateway_id],
            "attachment.vpc-id": [gateway.vpc.vpc_id] if gateway.vpc else [],
            "attachment.state": ["available"] if gateway.vpc else [], "owner-id": [sandbox.account_id],
        }, tags.get(gateway.gateway_id, {}))  # fmt: skip

    known_filters = ("internet-gateway-id", "attachment.vpc-id", "attachment.state", "owner-id")
    return [
        {
            "Attachments": [{"State": "available", "VpcId": gateway.vpc.vpc_id}] if gateway.vpc else [],
            "InternetGatewayId": gateway.gateway_id, "OwnerId": sandbox.account_id,
            "Tags": common.tag_list(tags.get(gateway.gateway_id, {})),
        }
        for gateway in common.select(rows, filters, fields, known_filters)
    ]  # fmt: skip
