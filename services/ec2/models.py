"""EC2 and VPC state: VPCs, subnets, security groups (their rules as JSON lists), key pairs,
instances and tags. Identifiers are AWS's (vpc-, subnet-, sg-, key-, i-, r- and 17 hex digits);
rows are per sandbox and region.

An instance's state is the one last set; `settles_at` (sandbox clock) is when a transitional state
(pending, stopping, shutting-down) ends, or when a terminated instance leaves DescribeInstances.
The tick (tasks.py) moves the rows that are due.
"""

from __future__ import annotations

from django.db import models

from playground.sandboxes.models import Sandbox

PENDING = "pending"
RUNNING = "running"
SHUTTING_DOWN = "shutting-down"
TERMINATED = "terminated"
STOPPING = "stopping"
STOPPED = "stopped"

STATE_CODES = {PENDING: 0, RUNNING: 16, SHUTTING_DOWN: 32, TERMINATED: 48, STOPPING: 64, STOPPED: 80}


class RegionState(models.Model):
    """One row per sandbox and region once its default VPC was made (lazily, on the first EC2 call
    that needs it): a default VPC the student deleted is not made again."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=32)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sandbox", "region"], name="ec2_region_unique")]

    def __str__(self) -> str:
        return self.region


class Vpc(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="ec2_vpcs")
    region = models.CharField(max_length=32)
    vpc_id = models.CharField(max_length=32)
    cidr = models.CharField(max_length=32)
    is_default = models.BooleanField(default=False)
    instance_tenancy = models.CharField(max_length=16, default="default")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "vpc_id"], name="ec2_vpc_unique_id")]

    def __str__(self) -> str:
        return self.vpc_id


class Subnet(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    vpc = models.ForeignKey(Vpc, on_delete=models.CASCADE, related_name="subnets")
    region = models.CharField(max_length=32)
    subnet_id = models.CharField(max_length=32)
    cidr = models.CharField(max_length=32)
    availability_zone = models.CharField(max_length=32)
    default_for_az = models.BooleanField(default=False)
    map_public_ip_on_launch = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "subnet_id"], name="ec2_subnet_unique_id")]

    def __str__(self) -> str:
        return self.subnet_id


class SecurityGroup(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    vpc = models.ForeignKey(Vpc, on_delete=models.CASCADE, related_name="security_groups")
    region = models.CharField(max_length=32)
    group_id = models.CharField(max_length=32)
    name = models.CharField(max_length=255)
    description = models.CharField(max_length=255)
    # Rules, one dict per (protocol, ports, peer): {"rule_id", "protocol", "from_port", "to_port",
    # "cidr_ipv4" | "cidr_ipv6" | "group_id", "description"}.
    ingress = models.JSONField(default=list)
    egress = models.JSONField(default=list)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["sandbox", "group_id"], name="ec2_sg_unique_id"),
            models.UniqueConstraint(fields=["vpc", "name"], name="ec2_sg_unique_name"),
        ]

    def __str__(self) -> str:
        return self.group_id


class KeyPair(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=32)
    key_pair_id = models.CharField(max_length=32)
    name = models.CharField(max_length=255)
    key_type = models.CharField(max_length=16, default="rsa")
    fingerprint = models.CharField(max_length=128)
    public_key = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "region", "name"], name="ec2_key_unique_name")]

    def __str__(self) -> str:
        return self.name


class Instance(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    subnet = models.ForeignKey(Subnet, on_delete=models.CASCADE, related_name="instances")
    region = models.CharField(max_length=32)
    instance_id = models.CharField(max_length=32)
    reservation_id = models.CharField(max_length=32)
    launch_index = models.PositiveIntegerField(default=0)
    image_id = models.CharField(max_length=32)
    instance_type = models.CharField(max_length=32)
    key_name = models.CharField(max_length=255, blank=True, default="")
    group_ids = models.JSONField(default=list)
    user_data = models.TextField(blank=True, default="")  # base64, as sent
    private_ip = models.CharField(max_length=45)
    eni_id = models.CharField(max_length=32)
    mac_address = models.CharField(max_length=17)
    public_ip = models.CharField(max_length=45, blank=True, default="")
    client_token = models.CharField(max_length=64, blank=True, default="")
    state = models.CharField(max_length=16, default=PENDING)
    settles_at = models.DateTimeField(null=True, blank=True, db_index=True)
    state_reason_code = models.CharField(max_length=64, blank=True, default="")
    state_reason_message = models.CharField(max_length=255, blank=True, default="")
    transition_reason = models.CharField(max_length=255, blank=True, default="")
    launch_time = models.DateTimeField()
    running_since = models.DateTimeField(null=True, blank=True)
    # Simulated load (load.py): a profile ("idle", "steady", "spiky") and its level in percent.
    cpu_profile = models.CharField(max_length=16, default="idle")
    cpu_percent = models.FloatField(default=0.0)
    # The "schedule" profile's steps: [[minute of the day (UTC), percent], ...], sorted.
    cpu_schedule = models.JSONField(default=list, blank=True)
    # Detailed monitoring (MonitorInstances): AWS/EC2 metrics every minute instead of five.
    monitoring = models.BooleanField(default=False)
    # When the next AWS/EC2 datapoints are due (metrics.py), and the traffic counted since the last.
    metrics_at = models.DateTimeField(null=True, blank=True, db_index=True)
    bytes_in = models.BigIntegerField(default=0)
    bytes_out = models.BigIntegerField(default=0)
    packets_in = models.BigIntegerField(default=0)
    packets_out = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "instance_id"], name="ec2_instance_unique_id")]

    def __str__(self) -> str:
        return self.instance_id


class Tag(models.Model):
    """One tag of one resource, whatever its type (CreateTags takes any resource ID)."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=32)
    resource_id = models.CharField(max_length=64)
    resource_type = models.CharField(max_length=32)
    key = models.CharField(max_length=128)
    value = models.CharField(max_length=256, blank=True, default="")

    class Meta:
        ordering = ["resource_id", "key"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "resource_id", "key"], name="ec2_tag_unique_key")]
        indexes = [models.Index(fields=["sandbox", "resource_id"], name="ec2_tag_resource")]

    def __str__(self) -> str:
        return f"{self.resource_id}:{self.key}"


class FlowLog(models.Model):
    """A VPC Flow Log on a VPC, a subnet or a network interface, delivering to S3 or CloudWatch
    Logs (`destination` is then the log group's name) every
    `interval` seconds of sandbox time (`deliver_at` is the next delivery)."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=32)
    flow_log_id = models.CharField(max_length=32)
    resource_id = models.CharField(max_length=64)
    traffic_type = models.CharField(max_length=8)
    destination_type = models.CharField(max_length=32, default="s3")
    destination = models.CharField(max_length=1024)
    permission_arn = models.CharField(max_length=2048, blank=True, default="")
    log_format = models.TextField()
    interval = models.PositiveIntegerField(default=600)
    created_at = models.DateTimeField()
    deliver_at = models.DateTimeField(db_index=True)
    delivery_error = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "flow_log_id"], name="ec2_flowlog_unique_id")]

    def __str__(self) -> str:
        return self.flow_log_id


class FlowRecord(models.Model):
    """One flow captured for a flow log, waiting for its delivery: metadata only, never payload."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    flow_log = models.ForeignKey(FlowLog, on_delete=models.CASCADE, related_name="records")
    fields = models.JSONField()  # every field a log format may name, for this flow
    captured_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.flow_log_id}@{self.captured_at}"


class NetworkAcl(models.Model):
    """A network ACL: numbered entries (JSON: {"rule_number", "egress", "protocol" as a number
    string or "-1", "action", "cidr", "from_port", "to_port"}) evaluated in order, stateless. Every
    VPC has a default one; a subnet without its own association uses its VPC's default."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    vpc = models.ForeignKey(Vpc, on_delete=models.CASCADE, related_name="network_acls")
    region = models.CharField(max_length=32)
    acl_id = models.CharField(max_length=32)
    is_default = models.BooleanField(default=False)
    entries = models.JSONField(default=list)
    # {subnet ID: association ID} of the subnets associated with it
    associations = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "acl_id"], name="ec2_acl_unique_id")]

    def __str__(self) -> str:
        return self.acl_id


class RouteTable(models.Model):
    """A route table: routes (JSON: {"destination", "gateway_id"}; the VPC's local route is
    implied) and its subnet associations ({subnet ID: association ID}). The main one serves every
    subnet without an explicit association."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    vpc = models.ForeignKey(Vpc, on_delete=models.CASCADE, related_name="route_tables")
    region = models.CharField(max_length=32)
    route_table_id = models.CharField(max_length=32)
    is_main = models.BooleanField(default=False)
    main_association_id = models.CharField(max_length=32, blank=True, default="")
    routes = models.JSONField(default=list)
    associations = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "route_table_id"], name="ec2_rtb_unique_id")]

    def __str__(self) -> str:
        return self.route_table_id


class InternetGateway(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=32)
    gateway_id = models.CharField(max_length=32)
    vpc = models.ForeignKey(Vpc, on_delete=models.SET_NULL, null=True, blank=True, related_name="gateways")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "gateway_id"], name="ec2_igw_unique_id")]

    def __str__(self) -> str:
        return self.gateway_id


class TrafficProfile(models.Model):
    """An instance's standing flow (profiles.py): `packets_per_minute` packets from `source` (an
    instance) or `source_ip` (the internet) to `target`, sent on the sandbox clock; the instance
    whose profile it is is one of the two ends."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    instance = models.OneToOneField(Instance, on_delete=models.CASCADE, related_name="traffic_profile")
    region = models.CharField(max_length=32)
    target = models.CharField(max_length=32)
    source = models.CharField(max_length=32, blank=True, default="")
    source_ip = models.CharField(max_length=45, blank=True, default="")
    protocol = models.CharField(max_length=8, default="tcp")
    port = models.PositiveIntegerField(default=0)
    packets_per_minute = models.PositiveIntegerField()
    sent_until = models.DateTimeField()  # the flow has been sent for the minutes up to here
    send_at = models.DateTimeField(db_index=True)  # when the next minute's packets are due

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.instance_id}: {self.source or self.source_ip} -> {self.target}"
