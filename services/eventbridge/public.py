"""What other services may use of EventBridge (docs/services.md: services meet through public doors).
Each function puts one event on the default bus of the sandbox's region, in the shape AWS's own
service sends, matches it against the bus's rules and delivers it; it returns the event id. Call
inside the caller's transaction, with the sandbox clock's `now`.

emit(sandbox=, region=, source=, detail_type=, detail=, resources=, now=, time=None, bus_name=None)
    any AWS service event ("aws.<service>" source); `time` is the event's time when not `now`
    (CloudTrail's events carry their call's eventTime); `bus_name` puts it on that custom bus of
    the sandbox instead of the default one (Lambda's destinations), raising EventsError
    (ResourceNotFoundException) when there is none
object_created(sandbox=, region=, bucket=, key=, size=, etag=, version_id=None, sequencer=,
               requester=, source_ip=, reason="PutObject", now=)
    S3's "Object Created" (for a bucket with EventBridge notifications on)
object_deleted(sandbox=, region=, bucket=, key=, version_id=None, sequencer=, requester=,
               source_ip=, deletion_type="Permanently Deleted", reason="DeleteObject", now=)
    S3's "Object Deleted"
object_tags_changed(sandbox=, region=, bucket=, key=, etag=, version_id=None, requester=, source_ip=,
                    added=True, now=)
    S3's "Object Tags Added" (PutObjectTagging) or "Object Tags Deleted" (DeleteObjectTagging)
instance_state_changed(sandbox=, region=, instance_id=, state=, now=)
    EC2's "EC2 Instance State-change Notification" (state: pending, running, stopping, stopped,
    shutting-down, terminated)
alarm_state_changed(sandbox=, region=, alarm_name=, alarm_arn=, state=, reason=, previous_state=,
                    previous_reason=, configuration=None, now=)
    CloudWatch's "CloudWatch Alarm State Change" (state: OK, ALARM, INSUFFICIENT_DATA)
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from playground.sandboxes.models import Sandbox
from services.eventbridge.exceptions import EventsError
from services.eventbridge.ingest import emit

__all__ = [
    "EventsError",
    "alarm_state_changed",
    "emit",
    "instance_state_changed",
    "object_created",
    "object_deleted",
    "object_tags_changed",
]


def _s3_event(
    detail_type: str,
    *,
    sandbox: Sandbox,
    region: str,
    bucket: str,
    obj: dict[str, Any],
    version_id: str | None,
    requester: str,
    source_ip: str,
    now: dt.datetime,
    **more: str,
) -> str:
    """One of S3's events: what every detail-type shares, `obj` the object's own fields, `more`
    the detail-type's own members (reason, deletion-type)."""
    if version_id:
        obj["version-id"] = version_id
    detail = {
        "version": "0",
        "bucket": {"name": bucket},
        "object": obj,
        "request-id": uuid.uuid4().hex[:16].upper(),
        "requester": requester,
        "source-ip-address": source_ip,
        **more,
    }
    return emit(
        sandbox=sandbox,
        region=region,
        source="aws.s3",
        detail_type=detail_type,
        detail=detail,
        resources=[f"arn:aws:s3:::{bucket}"],
        now=now,
    )


def object_created(
    *,
    sandbox: Sandbox,
    region: str,
    bucket: str,
    key: str,
    size: int,
    etag: str,
    sequencer: str,
    requester: str,
    source_ip: str,
    now: dt.datetime,
    version_id: str | None = None,
    reason: str = "PutObject",
) -> str:
    return _s3_event(
        "Object Created", sandbox=sandbox, region=region, bucket=bucket, version_id=version_id,
        obj={"key": key, "size": size, "etag": etag, "sequencer": sequencer},
        requester=requester, source_ip=source_ip, now=now, reason=reason,
    )  # fmt: skip


def object_deleted(
    *,
    sandbox: Sandbox,
    region: str,
    bucket: str,
    key: str,
    sequencer: str,
    requester: str,
    source_ip: str,
    now: dt.datetime,
    version_id: str | None = None,
    deletion_type: str = "Permanently Deleted",
    reason: str = "DeleteObject",
) -> str:
    return _s3_event(
        "Object Deleted", sandbox=sandbox, region=region, bucket=bucket, version_id=version_id,
        obj={"key": key, "sequencer": sequencer}, requester=requester, source_ip=source_ip, now=now,
        reason=reason, **{"deletion-type": deletion_type},
    )  # fmt: skip


def object_tags_changed(
    *,
    sandbox: Sandbox,
    region: str,
    bucket: str,
    key: str,
    etag: str,
    requester: str,
    source_ip: str,
    now: dt.datetime,
    version_id: str | None = None,
    added: bool = True,
) -> str:
    """S3's tag events carry no sequencer."""
    return _s3_event(
        "Object Tags Added" if added else "Object Tags Deleted", sandbox=sandbox, region=region, bucket=bucket,
        version_id=version_id, obj={"key": key, "etag": etag}, requester=requester, source_ip=source_ip, now=now,
    )  # fmt: skip


def instance_state_changed(*, sandbox: Sandbox, region: str, instance_id: str, state: str, now: dt.datetime) -> str:
    arn = f"arn:aws:ec2:{region}:{sandbox.account_id}:instance/{instance_id}"
    return emit(
        sandbox=sandbox,
        region=region,
        source="aws.ec2",
        detail_type="EC2 Instance State-change Notification",
        detail={"instance-id": instance_id, "state": state},
        resources=[arn],
        now=now,
    )


def alarm_state_changed(
    *,
    sandbox: Sandbox,
    region: str,
    alarm_name: str,
    alarm_arn: str,
    state: str,
    reason: str,
    previous_state: str,
    previous_reason: str,
    now: dt.datetime,
    configuration: dict[str, Any] | None = None,
) -> str:
    detail = {
        "alarmName": alarm_name,
        "state": {"value": state, "reason": reason, "timestamp": now.isoformat()},
        "previousState": {"value": previous_state, "reason": previous_reason},
        "configuration": configuration or {},
    }
    return emit(
        sandbox=sandbox,
        region=region,
        source="aws.cloudwatch",
        detail_type="CloudWatch Alarm State Change",
        detail=detail,
        resources=[alarm_arn],
        now=now,
    )
