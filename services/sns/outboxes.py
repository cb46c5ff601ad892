"""The simulated outboxes: what email, email-json, SMS and mobile-push endpoints would receive,
stored per sandbox (OutboxMessage) for the GUI and the REST API to show.

    email        subject and plain-text body (the message, and a footer with the unsubscribe link)
    email-json   the JSON envelope an HTTP endpoint would get
    sms          the text, prefixed by the topic's DisplayName as AWS does ("NAME> text"); numbers
                 that opted out get nothing; this account is in the SMS sandbox, so only verified
                 sandbox numbers receive messages
    application  the push payload for the endpoint's platform, in the endpoint's inbox

A confirmation email carries the link that confirms the subscription when opened (views.py).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from playground.sandboxes.models import Sandbox
from services.sns import envelopes
from services.sns.models import OptedOutNumber, OutboxMessage, PlatformEndpoint, SandboxPhoneNumber, Subscription

if TYPE_CHECKING:
    from services.sns.delivery import Note, Outcome

# Messages kept per sandbox: older ones are pruned, so that a chatty topic cannot fill a shared server.
KEPT_PER_SANDBOX = 1000
PRUNE_EVERY = 50
CONFIRMATION_SUBJECT = "AWS Notification - Subscription Confirmation"
DEFAULT_SUBJECT = "AWS Notification Message"
MAX_LISTED = 100


def _store(
    *,
    sandbox: Sandbox,
    protocol: str,
    destination: str,
    kind: str,
    message_id: str,
    body: str,
    now: dt.datetime,
    subject: str = "",
    topic_arn: str = "",
    subscription_arn: str = "",
    attributes: dict[str, Any] | None = None,
) -> OutboxMessage:
    message = OutboxMessage.objects.create(
        sandbox=sandbox,
        protocol=protocol,
        destination=destination,
        kind=kind,
        message_id=message_id,
        topic_arn=topic_arn,
        subscription_arn=subscription_arn,
        subject=subject[:512],
        body=body,
        attributes=attributes or {},
        sent_at=now,
    )
    if message.pk % PRUNE_EVERY == 0:
        _prune(sandbox)
    return message


def _prune(sandbox: Sandbox) -> None:
    rows = OutboxMessage.objects.filter(sandbox=sandbox)
    oldest_kept = rows.order_by("-id").values_list("id", flat=True)[KEPT_PER_SANDBOX - 1 : KEPT_PER_SANDBOX]
    threshold = next(iter(oldest_kept), None)
    if threshold is not None:
        rows.filter(id__lt=threshold).delete()


# --- email ------------------------------------------------------------------------------------------


def email_confirmation(*, subscription: Subscription, message_id: str, base_url: str, now: dt.datetime) -> None:
    topic = subscription.topic
    link = envelopes.email_confirmation_url(base_url, topic.arn, subscription.token, subscription.endpoint)
    if subscription.protocol == "email-json":
        body = envelopes.confirmation(
            kind="SubscriptionConfirmation",
            message_id=message_id,
            topic_arn=topic.arn,
            subscription_arn=subscription.arn,
            token=subscription.token,
            sent_at=now,
            signature_version=topic.signature_version,
            base_url=base_url,
        )
    else:
        body = (
            f"You have chosen to subscribe to the topic:\n{topic.arn}\n\n"
            "To confirm this subscription, click or visit the link below (If this was in error no action is "
            f"necessary):\n{link}\n"
        )
    _store(
        sandbox=subscription.sandbox,
        protocol=subscription.protocol,
        destination=subscription.endpoint,
        kind="SubscriptionConfirmation",
        message_id=message_id,
        body=body,
        now=now,
        subject=CONFIRMATION_SUBJECT,
        topic_arn=topic.arn,
        subscription_arn=subscription.arn,
        attributes={"confirm_url": link, "from": str(topic.attributes.get("DisplayName") or "AWS Notifications")},
    )


def email_notification(*, note: Note) -> None:
    subscription = note.subscription
    if subscription.protocol == "email-json":
        body = note.envelope()
    else:
        unsubscribe = envelopes.email_unsubscribe_url(note.base_url, subscription.arn, subscription.endpoint)
        body = (
            f"{note.message}\n\n--\nIf you wish to stop receiving notifications from this topic, please click or "
            f"visit the link below to unsubscribe:\n{unsubscribe}\n"
        )
    _store(
        sandbox=note.sandbox,
        protocol=subscription.protocol,
        destination=subscription.endpoint,
        kind="Notification",
        message_id=note.message_id,
        body=body,
        now=note.now or note.sent_at,
        subject=note.subject or DEFAULT_SUBJECT,
        topic_arn=note.topic.arn,
        subscription_arn=subscription.arn,
        attributes={"from": str(note.topic.attributes.get("DisplayName") or "AWS Notifications")},
    )


# --- SMS --------------------------------------------------------------------------------------------


def is_opted_out(*, sandbox: Sandbox, phone_number: str) -> bool:
    return OptedOutNumber.objects.filter(sandbox=sandbox, phone_number=phone_number).exists()


def is_verified(*, sandbox: Sandbox, phone_number: str) -> bool:
    return SandboxPhoneNumber.objects.filter(
        sandbox=sandbox, phone_number=phone_number, status=SandboxPhoneNumber.VERIFIED
    ).exists()


def sms_refusal(*, sandbox: Sandbox, phone_number: str) -> tuple[str, str] | None:
    """(code, reason) when an SMS to the number would not be delivered."""
    if is_opted_out(sandbox=sandbox, phone_number=phone_number):
        return "OptedOut", f"{phone_number} opted out of SMS messages"
    if not is_verified(sandbox=sandbox, phone_number=phone_number):
        return (
            "NotVerified",
            f"{phone_number} is not a verified phone number of this account's SMS sandbox "
            "(CreateSMSSandboxPhoneNumber, then VerifySMSSandboxPhoneNumber)",
        )
    return None


def sms_attributes(attributes: dict[str, dict[str, Any]], defaults: dict[str, str]) -> dict[str, str]:
    """The SMS settings of one message: its AWS.SNS.SMS.* attributes over the account's defaults."""
    chosen = {
        "SMSType": defaults.get("DefaultSMSType", "Promotional"),
        "SenderID": defaults.get("DefaultSenderID", ""),
    }
    for name, value in attributes.items():
        if name.startswith(("AWS.SNS.SMS.", "AWS.MM.SMS.")):
            chosen[name.rsplit(".", 1)[-1]] = str(value.get("StringValue", ""))
    return {key: value for key, value in chosen.items() if value}


def sms_send(
    *,
    sandbox: Sandbox,
    phone_number: str,
    text: str,
    message_id: str,
    attributes: dict[str, str],
    now: dt.datetime,
    topic_arn: str = "",
    subscription_arn: str = "",
    kind: str = "Notification",
) -> OutboxMessage:
    return _store(
        sandbox=sandbox,
        protocol="sms",
        destination=phone_number,
        kind=kind,
        message_id=message_id,
        body=text,
        now=now,
        topic_arn=topic_arn,
        subscription_arn=subscription_arn,
        attributes=attributes,
    )


def sms_from_topic(*, note: Note) -> Outcome:
    from services.sns.delivery import Outcome
    from services.sns.sms import sms_defaults

    number = note.subscription.endpoint
    refusal = sms_refusal(sandbox=note.sandbox, phone_number=number)
    if refusal is not None:
        return Outcome.client_error(*refusal)
    display = str(note.topic.attributes.get("DisplayName") or "")
    text = f"{display}> {note.message}" if display else note.message
    sms_send(
        sandbox=note.sandbox,
        phone_number=number,
        text=text,
        message_id=note.message_id,
        attributes=sms_attributes(note.attributes, sms_defaults(note.sandbox)),
        now=note.now or note.sent_at,
        topic_arn=note.topic.arn,
        subscription_arn=note.subscription.arn,
    )
    return Outcome.ok()


# --- mobile push --------------------------------------------------------------------------------------


def platform_of(endpoint_arn: str) -> str:
    """GCM, APNS, ... from arn:aws:sns:<region>:<account>:endpoint/<PLATFORM>/<app>/<id>."""
    resource = endpoint_arn.split(":", 5)[-1]
    parts = resource.split("/")
    return parts[1] if len(parts) > 1 else ""


def push_payload(message: str, structure: dict[str, Any] | None, platform: str) -> str:
    if structure is None:
        return message
    value = structure.get(platform, structure.get("default", ""))
    return value if isinstance(value, str) else json.dumps(value)


def push_send(
    *,
    endpoint: PlatformEndpoint,
    payload: str,
    message_id: str,
    now: dt.datetime,
    topic_arn: str = "",
    subscription_arn: str = "",
) -> OutboxMessage:
    return _store(
        sandbox=endpoint.sandbox,
        protocol="application",
        destination=endpoint.arn,
        kind="Notification",
        message_id=message_id,
        body=payload,
        now=now,
        topic_arn=topic_arn,
        subscription_arn=subscription_arn,
        attributes={"platform": endpoint.application.platform, "token": endpoint.token},
    )


def push_from_topic(*, note: Note) -> Outcome:
    from services.sns.delivery import Outcome

    endpoint = (
        PlatformEndpoint.objects.select_related("application")
        .filter(sandbox=note.sandbox, arn=note.subscription.endpoint)
        .first()
    )
    if endpoint is None:
        return Outcome.client_error("EndpointNotFound", "the platform endpoint no longer exists")
    endpoint.sandbox = note.sandbox
    if not endpoint.application.enabled:
        return Outcome.client_error("PlatformApplicationDisabled", "the platform application is disabled")
    if not endpoint.enabled:
        return Outcome.client_error("EndpointDisabled", "the platform endpoint is disabled")
    push_send(
        endpoint=endpoint,
        payload=note.message,
        message_id=note.message_id,
        now=note.now or note.sent_at,
        topic_arn=note.topic.arn,
        subscription_arn=note.subscription.arn,
    )
    return Outcome.ok(platform=endpoint.application.platform)


# --- reading ------------------------------------------------------------------------------------------


def outbox(*, sandbox: Sandbox, protocol: str | None = None, destination: str | None = None) -> list[OutboxMessage]:
    """The latest messages of the sandbox's outboxes, newest last (for the GUI and the REST API)."""
    rows = OutboxMessage.objects.filter(sandbox=sandbox)
    if protocol:
        rows = rows.filter(protocol=protocol)
    if destination:
        rows = rows.filter(destination=destination)
    return list(reversed(rows.order_by("-sent_at", "-id")[:MAX_LISTED]))


def as_dict(message: OutboxMessage) -> dict[str, Any]:
    return {
        "protocol": message.protocol,
        "destination": message.destination,
        "kind": message.kind,
        "message_id": message.message_id,
        "topic_arn": message.topic_arn,
        "subscription_arn": message.subscription_arn,
        "subject": message.subject,
        "body": message.body,
        "attributes": message.attributes,
        "sent_at": message.sent_at.isoformat(),
    }
