"""EC2's AWS/EC2 metrics, published through CloudWatch's public door on the sandbox clock, with the
InstanceId dimension, for running instances: every five minutes (basic monitoring) or every minute
(detailed monitoring, MonitorInstances), one datapoint per period stamped at the period's start,
aligned to the clock as AWS aligns them:

    CPUUtilization                 Percent   the simulated load's average over the period (load.py)
    NetworkIn / NetworkOut         Bytes     what simulated traffic brought in or sent out
    NetworkPacketsIn / ...Out      Count     its packets
    StatusCheckFailed (and _Instance, _System)   Count   0: a simulated host never fails its checks

An instance that is not running publishes nothing, as on AWS.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F

from playground.sandboxes.models import Sandbox
from services.cloudwatch.public import Datum, metrics_put
from services.ec2 import load
from services.ec2.models import RUNNING, Instance

NAMESPACE = "AWS/EC2"


def period_of(instance: Instance) -> int:
    return 60 if instance.monitoring else 300


def next_boundary(now: dt.datetime, period: int) -> dt.datetime:
    epoch = (int(now.timestamp()) // period + 1) * period
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def traffic_counted(instance: Instance, *, inbound: bool, packets: int, size: int) -> None:
    """Count simulated traffic for the next NetworkIn/Out datapoints."""
    if inbound:
        Instance.objects.filter(pk=instance.pk).update(
            bytes_in=F("bytes_in") + size, packets_in=F("packets_in") + packets
        )
    else:
        Instance.objects.filter(pk=instance.pk).update(
            bytes_out=F("bytes_out") + size, packets_out=F("packets_out") + packets
        )


def publish_due(sandbox: Sandbox, now: dt.datetime) -> None:
    due = Instance.objects.filter(sandbox=sandbox, metrics_at__lte=now).order_by("id")
    for instance in due:
        at = instance.metrics_at
        assert at is not None
        if instance.state != RUNNING:
            Instance.objects.filter(pk=instance.pk, metrics_at=at).update(metrics_at=None)
            continue
        period = period_of(instance)
        last = at
        while last + dt.timedelta(seconds=period) <= now:
            last += dt.timedelta(seconds=period)
        # Claim the row and take the traffic counted so far (another worker may be here too).
        claimed = Instance.objects.filter(pk=instance.pk, metrics_at=at).update(
            metrics_at=last + dt.timedelta(seconds=period), bytes_in=0, bytes_out=0, packets_in=0, packets_out=0
        )
        if not claimed:
            continue
        counted = {
            "NetworkIn": (instance.bytes_in, "Bytes"), "NetworkOut": (instance.bytes_out, "Bytes"),
            "NetworkPacketsIn": (instance.packets_in, "Count"), "NetworkPacketsOut": (instance.packets_out, "Count"),
        }  # fmt: skip
        end = max(at, last - dt.timedelta(seconds=period * 36))  # a long jump of the clock: the last periods
        data: list[Datum] = []
        while end <= last:
            start = end - dt.timedelta(seconds=period)
            values = {
                "CPUUtilization": (load.cpu_average(instance, start=start, seconds=period), "Percent"),
                "StatusCheckFailed": (0.0, "Count"), "StatusCheckFailed_Instance": (0.0, "Count"),
                "StatusCheckFailed_System": (0.0, "Count"),
                **{name: (float(v) if end == last else 0.0, unit) for name, (v, unit) in counted.items()},
            }  # fmt: skip
            data.extend(
                Datum(name, value=value, unit=unit, dimensions={"InstanceId": instance.instance_id}, timestamp=start)
                for name, (value, unit) in values.items()
            )
            end += dt.timedelta(seconds=period)
        metrics_put(sandbox=sandbox, region=instance.region, namespace=NAMESPACE, data=data, now=now)
