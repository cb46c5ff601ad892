"""Subscriptions: subscribe, confirm, unsubscribe, list, and their attributes.

SQS, Lambda, Firehose, SMS and mobile-push subscriptions of the topic's own account are confirmed
at once. HTTP/S and email subscriptions wait for confirmation: the endpoint gets a
SubscriptionConfirmation (an HTTP POST, or a message in the email outbox) with a token, which
ConfirmSubscription (or opening the SubscribeURL / the email's link) accepts for three days;
an unconfirmed subscription is deleted when its token expires.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import F

from playground.sandboxes.models import Sandbox
from services.sns import delivery, events, filters, retries, topics
from services.sns.exceptions import (
    AuthorizationErrorException,
    FilterPolicyLimitExceededException,
    NotFoundException,
    SubscriptionLimitExceededException,
    invalid_parameter,
)
from services.sns.models import Delivery, PlatformEndpoint, Subscription, Topic

PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")
CONFIRMED_AT_ONCE = ("sqs", "lambda", "firehose", "application", "sms")
RAW_PROTOCOLS = ("http", "https", "sqs", "firehose")
ATTRIBUTES = (
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
)
TOKEN_LIFETIME = dt.timedelta(days=3)
MAX_FIFO_SUBSCRIPTIONS = 100
MAX_STANDARD_SUBSCRIPTIONS = 12_500_000
MAX_FILTER_POLICIES_PER_TOPIC = 200
MAX_FILTER_POLICIES_PER_ACCOUNT = 10_000
PENDING_ARN = "PendingConfirmation"
PAGE_SIZE = 100
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[1-9]\d{6,14}$")
_SQS_ARN = re.compile(r"^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$")
_LAMBDA_ARN = re.compile(r"^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$")
_FIREHOSE_ARN = re.compile(r"^arn:aws[\w-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream/[A-Za-z0-9_.-]+$")


def new_token() -> str:
    return secrets.token_hex(128)


def shown_arn(subscription: Subscription) -> str:
    return subscription.arn if subscription.confirmed else PENDING_ARN


# --- checking ---------------------------------------------------------------------------------------


def check_endpoint(*, topic: Topic, protocol: str, endpoint: str) -> str:
    if protocol not in PROTOCOLS:
        raise invalid_parameter("Amazon SNS does not support this protocol")
    if topic.fifo and protocol not in ("sqs", "lambda", "firehose"):
        raise invalid_parameter("Protocol", f"FIFO topics do not support the {protocol} protocol")
    if protocol in ("http", "https"):
        if not endpoint.lower().startswith(f"{protocol}://") or len(endpoint) <= len(protocol) + 3:
            raise invalid_parameter("Endpoint must match the specified protocol")
    elif protocol in ("email", "email-json"):
        if not _EMAIL.match(endpoint):
            raise invalid_parameter("Email address")
    elif protocol == "sms":
        number = endpoint.replace(" ", "").replace("-", "")
        if not _PHONE.match(number):
            raise invalid_parameter("Invalid SMS endpoint")
        endpoint = number if number.startswith("+") else f"+{number}"
    elif protocol == "sqs":
        if not _SQS_ARN.match(endpoint):
            raise invalid_parameter("SQS endpoint ARN")
        if endpoint.endswith(".fifo") and not topic.fifo:
            raise invalid_parameter(
                "Invalid parameter: Endpoint", "FIFO SQS Queues can not be subscribed to standard SNS topics"
            )
    elif protocol == "application":
        found = PlatformEndpoint.objects.filter(sandbox=topic.sandbox, arn=endpoint).exists()
        if not found:
            raise invalid_parameter("Endpoint", "the platform endpoint does not exist")
    elif protocol == "lambda":
        if not _LAMBDA_ARN.match(endpoint):
            raise invalid_parameter("Lambda endpoint ARN")
    elif protocol == "firehose" and not _FIREHOSE_ARN.match(endpoint):
        raise invalid_parameter("Firehose endpoint ARN")
    if int(topic.attributes.get("MaximumMessageSize") or 0) > topics.DEFAULT_MAX_MESSAGE_SIZE and protocol not in (
        topics.LARGE_MESSAGE_PROTOCOLS
    ):
        raise invalid_parameter(
            "Protocol", "topics with a MaximumMessageSize above 262144 bytes support only sqs, lambda and firehose"
        )
    return endpoint


def _redrive_target(value: str, *, topic: Topic) -> str:
    try:
        document = json.loads(value)
    except ValueError:
        raise invalid_parameter("RedrivePolicy: failed to parse JSON") from None
    if not isinstance(document, dict) or set(document) != {"deadLetterTargetArn"}:
        raise invalid_parameter("RedrivePolicy: deadLetterTargetArn is required and is the only member")
    target = str(document["deadLetterTargetArn"])
    if not _SQS_ARN.match(target):
        raise invalid_parameter("RedrivePolicy: deadLetterTargetArn is an invalid arn")
    parts = target.split(":")
    if parts[3] != topic.region or parts[4] != topic.sandbox.account_id:
        raise invalid_parameter(
            "RedrivePolicy: the dead-letter queue must be in the same account and region as the subscription"
        )
    if target.endswith(".fifo") != topic.fifo:
        raise invalid_parameter(
            "RedrivePolicy: the dead-letter queue of a FIFO topic's subscription must be a FIFO queue, and of a "
            "standard topic's a standard queue"
        )
    return target


def _check_filter_quota(topic: Topic, *, excluding: int | None) -> None:
    rows = Subscription.objects.exclude(filter_policy="")
    if excluding is not None:
        rows = rows.exclude(pk=excluding)
    if rows.filter(topic=topic).count() >= MAX_FILTER_POLICIES_PER_TOPIC:
        raise FilterPolicyLimitExceededException("Filter policy limit exceeded")
    if rows.filter(sandbox=topic.sandbox).count() >= MAX_FILTER_POLICIES_PER_ACCOUNT:
        raise FilterPolicyLimitExceededException("Filter policy limit exceeded")


def _apply_attribute(subscription: Subscription, name: str, value: str, *, topic: Topic) -> None:
    """Check one attribute and set it on the (unsaved) subscription."""
    protocol = subscription.protocol
    if name not in ATTRIBUTES:
        raise invalid_parameter("AttributeName")
    value = value or ""
    if name == "RawMessageDelivery":
        if value.lower() not in ("true", "false"):
            raise invalid_parameter("RawMessageDelivery", "valid values are true and false")
        if value.lower() == "true" and protocol not in RAW_PROTOCOLS:
            raise invalid_parameter(f"Delivery protocol [{protocol}] does not support raw message delivery.")
        subscription.raw = value.lower() == "true"
        subscription.attributes[name] = value.lower()
        return
    if name == "FilterPolicyScope":
        if value not in filters.SCOPES:
            raise invalid_parameter("FilterPolicyScope: Invalid filter policy scope")
        if subscription.filter_policy:
            filters.check_policy(subscription.filter_policy, scope=value)
        subscription.filter_scope = value
        subscription.attributes[name] = value
        return
    if name == "FilterPolicy":
        if value:
            filters.check_policy(value, scope=subscription.filter_scope or filters.SCOPE_ATTRIBUTES)
            _check_filter_quota(topic, excluding=subscription.pk)
            subscription.attributes[name] = value
            subscription.attributes.setdefault(
                "FilterPolicyScope", subscription.filter_scope or filters.SCOPE_ATTRIBUTES
            )
            subscription.filter_scope = subscription.attributes["FilterPolicyScope"]
        else:
            subscription.attributes.pop(name, None)
            subscription.attributes.pop("FilterPolicyScope", None)
            subscription.filter_scope = ""
        subscription.filter_policy = value
        return
    if name == "DeliveryPolicy":
        if value:
            if protocol not in ("http", "https"):
                raise invalid_parameter(
                    f"DeliveryPolicy: Delivery protocol [{protocol}] does not support delivery policy"
                )
            retries.check_subscription_policy(value)
            subscription.attributes[name] = value
        else:
            subscription.attributes.pop(name, None)
        return
    if name == "RedrivePolicy":
        if value:
            subscription.dead_letter_arn = _redrive_target(value, topic=topic)
            subscription.attributes[name] = value
        else:
            subscription.dead_letter_arn = ""
            subscription.attributes.pop(name, None)
        return
    if name == "SubscriptionRoleArn":
        if protocol != "firehose":
            raise invalid_parameter("SubscriptionRoleArn", "only firehose subscriptions take a role")
        if value and not value.startswith("arn:"):
            raise invalid_parameter("SubscriptionRoleArn")
    if name == "ReplayPolicy" and not topic.fifo:
        raise invalid_parameter("ReplayPolicy", "only subscriptions to FIFO topics with an archive can replay")
    if value:
        subscription.attributes[name] = value
    else:
        subscription.attributes.pop(name, None)


def _apply_attributes(subscription: Subscription, attributes: Mapping[str, str], *, topic: Topic) -> None:
    # The scope first, so that a FilterPolicy given with it is read in that scope.
    ordered = sorted(attributes.items(), key=lambda item: item[0] != "FilterPolicyScope")
    for name, value in ordered:
        _apply_attribute(subscription, name, str(value), topic=topic)


def subscription_attributes(subscription: Subscription, *, principal_arn: str = "") -> dict[str, str]:
    topic = subscription.topic
    result: dict[str, str] = {
        "ConfirmationWasAuthenticated": "true" if subscription.confirmation_was_authenticated else "false",
        "PendingConfirmation": "false" if subscription.confirmed else "true",
        "Owner": subscription.owner,
        "RawMessageDelivery": "true" if subscription.raw else "false",
        "TopicArn": topic.arn,
        "Endpoint": subscription.endpoint,
        "Protocol": subscription.protocol,
        "SubscriptionArn": subscription.arn,
        "SubscriptionPrincipal": principal_arn or f"arn:aws:iam::{subscription.owner}:root",
    }
    if subscription.protocol in ("http", "https"):
        effective = retries.effective_subscription_policy(
            str(topic.attributes.get("DeliveryPolicy", "")), str(subscription.attributes.get("DeliveryPolicy", ""))
        )
        result["EffectiveDeliveryPolicy"] = json.dumps(effective, separators=(",", ":"))
    for name, value in subscription.attributes.items():
        if name != "RawMessageDelivery" and value != "":
            result[name] = str(value)
    return result


def _changed(subscription: Subscription, now: dt.datetime) -> None:
    events.resource_changed(
        subscription.sandbox,
        resource_type="subscription",
        arn=subscription.arn,
        name=subscription.endpoint,
        attributes=subscription_attributes(subscription),
        now=now,
    )


# --- subscribing -----------------------------------------------------------------------------------


def subscribe(
    *,
    topic: Topic,
    protocol: str,
    endpoint: str,
    attributes: Mapping[str, str] | None,
    principal_arn: str,
    base_url: str,
    now: dt.datetime,
) -> Subscription:
    protocol = (protocol or "").lower()
    endpoint = check_endpoint(topic=topic, protocol=protocol, endpoint=endpoint or "")
    attributes = dict(attributes or {})
    sandbox = topic.sandbox
    existing = (
        Subscription.objects.select_related("topic").filter(topic=topic, protocol=protocol, endpoint=endpoint).first()
    )
    if protocol == "firehose" and not (attributes.get("SubscriptionRoleArn") or existing):
        raise invalid_parameter("Invalid parameter: SubscriptionRoleArn", "a firehose subscription needs a role")
    if existing is not None:
        existing.sandbox = sandbox
        existing.topic = topic
        probe = Subscription(protocol=protocol, attributes={}, filter_scope=existing.filter_scope, topic=topic)
        probe.pk = existing.pk
        _apply_attributes(probe, attributes, topic=topic)
        if any(existing.attributes.get(name, "") != value for name, value in probe.attributes.items()):
            raise invalid_parameter("Attributes", "Subscription already exists with different attributes")
        if not existing.confirmed:
            _request_confirmation(existing, base_url=base_url, now=now)
        return existing
    limit = MAX_FIFO_SUBSCRIPTIONS if topic.fifo else MAX_STANDARD_SUBSCRIPTIONS
    if int(topic.attributes.get("MaximumMessageSize") or 0) > topics.DEFAULT_MAX_MESSAGE_SIZE:
        limit = min(limit, topics.LARGE_MESSAGE_MAX_SUBSCRIPTIONS)
    if Subscription.objects.filter(topic=topic).count() >= limit:
        raise SubscriptionLimitExceededException("Subscription limit exceeded")
    subscription = Subscription(
        sandbox=sandbox,
        topic=topic,
        arn=f"{topic.arn}:{uuid.uuid4()}",
        protocol=protocol,
        endpoint=endpoint,
        owner=sandbox.account_id,
        created_at=now,
        base_url=base_url,
        attributes={},
    )
    _apply_attributes(subscription, attributes, topic=topic)
    if protocol in CONFIRMED_AT_ONCE:
        subscription.status = Subscription.CONFIRMED
    else:
        subscription.status = Subscription.PENDING
        subscription.token = new_token()
        subscription.token_expires_at = now + TOKEN_LIFETIME
    subscription.save()
    subscription.topic = topic
    events.resource_created(
        sandbox,
        resource_type="subscription",
        arn=subscription.arn,
        name=endpoint,
        attributes=subscription_attributes(subscription, principal_arn=principal_arn),
        now=now,
    )
    topics.publish_changed(topic, now)  # its subscription counts changed
    if not subscription.confirmed:
        delivery.send_confirmation(subscription, kind=Delivery.SUBSCRIPTION_CONFIRMATION, base_url=base_url, now=now)
    return subscription


def _request_confirmation(subscription: Subscription, *, base_url: str, now: dt.datetime) -> None:
    """Subscribe again to a pending subscription: a fresh token, a new confirmation message."""
    subscription.token = new_token()
    subscription.token_expires_at = now + TOKEN_LIFETIME
    subscription.save(update_fields=["token", "token_expires_at"])
    delivery.send_confirmation(subscription, kind=Delivery.SUBSCRIPTION_CONFIRMATION, base_url=base_url, now=now)


def confirm(
    *, topic: Topic, token: str, authenticate_on_unsubscribe: bool, authenticated: bool, now: dt.datetime
) -> Subscription:
    if not token:
        raise invalid_parameter("Token")
    subscription = (
        Subscription.objects.select_for_update().filter(topic=topic, token=token, token_expires_at__gt=now).first()
    )
    if subscription is None:
        raise invalid_parameter("Token")
    subscription.sandbox = topic.sandbox
    subscription.topic = topic
    if not subscription.confirmed:
        subscription.status = Subscription.CONFIRMED
        subscription.confirmation_was_authenticated = authenticated
        subscription.authenticate_on_unsubscribe = authenticated and authenticate_on_unsubscribe
        subscription.save(update_fields=["status", "confirmation_was_authenticated", "authenticate_on_unsubscribe"])
        _changed(subscription, now)
        topics.publish_changed(topic, now)
    return subscription


def parse_subscription_arn(arn: str) -> tuple[str, str, str]:
    """(topic ARN, account id, region) of a subscription ARN; InvalidParameter when it is not one."""
    parts = (arn or "").split(":")
    if len(parts) != 7 or parts[0] != "arn" or parts[2] != "sns":
        raise invalid_parameter("SubscriptionArn")
    try:
        uuid.UUID(parts[6])
    except ValueError:
        raise invalid_parameter("SubscriptionArn") from None
    return ":".join(parts[:6]), parts[4], parts[3]


def subscription_by_arn(*, sandbox: Sandbox, arn: str, lock: bool = False) -> Subscription:
    _, account, _ = parse_subscription_arn(arn)
    rows = Subscription.objects.select_related("topic").filter(sandbox=sandbox, arn=arn)
    if lock:
        rows = rows.select_for_update(of=("self",))
    subscription = rows.first() if account == sandbox.account_id else None
    if subscription is None:
        raise NotFoundException("Subscription does not exist")
    subscription.sandbox = sandbox
    subscription.topic.sandbox = sandbox
    return subscription


def unsubscribe(*, sandbox: Sandbox, arn: str, authenticated: bool, base_url: str, now: dt.datetime) -> None:
    """Delete a subscription (a subscription that does not exist is no error, as on AWS)."""
    try:
        subscription = subscription_by_arn(sandbox=sandbox, arn=arn, lock=True)
    except NotFoundException:
        return
    if subscription.authenticate_on_unsubscribe and not authenticated:
        raise AuthorizationErrorException("This subscription can only be deleted by an authenticated request")
    topic = subscription.topic
    Delivery.objects.filter(sandbox=sandbox, subscription=subscription).delete()
    if subscription.confirmed and subscription.protocol in ("http", "https"):
        subscription.token = new_token()
        delivery.send_confirmation(
            subscription,
            kind=Delivery.UNSUBSCRIBE_CONFIRMATION,
            base_url=base_url or subscription.base_url,
            now=now,
        )
    Topic.objects.filter(pk=topic.pk).update(subscriptions_deleted=F("subscriptions_deleted") + 1)
    events.resource_deleted(
        sandbox, resource_type="subscription", arn=subscription.arn, name=subscription.endpoint, now=now
    )
    subscription.delete()
    topic.refresh_from_db(fields=["subscriptions_deleted"])
    topics.publish_changed(topic, now)  # its subscription counts changed


def set_attribute(*, subscription: Subscription, name: str, value: str, now: dt.datetime) -> Subscription:
    _apply_attribute(subscription, name, value or "", topic=subscription.topic)
    subscription.save(update_fields=["attributes", "filter_policy", "filter_scope", "raw", "dead_letter_arn"])
    _changed(subscription, now)
    return subscription


# --- listing ---------------------------------------------------------------------------------------


def listed(subscription: Subscription) -> dict[str, Any]:
    return {
        "SubscriptionArn": shown_arn(subscription),
        "Owner": subscription.owner,
        "Protocol": subscription.protocol,
        "Endpoint": subscription.endpoint,
        "TopicArn": subscription.topic.arn,
    }


def subscription_list(
    *, sandbox: Sandbox, region: str, topic: Topic | None, next_token: str | None
) -> tuple[list[Subscription], str | None]:
    rows = Subscription.objects.select_related("topic").filter(sandbox=sandbox).order_by("id")
    rows = rows.filter(topic=topic) if topic is not None else rows.filter(topic__region=region)
    if next_token:
        try:
            after = int(topics.decode_token(next_token))
        except ValueError:
            raise invalid_parameter("NextToken") from None
        rows = rows.filter(id__gt=after)
    page = list(rows[: PAGE_SIZE + 1])
    token = topics.encode_token(str(page[PAGE_SIZE - 1].pk)) if len(page) > PAGE_SIZE else None
    return page[:PAGE_SIZE], token


def expire_pending(*, sandbox: Sandbox, now: dt.datetime) -> int:
    """Delete unconfirmed subscriptions whose token expired (the tick's work)."""
    expired = list(
        Subscription.objects.filter(sandbox=sandbox, status=Subscription.PENDING, token_expires_at__lte=now)[:500]
    )
    for subscription in expired:
        with transaction.atomic():
            if Subscription.objects.filter(pk=subscription.pk, status=Subscription.PENDING).delete()[0]:
                events.resource_deleted(
                    sandbox, resource_type="subscription", arn=subscription.arn, name=subscription.endpoint, now=now
                )
    return len(expired)
