"""HTTP endpoints: an endpoint the test runs receives the SubscriptionConfirmation, confirms through
the SubscribeURL or ConfirmSubscription, then gets signed notifications that the standard
verification algorithm accepts with the certificate served at SigningCertURL (SignatureVersion 1
and 2); failed deliveries are retried on the sandbox clock as the delivery policy says, then go to
the subscription's dead-letter queue."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.services.sns.conftest import Endpoint, Received, allow_topic

pytestmark = pytest.mark.live

NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


def verify(message: dict[str, Any]) -> None:
    """The verification AWS documents: rebuild the string to sign, check the RSA signature with the
    certificate downloaded from SigningCertURL. Raises when it does not verify."""
    fields = NOTIFICATION_FIELDS if message["Type"] == "Notification" else CONFIRMATION_FIELDS
    text = "".join(f"{name}\n{message[name]}\n" for name in fields if name in message)
    pem = requests.get(message["SigningCertURL"], timeout=5)
    assert pem.status_code == 200
    certificate = x509.load_pem_x509_certificate(pem.content)
    algorithm = hashes.SHA256() if message["SignatureVersion"] == "2" else hashes.SHA1()  # noqa: S303
    public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(base64.b64decode(message["Signature"]), text.encode("utf-8"), padding.PKCS1v15(), algorithm)


def confirm_through_url(confirmation: Received) -> str:
    answer = requests.get(confirmation.json["SubscribeURL"], timeout=5)
    assert answer.status_code == 200, answer.text
    found = re.search(r"<SubscriptionArn>(.*)</SubscriptionArn>", answer.text)
    assert found is not None
    return found.group(1)


def _unsubscribe_url(confirmation: Received, subscription_arn: str) -> str:
    """The UnsubscribeURL SNS puts in envelopes (a raw delivery carries none)."""
    base = confirmation.json["SubscribeURL"].split("/sns/")[0]
    return f"{base}/sns/?" + urlencode({"Action": "Unsubscribe", "SubscriptionArn": subscription_arn})


def test_http_endpoint_confirms_and_verifies_signed_notifications(
    sns: Any, make_topic: Callable[..., str], endpoint: Endpoint, celery_worker: subprocess.Popen[bytes]
) -> None:
    topic = make_topic()
    assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)["SubscriptionArn"] == (
        "pending confirmation"
    )
    [confirmation] = endpoint.wait_for("SubscriptionConfirmation")
    assert confirmation.headers["x-amz-sns-topic-arn"] == topic
    assert confirmation.headers["content-type"] == "text/plain; charset=UTF-8"
    assert confirmation.headers["user-agent"] == "Amazon Simple Notification Service Agent"
    body = confirmation.json
    assert (body["Type"], body["TopicArn"], body["SignatureVersion"]) == ("SubscriptionConfirmation", topic, "1")
    assert body["Token"]
    assert body["Message"].startswith(f"You have chosen to subscribe to the topic {topic}.")
    assert confirmation.headers["x-amz-sns-message-id"] == body["MessageId"]
    verify(body)
    [pending] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert pending["SubscriptionArn"] == "PendingConfirmation"

    subscription_arn = confirm_through_url(confirmation)
    attributes = sns.get_subscription_attributes(SubscriptionArn=subscription_arn)["Attributes"]
    assert (attributes["PendingConfirmation"], attributes["ConfirmationWasAuthenticated"]) == ("false", "false")
    assert json.loads(attributes["EffectiveDeliveryPolicy"])["healthyRetryPolicy"]["numRetries"] == 3

    message_id = sns.publish(TopicArn=topic, Message="hello http", Subject="Hi")["MessageId"]
    [notification] = endpoint.wait_for("Notification")
    assert notification.headers["x-amz-sns-message-id"] == message_id
    assert notification.headers["x-amz-sns-subscription-arn"] == subscription_arn
    assert notification.headers["x-amz-sns-topic-arn"] == topic
    message = notification.json
    assert (message["Message"], message["Subject"], message["SignatureVersion"]) == ("hello http", "Hi", "1")
    verify(message)
    tampered = {**message, "Message": "hello https"}
    with pytest.raises(InvalidSignature):
        verify(tampered)

    sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
    sns.publish(TopicArn=topic, Message="signed with sha256")
    second = endpoint.wait_for("Notification", count=2)[1].json
    assert second["SignatureVersion"] == "2"
    verify(second)

    answer = requests.get(second["UnsubscribeURL"], timeout=5)
    assert answer.status_code == 200
    assert "<UnsubscribeResponse" in answer.text
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    [goodbye] = endpoint.wait_for("UnsubscribeConfirmation")
    verify(goodbye.json)


def test_confirm_subscription_api_and_raw_delivery(
    sns: Any, make_topic: Callable[..., str], endpoint: Endpoint, celery_worker: subprocess.Popen[bytes]
) -> None:
    topic = make_topic()
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url, Attributes={"RawMessageDelivery": "true"})
    [confirmation] = endpoint.wait_for("SubscriptionConfirmation")
    with pytest.raises(sns.exceptions.InvalidParameterException) as wrong:
        sns.confirm_subscription(TopicArn=topic, Token="0" * 40)
    assert wrong.value.response["Error"]["Message"] == "Invalid parameter: Token"
    arn = sns.confirm_subscription(TopicArn=topic, Token=confirmation.json["Token"], AuthenticateOnUnsubscribe="true")[
        "SubscriptionArn"
    ]
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["ConfirmationWasAuthenticated"] == "true"
    sns.publish(TopicArn=topic, Message="just the body")
    [notification] = endpoint.wait_for("Notification")
    assert notification.body == "just the body"
    assert notification.headers["x-amz-sns-rawdelivery"] == "true"
    # An authenticated confirmation may demand an authenticated unsubscribe.
    refused = requests.get(_unsubscribe_url(confirmation, arn), timeout=5)
    assert refused.status_code == 403
    assert "<Code>AuthorizationError</Code>" in refused.text
    sns.unsubscribe(SubscriptionArn=arn)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_failed_deliveries_are_retried_on_the_sandbox_clock_then_dead_lettered(
    sns: Any,
    sqs: Any,
    make_topic: Callable[..., str],
    endpoint: Endpoint,
    celery_worker: subprocess.Popen[bytes],
    paused: None,
    advance: Callable[[float], None],
    flows: Callable[..., list[dict[str, Any]]],
) -> None:
    topic = make_topic()
    dlq_url = sqs.create_queue(QueueName="http-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=dlq_url, Attributes={"Policy": allow_topic(dlq_arn, topic)})
    policy = {"healthyRetryPolicy": {"numRetries": 2, "minDelayTarget": 5, "maxDelayTarget": 5}}
    sns.subscribe(
        TopicArn=topic,
        Protocol="http",
        Endpoint=endpoint.url,
        Attributes={
            "DeliveryPolicy": json.dumps(policy),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn}),
        },
    )
    [confirmation] = endpoint.wait_for("SubscriptionConfirmation")
    subscription_arn = confirm_through_url(confirmation)

    endpoint.statuses = [500, 502, 503]
    message_id = sns.publish(TopicArn=topic, Message="try hard")["MessageId"]
    endpoint.wait_for("Notification", count=1)
    [first] = flows("retried", item_id=message_id)
    assert (first["source"], first["target"], first["detail"]["attempt"]) == (topic, subscription_arn, 1)
    assert first["detail"]["reason"] == "the endpoint answered HTTP 500"
    advance(4)
    assert len(endpoint.of_type("Notification")) == 1  # not due yet
    advance(1)
    endpoint.wait_for("Notification", count=2)
    flows("retried", item_id=message_id, count=2)
    advance(5)
    attempts = endpoint.wait_for("Notification", count=3)
    assert {item.headers["x-amz-sns-message-id"] for item in attempts} == {message_id}
    [dead] = flows("dead-lettered", item_id=message_id)
    assert (dead["source"], dead["target"], dead["detail"]["subscriber"]) == (topic, dlq_arn, subscription_arn)
    [parked] = sqs.receive_message(QueueUrl=dlq_url, MessageAttributeNames=["All"])["Messages"]
    assert json.loads(parked["Body"])["MessageId"] == message_id
    assert parked["MessageAttributes"]["ErrorCode"]["StringValue"] == "503"
    advance(60)
    assert len(endpoint.of_type("Notification")) == 3  # no fourth attempt


def test_a_retry_that_succeeds_is_delivered(
    sns: Any,
    make_topic: Callable[..., str],
    endpoint: Endpoint,
    celery_worker: subprocess.Popen[bytes],
    paused: None,
    advance: Callable[[float], None],
    flows: Callable[..., list[dict[str, Any]]],
) -> None:
    topic = make_topic()
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)
    confirm_through_url(endpoint.wait_for("SubscriptionConfirmation")[0])
    endpoint.statuses = [503]
    message_id = sns.publish(TopicArn=topic, Message="eventually")["MessageId"]
    flows("retried", item_id=message_id)
    advance(20)  # the default policy: 3 retries, 20 seconds apart
    endpoint.wait_for("Notification", count=2)
    [delivered] = flows("delivered", item_id=message_id)
    assert (delivered["detail"]["attempt"], delivered["detail"]["status"]) == (2, 200)


def test_a_client_error_is_not_retried(
    sns: Any,
    make_topic: Callable[..., str],
    endpoint: Endpoint,
    celery_worker: subprocess.Popen[bytes],
    flows: Callable[..., list[dict[str, Any]]],
) -> None:
    topic = make_topic()
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)
    confirm_through_url(endpoint.wait_for("SubscriptionConfirmation")[0])
    endpoint.statuses = [404]
    message_id = sns.publish(TopicArn=topic, Message="nobody home")["MessageId"]
    [failed] = flows("failed", item_id=message_id)
    assert (failed["detail"]["error_code"], failed["detail"]["attempt"]) == ("404", 1)


def test_delivery_policies_are_checked(sns: Any, make_topic: Callable[..., str], endpoint: Endpoint) -> None:
    topic = make_topic()
    with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
        sns.set_topic_attributes(
            TopicArn=topic,
            AttributeName="DeliveryPolicy",
            AttributeValue=json.dumps({"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 30,
                                                                              "maxDelayTarget": 10}}}),
        )  # fmt: skip
    assert refused.value.response["Error"]["Message"].startswith("Invalid parameter: DeliveryPolicy Reason: ")
    sns.set_topic_attributes(
        TopicArn=topic,
        AttributeName="DeliveryPolicy",
        AttributeValue=json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 5}}}),
    )
    effective = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 5
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint="https://example.com/")
