"""The live events CloudTrail publishes (the platform's types; it needs none of its own).

    resource.created / resource.changed   a trail, with its attributes (trail_attributes below:
                                           IsLogging, S3BucketName, S3KeyPrefix, SnsTopicARN,
                                           IsMultiRegionTrail, LatestDeliveryError ...)
    resource.deleted                       a trail
    flow, kind:
      delivered   trail -> bucket   a log file was written (detail: key, records, region)
      refused     trail -> bucket   the bucket refused the file (detail: error_code, reason)
      notified    trail -> topic    the SNS notification of a delivered file (detail: key)
      logged      trail -> log group  records put in the trail's CloudWatch Logs group (detail:
                                       records, stream)
      digest      trail -> bucket   a signed digest file was written (detail: key, files, region)

Every event is sent when the transaction that caused it commits (playground.live.bus).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction

from playground.live.bus import publish_flow, publish_resource

if TYPE_CHECKING:
    from services.cloudtrail.models import Trail

SERVICE = "cloudtrail"
RESOURCE_TYPE = "trail"


def bucket_arn(trail: Trail) -> str:
    return f"arn:aws:s3:::{trail.s3_bucket}"


def log_group_arn(trail: Trail) -> str:
    """The log group's node on the diagram: CloudWatchLogsLogGroupArn without its ":*"."""
    return trail.log_group_arn.removesuffix(":*")


def trail_attributes(trail: Trail) -> dict[str, Any]:
    return {
        "IsLogging": trail.logging,
        "S3BucketName": trail.s3_bucket,
        "S3KeyPrefix": trail.s3_key_prefix,
        "SnsTopicARN": trail.sns_topic_arn,
        "IsMultiRegionTrail": trail.multi_region,
        "IsOrganizationTrail": trail.organization,
        "LogFileValidationEnabled": trail.log_file_validation,
        "CloudWatchLogsLogGroupArn": trail.log_group_arn,
        "HomeRegion": trail.region,
        "LatestDeliveryError": trail.latest_delivery_error,
        "LatestDeliveryTime": trail.latest_delivery_time.isoformat() if trail.latest_delivery_time else None,
    }


def trail_changed(trail: Trail, change: str, *, now: dt.datetime) -> None:
    from services.cloudtrail import eventbus  # which imports this module

    transaction.on_commit(eventbus.forget)  # which trails log decides which calls reach EventBridge
    publish_resource(
        trail.sandbox, change, service=SERVICE, resource_type=RESOURCE_TYPE, arn=trail.arn, name=trail.name,
        attributes=trail_attributes(trail), now=now,
    )  # fmt: skip


def delivered(trail: Trail, *, key: str, records: int, region: str, now: dt.datetime) -> None:
    publish_flow(
        trail.sandbox, service=SERVICE, kind="delivered", source=trail.arn, target=bucket_arn(trail), item_id=key,
        detail={"key": key, "records": records, "region": region}, now=now,
    )  # fmt: skip


def refused(trail: Trail, *, code: str, reason: str, now: dt.datetime) -> None:
    publish_flow(
        trail.sandbox, service=SERVICE, kind="refused", source=trail.arn, target=bucket_arn(trail), item_id=code,
        detail={"error_code": code, "reason": reason}, now=now,
    )  # fmt: skip


def notified(trail: Trail, *, key: str, now: dt.datetime) -> None:
    publish_flow(
        trail.sandbox, service=SERVICE, kind="notified", source=trail.arn, target=trail.sns_topic_arn, item_id=key,
        detail={"key": key}, now=now,
    )  # fmt: skip


def logged(trail: Trail, *, records: int, stream: str, now: dt.datetime) -> None:
    publish_flow(
        trail.sandbox, service=SERVICE, kind="logged", source=trail.arn, target=log_group_arn(trail), item_id=stream,
        detail={"records": records, "stream": stream}, now=now,
    )  # fmt: skip


def digest(trail: Trail, *, key: str, files: int, region: str, now: dt.datetime) -> None:
    publish_flow(
        trail.sandbox, service=SERVICE, kind="digest", source=trail.arn, target=bucket_arn(trail), item_id=key,
        detail={"key": key, "files": files, "region": region}, now=now,
    )  # fmt: skip
