"""The live events S3 publishes (the platform's types; S3 needs no type of its own).

    resource.created / resource.changed   a bucket (resource_type "bucket", arn arn:aws:s3:::NAME),
                                          attributes: region, created_at (ISO 8601), versioning
                                          ("" | Enabled | Suspended), object_count (current objects:
                                          latest versions that are not delete markers), total_size
                                          (bytes of every stored version), notification_targets
                                          (the ARNs its event notifications go to)
    resource.deleted                      a bucket
    flow, kind:
      put            client -> bucket ARN    an object was written: PutObject, CopyObject,
                                             CompleteMultipartUpload (detail: key, size, etag,
                                             version_id, operation)
      deleted        client -> bucket ARN    an object or version was deleted, or a delete marker
                                             made (detail: key, version_id, delete_marker)
      notification   bucket ARN -> queue or topic ARN   an event notification was delivered
                                             (detail: event, key, configuration_id)

A bucket's resource.changed follows every write and delete, so its counts stay current. Every
event is sent when the transaction that caused it commits (playground.live.bus).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from playground.live.bus import publish_flow, publish_resource

if TYPE_CHECKING:
    from services.s3.models import Bucket

SERVICE = "s3"
RESOURCE_TYPE = "bucket"
CLIENT = "client"


def bucket_attributes(bucket: Bucket) -> dict[str, Any]:
    from services.s3.buckets import bucket_stats
    from services.s3.notifications import notification_targets

    return {
        "region": bucket.region,
        "created_at": bucket.created_at.isoformat(),
        "versioning": bucket.versioning,
        **bucket_stats(bucket),
        "notification_targets": notification_targets(bucket),
    }


def bucket_created(bucket: Bucket, *, now: dt.datetime) -> None:
    _bucket(bucket, "created", now=now)


def bucket_changed(bucket: Bucket, *, now: dt.datetime) -> None:
    _bucket(bucket, "changed", now=now)


def bucket_deleted(bucket: Bucket, *, now: dt.datetime) -> None:
    publish_resource(
        bucket.sandbox,
        "deleted",
        service=SERVICE,
        resource_type=RESOURCE_TYPE,
        arn=bucket.arn,
        name=bucket.name,
        now=now,
    )


def _bucket(bucket: Bucket, change: str, *, now: dt.datetime) -> None:
    publish_resource(
        bucket.sandbox,
        change,
        service=SERVICE,
        resource_type=RESOURCE_TYPE,
        arn=bucket.arn,
        name=bucket.name,
        attributes=bucket_attributes(bucket),
        now=now,
    )


def flow(
    bucket: Bucket, kind: str, *, source: str, target: str, item_id: str, now: dt.datetime, detail: dict[str, Any]
) -> None:
    publish_flow(
        bucket.sandbox,
        service=SERVICE,
        kind=kind,
        source=source,
        target=target,
        item_id=item_id,
        now=now,
        detail=detail,
    )
