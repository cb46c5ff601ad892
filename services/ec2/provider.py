"""EC2 and VPC over the ec2 protocol (playground/gateway/protocols/ec2.py): the operations the
course's services need. Each method reads its parameters and calls one domain function:

    network.py     the default VPC (made on first use), VPCs, subnets, zones, regions
    groups.py      security groups and their ingress and egress rules
    keys.py        key pairs (real RSA and ED25519 keys)
    images.py      the AMI catalogue
    routing.py     network ACLs (evaluated, stateless), route tables, internet gateways
    instances.py   RunInstances and the instance lifecycle on the sandbox clock
    load.py        simulated CPU load, detailed monitoring; metrics.py the AWS/EC2 metrics
    traffic.py     simulated traffic, judged by security groups, network ACLs and routes
    flowlogs.py    VPC Flow Logs to S3 or CloudWatch Logs, NODATA and SKIPDATA
    common.py      IDs, tags, Describe* filters, pagination
    events.py      the live events (and the EventBridge state-change hook); graph.py the diagram
    views.py       REST endpoints for traffic and load (no AWS operation for them)

LIMITATIONS: see docs/ec2.md.
"""

from __future__ import annotations

from typing import Any

from playground.gateway.errors import AwsError
from playground.gateway.registry import Handler, Provider, register
from playground.gateway.request import RequestContext
from playground.gateway.validation import Problem
from services.ec2 import common, flowlogs, groups, images, instances, keys, load, network, routing
from services.ec2.exceptions import Ec2Error, InvalidID, InvalidParameterValue, MissingParameter
from services.ec2.models import Tag


class DryRunOperation(Ec2Error):
    code = "DryRunOperation"
    status = 412


def _filters(params: dict[str, Any]) -> list[dict[str, Any]]:
    return list(params.get("Filters") or [])


def _tags(params: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return common.tag_specifications(params.get("TagSpecifications") or [], resource_type)


@register
class Ec2Provider(Provider):
    service = "ec2"

    def handler(self, operation: str) -> Handler | None:
        """Every call: DryRun answers at once (412 DryRunOperation: no permission model to check),
        and the region's default VPC exists before the operation runs."""
        method = super().handler(operation)
        if method is None:
            return None

        def run(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
            if params.get("DryRun"):
                raise DryRunOperation("Request would have succeeded, but DryRun flag is set.")
            network.ensure_default(sandbox=ctx.sandbox, region=ctx.region, now=ctx.now)
            return method(ctx, params)

        return run

    def checks_itself(self, operation: str, problem: Problem) -> bool:
        """InstanceType's enum lists every type AWS has; instances.py checks the catalogue's own
        and words the error as AWS does."""
        return problem.kind == "enum" and problem.path.lower().endswith("instancetype")

    def validation_error(self, protocol: str, problems: list[Problem]) -> AwsError | None:
        problem = problems[0]
        name = problem.path.split(".")[-1]
        if problem.kind == "required":
            return MissingParameter(f"The request must contain the parameter {name}")
        return InvalidParameterValue(f"Value for parameter {name} is invalid.")

    # --- regions and zones -----------------------------------------------------------------------

    def describe_regions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        names = params.get("RegionNames") or []
        found = network.regions()
        for name in names:
            if name not in network.REGIONS:
                raise InvalidParameterValue(f"Invalid region: {name}", code="InvalidParameterValue")
        if names:
            found = [region for region in found if region["RegionName"] in names]
        fields = lambda region: {"region-name": [region["RegionName"]], "endpoint": [region["Endpoint"]],  # noqa: E731
                                 "opt-in-status": [region["OptInStatus"]]}  # fmt: skip
        found = common.select(found, _filters(params), fields, ("region-name", "endpoint", "opt-in-status"))
        return {"Regions": found}

    def describe_availability_zones(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        zones = network.zones(ctx.region)
        for name in params.get("ZoneNames") or []:
            if name not in network.zone_names(ctx.region):
                raise InvalidParameterValue(f"The zone '{name}' does not exist.")
        for zone_id in params.get("ZoneIds") or []:
            if zone_id not in [zone["ZoneId"] for zone in zones]:
                raise InvalidParameterValue(f"The zone ID '{zone_id}' does not exist.")
        if params.get("ZoneNames") or params.get("ZoneIds"):
            zones = [z for z in zones if z["ZoneName"] in (params.get("ZoneNames") or [])
                     or z["ZoneId"] in (params.get("ZoneIds") or [])]  # fmt: skip
        known = ("zone-name", "zone-id", "region-name", "state", "zone-type", "group-name", "opt-in-status")

        def fields(zone: dict[str, Any]) -> common.Fields:
            return {
                "zone-name": [zone["ZoneName"]], "zone-id": [zone["ZoneId"]], "region-name": [zone["RegionName"]],
                "state": [zone["State"]], "zone-type": [zone["ZoneType"]], "group-name": [zone["GroupName"]],
                "opt-in-status": [zone["OptInStatus"]],
            }  # fmt: skip

        return {"AvailabilityZones": common.select(zones, _filters(params), fields, known)}

    # --- VPCs and subnets ------------------------------------------------------------------------

    def create_vpc(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("CidrBlock"):
            raise MissingParameter("The request must contain the parameter CidrBlock")
        vpc = network.vpc_create(
            sandbox=ctx.sandbox, region=ctx.region, cidr=params["CidrBlock"], tenancy=params.get("InstanceTenancy"),
            tags=_tags(params, "vpc"), now=ctx.now,
        )  # fmt: skip
        return {"Vpc": network.vpc_view(vpc, common.tags_of(ctx.sandbox, [vpc.vpc_id]).get(vpc.vpc_id, {}))}

    def describe_vpcs(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        vpcs = network.vpcs_describe(
            sandbox=ctx.sandbox, region=ctx.region, vpc_ids=params.get("VpcIds") or [], filters=_filters(params)
        )
        return {"Vpcs": vpcs}

    def delete_vpc(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        network.vpc_delete(sandbox=ctx.sandbox, region=ctx.region, vpc_id=params["VpcId"], now=ctx.now)
        return {}

    def create_subnet(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        subnet = network.subnet_create(
            sandbox=ctx.sandbox, region=ctx.region, vpc_id=params["VpcId"], cidr=params.get("CidrBlock") or "",
            zone=params.get("AvailabilityZone"), zone_id_=params.get("AvailabilityZoneId"),
            tags=_tags(params, "subnet"), now=ctx.now,
        )  # fmt: skip
        tags = common.tags_of(ctx.sandbox, [subnet.subnet_id]).get(subnet.subnet_id, {})
        return {"Subnet": network.subnet_view(subnet, tags)}

    def describe_subnets(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        subnets = network.subnets_describe(
            sandbox=ctx.sandbox, region=ctx.region, subnet_ids=params.get("SubnetIds") or [], filters=_filters(params)
        )
        return {"Subnets": subnets}

    def delete_subnet(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        network.subnet_delete(sandbox=ctx.sandbox, region=ctx.region, subnet_id=params["SubnetId"], now=ctx.now)
        return {}

    def modify_subnet_attribute(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        flag = params.get("MapPublicIpOnLaunch") or {}
        network.subnet_modify(
            sandbox=ctx.sandbox, region=ctx.region, subnet_id=params["SubnetId"], map_public_ip=flag.get("Value")
        )
        return {}

    # --- network ACLs ----------------------------------------------------------------------------

    def create_network_acl(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        acl = routing.acl_create(
            sandbox=ctx.sandbox, region=ctx.region, vpc_id=params["VpcId"], tags=_tags(params, "network-acl")
        )
        return {"NetworkAcl": routing.acl_view(acl, common.tags_of(ctx.sandbox, [acl.acl_id]).get(acl.acl_id, {}))}

    def delete_network_acl(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        routing.acl_delete(sandbox=ctx.sandbox, region=ctx.region, acl_id=params["NetworkAclId"])
        return {}

    def _entry(self, ctx: RequestContext, params: dict[str, Any], *, replace: bool) -> dict[str, Any]:
        routing.entry_put(
            sandbox=ctx.sandbox, region=ctx.region, acl_id=params["NetworkAclId"], number=params["RuleNumber"],
            egress=bool(params["Egress"]), protocol=str(params["Protocol"]), action=params["RuleAction"],
            cidr=params.get("CidrBlock") or params.get("Ipv6CidrBlock"), ports=params.get("PortRange"),
            replace=replace,
        )  # fmt: skip
        return {}

    def create_network_acl_entry(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._entry(ctx, params, replace=False)

    def replace_network_acl_entry(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._entry(ctx, params, replace=True)

    def delete_network_acl_entry(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        routing.entry_delete(
            sandbox=ctx.sandbox, region=ctx.region, acl_id=params["NetworkAclId"], number=params["RuleNumber"],
            egress=bool(params["Egress"]),
        )  # fmt: skip
        return {}

    def describe_network_acls(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = routing.acls_describe(
            sandbox=ctx.sandbox, region=ctx.region, ids=params.get("NetworkAclIds") or [], filters=_filters(params)
        )
        return common.paged(found, params, "NetworkAcls")

    def replace_network_acl_association(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        association = routing.acl_reassociate(
            sandbox=ctx.sandbox, region=ctx.region, association_id=params["AssociationId"],
            acl_id=params["NetworkAclId"],
        )  # fmt: skip
        return {"NewAssociationId": association}

    # --- route tables and internet gateways ------------------------------------------------------

    def create_route_table(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        table = routing.table_create(
            sandbox=ctx.sandbox, region=ctx.region, vpc_id=params["VpcId"], tags=_tags(params, "route-table")
        )
        tags = common.tags_of(ctx.sandbox, [table.route_table_id]).get(table.route_table_id, {})
        return {"RouteTable": routing.table_view(table, tags)}

    def delete_route_table(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        routing.table_delete(sandbox=ctx.sandbox, region=ctx.region, table_id=params["RouteTableId"])
        return {}

    def create_route(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        routing.route_create(
            sandbox=ctx.sandbox, region=ctx.region, table_id=params["RouteTableId"],
            destination=params.get("DestinationCidrBlock"), gateway_id=params.get("GatewayId"),
        )  # fmt: skip
        return {"Return": True}

    def delete_route(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        routing.route_delete(
            sandbox=ctx.sandbox, region=ctx.region, table_id=params["RouteTableId"],
            destination=params.get("DestinationCidrBlock") or "",
        )  # fmt: skip
        return {}

    def associate_route_table(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("SubnetId"):
            raise MissingParameter("The request must contain the parameter SubnetId")
        association = routing.table_associate(
            sandbox=ctx.sandbox, region=ctx.region, table_id=params["RouteTableId"], subnet_id=params["SubnetId"]
        )
        return {"AssociationId": association, "AssociationState": {"State": "associated"}}

    def disassociate_route_table(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        routing.table_disassociate(sandbox=ctx.sandbox, region=ctx.region, association_id=params["AssociationId"])
        return {}

    def describe_route_tables(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = routing.tables_describe(
            sandbox=ctx.sandbox, region=ctx.region, ids=params.get("RouteTableIds") or [], filters=_filters(params)
        )
        return common.paged(found, params, "RouteTables")

    def create_internet_gateway(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        gateway = routing.gateway_create(sandbox=ctx.sandbox, region=ctx.region, tags=_tags(params, "internet-gateway"))
        tags = common.tags_of(ctx.sandbox, [gateway.gateway_id]).get(gateway.gateway_id, {})
        return {"InternetGateway": {"Attachments": [], "InternetGatewayId": gateway.gateway_id,
                                    "OwnerId": ctx.sandbox.account_id, "Tags": common.tag_list(tags)}}  # fmt: skip

    def attach_internet_gateway(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        routing.gateway_attach(
            sandbox=ctx.sandbox, region=ctx.region, gateway_id=params["InternetGatewayId"], vpc_id=params["VpcId"]
        )
        return {}

    def detach_internet_gateway(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        routing.gateway_detach(
            sandbox=ctx.sandbox, region=ctx.region, gateway_id=params["InternetGatewayId"], vpc_id=params["VpcId"]
        )
        return {}

    def delete_internet_gateway(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        routing.gateway_delete(sandbox=ctx.sandbox, region=ctx.region, gateway_id=params["InternetGatewayId"])
        return {}

    def describe_internet_gateways(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = routing.gateways_describe(
            sandbox=ctx.sandbox, region=ctx.region, ids=params.get("InternetGatewayIds") or [],
            filters=_filters(params),
        )  # fmt: skip
        return {"InternetGateways": found}

    # --- security groups -------------------------------------------------------------------------

    def create_security_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = groups.group_create(
            sandbox=ctx.sandbox, region=ctx.region, name=params["GroupName"], description=params["Description"],
            vpc_id=params.get("VpcId"), tags=_tags(params, "security-group"), now=ctx.now,
        )  # fmt: skip
        answer: dict[str, Any] = {
            "GroupId": group.group_id,
            "SecurityGroupArn": groups.group_view(group, {})["SecurityGroupArn"],
        }
        tags = common.tags_of(ctx.sandbox, [group.group_id]).get(group.group_id, {})
        if tags:
            answer["Tags"] = common.tag_list(tags)
        return answer

    def describe_security_groups(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = groups.groups_describe(
            sandbox=ctx.sandbox, region=ctx.region, group_ids=params.get("GroupIds") or [],
            names=params.get("GroupNames") or [], filters=_filters(params),
        )  # fmt: skip
        return common.paged(found, params, "SecurityGroups")

    def delete_security_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        groups.group_delete(
            sandbox=ctx.sandbox, region=ctx.region, group_id=params.get("GroupId"), name=params.get("GroupName"),
            now=ctx.now,
        )  # fmt: skip
        return {"Return": True, "GroupId": params.get("GroupId")}

    def _permissions(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """IpPermissions, or the older top-level form (IpProtocol, FromPort, ToPort, CidrIp or a
        source group)."""
        permissions = list(params.get("IpPermissions") or [])
        if not permissions and (
            params.get("IpProtocol") or params.get("CidrIp") or params.get("SourceSecurityGroupName")
        ):
            permission: dict[str, Any] = {"IpProtocol": params.get("IpProtocol") or "-1"}
            if params.get("FromPort") is not None:
                permission["FromPort"] = params["FromPort"]
            if params.get("ToPort") is not None:
                permission["ToPort"] = params["ToPort"]
            if params.get("CidrIp"):
                permission["IpRanges"] = [{"CidrIp": params["CidrIp"]}]
            if params.get("SourceSecurityGroupName"):
                permission["UserIdGroupPairs"] = [{"GroupName": params["SourceSecurityGroupName"]}]
            permissions.append(permission)
        return permissions

    def _authorize(self, ctx: RequestContext, params: dict[str, Any], direction: str) -> dict[str, Any]:
        if not params.get("GroupId") and not params.get("GroupName"):
            raise MissingParameter("The request must contain the parameter groupName or groupId")
        group, added = groups.rules_authorize(
            sandbox=ctx.sandbox, region=ctx.region, group_id=params.get("GroupId"), name=params.get("GroupName"),
            direction=direction, permissions=self._permissions(params), now=ctx.now,
        )  # fmt: skip
        return {"Return": True, "SecurityGroupRules": groups.rule_views(group, added, egress=direction == "egress")}

    def _revoke(self, ctx: RequestContext, params: dict[str, Any], direction: str) -> dict[str, Any]:
        if not params.get("GroupId") and not params.get("GroupName"):
            raise MissingParameter("The request must contain the parameter groupName or groupId")
        _, unknown = groups.rules_revoke(
            sandbox=ctx.sandbox, region=ctx.region, group_id=params.get("GroupId"), name=params.get("GroupName"),
            direction=direction, permissions=self._permissions(params),
            rule_ids=params.get("SecurityGroupRuleIds") or [], now=ctx.now,
        )  # fmt: skip
        answer: dict[str, Any] = {"Return": True}
        if unknown:
            answer["UnknownIpPermissions"] = unknown
        return answer

    def authorize_security_group_ingress(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._authorize(ctx, params, "ingress")

    def authorize_security_group_egress(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._authorize(ctx, params, "egress")

    def revoke_security_group_ingress(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._revoke(ctx, params, "ingress")

    def revoke_security_group_egress(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._revoke(ctx, params, "egress")

    # --- key pairs -------------------------------------------------------------------------------

    def create_key_pair(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key, material = keys.key_create(
            sandbox=ctx.sandbox, region=ctx.region, name=params["KeyName"], key_type=params.get("KeyType"),
            key_format=params.get("KeyFormat"), tags=_tags(params, "key-pair"), now=ctx.now,
        )  # fmt: skip
        tags = common.tags_of(ctx.sandbox, [key.key_pair_id]).get(key.key_pair_id, {})
        return {
            "KeyName": key.name, "KeyFingerprint": key.fingerprint, "KeyMaterial": material,
            "KeyPairId": key.key_pair_id, "Tags": common.tag_list(tags),
        }  # fmt: skip

    def import_key_pair(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        material = params["PublicKeyMaterial"]
        key = keys.key_import(
            sandbox=ctx.sandbox, region=ctx.region, name=params["KeyName"],
            material=material if isinstance(material, bytes) else str(material).encode(),
            tags=_tags(params, "key-pair"), now=ctx.now,
        )  # fmt: skip
        tags = common.tags_of(ctx.sandbox, [key.key_pair_id]).get(key.key_pair_id, {})
        return {
            "KeyName": key.name, "KeyFingerprint": key.fingerprint, "KeyPairId": key.key_pair_id,
            "Tags": common.tag_list(tags),
        }  # fmt: skip

    def describe_key_pairs(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = keys.keys_describe(
            sandbox=ctx.sandbox, region=ctx.region, names=params.get("KeyNames") or [],
            ids=params.get("KeyPairIds") or [], filters=_filters(params),
            include_public=bool(params.get("IncludePublicKey")),
        )  # fmt: skip
        return {"KeyPairs": found}

    def delete_key_pair(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("KeyName") and not params.get("KeyPairId"):
            raise MissingParameter("The request must contain the parameter KeyName or KeyPairId")
        key_pair_id = keys.key_delete(
            sandbox=ctx.sandbox, region=ctx.region, name=params.get("KeyName"), key_pair_id=params.get("KeyPairId")
        )
        answer: dict[str, Any] = {"Return": True}
        if key_pair_id:
            answer["KeyPairId"] = key_pair_id
        return answer

    # --- images ----------------------------------------------------------------------------------

    def describe_images(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = images.images_describe(
            image_ids=params.get("ImageIds") or [], owners=params.get("Owners") or [], filters=_filters(params)
        )
        return {"Images": found}

    # --- tags ------------------------------------------------------------------------------------

    def create_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        tags = params.get("Tags") or []
        common.check_tags(tags)
        for resource_id in params.get("Resources") or []:
            if common.resource_type_of(resource_id) is None:
                raise InvalidID(f"The ID '{resource_id}' is not valid")
        for resource_id in params.get("Resources") or []:
            common.tags_set(sandbox=ctx.sandbox, region=ctx.region, resource_id=resource_id, tags=tags)
        return {}

    def delete_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        resources = params.get("Resources") or []
        for resource_id in resources:
            if common.resource_type_of(resource_id) is None:
                raise InvalidID(f"The ID '{resource_id}' is not valid")
        rows = Tag.objects.filter(sandbox=ctx.sandbox, resource_id__in=resources)
        given = params.get("Tags")
        if not given:
            rows.delete()
            return {}
        for tag in given:
            chosen = rows.filter(key=tag["Key"])
            if tag.get("Value") is not None:
                chosen = chosen.filter(value=tag["Value"])
            chosen.delete()
        return {}

    def describe_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rows = list(Tag.objects.filter(sandbox=ctx.sandbox, region=ctx.region).order_by("resource_id", "key"))
        known = ("key", "value", "resource-id", "resource-type")

        def fields(tag: Tag) -> common.Fields:
            return {"key": [tag.key], "value": [tag.value], "resource-id": [tag.resource_id],
                    "resource-type": [tag.resource_type]}  # fmt: skip

        chosen = common.select(rows, _filters(params), fields, known)
        shown, following = common.page(chosen, max_results=params.get("MaxResults"), token=params.get("NextToken"))
        answer: dict[str, Any] = {
            "Tags": [
                {"ResourceId": tag.resource_id, "ResourceType": tag.resource_type, "Key": tag.key, "Value": tag.value}
                for tag in shown
            ]
        }
        if following:
            answer["NextToken"] = following
        return answer

    # --- instances -------------------------------------------------------------------------------

    def run_instances(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        placement = params.get("Placement") or {}
        launched = instances.instances_run(
            sandbox=ctx.sandbox, region=ctx.region, image_id=params.get("ImageId"),
            instance_type=params.get("InstanceType"), min_count=params["MinCount"], max_count=params["MaxCount"],
            key_name=params.get("KeyName"), group_ids=params.get("SecurityGroupIds") or [],
            group_names=params.get("SecurityGroups") or [], subnet_id=params.get("SubnetId"),
            zone=placement.get("AvailabilityZone"), user_data=params.get("UserData"),
            tag_specs=params.get("TagSpecifications") or [], client_token=params.get("ClientToken"), now=ctx.now,
            monitoring=bool((params.get("Monitoring") or {}).get("Enabled")),
        )  # fmt: skip
        tags = common.tags_of(ctx.sandbox, [instance.instance_id for instance in launched])
        reservation = instances.reservations(launched, tags, instances.group_names(ctx.sandbox, ctx.region))[0]
        return reservation

    def describe_instances(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found, following = instances.instances_describe(
            sandbox=ctx.sandbox, region=ctx.region, ids=params.get("InstanceIds") or [], filters=_filters(params),
            max_results=params.get("MaxResults"), token=params.get("NextToken"),
        )  # fmt: skip
        answer: dict[str, Any] = {"Reservations": found}
        if following:
            answer["NextToken"] = following
        return answer

    def describe_instance_status(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = instances.statuses_describe(
            sandbox=ctx.sandbox, region=ctx.region, ids=params.get("InstanceIds") or [],
            include_all=bool(params.get("IncludeAllInstances")), filters=_filters(params), now=ctx.now,
        )  # fmt: skip
        return common.paged(found, params, "InstanceStatuses")

    def stop_instances(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        changes = instances.instances_stop(
            sandbox=ctx.sandbox, region=ctx.region, ids=params["InstanceIds"], now=ctx.now
        )
        return {"StoppingInstances": changes}

    def start_instances(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        changes = instances.instances_start(
            sandbox=ctx.sandbox, region=ctx.region, ids=params["InstanceIds"], now=ctx.now
        )
        return {"StartingInstances": changes}

    def terminate_instances(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        changes = instances.instances_terminate(
            sandbox=ctx.sandbox, region=ctx.region, ids=params["InstanceIds"], now=ctx.now
        )
        return {"TerminatingInstances": changes}

    def reboot_instances(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        instances.instances_reboot(sandbox=ctx.sandbox, region=ctx.region, ids=params["InstanceIds"], now=ctx.now)
        return {}

    def monitor_instances(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = load.monitoring_set(
            sandbox=ctx.sandbox, region=ctx.region, ids=params["InstanceIds"], enabled=True, now=ctx.now
        )
        return {"InstanceMonitorings": found}

    def unmonitor_instances(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = load.monitoring_set(
            sandbox=ctx.sandbox, region=ctx.region, ids=params["InstanceIds"], enabled=False, now=ctx.now
        )
        return {"InstanceMonitorings": found}

    # --- flow logs -------------------------------------------------------------------------------

    def create_flow_logs(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        created, unsuccessful = flowlogs.flow_logs_create(
            sandbox=ctx.sandbox, region=ctx.region, resource_ids=params.get("ResourceIds") or [],
            kind=params.get("ResourceType") or "", traffic_type=params.get("TrafficType"),
            destination_type=params.get("LogDestinationType"), destination=params.get("LogDestination"),
            log_format=params.get("LogFormat"), interval=params.get("MaxAggregationInterval"),
            group_name=params.get("LogGroupName"), permission_arn=params.get("DeliverLogsPermissionArn"), now=ctx.now,
        )  # fmt: skip
        answer: dict[str, Any] = {"FlowLogIds": created, "Unsuccessful": unsuccessful}
        if params.get("ClientToken"):
            answer["ClientToken"] = params["ClientToken"]
        return answer

    def describe_flow_logs(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = flowlogs.flow_logs_describe(
            sandbox=ctx.sandbox,
            region=ctx.region,
            ids=params.get("FlowLogIds") or [],
            filters=params.get("Filter") or [],
        )
        return common.paged(found, params, "FlowLogs")

    def delete_flow_logs(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "Unsuccessful": flowlogs.flow_logs_delete(sandbox=ctx.sandbox, region=ctx.region, ids=params["FlowLogIds"])
        }
