"""VPCs made before network ACLs and route tables existed get their defaults now: the code makes
them with the VPC (routing.vpc_defaults) and no longer on first use. Subnets without an ACL
association are associated with their VPC's default ACL."""

import secrets

from django.db import migrations

LAST_RULE = 32767


def _id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(9)[:17]}"


def _all(egress: bool, number: int, action: str) -> dict[str, object]:
    return {"rule_number": number, "egress": egress, "protocol": "-1", "action": action, "cidr": "0.0.0.0/0"}


def make_defaults(apps, schema_editor):  # type: ignore[no-untyped-def]
    Vpc = apps.get_model("ec2", "Vpc")
    Subnet = apps.get_model("ec2", "Subnet")
    NetworkAcl = apps.get_model("ec2", "NetworkAcl")
    RouteTable = apps.get_model("ec2", "RouteTable")
    InternetGateway = apps.get_model("ec2", "InternetGateway")
    for vpc in Vpc.objects.all().iterator():
        acl = NetworkAcl.objects.filter(vpc=vpc, is_default=True).first()
        if acl is None:
            acl = NetworkAcl.objects.create(
                sandbox_id=vpc.sandbox_id, vpc=vpc, region=vpc.region, acl_id=_id("acl"), is_default=True,
                entries=[_all(False, 100, "allow"), _all(True, 100, "allow"),
                         _all(False, LAST_RULE, "deny"), _all(True, LAST_RULE, "deny")],
            )  # fmt: skip
        held = {subnet_id for other in NetworkAcl.objects.filter(vpc=vpc) for subnet_id in other.associations}
        missing = [s.subnet_id for s in Subnet.objects.filter(vpc=vpc) if s.subnet_id not in held]
        if missing:
            acl.associations = {**acl.associations, **{subnet_id: _id("aclassoc") for subnet_id in missing}}
            acl.save(update_fields=["associations"])
        if not RouteTable.objects.filter(vpc=vpc, is_main=True).exists():
            routes = []
            if vpc.is_default:
                gateway = InternetGateway.objects.create(
                    sandbox_id=vpc.sandbox_id, region=vpc.region, gateway_id=_id("igw"), vpc=vpc
                )
                routes.append({"destination": "0.0.0.0/0", "gateway_id": gateway.gateway_id})
            RouteTable.objects.create(
                sandbox_id=vpc.sandbox_id, vpc=vpc, region=vpc.region, route_table_id=_id("rtb"), is_main=True,
                main_association_id=_id("rtbassoc"), routes=routes,
            )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("ec2", "0003_load_schedule_traffic_profile")]

    operations = [migrations.RunPython(make_defaults, migrations.RunPython.noop)]
