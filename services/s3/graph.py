"""The S3 part of a sandbox's diagram.

    nodes   one per bucket: {"type": "bucket", "objects" (current objects: latest versions that are
            not delete markers), "size" (the bytes stored: every version, as S3 bills them and as the
            bucket's resource events' total_size counts them), "folders" (the first FOLDERS_ON_NODE
            top-level prefixes, "incoming/"), "versioning", "notifications" (how many configurations)}
    edges   "notification": bucket -> queue (SQS), topic (SNS) or function (Lambda), one per
            configuration of the bucket's NotificationConfiguration, with its "configuration_id",
            "events" (["s3:ObjectCreated:*"]), "prefix" and "suffix" (the key filter, "" when none)
            and a label saying both; the bucket's EventBridge switch draws an edge to the region's
            default event bus

describe(arn) gives what the bucket inspector shows: attributes (Region, CreationDate, Versioning,
the policy), tags, the notification configuration as GetBucketNotificationConfiguration answers it,
the number of multipart uploads in progress, and "listing": the bucket's top level as a folder-like
browser shows it (ListObjectsV2 with the delimiter "/": folders are the common prefixes, objects the
keys without a "/"), at most LISTING_LIMIT entries. Deeper levels are read with ListObjectsV2 itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, ExpressionWrapper, F, IntegerField, Q, Sum, Value
from django.db.models.functions import StrIndex, Substr

from playground.sandboxes.models import Sandbox
from services.s3.models import Bucket, MultipartUpload, ObjectVersion

FOLDERS_ON_NODE = 20
LISTING_LIMIT = 1000
BUCKET_ARN_PREFIX = "arn:aws:s3:::"

# The destinations of a NotificationConfiguration: its list, and the key naming the destination.
DESTINATIONS = (
    ("QueueConfigurations", "QueueArn", "queue"),
    ("TopicConfigurations", "TopicArn", "topic"),
    ("LambdaFunctionConfigurations", "LambdaFunctionArn", "function"),
)


def _current(queryset: Any) -> Any:
    """Object versions that are objects now: the latest of their key, and no delete marker."""
    return queryset.filter(is_latest=True, is_delete_marker=False)


def key_filter(configuration: dict[str, Any]) -> tuple[str, str]:
    """(prefix, suffix) of a configuration's Filter.Key.FilterRules ("" when absent)."""
    rules = configuration.get("Filter", {}).get("Key", {}).get("FilterRules", [])
    found = {str(rule.get("Name", "")).lower(): str(rule.get("Value", "")) for rule in rules}
    return found.get("prefix", ""), found.get("suffix", "")


def _short(event: str) -> str:
    return event.removeprefix("s3:")


def notification_edges(bucket: Bucket) -> list[dict[str, Any]]:
    edges: list[dict[str, Any]] = []
    config = bucket.notifications or {}
    for list_name, arn_key, destination in DESTINATIONS:
        for index, configuration in enumerate(config.get(list_name) or []):
            target = str(configuration.get(arn_key, ""))
            if not target:
                continue
            events = [str(event) for event in configuration.get("Events", [])]
            prefix, suffix = key_filter(configuration)
            configuration_id = str(configuration.get("Id") or f"{list_name}-{index}")
            keys = f"{prefix}*{suffix}" if prefix or suffix else ""
            edges.append(
                {
                    "id": f"{bucket.arn}->{target}#{configuration_id}",
                    "source": bucket.arn,
                    "target": target,
                    "type": "notification",
                    "label": " ".join(filter(None, [", ".join(_short(e) for e in events), keys])),
                    "destination": destination,
                    "configuration_id": configuration_id,
                    "events": events,
                    "prefix": prefix,
                    "suffix": suffix,
                }
            )
    if "EventBridgeConfiguration" in config:
        bus = f"arn:aws:events:{bucket.region}:{bucket.sandbox.account_id}:event-bus/default"
        edges.append(
            {
                "id": f"{bucket.arn}->{bus}",
                "source": bucket.arn,
                "target": bus,
                "type": "notification",
                "label": "all events",
                "destination": "event-bus",
                "configuration_id": "EventBridge",
                "events": ["s3:*"],
                "prefix": "",
                "suffix": "",
            }
        )
    return edges


def _folders(buckets: list[Any]) -> dict[int, list[str]]:
    """Each bucket's top-level prefixes (keys up to their first "/"), sorted, computed in the database."""
    rows = (
        _current(ObjectVersion.objects.filter(bucket__in=buckets))
        .annotate(slash=StrIndex("key", Value("/")))
        .filter(slash__gt=0)
        .annotate(folder=Substr("key", 1, ExpressionWrapper(F("slash"), output_field=IntegerField())))
        .values_list("bucket_id", "folder")
        .distinct()
        .order_by("bucket_id", "folder")
    )
    found: dict[int, list[str]] = {}
    for bucket_id, folder in rows:
        names = found.setdefault(bucket_id, [])
        if len(names) < FOLDERS_ON_NODE:
            names.append(folder)
    return found


def graph(*, sandbox: Sandbox, now: dt.datetime, region: str | None) -> dict[str, list[dict[str, Any]]]:
    rows = Bucket.objects.filter(sandbox=sandbox).order_by("name")
    if region:
        rows = rows.filter(region=region)
    buckets = list(
        rows.annotate(
            object_count=Count("versions", filter=Q(versions__is_latest=True, versions__is_delete_marker=False)),
            object_bytes=Sum("versions__size"),
        )
    )
    folders = _folders(buckets) if buckets else {}
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for bucket in buckets:
        bucket.sandbox = sandbox
        config = bucket.notifications or {}
        nodes.append(
            {
                "id": bucket.arn,
                "service": "s3",
                "type": "bucket",
                "name": bucket.name,
                "label": bucket.name,
                "region": bucket.region,
                "objects": bucket.object_count,
                "size": bucket.object_bytes or 0,
                "folders": folders.get(bucket.pk, []),
                "versioning": bucket.versioning or "Disabled",
                "notifications": sum(len(config.get(name) or []) for name, _, _ in DESTINATIONS)
                + (1 if "EventBridgeConfiguration" in config else 0),
            }
        )
        edges.extend(notification_edges(bucket))
    return {"nodes": nodes, "edges": edges}


def listing(bucket: Bucket, *, prefix: str = "", limit: int = LISTING_LIMIT) -> dict[str, Any]:
    """One level of the bucket under `prefix`, as ListObjectsV2 with Delimiter "/" gives it: folders
    (common prefixes) and objects, in key order, at most `limit` entries together."""
    rows = _current(ObjectVersion.objects.filter(bucket=bucket, key__startswith=prefix)).order_by("key")
    folders: list[str] = []
    objects: list[dict[str, Any]] = []
    truncated = False
    for key, size, modified, etag, content_type in rows.values_list(
        "key", "size", "last_modified", "etag", "content_type"
    ).iterator():
        rest = key[len(prefix) :]
        if "/" in rest:
            folder = prefix + rest[: rest.index("/") + 1]
            if folders and folders[-1] == folder:
                continue
            entry: Any = folder
        else:
            entry = None
        if len(folders) + len(objects) >= limit:
            truncated = True
            break
        if entry is not None:
            folders.append(entry)
        else:
            objects.append(
                {
                    "key": key,
                    "size": size,
                    "last_modified": modified.isoformat(),
                    "etag": etag,
                    "content_type": content_type,
                }
            )
    return {"prefix": prefix, "folders": folders, "objects": objects, "truncated": truncated}


def describe(*, sandbox: Sandbox, arn: str, now: dt.datetime) -> dict[str, Any] | None:
    if not arn.startswith(BUCKET_ARN_PREFIX):
        return None
    bucket = Bucket.objects.filter(sandbox=sandbox, name=arn.removeprefix(BUCKET_ARN_PREFIX)).first()
    if bucket is None:
        return None
    bucket.sandbox = sandbox
    attributes: dict[str, Any] = {
        "BucketArn": bucket.arn,
        "Region": bucket.region,
        "CreationDate": bucket.created_at.isoformat(),
        "Versioning": bucket.versioning or "Disabled",
    }
    if bucket.policy:
        attributes["Policy"] = bucket.policy
    return {
        "attributes": attributes,
        "tags": dict(bucket.tags or {}),
        "notification_configuration": bucket.notifications or {},
        "uploads_in_progress": MultipartUpload.objects.filter(bucket=bucket).count(),
        "listing": listing(bucket),
    }
