"""Topics: create, find, list, attributes, tags, permissions, data protection policy, delete.

A topic belongs to one sandbox (account) and region. CreateTopic of an existing name returns it
when the request's attributes and tags agree with it, and InvalidParameter otherwise. DeleteTopic
of a topic that does not exist succeeds, as on AWS; it deletes the topic's subscriptions.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from playground.db import find_one
from playground.sandboxes.models import Sandbox
from services.sns import events, policies, retries
from services.sns.exceptions import (
    AuthorizationErrorException,
    InvalidParameterException,
    NotFoundException,
    ResourceNotFoundException,
    TagLimitExceededException,
    TopicLimitExceededException,
    invalid_parameter,
    topic_not_found,
)
from services.sns.models import Delivery, Subscription, Topic

TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
FIFO_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,251}\.fifo$")
MAX_STANDARD_TOPICS = 100_000
MAX_FIFO_TOPICS = 1_000
MAX_TAGS = 50
PAGE_SIZE = 100
DEFAULT_MAX_MESSAGE_SIZE = 262_144
LARGE_MESSAGE_SIZE = 1_048_576
MIN_MESSAGE_SIZE = 1_024
FEEDBACK_PROTOCOLS = ("Application", "HTTP", "Lambda", "SQS", "Firehose")
FEEDBACK_ATTRIBUTES = tuple(
    f"{protocol}{suffix}"
    for protocol in FEEDBACK_PROTOCOLS
    for suffix in ("SuccessFeedbackRoleArn", "FailureFeedbackRoleArn", "SuccessFeedbackSampleRate")
)
SETTABLE = (
    "DisplayName",
    "Policy",
    "DeliveryPolicy",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
    "ContentBasedDeduplication",
    "ArchivePolicy",
    "FifoThroughputScope",
    "MaximumMessageSize",
    *FEEDBACK_ATTRIBUTES,
)
CREATE_ONLY = ("FifoTopic",)
FIFO_ONLY = ("ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope")


# --- ARNs and finding ----------------------------------------------------------------------------


def topic_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:sns:{region}:{account_id}:{name}"


def parse_topic_arn(arn: str, *, parameter: str = "TopicArn") -> tuple[str, str, str]:
    """(region, account id, name) of a topic ARN; InvalidParameter when it is not one."""
    parts = (arn or "").split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns" or not parts[3] or not parts[5]:
        raise invalid_parameter(parameter)
    if not (TOPIC_NAME.match(parts[5]) or FIFO_TOPIC_NAME.match(parts[5])):
        raise invalid_parameter(parameter)
    return parts[3], parts[4], parts[5]


def topic_by_arn(*, sandbox: Sandbox, arn: str, lock: bool = False, parameter: str = "TopicArn") -> Topic:
    region, account, name = parse_topic_arn(arn, parameter=parameter)
    if account != sandbox.account_id:
        raise topic_not_found()
    topic = find_one(Topic, lock=lock, sandbox=sandbox, region=region, name=name)  # every Publish looks it up
    if topic is None:
        raise topic_not_found()
    topic.sandbox = sandbox
    return topic


# --- attributes --------------------------------------------------------------------------------------


def _bool_text(name: str, value: str) -> str:
    if str(value).lower() not in ("true", "false"):
        raise invalid_parameter("Attributes", f"Invalid value [{value}] for {name}. Valid values: true, false")
    return str(value).lower()


def check_attribute(name: str, value: str, *, fifo: bool, creating: bool) -> str:
    """The value to store for a topic attribute, or InvalidParameter as AWS words it."""
    if name in CREATE_ONLY and not creating:
        raise invalid_parameter("AttributeName", f"{name} can only be set when the topic is created")
    if name not in SETTABLE and name not in CREATE_ONLY:
        raise invalid_parameter("AttributeName")
    if name in FIFO_ONLY and not fifo and value not in ("", "false"):
        raise invalid_parameter("Attributes", f"{name} is only valid for FIFO topics")
    if name == "DisplayName":
        if len(value) > 100:
            raise invalid_parameter("DisplayName", "DisplayName must be at most 100 characters long")
    elif name == "Policy":
        if value:
            policies.check_policy_document(value)
    elif name == "DeliveryPolicy":
        if value:
            retries.check_topic_policy(value)
    elif name == "SignatureVersion":
        if value not in ("1", "2"):
            raise invalid_parameter("SignatureVersion", "valid values are 1 and 2")
    elif name == "TracingConfig":
        if value not in ("PassThrough", "Active"):
            raise invalid_parameter("TracingConfig", "valid values are PassThrough and Active")
    elif name in ("ContentBasedDeduplication", "FifoTopic"):
        value = _bool_text(name, value)
    elif name == "FifoThroughputScope":
        if value not in ("Topic", "MessageGroup"):
            raise invalid_parameter("FifoThroughputScope", "valid values are Topic and MessageGroup")
    elif name == "MaximumMessageSize":
        if not value.isdigit() or not MIN_MESSAGE_SIZE <= int(value) <= LARGE_MESSAGE_SIZE:
            raise invalid_parameter(
                "MaximumMessageSize", f"must be an integer between {MIN_MESSAGE_SIZE} and {LARGE_MESSAGE_SIZE}"
            )
    elif name == "ArchivePolicy":
        if value:
            _check_archive_policy(value)
    elif name.endswith("SampleRate") and (not value.isdigit() or not 0 <= int(value) <= 100):
        raise invalid_parameter(name, "must be an integer between 0 and 100")
    return value


def _check_archive_policy(value: str) -> None:
    try:
        document = json.loads(value)
        period = int(document["MessageRetentionPeriod"])
    except (ValueError, KeyError, TypeError):
        raise invalid_parameter("ArchivePolicy", "must be a JSON object with MessageRetentionPeriod") from None
    if not 1 <= period <= 365:
        raise invalid_parameter("ArchivePolicy", "MessageRetentionPeriod must be between 1 and 365 days")


def max_message_size(topic: Topic) -> int:
    return int(topic.attributes.get("MaximumMessageSize") or DEFAULT_MAX_MESSAGE_SIZE)


def subscription_counts(topic: Topic) -> dict[str, int]:
    counted = Subscription.objects.filter(topic=topic).aggregate(
        pending=Count("id", filter=Q(status=Subscription.PENDING)),
        confirmed=Count("id", filter=Q(status=Subscription.CONFIRMED)),
    )
    return {"pending": counted["pending"], "confirmed": counted["confirmed"]}


def topic_attributes(topic: Topic) -> dict[str, str]:
    """GetTopicAttributes: every attribute AWS returns for this topic."""
    counts = subscription_counts(topic)
    stored = dict(topic.attributes)
    result: dict[str, str] = {
        "Policy": stored.pop("Policy", "")
        or policies.default_topic_policy(topic_arn=topic.arn, account_id=topic.sandbox.account_id),
        "Owner": topic.sandbox.account_id,
        "SubscriptionsPending": str(counts["pending"]),
        "TopicArn": topic.arn,
        "EffectiveDeliveryPolicy": json.dumps(
            retries.effective_topic_policy(stored.get("DeliveryPolicy", "")), separators=(",", ":")
        ),
        "SubscriptionsConfirmed": str(counts["confirmed"]),
        "DisplayName": stored.pop("DisplayName", ""),
        "SubscriptionsDeleted": str(topic.subscriptions_deleted),
    }
    if topic.fifo:
        result["FifoTopic"] = "true"
        result["ContentBasedDeduplication"] = stored.pop("ContentBasedDeduplication", "false")
    for name, value in stored.items():
        if value != "":
            result[name] = str(value)
    return result


def publish_changed(topic: Topic, now: dt.datetime) -> None:
    events.resource_changed(
        topic.sandbox,
        resource_type="topic",
        arn=topic.arn,
        name=topic.name,
        attributes=topic_attributes(topic),
        now=now,
    )


def topic_set_attribute(*, topic: Topic, name: str, value: str, now: dt.datetime) -> Topic:
    value = check_attribute(name, value or "", fifo=topic.fifo, creating=False)
    if name == "MaximumMessageSize" and int(value) > DEFAULT_MAX_MESSAGE_SIZE:
        _check_large_message_subscribers(topic)
    if value == "" and name not in ("DisplayName",):
        topic.attributes.pop(name, None)
    else:
        topic.attributes[name] = value
    if name == "KmsMasterKeyId":
        topic.data_key_ciphertext = None
        topic.data_key_made_at = None
    if name == "ArchivePolicy" and value and "BeginningArchiveTime" not in topic.attributes:
        topic.attributes["BeginningArchiveTime"] = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    topic.save(update_fields=["attributes", "data_key_ciphertext", "data_key_made_at"])
    publish_changed(topic, now)
    return topic


LARGE_MESSAGE_PROTOCOLS = ("sqs", "lambda", "firehose")
LARGE_MESSAGE_MAX_SUBSCRIPTIONS = 100


def _check_large_message_subscribers(topic: Topic) -> None:
    rows = Subscription.objects.filter(topic=topic)
    if rows.exclude(protocol__in=LARGE_MESSAGE_PROTOCOLS).exists():
        raise invalid_parameter(
            "MaximumMessageSize",
            "topics with a MaximumMessageSize above 262144 bytes only support sqs, lambda and firehose subscriptions",
        )
    if rows.count() > LARGE_MESSAGE_MAX_SUBSCRIPTIONS:
        raise invalid_parameter(
            "MaximumMessageSize",
            f"topics with a MaximumMessageSize above 262144 bytes support at most {LARGE_MESSAGE_MAX_SUBSCRIPTIONS} "
            "subscriptions",
        )


# --- creating and deleting ---------------------------------------------------------------------------


def _check_tags(tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise TagLimitExceededException("Could not complete request: tag quota of per resource exceeded")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128:
            raise invalid_parameter("Tags", "Tag keys must be between 1 and 128 characters in length")
        if key.lower().startswith("aws:"):
            raise invalid_parameter("Tags", "Tag keys can't start with the reserved prefix aws:")
        if len(value or "") > 256:
            raise invalid_parameter("Tags", "Tag values must be at most 256 characters in length")


def tags_from_list(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {item["Key"]: item.get("Value", "") for item in items or []}


def topic_create(
    *,
    sandbox: Sandbox,
    region: str,
    name: str,
    attributes: Mapping[str, str] | None,
    tags: Mapping[str, str] | None,
    data_protection_policy: str | None,
    now: dt.datetime,
) -> Topic:
    attributes = dict(attributes or {})
    fifo = str(attributes.get("FifoTopic", "false")).lower() == "true"
    if fifo:
        if not FIFO_TOPIC_NAME.match(name or ""):
            raise invalid_parameter(
                "Topic Name",
                "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII "
                "letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.",
            )
    elif not TOPIC_NAME.match(name or ""):
        raise invalid_parameter("Topic Name")
    checked = {key: check_attribute(key, str(value), fifo=fifo, creating=True) for key, value in attributes.items()}
    checked.pop("FifoTopic", None)
    if "MaximumMessageSize" in checked and int(checked["MaximumMessageSize"]) == DEFAULT_MAX_MESSAGE_SIZE:
        checked.pop("MaximumMessageSize")
    tags = dict(tags or {})
    _check_tags(tags)
    if data_protection_policy:
        policies.check_policy_document(data_protection_policy, name="DataProtectionPolicy")
    existing = Topic.objects.filter(sandbox=sandbox, region=region, name=name).first()
    if existing is not None:
        existing.sandbox = sandbox
        differing = [key for key, value in checked.items() if existing.attributes.get(key, "") != value]
        if differing:
            raise invalid_parameter("Attributes", "Topic already exists with different attributes")
        if tags and any(existing.tags.get(key) != value for key, value in tags.items()):
            raise invalid_parameter("Tags", "Topic already exists with different tags")
        return existing
    limit = MAX_FIFO_TOPICS if fifo else MAX_STANDARD_TOPICS
    if Topic.objects.filter(sandbox=sandbox, region=region, fifo=fifo).count() >= limit:
        raise TopicLimitExceededException("Topic limit exceeded")
    topic = Topic(
        sandbox=sandbox,
        region=region,
        name=name,
        arn=topic_arn(region, sandbox.account_id, name),
        fifo=fifo,
        created_at=now,
        attributes={key: value for key, value in checked.items() if value != ""},
        tags=tags,
        data_protection_policy=data_protection_policy or "",
    )
    if "ArchivePolicy" in topic.attributes:
        topic.attributes["BeginningArchiveTime"] = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    try:
        with transaction.atomic():
            topic.save()
    except IntegrityError:
        return topic_create(
            sandbox=sandbox,
            region=region,
            name=name,
            attributes=attributes,
            tags=tags,
            data_protection_policy=data_protection_policy,
            now=now,
        )
    events.resource_created(
        sandbox, resource_type="topic", arn=topic.arn, name=name, attributes=topic_attributes(topic), now=now
    )
    return topic


def topic_delete(*, sandbox: Sandbox, arn: str, now: dt.datetime, principal_arn: str = "") -> None:
    """Delete a topic and its subscriptions; a topic of this account that does not exist is no
    error, one of another account is AuthorizationError (its owner's policy is not ours to grant)."""
    _, account, _ = parse_topic_arn(arn, parameter="TopicArn")
    if account != sandbox.account_id:
        who = principal_arn or f"arn:aws:iam::{sandbox.account_id}:root"
        raise AuthorizationErrorException(
            f"User: {who} is not authorized to perform: SNS:DeleteTopic on resource: {arn}"
        )
    try:
        topic = topic_by_arn(sandbox=sandbox, arn=arn, lock=True)
    except NotFoundException:
        return
    for subscription in Subscription.objects.filter(topic=topic).only("arn", "protocol", "endpoint"):
        events.resource_deleted(
            sandbox, resource_type="subscription", arn=subscription.arn, name=subscription.endpoint, now=now
        )
    Delivery.objects.filter(sandbox=sandbox, topic_arn=topic.arn).delete()
    events.resource_deleted(sandbox, resource_type="topic", arn=topic.arn, name=topic.name, now=now)
    topic.delete()


# --- listing -----------------------------------------------------------------------------------------


def encode_token(last: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last}).encode()).decode()


def decode_token(token: str, *, parameter: str = "NextToken") -> str:
    try:
        return str(json.loads(base64.urlsafe_b64decode(token.encode()))["after"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise invalid_parameter(parameter) from None


def topic_list(*, sandbox: Sandbox, region: str, next_token: str | None) -> tuple[list[Topic], str | None]:
    rows = Topic.objects.filter(sandbox=sandbox, region=region).order_by("arn")
    if next_token:
        rows = rows.filter(arn__gt=decode_token(next_token))
    page = list(rows[: PAGE_SIZE + 1])
    token = encode_token(page[PAGE_SIZE - 1].arn) if len(page) > PAGE_SIZE else None
    return page[:PAGE_SIZE], token


# --- tags --------------------------------------------------------------------------------------------


def _tagged_topic(*, sandbox: Sandbox, arn: str, lock: bool = False) -> Topic:
    parts = (arn or "").split(":")
    if len(parts) != 6 or parts[2] != "sns":
        raise ResourceNotFoundException("Resource does not exist")
    try:
        return topic_by_arn(sandbox=sandbox, arn=arn, lock=lock, parameter="ResourceArn")
    except (NotFoundException, InvalidParameterException):
        raise ResourceNotFoundException("Resource does not exist") from None


def resource_tag(*, sandbox: Sandbox, arn: str, tags: Mapping[str, str], now: dt.datetime) -> None:
    topic = _tagged_topic(sandbox=sandbox, arn=arn, lock=True)
    merged = {**topic.tags, **dict(tags)}
    _check_tags(merged)
    topic.tags = merged
    topic.save(update_fields=["tags"])


def resource_untag(*, sandbox: Sandbox, arn: str, keys: list[str], now: dt.datetime) -> None:
    topic = _tagged_topic(sandbox=sandbox, arn=arn, lock=True)
    topic.tags = {key: value for key, value in topic.tags.items() if key not in set(keys)}
    topic.save(update_fields=["tags"])


def resource_tags(*, sandbox: Sandbox, arn: str) -> dict[str, str]:
    return dict(_tagged_topic(sandbox=sandbox, arn=arn).tags)


# --- permissions and data protection --------------------------------------------------------------


def _policy_text(topic: Topic) -> str:
    return str(topic.attributes.get("Policy") or "") or policies.default_topic_policy(
        topic_arn=topic.arn, account_id=topic.sandbox.account_id
    )


def permission_add(*, topic: Topic, label: str, account_ids: list[str], actions: list[str], now: dt.datetime) -> None:
    if not re.match(r"^[A-Za-z0-9_-]{1,100}$", label or ""):
        raise invalid_parameter("Label")
    topic.attributes["Policy"] = policies.permission_added(
        _policy_text(topic), topic_arn=topic.arn, label=label, account_ids=account_ids, actions=actions
    )
    topic.save(update_fields=["attributes"])
    publish_changed(topic, now)


def permission_remove(*, topic: Topic, label: str, now: dt.datetime) -> None:
    topic.attributes["Policy"] = policies.permission_removed(_policy_text(topic), label=label)
    topic.save(update_fields=["attributes"])
    publish_changed(topic, now)


def data_protection_put(*, topic: Topic, policy: str, now: dt.datetime) -> None:
    if policy:
        document = policies.check_policy_document(policy, name="DataProtectionPolicy")
        if not isinstance(document.get("Statement"), list):
            raise invalid_parameter("DataProtectionPolicy", "Statement must be an array")
    topic.data_protection_policy = policy
    topic.save(update_fields=["data_protection_policy"])
