"""Delivery on the sandbox clock: about every 5 minutes of sandbox time a logging trail writes what
its selectors take of the calls recorded since its last delivery, one gzipped {"Records": [...]}
file per region, to its bucket under AWS's key layout

    [<S3KeyPrefix>/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
        <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 characters>.json.gz

through S3's public door as cloudtrail.amazonaws.com (the bucket policy must allow it: S3's
AccessDenied becomes the trail status's LatestDeliveryError, and the records wait for the next
attempt), then notifies the trail's SNS topic of each file ({"s3Bucket", "s3ObjectKey": [...]}), puts the
records in the trail's CloudWatch Logs log group (to_log_group) and, with log file validation on,
keeps each file's SHA-256 for the next hourly digest (digests.py). EventBridge's events are sent as
calls are recorded, not here (eventbus.py).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import secrets
import string
from typing import Any

import services.logs.public as logs
import services.s3.public as s3
import services.sns.public as sns
from playground.gateway.errors import AwsError
from playground.gateway.models import ApiCall
from playground.sandboxes.models import Sandbox
from services.cloudtrail import digests, events, records, servicelog, trails
from services.cloudtrail.models import ServiceEvent, Trail

LOG = logging.getLogger(__name__)
MAX_CALLS = 5000  # per delivery; the rest goes out with the next one
RECENT_FILES = 10
_ALPHABET = string.ascii_letters + string.digits


def key_for(trail: Trail, *, region: str, now: dt.datetime) -> str:
    account = trail.sandbox.account_id
    moment = now.astimezone(dt.UTC)
    unique = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    folder = f"AWSLogs/{account}/CloudTrail/{region}/{moment:%Y/%m/%d}/"
    name = f"{account}_CloudTrail_{region}_{moment:%Y%m%dT%H%MZ}_{unique}.json.gz"
    return f"{trail.s3_key_prefix + '/' if trail.s3_key_prefix else ''}{folder}{name}"


def _pending(trail: Trail, *, now: dt.datetime) -> list[ApiCall]:
    rows = ApiCall.objects.filter(sandbox=trail.sandbox, pk__gt=trail.delivered_through, at__lte=now)
    if trail.start_logging_time is not None:
        rows = rows.filter(at__gte=trail.start_logging_time)
    if trail.stop_logging_time is not None and not trail.logging:
        rows = rows.filter(at__lte=trail.stop_logging_time)
    return list(rows.exclude(operation="").order_by("pk")[:MAX_CALLS])


def _pending_services(trail: Trail, *, now: dt.datetime) -> list[ServiceEvent]:
    """The events services recorded since the last delivery (servicelog.py), the same way."""
    rows = ServiceEvent.objects.filter(sandbox=trail.sandbox, pk__gt=trail.services_delivered_through, at__lte=now)
    if trail.start_logging_time is not None:
        rows = rows.filter(at__gte=trail.start_logging_time)
    if trail.stop_logging_time is not None and not trail.logging:
        rows = rows.filter(at__lte=trail.stop_logging_time)
    return list(rows.order_by("pk")[:MAX_CALLS])


def deliver(trail: Trail, *, now: dt.datetime) -> None:
    """One delivery of one trail (its row locked by the caller): the calls and the services'
    events since the last one, in time order."""
    calls = _pending(trail, now=now)
    services = _pending_services(trail, now=now)
    if not calls and not services:
        return
    account = trail.sandbox.account_id
    found_all = [
        (call.at, 0, call.pk, call.region, record)
        for call, record in zip(calls, records.records_of(calls, account_id=account), strict=True)
    ] + [
        (row.at, 1, row.pk, row.region, record)
        for row, record in zip(services, servicelog.records_of(services, account_id=account), strict=True)
    ]
    by_region: dict[str, list[dict[str, Any]]] = {}
    for _at, _kind, _pk, region, record in sorted(found_all, key=lambda item: item[:3]):
        if (trail.multi_region or region == trail.region) and trails.wants(trail, record):
            by_region.setdefault(region, []).append(record)
    trail.latest_delivery_attempt_time = now
    written: list[tuple[str, str, int]] = []
    try:
        for region, found in sorted(by_region.items()):
            key = key_for(trail, region=region, now=now)
            content = json.dumps({"Records": found}, separators=(",", ":"), default=str).encode()
            body = gzip.compress(content)
            s3.object_write(
                sandbox=trail.sandbox, bucket=trail.s3_bucket, key=key, body=body, now=now,
                content_type="application/json", content_encoding="gzip",
                service_principal=trails.PRINCIPAL, source_arn=trail.arn, acl=trails.ACL,
            )  # fmt: skip
            written.append((key, region, len(found)))
            digests.file_delivered(trail, key=key, region=region, content=content, records=found)
    except AwsError as refused:
        trail.latest_delivery_error = refused.code
        trail.save()
        events.refused(trail, code=refused.code, reason=refused.message, now=now)
        return
    if calls:
        trail.delivered_through = calls[-1].pk
    if services:
        trail.services_delivered_through = services[-1].pk
    trail.latest_delivery_error = ""
    if written:
        trail.latest_delivery_time = now
        files = [
            {"key": key, "region": region, "records": count, "at": now.isoformat()} for key, region, count in written
        ]
        trail.recent_files = (files[::-1] + list(trail.recent_files))[:RECENT_FILES]
    trail.save()
    for key, region, count in written:
        events.delivered(trail, key=key, records=count, region=region, now=now)
        _notify(trail, key=key, now=now)
    to_log_group(trail, [r for found in by_region.values() for r in found], now=now)


def _notify(trail: Trail, *, key: str, now: dt.datetime) -> None:
    if not trail.sns_topic_arn:
        return
    trail.latest_notification_attempt_time = now
    message = json.dumps({"s3Bucket": trail.s3_bucket, "s3ObjectKey": [key]})
    try:
        sns.publish_as_service(sandbox=trail.sandbox, arn=trail.sns_topic_arn, message=message, subject=None, now=now)
    except AwsError as failed:
        trail.latest_notification_error = failed.code
    else:
        trail.latest_notification_error = ""
        trail.latest_notification_time = now
        events.notified(trail, key=key, now=now)
    trail.save()


def log_group_of(arn: str) -> tuple[str, str]:
    """(region, group name) of a CloudWatchLogsLogGroupArn: arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*"""
    parts = arn.split(":")
    return parts[3], ":".join(parts[6:]).removesuffix(":*")


def to_log_group(trail: Trail, delivered: list[dict[str, Any]], *, now: dt.datetime) -> None:
    """Put each record as a log event (its JSON, at its eventTime) of the trail's log group, in the
    stream <account>_CloudTrail_<region> of the region it was made in, as CloudTrail does with the
    trail's role: the stream is made when missing, the group must exist. A refusal (the group
    deleted since) is the status's LatestCloudWatchLogsDeliveryError; those records are not sent
    again."""
    if not trail.log_group_arn or not delivered:
        return
    region, group = log_group_of(trail.log_group_arn)
    account = trail.sandbox.account_id
    by_region: dict[str, list[tuple[int, str]]] = {}
    for record in delivered:
        moment = dt.datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        by_region.setdefault(record["awsRegion"], []).append((int(moment.timestamp() * 1000), records.dumps(record)))
    try:
        for source_region, found in sorted(by_region.items()):
            stream = f"{account}_CloudTrail_{source_region}"
            logs.events_write(
                sandbox=trail.sandbox, region=region, group_name=group, stream_name=stream, events=found, now=now,
                create=False, create_stream=True,
            )  # fmt: skip
            events.logged(trail, records=len(found), stream=stream, now=now)
    except logs.LogsError as refused:
        trail.latest_logs_error = refused.code
    else:
        trail.latest_logs_error = ""
        trail.latest_logs_time = now
    trail.save(update_fields=["latest_logs_error", "latest_logs_time"])


def deliver_due(sandbox: Sandbox, now: dt.datetime) -> None:
    """Run every delivery of the sandbox that is due. The claim moves next_delivery_at on first,
    so that two workers never deliver the same batch."""
    due = Trail.objects.filter(sandbox=sandbox, next_delivery_at__lte=now).values_list("pk", "next_delivery_at")
    for pk, due_at in list(due):
        claimed = Trail.objects.filter(pk=pk, next_delivery_at=due_at).update(next_delivery_at=None)
        if not claimed:
            continue
        trail = Trail.objects.select_related("sandbox").get(pk=pk)
        try:
            deliver(trail, now=now)
        finally:
            if trail.logging:
                Trail.objects.filter(pk=pk).update(next_delivery_at=now + trails.DELIVERY_PERIOD)
