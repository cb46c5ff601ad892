"""CloudTrail on the diagram: one node per trail (of its home region, and shadows of multi-region
trails in other regions are not drawn twice), with its logging state and delivery status; an edge
to the bucket it delivers to (with the delivery error as the edge's problem) and to the SNS topic
it notifies. describe(arn) adds GetTrailStatus, the event selectors, the last files delivered and
the newest management events of its region (the event history)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.sandboxes.models import Sandbox
from services.cloudtrail import events, lookup, trails
from services.cloudtrail.models import Trail

LOGS_REASONS = {
    "ResourceNotFoundException": "The trail's log group does not exist any more.",
}
REASONS = {
    "AccessDenied": "The bucket policy does not allow cloudtrail.amazonaws.com to put the log files (s3:PutObject).",
    "NoSuchBucket": "The trail's bucket does not exist any more.",
}


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _node(trail: Trail) -> dict[str, Any]:
    return {
        "id": trail.arn,
        "service": "cloudtrail",
        "type": "trail",
        "name": trail.name,
        "region": trail.region,
        "logging": trail.logging,
        "bucket": trail.s3_bucket,
        "prefix": trail.s3_key_prefix,
        "multi_region": trail.multi_region,
        "latest_delivery_error": trail.latest_delivery_error,
        "latest_delivery_time": _iso(trail.latest_delivery_time),
        "files": len(trail.recent_files),
        "validation": trail.log_file_validation,
        "digests": 1 if trail.latest_digest_time else 0,
        "log_group": events.log_group_arn(trail),
        "attributes": events.trail_attributes(trail),
    }


def _edges(trail: Trail) -> list[dict[str, Any]]:
    edge: dict[str, Any] = {
        "source": trail.arn,
        "target": events.bucket_arn(trail),
        "type": "log-delivery",
        "label": "log files",
    }
    if trail.latest_delivery_error:
        code = trail.latest_delivery_error
        edge["problem"] = {"code": code, "reason": REASONS.get(code, code)}
    edges = [edge]
    if trail.sns_topic_arn:
        edges.append(
            {"source": trail.arn, "target": trail.sns_topic_arn, "type": "log-notification", "label": "file notices"}
        )
    if trail.log_group_arn:
        logs_edge: dict[str, Any] = {
            "source": trail.arn, "target": events.log_group_arn(trail), "type": "logs-delivery", "label": "events",
        }  # fmt: skip
        if trail.latest_logs_error:
            code = trail.latest_logs_error
            logs_edge["problem"] = {"code": code, "reason": LOGS_REASONS.get(code, code)}
        edges.append(logs_edge)
    return edges


def graph(*, sandbox: Sandbox, now: dt.datetime, region: str | None) -> dict[str, list[dict[str, Any]]]:
    rows = Trail.objects.select_related("sandbox").filter(sandbox=sandbox).order_by("region", "name")
    listed = list(rows.filter(region=region) if region else rows)
    return {
        "nodes": [_node(trail) for trail in listed],
        "edges": [edge for trail in listed for edge in _edges(trail)],
    }


def describe(*, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    trail = (
        Trail.objects.select_related("sandbox")
        .filter(sandbox=sandbox)
        .filter(name=arn.rsplit("/", 1)[-1], region=arn.split(":")[3] if arn.count(":") >= 5 else "")
        .first()
    )
    if trail is None or trail.arn != arn:
        return None
    status = trails.status(trail)
    return {
        **_node(trail),
        "trail": trails.description(trail, region=trail.region),
        "status": {key: (_iso(value) if isinstance(value, dt.datetime) else value) for key, value in status.items()},
        "selectors": trails.selectors_answer(trail),
        "recent_files": trail.recent_files,
        "tags": {tag["Key"]: tag.get("Value", "") for tag in trail.tags},
        "history": lookup.history(sandbox=sandbox, region=trail.region, now=now),
    }
