"""EC2's time-based work on each sandbox's clock: instances leaving pending, stopping and
shutting-down, and terminated instances leaving DescribeInstances an hour later (instances.py);
flow logs delivering what they captured every aggregation interval (flowlogs.py); running
instances' AWS/EC2 metrics every five minutes, or every minute with detailed monitoring (metrics.py);
traffic profiles' standing flows every minute (profiles.py)."""

from __future__ import annotations

import datetime as dt

from playground.sandboxes.duework import due_work
from playground.sandboxes.models import Sandbox
from services.ec2 import flowlogs, instances, metrics, profiles
from services.ec2.models import FlowLog, Instance, TrafficProfile


@due_work("ec2.instance-state", rows=Instance.objects.all, at="settles_at")
def settle_instances(sandbox: Sandbox, now: dt.datetime) -> None:
    instances.settle_due(sandbox, now)


@due_work("ec2.flow-log-delivery", rows=FlowLog.objects.all, at="deliver_at")
def deliver_flow_logs(sandbox: Sandbox, now: dt.datetime) -> None:
    flowlogs.deliver_due(sandbox, now)


@due_work("ec2.metrics", rows=Instance.objects.all, at="metrics_at")
def publish_metrics(sandbox: Sandbox, now: dt.datetime) -> None:
    metrics.publish_due(sandbox, now)


@due_work("ec2.traffic-profile", rows=TrafficProfile.objects.all, at="send_at")
def send_traffic_profiles(sandbox: Sandbox, now: dt.datetime) -> None:
    profiles.send_due(sandbox, now)
