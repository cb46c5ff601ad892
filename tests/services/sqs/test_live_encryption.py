"""Encryption at rest: a queue with KmsMasterKeyId stores bodies sealed under a KMS data key, reuses
that key for KmsDataKeyReusePeriodSeconds, and fails sends and receives with SQS's KMS errors once
it has to ask KMS again and the key is unusable. Checked through boto3 against the live server and
by reading the database rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo

Advance = Callable[[float], None]


@pytest.fixture
def kms(aws: Callable[..., Any]) -> Any:
    return aws("kms")


def _rows(queue_url: str) -> list[Any]:
    from services.sqs.models import Message

    name = queue_url.rsplit("/", 1)[-1]
    account = queue_url.rsplit("/", 2)[-2]
    return list(Message.objects.filter(queue__name=name, queue__sandbox__account_id=account))


def _code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


def test_bodies_are_stored_sealed_and_received_in_plaintext(
    sqs: Any, kms: Any, make_queue: Callable[..., str], db_access: None
) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    url = make_queue(KmsMasterKeyId=key_id)
    secret = "card number 4111 1111 1111 1111"
    sent = sqs.send_message(QueueUrl=url, MessageBody=secret, MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "payment"}})  # fmt: skip

    [row] = _rows(url)
    stored = b"".join(
        bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        for value in (row.body, row.sealed_body, row.data_key, row.attributes)
    )
    assert secret.encode() not in stored
    assert row.body == ""
    assert row.sealed_body
    assert row.data_key
    assert row.attributes["kind"]["StringValue"] == "payment"  # metadata is not encrypted, as on AWS

    [message] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert message["Body"] == secret
    assert message["MessageId"] == sent["MessageId"]
    assert message["MessageAttributes"]["kind"]["StringValue"] == "payment"


def test_one_data_key_serves_the_reuse_period_then_a_new_one_is_fetched(
    sqs: Any, kms: Any, make_queue: Callable[..., str], advance: Advance, paused: None, db_access: None
) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    url = make_queue(KmsMasterKeyId=key_id, KmsDataKeyReusePeriodSeconds="60")
    for body in ("one", "two"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    advance(61)
    sqs.send_message(QueueUrl=url, MessageBody="three")
    keys = [bytes(row.data_key) for row in sorted(_rows(url), key=lambda row: row.sent_at)]
    assert keys[0] == keys[1] != keys[2]
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(message["Body"] for message in received) == ["one", "three", "two"]


def test_a_disabled_key_fails_sends_and_receives_once_the_held_data_key_expires(
    sqs: Any, kms: Any, make_queue: Callable[..., str], advance: Advance, paused: None, db_access: None
) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    url = make_queue(KmsMasterKeyId=key_id, KmsDataKeyReusePeriodSeconds="60")
    sqs.send_message(QueueUrl=url, MessageBody="before")
    kms.disable_key(KeyId=key_id)
    # Within the reuse period SQS does not call KMS: the data key it holds still works.
    sqs.send_message(QueueUrl=url, MessageBody="within the reuse period")
    advance(61)
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="after")
    assert _code(caught) == "KMS.DisabledException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert key_id in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        sqs.receive_message(QueueUrl=url)
    assert _code(caught) == "KMS.DisabledException"
    # Nothing changed: both messages wait, unreceived, for the key to come back.
    assert [row.receive_count for row in _rows(url)] == [0, 0]
    kms.enable_key(KeyId=key_id)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(message["Body"] for message in received) == ["before", "within the reuse period"]


def test_a_key_pending_deletion_and_a_missing_key_fail_the_send(
    sqs: Any, kms: Any, make_queue: Callable[..., str]
) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=make_queue(KmsMasterKeyId=key_id), MessageBody="x")
    assert _code(caught) == "KMS.InvalidStateException"
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=make_queue(KmsMasterKeyId="alias/no-such-key"), MessageBody="x")
    assert _code(caught) == "KMS.NotFoundException"


def test_the_aws_managed_key_is_made_on_first_use(
    sqs: Any, kms: Any, make_queue: Callable[..., str], sandbox: SandboxInfo
) -> None:
    url = make_queue(KmsMasterKeyId="alias/aws/sqs")
    sqs.send_message(QueueUrl=url, MessageBody="managed")
    aliases = {alias["AliasName"]: alias for alias in kms.list_aliases()["Aliases"]}
    key = kms.describe_key(KeyId=aliases["alias/aws/sqs"]["TargetKeyId"])["KeyMetadata"]
    assert key["KeyManager"] == "AWS"
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "managed"


def test_a_sealed_message_moved_to_a_dead_letter_queue_still_opens(
    sqs: Any, kms: Any, make_queue: Callable[..., str], advance: Advance, paused: None
) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    dlq = make_queue()
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    source = make_queue(
        KmsMasterKeyId=key_id,
        VisibilityTimeout="5",
        RedrivePolicy=f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":1}}',
    )
    sqs.send_message(QueueUrl=source, MessageBody="dead letter, sealed")
    assert sqs.receive_message(QueueUrl=source)["Messages"]
    advance(6)
    assert not sqs.receive_message(QueueUrl=source).get("Messages")
    [moved] = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert moved["Body"] == "dead letter, sealed"


def test_changing_the_key_seals_new_messages_under_the_new_key(
    sqs: Any, kms: Any, make_queue: Callable[..., str], db_access: None
) -> None:
    first = kms.create_key()["KeyMetadata"]["KeyId"]
    second = kms.create_key()["KeyMetadata"]["KeyId"]
    url = make_queue(KmsMasterKeyId=first)
    sqs.send_message(QueueUrl=url, MessageBody="under the first key")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": second})
    sqs.send_message(QueueUrl=url, MessageBody="under the second key")
    kms.disable_key(KeyId=first)
    with pytest.raises(ClientError) as caught:  # the first message's data key needs the first key
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert _code(caught) == "KMS.DisabledException"
    kms.enable_key(KeyId=first)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(message["Body"] for message in received) == ["under the first key", "under the second key"]
