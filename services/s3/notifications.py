"""Event notifications: the bucket's NotificationConfiguration and the messages it sends.

PutBucketNotificationConfiguration checks the configuration as S3 does (known event types,
prefix/suffix filter rules, no two configurations sharing an event type with overlapping filters)
and, unless SkipDestinationValidation, each destination: the queue or topic must exist in the
sandbox, not be FIFO, and its policy must let s3.amazonaws.com call sqs:SendMessage / SNS:Publish
(with aws:SourceArn the bucket's ARN and aws:SourceAccount its account), else InvalidArgument
"Unable to validate the following destination configurations", naming each failing ARN. Each
destination of a new configuration then gets an s3:TestEvent message.

A write or delete then sends AWS's event message (Records[0] with eventVersion 2.1, eventSource
aws:s3, eventName without the "s3:" prefix, s3.object.key URL-encoded with spaces as '+', size,
eTag, versionId, sequencer) to every configuration whose event types and filters match, through
services.sqs.public and services.sns.public, or as an asynchronous invocation of a Lambda function
(services.awslambda.public: its policy must let s3.amazonaws.com invoke it for the bucket), in the
same transaction as the write. A destination that stopped allowing S3 (or was deleted) since is
skipped, as AWS drops such deliveries. PutObjectTagging and DeleteObjectTagging send
s3:ObjectTagging:Put / :Delete the same way. With an EventBridgeConfiguration, every ObjectCreated,
ObjectRemoved and ObjectTagging event also goes to the default bus of the bucket's region as
"Object Created" / "Object Deleted" / "Object Tags Added" / "Object Tags Deleted"
(services.eventbridge.public), whoever else the configuration names.

LIMITATIONS against real AWS:
- Delivery happens at once, not within seconds; a destination's failure never delays the write.
- EventBridge gets Object Created, Object Deleted, Object Tags Added and Object Tags Deleted (not
  restore, ACL, lifecycle or storage class changes, which the playground's S3 does not make).
"""

from __future__ import annotations

import base64
import contextvars
import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from playground.gateway.errors import AwsError
from playground.gateway.request import RequestContext
from playground.policies import service_allowed
from services.s3 import events
from services.s3.exceptions import InvalidArgument
from services.s3.models import Bucket, ObjectVersion
from services.sns.public import publish_as_service, topic_policy
from services.sqs.public import Outgoing, message_send, queue_by_arn

S3_PRINCIPAL = "s3.amazonaws.com"
SENDER_ID = "AIDAJHIPRHEMV73VRJEBU"  # the SenderId S3's deliveries carry on SQS (an AWS-owned id)
EVENT_TYPES = (
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:ReducedRedundancyLostObject",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationNotTracked",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:ObjectAcl:Put",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
)
KINDS = (
    ("QueueConfigurations", "QueueArn", "queue"),
    ("TopicConfigurations", "TopicArn", "topic"),
    ("LambdaFunctionConfigurations", "LambdaFunctionArn", "function"),
)

# The request being served (set by the provider): who acted, from where, with which request id.
_request: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("s3_request", default=None)


def serving(ctx: RequestContext) -> None:
    _request.set(ctx)


@dataclass
class Target:
    kind: str  # queue | topic | function
    arn: str
    configuration_id: str
    events: list[str]
    prefix: str
    suffix: str

    def wants(self, event: str, key: str) -> bool:
        family = event.split(":", 1)[0]
        wanted = f"s3:{event}" in self.events or f"s3:{family}:*" in self.events
        return wanted and key.startswith(self.prefix) and key.endswith(self.suffix)


def _rules(configuration: dict[str, Any]) -> tuple[str, str]:
    prefix = suffix = None
    for rule in ((configuration.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []:
        name = str(rule.get("Name", "")).lower()
        value = str(rule.get("Value", ""))
        if name not in ("prefix", "suffix"):
            raise InvalidArgument(
                "filter rule name must be either prefix or suffix", ArgumentName="FilterRule.Name", ArgumentValue=name
            )
        if (prefix if name == "prefix" else suffix) is not None:
            raise InvalidArgument(
                f"Cannot specify more than one {name} rule in a filter.",
                ArgumentName="FilterRule.Name",
                ArgumentValue=name,
            )
        if name == "prefix":
            prefix = value
        else:
            suffix = value
    return prefix or "", suffix or ""


def targets(bucket: Bucket) -> list[Target]:
    found = []
    config: dict[str, Any] = bucket.notifications or {}
    for section, arn_key, kind in KINDS:
        for item in config.get(section) or []:
            prefix, suffix = _rules(item)
            found.append(
                Target(kind, item.get(arn_key, ""), item.get("Id", ""), list(item.get("Events") or []), prefix, suffix)
            )
    return found


def notification_targets(bucket: Bucket) -> list[str]:
    return [target.arn for target in targets(bucket)]


def _overlap(a: Target, b: Target) -> bool:
    def families(target: Target) -> set[str]:
        return {event.rsplit(":", 1)[0] if event.endswith(":*") else event for event in target.events}

    shared = any(x == y or y.startswith(x + ":") or x.startswith(y + ":") for x in families(a) for y in families(b))
    prefixes = a.prefix.startswith(b.prefix) or b.prefix.startswith(a.prefix)
    suffixes = a.suffix.endswith(b.suffix) or b.suffix.endswith(a.suffix)
    return shared and prefixes and suffixes


def _destination_problem(bucket: Bucket, target: Target) -> str | None:
    context = {"aws:SourceArn": bucket.arn, "aws:SourceAccount": bucket.sandbox.account_id}
    if target.kind == "queue":
        queue = queue_by_arn(sandbox=bucket.sandbox, arn=target.arn)
        if queue is None:
            return "The destination queue does not exist"
        if queue.fifo:
            return "The destination queue is a FIFO queue, which S3 event notifications cannot send to"
        allowed = service_allowed(
            queue.policy, service_principal=S3_PRINCIPAL, action="sqs:SendMessage", resource=queue.arn, context=context
        )
        return (
            None
            if allowed
            else "Permissions on the destination queue do not allow S3 to publish notifications from this bucket"
        )
    if target.kind == "topic":
        policy = topic_policy(sandbox=bucket.sandbox, arn=target.arn)
        if policy is None:
            return "The destination topic does not exist"
        if target.arn.endswith(".fifo"):
            return "The destination topic is a FIFO topic, which S3 event notifications cannot send to"
        allowed = service_allowed(
            policy, service_principal=S3_PRINCIPAL, action="SNS:Publish", resource=target.arn, context=context
        )
        return (
            None
            if allowed
            else "Permissions on the destination topic do not allow S3 to publish notifications from this bucket"
        )
    from services.awslambda.public import function_exists, service_may_invoke

    if not function_exists(sandbox=bucket.sandbox, function_arn=target.arn):
        return "The destination Lambda function does not exist"
    if not service_may_invoke(
        sandbox=bucket.sandbox, function_arn=target.arn, service_principal=S3_PRINCIPAL, source_arn=bucket.arn
    ):
        return f"Not authorized to invoke function [{target.arn}]"
    return None


def configuration_put(
    *, bucket: Bucket, configuration: dict[str, Any], skip_validation: bool, now: dt.datetime
) -> None:
    stored: dict[str, Any] = {}
    for section, arn_key, _kind in KINDS:
        items = []
        for item in configuration.get(section) or []:
            events_given = list(item.get("Events") or [])
            if not events_given or not item.get(arn_key):
                from services.s3.exceptions import MalformedXML

                raise MalformedXML()
            for event in events_given:
                if event not in EVENT_TYPES:
                    raise InvalidArgument(
                        "The event is not supported for notifications", ArgumentName="Event", ArgumentValue=event
                    )
            _rules(item)
            items.append({**item, "Id": item.get("Id") or base64.b64encode(secrets.token_bytes(30)).decode()})
        if items:
            stored[section] = items
    if "EventBridgeConfiguration" in configuration:
        stored["EventBridgeConfiguration"] = {}
    candidate = Bucket(notifications=stored)
    found = targets(candidate)
    for index, first in enumerate(found):
        for second in found[index + 1 :]:
            if _overlap(first, second):
                raise InvalidArgument(
                    "Configurations overlap. Configurations on the same bucket cannot share a common event type.",
                    ArgumentName="Event",
                    ArgumentValue=", ".join(sorted(set(first.events) & set(second.events)) or first.events),
                )
    if not skip_validation:
        problems = [(target.arn, _destination_problem(bucket, target)) for target in found]
        failed = [(arn, problem) for arn, problem in problems if problem]
        if failed:
            fields: dict[str, Any] = {}
            for number, (arn, problem) in enumerate(failed, start=1):
                fields[f"ArgumentName{number}"] = arn
                fields[f"ArgumentValue{number}"] = problem
            raise InvalidArgument("Unable to validate the following destination configurations", **fields)
    old = {target.arn for target in targets(bucket)}
    bucket.notifications = stored
    bucket.save(update_fields=["notifications"])
    events.bucket_changed(bucket, now=now)
    for target in found:
        if target.kind != "function" and target.arn not in old:
            _send(bucket, target, _test_event(bucket, now=now), event="s3:TestEvent", key="", now=now)


def configuration_get(*, bucket: Bucket) -> dict[str, Any]:
    return {key: value for key, value in (bucket.notifications or {}).items()}


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _test_event(bucket: Bucket, *, now: dt.datetime) -> dict[str, Any]:
    ctx = _request.get()
    request_id = ctx.request_id if ctx else secrets.token_hex(8).upper()
    from playground.gateway.protocols.rest_xml import host_id

    return {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": _iso(now),
        "Bucket": bucket.name,
        "RequestId": request_id,
        "HostId": host_id(request_id),
    }


def event_record(
    bucket: Bucket, event: str, *, version: ObjectVersion, configuration_id: str, now: dt.datetime
) -> dict[str, Any]:
    ctx = _request.get()
    request_id = ctx.request_id if ctx else secrets.token_hex(8).upper()
    from playground.gateway.protocols.rest_xml import host_id

    principal = ctx.principal_arn if ctx else ""
    principal_id = (
        f"AWS:{ctx.access_key.access_key_id}"
        if ctx and ctx.access_key
        else f"AWS:{principal or bucket.sandbox.account_id}"
    )
    item: dict[str, Any] = {"key": quote_plus(version.key, safe="/"), "sequencer": _sequencer(version, now)}
    if event.startswith("ObjectCreated"):
        item.update({"size": version.size, "eTag": version.etag.strip('"')})
    if version.version_id != "null":
        item["versionId"] = version.version_id
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": bucket.region,
        "eventTime": _iso(now),
        "eventName": event,
        "userIdentity": {"principalId": principal_id},
        "requestParameters": {
            "sourceIPAddress": ctx.request.source_ip if ctx and ctx.request.source_ip else "127.0.0.1"
        },
        "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": host_id(request_id)},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket.name,
                "ownerIdentity": {"principalId": bucket.sandbox.account_id},
                "arn": bucket.arn,
            },
            "object": item,
        },
    }


def _sequencer(version: ObjectVersion, now: dt.datetime) -> str:
    """A hex value growing with each event of a key (S3 compares them to order a key's events)."""
    return f"{int(now.timestamp() * 1_000_000):014X}{(version.pk or version.id or 0) % 256:02X}"


def object_event(bucket: Bucket, event: str, *, version: ObjectVersion, now: dt.datetime) -> None:
    """Send `event` (ObjectCreated:Put, ObjectRemoved:Delete, ...) about `version` to every
    configuration of the bucket that wants it."""
    if not bucket.notifications:
        return
    if "EventBridgeConfiguration" in bucket.notifications:
        _to_eventbridge(bucket, event, version=version, now=now)
    for target in targets(bucket):
        if not target.wants(event, version.key):
            continue
        record = event_record(bucket, event, version=version, configuration_id=target.configuration_id, now=now)
        _send(bucket, target, {"Records": [record]}, event=event, key=version.key, now=now)


def _send(bucket: Bucket, target: Target, message: dict[str, Any], *, event: str, key: str, now: dt.datetime) -> None:
    if _destination_problem(bucket, target) is not None:
        return  # the destination went away or stopped allowing S3: AWS drops the delivery
    body = json.dumps(message, separators=(",", ":"))
    try:
        if target.kind == "queue":
            queue = queue_by_arn(sandbox=bucket.sandbox, arn=target.arn)
            if queue is None:
                return
            message_send(queue, Outgoing(body=body), sender_id=SENDER_ID, now=now)
        elif target.kind == "function":
            from services.awslambda.public import invoke_as_service

            invoke_as_service(
                sandbox=bucket.sandbox, function_arn=target.arn, payload=body, service_principal=S3_PRINCIPAL,
                source_arn=bucket.arn, now=now, kind="S3",
            )  # fmt: skip
        else:
            publish_as_service(
                sandbox=bucket.sandbox, arn=target.arn, message=body, subject="Amazon S3 Notification", now=now
            )
    except AwsError:
        return
    events.flow(
        bucket,
        "notification",
        source=bucket.arn,
        target=target.arn,
        item_id=f"{event}:{key}",
        now=now,
        detail={"event": event, "key": key, "configuration_id": target.configuration_id},
    )


REASONS = {
    "ObjectCreated:Put": "PutObject",
    "ObjectCreated:Post": "PostObject",
    "ObjectCreated:Copy": "CopyObject",
    "ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
}


def _to_eventbridge(bucket: Bucket, event: str, *, version: ObjectVersion, now: dt.datetime) -> None:
    """S3's events on the default bus, for a bucket with EventBridge notifications on."""
    from services.eventbridge.public import object_created, object_deleted, object_tags_changed

    ctx = _request.get()
    requester = bucket.sandbox.account_id
    source_ip = ctx.request.source_ip if ctx and ctx.request.source_ip else "127.0.0.1"
    version_id = version.version_id if version.version_id != "null" else None
    sequencer = _sequencer(version, now)
    common: dict[str, Any] = {
        "sandbox": bucket.sandbox, "region": bucket.region, "bucket": bucket.name, "key": version.key,
        "requester": requester, "source_ip": source_ip, "version_id": version_id, "now": now,
    }  # fmt: skip
    if event.startswith("ObjectCreated"):
        object_created(size=version.size, etag=version.etag.strip('"'), reason=REASONS.get(event, "PutObject"),
                       sequencer=sequencer, **common)  # fmt: skip
    elif event.startswith("ObjectRemoved"):
        deletion = "Delete Marker Created" if event == "ObjectRemoved:DeleteMarkerCreated" else "Permanently Deleted"
        object_deleted(deletion_type=deletion, sequencer=sequencer, **common)
    elif event.startswith("ObjectTagging"):
        object_tags_changed(etag=version.etag.strip('"'), added=event == "ObjectTagging:Put", **common)
