"""What a subscriber receives: the JSON envelope (HTTP/S, SQS, email-json, Lambda), the raw
message, the HTTP headers, the per-protocol message of MessageStructure=json, and the texts of
confirmation messages.

The envelope is written as AWS writes it: members in AWS's order, one per line, "Name" : value,
indented by two spaces:

    {
      "Type" : "Notification",
      "MessageId" : "...",
      "SequenceNumber" : "...",          (FIFO topics)
      "TopicArn" : "...",
      "Subject" : "...",                 (when the publisher gave one)
      "Message" : "...",
      "Timestamp" : "2012-04-25T21:49:25.719Z",
      "SignatureVersion" : "1",
      "Signature" : "...",
      "SigningCertURL" : "...",
      "UnsubscribeURL" : "...",
      "MessageAttributes" : {           (when there are any)
        "name" : {"Type":"String","Value":"..."}
      }
    }
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any
from urllib.parse import quote, urlencode

from services.sns.signing import sign_message

USER_AGENT = "Amazon Simple Notification Service Agent"


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def render(document: dict[str, Any]) -> str:
    """A message document in AWS's layout (see the module docstring)."""
    lines = []
    for name, value in document.items():
        if name == "MessageAttributes":
            inner = ",\n".join(
                f"    {json.dumps(key, ensure_ascii=False)} : "
                f"{json.dumps(item, ensure_ascii=False, separators=(',', ':'))}"
                for key, item in value.items()
            )
            lines.append(f'  "MessageAttributes" : {{\n{inner}\n  }}')
        else:
            lines.append(f"  {json.dumps(name)} : {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}"


def envelope_attributes(attributes: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Message attributes as the envelope shows them: {"name": {"Type": ..., "Value": ...}}."""
    shown: dict[str, dict[str, str]] = {}
    for name, value in attributes.items():
        if "BinaryValue" in value:
            shown[name] = {"Type": value["DataType"], "Value": value["BinaryValue"]}
        else:
            shown[name] = {"Type": value["DataType"], "Value": value.get("StringValue", "")}
    return shown


def unsubscribe_url(base_url: str, subscription_arn: str) -> str:
    return f"{base_url}/sns/?" + urlencode({"Action": "Unsubscribe", "SubscriptionArn": subscription_arn})


def subscribe_url(base_url: str, topic_arn: str, token: str) -> str:
    return f"{base_url}/sns/?" + urlencode({"Action": "ConfirmSubscription", "TopicArn": topic_arn, "Token": token})


def email_confirmation_url(base_url: str, topic_arn: str, token: str, endpoint: str) -> str:
    query = urlencode({"TopicArn": topic_arn, "Token": token, "Endpoint": endpoint})
    return f"{base_url}/sns/confirmation.html?{query}"


def email_unsubscribe_url(base_url: str, subscription_arn: str, endpoint: str) -> str:
    return f"{base_url}/sns/unsubscribe.html?SubscriptionArn={quote(subscription_arn)}&Endpoint={quote(endpoint)}"


def notification(
    *,
    message_id: str,
    topic_arn: str,
    subscription_arn: str,
    message: str,
    subject: str | None,
    attributes: dict[str, dict[str, Any]],
    sent_at: dt.datetime,
    sequence_number: str,
    signature_version: str,
    base_url: str,
) -> str:
    """The signed Notification envelope one subscription receives."""
    document: dict[str, Any] = {"Type": "Notification", "MessageId": message_id}
    if sequence_number:
        document["SequenceNumber"] = sequence_number
    document["TopicArn"] = topic_arn
    if subject is not None:
        document["Subject"] = subject
    document["Message"] = message
    document["Timestamp"] = timestamp(sent_at)
    sign_message(document, version=signature_version, base_url=base_url)
    document["UnsubscribeURL"] = unsubscribe_url(base_url, subscription_arn)
    if attributes:
        document["MessageAttributes"] = envelope_attributes(attributes)
    return render(document)


def confirmation(
    *,
    kind: str,
    message_id: str,
    topic_arn: str,
    subscription_arn: str,
    token: str,
    sent_at: dt.datetime,
    signature_version: str,
    base_url: str,
) -> str:
    """A signed SubscriptionConfirmation or UnsubscribeConfirmation message."""
    if kind == "SubscriptionConfirmation":
        text = (
            f"You have chosen to subscribe to the topic {topic_arn}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message."
        )
    else:
        text = (
            f"You have chosen to deactivate subscription {subscription_arn}.\n"
            "To cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
        )
    document: dict[str, Any] = {
        "Type": kind,
        "MessageId": message_id,
        "Token": token,
        "TopicArn": topic_arn,
        "Message": text,
        "SubscribeURL": subscribe_url(base_url, topic_arn, token),
        "Timestamp": timestamp(sent_at),
    }
    sign_message(document, version=signature_version, base_url=base_url)
    return render(document)


def http_headers(
    *, kind: str, message_id: str, topic_arn: str, subscription_arn: str, raw: bool, content_type: str
) -> dict[str, str]:
    headers = {
        "x-amz-sns-message-type": kind,
        "x-amz-sns-message-id": message_id,
        "x-amz-sns-topic-arn": topic_arn,
        "Content-Type": content_type,
        "User-Agent": USER_AGENT,
    }
    if kind != "SubscriptionConfirmation":
        headers["x-amz-sns-subscription-arn"] = subscription_arn
    if raw:
        headers["x-amz-sns-rawdelivery"] = "true"
    return headers


def message_for(protocol: str, message: str, structure: dict[str, Any] | None) -> str:
    """The text a protocol gets: with MessageStructure=json its own entry, else "default"."""
    if structure is None:
        return message
    value = structure.get(protocol, structure.get("default", ""))
    return value if isinstance(value, str) else json.dumps(value)


def sqs_attributes(attributes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Message attributes as raw delivery hands them to SQS (String.Array stays a String subtype)."""
    converted: dict[str, dict[str, Any]] = {}
    for name, value in attributes.items():
        if "BinaryValue" in value:
            converted[name] = {"DataType": value["DataType"], "BinaryValue": base64.b64decode(value["BinaryValue"])}
        else:
            converted[name] = {"DataType": value["DataType"], "StringValue": value.get("StringValue", "")}
    return converted
