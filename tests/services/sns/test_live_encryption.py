"""Encryption at rest for topics with KmsMasterKeyId: what SNS keeps of a message (a queued HTTP/S
delivery waiting for its retry) is stored sealed with the topic's KMS data key, and opened again for
each attempt; once the data key is no longer held, a disabled key fails the attempt."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from tests.services.sns.conftest import Endpoint
from tests.services.sns.test_live_http import confirm_through_url

pytestmark = pytest.mark.live

SECRET = "the vault code is 0451"


@pytest.fixture
def kms(aws: Callable[..., Any]) -> Any:
    return aws("kms")


def _encrypted_http_topic(
    sns: Any, kms: Any, make_topic: Callable[..., str], endpoint: Endpoint, *, delay: int
) -> tuple[str, str]:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    topic = make_topic(KmsMasterKeyId=key_id)
    policy = {"healthyRetryPolicy": {"numRetries": 1, "minDelayTarget": delay, "maxDelayTarget": delay}}
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url,
                  Attributes={"DeliveryPolicy": json.dumps(policy)})  # fmt: skip
    confirm_through_url(endpoint.wait_for("SubscriptionConfirmation")[0])
    return topic, key_id


def _pending_row(message_id: str) -> Any:
    from services.sns.models import Delivery

    return Delivery.objects.get(message_id=message_id)


def test_a_delivery_waiting_for_its_retry_is_stored_sealed(
    sns: Any,
    kms: Any,
    make_topic: Callable[..., str],
    endpoint: Endpoint,
    celery_worker: subprocess.Popen[bytes],
    paused: None,
    advance: Callable[[float], None],
    flows: Callable[..., list[dict[str, Any]]],
    db_access: None,
) -> None:
    topic, _ = _encrypted_http_topic(sns, kms, make_topic, endpoint, delay=20)
    endpoint.statuses = [500]
    message_id = sns.publish(TopicArn=topic, Message=SECRET)["MessageId"]
    flows("retried", item_id=message_id)

    row = _pending_row(message_id)
    stored = json.dumps({"body": row.body, "context": row.context, "headers": row.headers}).encode()
    assert SECRET.encode() not in stored + bytes(row.sealed_body) + bytes(row.data_key)
    assert row.body == ""
    assert row.sealed_body
    assert row.data_key

    advance(20)
    [first, second] = endpoint.wait_for("Notification", count=2)
    assert json.loads(first.body)["Message"] == json.loads(second.body)["Message"] == SECRET
    flows("delivered", item_id=message_id)


def test_a_disabled_key_fails_the_retry_once_the_data_key_is_no_longer_held(
    sns: Any,
    kms: Any,
    make_topic: Callable[..., str],
    endpoint: Endpoint,
    celery_worker: subprocess.Popen[bytes],
    paused: None,
    advance: Callable[[float], None],
    flows: Callable[..., list[dict[str, Any]]],
) -> None:
    topic, key_id = _encrypted_http_topic(sns, kms, make_topic, endpoint, delay=600)
    endpoint.statuses = [500]
    message_id = sns.publish(TopicArn=topic, Message=SECRET)["MessageId"]
    flows("retried", item_id=message_id)
    kms.disable_key(KeyId=key_id)
    advance(600)  # past the five minutes SNS holds a data key: the retry must ask KMS
    [failed] = flows("failed", item_id=message_id)
    assert failed["detail"]["error_code"] == "KMS.DisabledException"
    assert len(endpoint.of_type("Notification")) == 1
