"""Traffic profiles: an instance's standing flow, sent on the sandbox clock.

A profile is one flow as traffic.py sends it (from an instance or an internet address, to an
instance, with a protocol and port) plus a rate, `packets_per_minute`; the instance whose profile
it is is one of its two ends, and has at most one. Each minute of the sandbox clock the flow is
sent again and evaluated afresh against the security groups and network ACLs of that moment: it
leaves flow log records and counts toward NetworkIn/Out like a one-off send, and is drawn on the
diagram. Clearing the profile (or terminating its instance) stops it.

LIMITATIONS: a jump of the clock sends the minutes it skipped as one flow (their packets summed) at
the jump's end, so a flow log window the jump passed over shows NODATA; a profile's end that is
terminated or gone stops the profile.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.sandboxes.models import Sandbox
from services.ec2 import traffic
from services.ec2.exceptions import Ec2Error, InvalidParameterCombination, InvalidParameterValue
from services.ec2.models import TERMINATED, TrafficProfile

MINUTE = dt.timedelta(minutes=1)
MAX_RATE = 100_000


def _check(
    *, instance_id: str, target: str | None, source: str | None, source_ip: str | None, protocol: str, port: int,
    packets_per_minute: int,
) -> None:  # fmt: skip
    if not 1 <= packets_per_minute <= MAX_RATE:
        raise InvalidParameterValue(
            f"Invalid value '{packets_per_minute}' for packets_per_minute. Expected 1 to {MAX_RATE}."
        )
    if source and source_ip:
        raise InvalidParameterCombination("A flow comes from an instance (source) or an address (source_ip), not both.")
    traffic.check_flow(protocol=protocol, port=port, source_ip=source_ip)
    if instance_id not in (target, source):
        raise InvalidParameterCombination(f"The instance {instance_id} must be the flow's target or its source.")


def profile_set(
    *, sandbox: Sandbox, region: str, instance_id: str, target: str | None, source: str | None,
    source_ip: str | None, protocol: str, port: int, packets_per_minute: int, now: dt.datetime,
) -> TrafficProfile:  # fmt: skip
    """Give `instance_id` a standing flow (replacing its profile); the first minute is sent a
    minute from now."""
    from services.ec2.instances import instances_get

    protocol = (protocol or "tcp").lower()
    target = target or (instance_id if source != instance_id else None)
    _check(
        instance_id=instance_id, target=target, source=source, source_ip=source_ip, protocol=protocol, port=port,
        packets_per_minute=packets_per_minute,
    )  # fmt: skip
    if target is None:
        raise InvalidParameterValue("The flow needs a target instance.")
    ids = [instance_id] + [other for other in (target, source) if other and other != instance_id]
    ends = instances_get(sandbox=sandbox, region=region, ids=ids, lock=True)
    instance = ends[0]
    if any(found.state == TERMINATED for found in ends):
        raise InvalidParameterValue("A traffic profile cannot use a terminated instance.")
    profile, _ = TrafficProfile.objects.update_or_create(
        instance=instance,
        defaults={
            "sandbox": sandbox, "region": region, "target": target, "source": source or "",
            "source_ip": "" if source else (source_ip or traffic.DEFAULT_SOURCE_IP), "protocol": protocol,
            "port": port, "packets_per_minute": packets_per_minute, "sent_until": now, "send_at": now + MINUTE,
        },
    )  # fmt: skip
    return profile


def profile_clear(*, sandbox: Sandbox, region: str, instance_id: str) -> None:
    from services.ec2.instances import instances_get

    [instance] = instances_get(sandbox=sandbox, region=region, ids=[instance_id])
    TrafficProfile.objects.filter(instance=instance).delete()


def profile_get(*, sandbox: Sandbox, region: str, instance_id: str) -> TrafficProfile | None:
    from services.ec2.instances import instances_get

    [instance] = instances_get(sandbox=sandbox, region=region, ids=[instance_id])
    return TrafficProfile.objects.filter(instance=instance).first()


def profile_view(profile: TrafficProfile | None) -> dict[str, Any] | None:
    """A profile as the REST API answers it."""
    if profile is None:
        return None
    return {
        "instance": profile.instance.instance_id, "target": profile.target, "source": profile.source or None,
        "source_ip": profile.source_ip or None, "protocol": profile.protocol, "port": profile.port,
        "packets_per_minute": profile.packets_per_minute,
    }  # fmt: skip


def send_due(sandbox: Sandbox, now: dt.datetime) -> None:
    """Send every due profile's flow for the whole minutes since it was last sent."""
    due = TrafficProfile.objects.filter(sandbox=sandbox, send_at__lte=now).select_related("instance").order_by("id")
    for profile in due:
        if profile.instance.state == TERMINATED:
            TrafficProfile.objects.filter(pk=profile.pk).delete()
            continue
        minutes = int((now - profile.sent_until) // MINUTE)
        until = profile.sent_until + minutes * MINUTE
        # Claim the row (another worker may be here too).
        claimed = TrafficProfile.objects.filter(pk=profile.pk, send_at=profile.send_at).update(
            sent_until=until, send_at=until + MINUTE
        )
        if not claimed or minutes < 1:
            continue
        try:
            traffic.traffic_send(
                sandbox=sandbox, region=profile.region, target=profile.target, port=profile.port,
                protocol=profile.protocol, source=profile.source or None, source_ip=profile.source_ip or None,
                packets=profile.packets_per_minute * minutes, now=now,
            )  # fmt: skip
        except Ec2Error:  # an end is gone (terminated and removed): the profile stops
            TrafficProfile.objects.filter(pk=profile.pk).delete()
