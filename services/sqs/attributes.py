"""Queue attributes: names, defaults, validation, and their string form in GetQueueAttributes.

`parse_attributes` turns the attribute map of CreateQueue / SetQueueAttributes into model field
values (every value is checked before any is applied, so a bad request changes nothing);
`describe` renders a queue's attributes as AWS does (every value a string, timestamps in epoch
seconds, encryption settings only when they apply).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from playground.gateway.specs import service_model
from services.sqs.exceptions import InvalidAttributeName, InvalidAttributeValue, InvalidParameterValue
from services.sqs.models import Queue


@dataclass(frozen=True)
class IntegerAttribute:
    field: str
    low: int
    high: int


INTEGERS: dict[str, IntegerAttribute] = {
    "DelaySeconds": IntegerAttribute("delay_seconds", 0, 900),
    "MaximumMessageSize": IntegerAttribute("maximum_message_size", 1024, 1_048_576),
    "MessageRetentionPeriod": IntegerAttribute("message_retention_period", 60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": IntegerAttribute("receive_wait_time_seconds", 0, 20),
    "VisibilityTimeout": IntegerAttribute("visibility_timeout", 0, 43_200),
    "KmsDataKeyReusePeriodSeconds": IntegerAttribute("kms_data_key_reuse_period_seconds", 60, 86_400),
}
FIFO_ONLY = ("FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
DEDUPLICATION_SCOPES = ("messageGroup", "queue")
THROUGHPUT_LIMITS = ("perQueue", "perMessageGroupId")
COUNTS = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")
READ_ONLY = (*COUNTS, "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn")
SETTABLE = (
    *INTEGERS,
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "SqsManagedSseEnabled",
    *FIFO_ONLY,
)
# The order GetQueueAttributes lists them in.
ORDER = (
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
)


# Every queue attribute name the API knows (QueueAttributeName), settable or not.
KNOWN = frozenset(service_model("sqs").shape_for("QueueAttributeName").enum)


def unknown_attribute(name: str) -> InvalidAttributeName:
    return InvalidAttributeName(f"Unknown Attribute {name}.")


def check_names(names: Iterable[str]) -> None:
    """Refuse a name the API does not know, naming it exactly as sent ("VisibilityTimeout " with
    its space); which names a given queue and operation take is checked later."""
    for name in names:
        if name not in KNOWN:
            raise unknown_attribute(name)


def invalid_value(name: str, reason: str = "") -> InvalidAttributeValue:
    return InvalidAttributeValue(f"Invalid value for the parameter {name}." + (f" Reason: {reason}" if reason else ""))


def _integer(name: str, text: str) -> int:
    spec = INTEGERS[name]
    value = text.strip()
    if not value or not (value.isdigit() or (value[0] == "-" and value[1:].isdigit())):
        raise invalid_value(name)
    number = int(value)
    if not spec.low <= number <= spec.high:
        raise invalid_value(name)
    return number


def _boolean(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise invalid_value(name)
    return lowered == "true"


def _json_object(name: str, text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        raise invalid_value(name) from None
    if not isinstance(document, dict):
        raise invalid_value(name)
    return document


def compact_json(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"))


@dataclass
class AttributeChanges:
    """What a request asks to change: model fields, plus the policies still to check against other queues."""

    fields: dict[str, Any]
    redrive_policy: dict[str, Any] | None = None  # parsed; {} removes it
    redrive_allow_policy: dict[str, Any] | None = None


def parse_attributes(attributes: Mapping[str, str], *, fifo: bool, creating: bool) -> AttributeChanges:
    """Check every attribute of the request; the model fields they set, or the first error."""
    fields: dict[str, Any] = {}
    changes = AttributeChanges(fields)
    for name, raw in attributes.items():
        text = "" if raw is None else str(raw)
        if name in INTEGERS:
            fields[INTEGERS[name].field] = _integer(name, text)
        elif name == "Policy":
            fields["policy"] = compact_json(_json_object(name, text)) if text.strip() else ""
        elif name == "RedrivePolicy":
            changes.redrive_policy = _redrive_policy(text) if text.strip() else {}
        elif name == "RedriveAllowPolicy":
            changes.redrive_allow_policy = _redrive_allow_policy(text) if text.strip() else {}
        elif name == "KmsMasterKeyId":
            fields["kms_master_key_id"] = text
        elif name == "SqsManagedSseEnabled":
            fields["sqs_managed_sse_enabled"] = _boolean(name, text)
        elif name == "FifoQueue":
            if not creating:
                raise invalid_value(name, "Modifying queue type is not supported.")
            if _boolean(name, text) != fifo:
                raise invalid_value(name)
        elif name in FIFO_ONLY:
            if not fifo:
                raise unknown_attribute(name)
            if name == "ContentBasedDeduplication":
                fields["content_based_deduplication"] = _boolean(name, text)
            elif name == "DeduplicationScope":
                if text not in DEDUPLICATION_SCOPES:
                    raise invalid_value(name)
                fields["deduplication_scope"] = text
            else:
                if text not in THROUGHPUT_LIMITS:
                    raise invalid_value(name)
                fields["fifo_throughput_limit"] = text
        else:
            raise unknown_attribute(name)
    if fields.get("kms_master_key_id") and fields.get("sqs_managed_sse_enabled"):
        raise invalid_value(
            "SqsManagedSseEnabled",
            "You can use one type of server-side encryption (SSE) at one time. "
            "You can either enable KMS SSE or SQS SSE.",
        )
    if fields.get("kms_master_key_id"):
        fields["sqs_managed_sse_enabled"] = False
    elif fields.get("sqs_managed_sse_enabled"):
        fields["kms_master_key_id"] = ""
    return changes


def check_fifo_combination(queue_fields: Mapping[str, Any]) -> None:
    """perMessageGroupId throughput needs deduplication scoped per message group."""
    if (
        queue_fields.get("fifo_throughput_limit") == "perMessageGroupId"
        and queue_fields.get("deduplication_scope") != "messageGroup"
    ):
        raise invalid_value(
            "FifoThroughputLimit",
            "FifoThroughputLimit perMessageGroupId can be set only when DeduplicationScope is messageGroup.",
        )


def _redrive_policy(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        raise _bad_redrive(text, "Redrive policy is not a valid JSON map.") from None
    if not isinstance(document, dict):
        raise _bad_redrive(text, "Redrive policy is not a valid JSON map.")
    unknown = sorted(set(document) - {"deadLetterTargetArn", "maxReceiveCount"})
    if unknown:
        raise _bad_redrive(text, "Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].")
    if "deadLetterTargetArn" not in document:
        raise _bad_redrive(text, "Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
    if "maxReceiveCount" not in document:
        raise _bad_redrive(text, "Redrive policy does not contain mandatory attribute: maxReceiveCount.")
    count = document["maxReceiveCount"]
    if isinstance(count, str) and count.strip().isdigit():
        count = int(count)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
        raise _bad_redrive(
            text, f"Invalid value for maxReceiveCount: {count}, valid values are from 1 to 1000 both inclusive."
        )
    return {"deadLetterTargetArn": str(document["deadLetterTargetArn"]), "maxReceiveCount": count}


def _bad_redrive(text: str, reason: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Value {text} for parameter RedrivePolicy is invalid. Reason: {reason}")


def _redrive_allow_policy(text: str) -> dict[str, Any]:
    def bad(reason: str) -> InvalidParameterValue:
        return InvalidParameterValue(f"Value {text} for parameter RedriveAllowPolicy is invalid. Reason: {reason}")

    try:
        document = json.loads(text)
    except ValueError:
        raise bad("Redrive allow policy is not a valid JSON map.") from None
    if not isinstance(document, dict):
        raise bad("Redrive allow policy is not a valid JSON map.")
    unknown = sorted(set(document) - {"redrivePermission", "sourceQueueArns"})
    if unknown:
        raise bad("Only following attributes are supported: [redrivePermission, sourceQueueArns].")
    permission = document.get("redrivePermission")
    if permission not in ("allowAll", "denyAll", "byQueue"):
        raise bad("Invalid value for redrivePermission: the valid values are allowAll, denyAll and byQueue.")
    sources = document.get("sourceQueueArns")
    if permission == "byQueue":
        if not isinstance(sources, list) or not sources or not all(isinstance(arn, str) for arn in sources):
            raise bad("sourceQueueArns must be a non-empty list of queue ARNs when redrivePermission is byQueue.")
        if len(sources) > 10:
            raise bad("Maximum number of source queue ARNs you can specify is 10.")
    elif sources is not None:
        raise bad("sourceQueueArns can be specified only when redrivePermission is byQueue.")
    return {key: document[key] for key in ("redrivePermission", "sourceQueueArns") if key in document}


# --- reading -------------------------------------------------------------------------------------


def epoch_seconds(moment: dt.datetime) -> str:
    return str(int(moment.timestamp()))


def requested_names(names: Iterable[str] | None, *, fifo: bool) -> list[str]:
    """The attribute names to return, in AWS's order; "All" means every one that applies."""
    wanted = list(names or [])
    if not wanted:
        return []
    applicable = [name for name in ORDER if fifo or name not in FIFO_ONLY]
    if "All" in wanted:
        return applicable
    for name in wanted:
        if name not in applicable:
            raise unknown_attribute(name)
    chosen = set(wanted)
    return [name for name in applicable if name in chosen]


def describe(queue: Queue, names: list[str], counts: Callable[[], dict[str, int]]) -> dict[str, str]:
    """The queue's attributes by name; `counts` is called only when a count is asked for."""
    result: dict[str, str] = {}
    counted: dict[str, int] | None = None
    for name in names:
        if name in COUNTS:
            if counted is None:
                counted = counts()
            result[name] = str(counted[name])
        elif name == "QueueArn":
            result[name] = queue.arn
        elif name == "CreatedTimestamp":
            result[name] = epoch_seconds(queue.created_at)
        elif name == "LastModifiedTimestamp":
            result[name] = epoch_seconds(queue.modified_at)
        elif name in INTEGERS:
            if name == "KmsDataKeyReusePeriodSeconds" and not queue.kms_master_key_id:
                continue
            result[name] = str(getattr(queue, INTEGERS[name].field))
        elif name == "Policy":
            if queue.policy:
                result[name] = queue.policy
        elif name == "RedrivePolicy":
            if queue.redrive_policy:
                result[name] = queue.redrive_policy
        elif name == "RedriveAllowPolicy":
            if queue.redrive_allow_policy:
                result[name] = queue.redrive_allow_policy
        elif name == "KmsMasterKeyId":
            if queue.kms_master_key_id:
                result[name] = queue.kms_master_key_id
        elif name == "SqsManagedSseEnabled":
            result[name] = "true" if queue.sqs_managed_sse_enabled else "false"
        elif name == "FifoQueue":
            result[name] = "true"
        elif name == "ContentBasedDeduplication":
            result[name] = "true" if queue.content_based_deduplication else "false"
        elif name == "DeduplicationScope":
            result[name] = queue.deduplication_scope or "queue"
        elif name == "FifoThroughputLimit":
            result[name] = queue.fifo_throughput_limit or "perQueue"
    return result


def differing(queue: Queue, changes: AttributeChanges) -> list[str]:
    """Attribute names whose requested value differs from the queue's (CreateQueue on an existing name)."""
    names = []
    by_field = {spec.field: name for name, spec in INTEGERS.items()}
    by_field.update(
        {
            "policy": "Policy",
            "kms_master_key_id": "KmsMasterKeyId",
            "sqs_managed_sse_enabled": "SqsManagedSseEnabled",
            "content_based_deduplication": "ContentBasedDeduplication",
            "deduplication_scope": "DeduplicationScope",
            "fifo_throughput_limit": "FifoThroughputLimit",
        }
    )
    defaults = {"deduplication_scope": "queue", "fifo_throughput_limit": "perQueue"}
    for field, value in changes.fields.items():
        current = getattr(queue, field) or defaults.get(field, getattr(queue, field))
        if current != value:
            names.append(by_field[field])
    if changes.redrive_policy is not None:
        wanted = compact_json(changes.redrive_policy) if changes.redrive_policy else ""
        if wanted != queue.redrive_policy:
            names.append("RedrivePolicy")
    if changes.redrive_allow_policy is not None:
        wanted = compact_json(changes.redrive_allow_policy) if changes.redrive_allow_policy else ""
        if wanted != queue.redrive_allow_policy:
            names.append("RedriveAllowPolicy")
    return names
