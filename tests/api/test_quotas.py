"""Quotas per sandbox against a strict server with tiny ones (tests/api/conftest.py QUOTAS): the
request rate (throttling errors as each protocol names them), resources per service, and stored
message bytes. One sandbox over its quota leaves the others alone."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, Server
from tests.waiting import wait_until

pytestmark = pytest.mark.live

BURST = 12


def _code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    return str(refused.value.response["Error"]["Code"])


def _passes(call: Callable[[], Any]) -> bool:
    try:
        call()
    except ClientError:
        return False
    return True


def _drain(call: Callable[[], Any]) -> tuple[int, ClientError]:
    """Call until throttled; (calls that passed, the error)."""
    for passed in range(BURST + 5):
        try:
            call()
        except ClientError as refused:
            return passed, refused
    raise AssertionError("never throttled")


def test_request_rate_is_throttled_with_each_protocols_error(
    quota_server: Server, make_sandbox: Callable[..., SandboxInfo], aws: Callable[..., Any]
) -> None:
    noisy, quiet = make_sandbox("noisy"), make_sandbox("quiet")
    sqs, sts, kms = (aws(service, info=noisy, server=quota_server) for service in ("sqs", "sts", "kms"))
    started = time.monotonic()
    passed, refused = _drain(sqs.list_queues)
    error = refused.response["Error"]
    assert (error["Code"], refused.response["ResponseMetadata"]["HTTPStatusCode"]) == ("RequestThrottled", 403)
    assert "1 calls a second" in error["Message"]
    # The same bucket for every service of the sandbox, each naming the refusal its own way.
    sts_passed, sts_refused = _drain(sts.get_caller_identity)
    kms_passed, kms_refused = _drain(kms.list_keys)
    assert sts_refused.response["Error"]["Code"] == "Throttling"
    assert kms_refused.response["Error"]["Code"] == "ThrottlingException"
    # The bucket refills at 1 call a second of real time while the calls go: a slow machine gets
    # that many more calls, never fewer (the bound follows the quota's rule, not the machine's speed).
    refilled = int(time.monotonic() - started)
    assert passed >= BURST - 2
    assert passed + sts_passed + kms_passed <= BURST + refilled
    # The class is not hurt: another sandbox still has its whole burst.
    assert aws("sqs", info=quiet, server=quota_server).list_queues() is not None
    # The bucket refills at 1 call a second of real time (the server's load, not AWS time).
    wait_until(lambda: _passes(sqs.list_queues), timeout=10, interval=0.2)


def test_resources_per_service(
    quota_server: Server, make_sandbox: Callable[..., SandboxInfo], aws: Callable[..., Any]
) -> None:
    sqs = aws("sqs", info=make_sandbox("queues"), server=quota_server)
    sqs.create_queue(QueueName="one")
    sqs.create_queue(QueueName="two")
    refused = _code(lambda: sqs.create_queue(QueueName="three"))
    assert refused == "OverLimit"
    assert sqs.create_queue(QueueName="two")["QueueUrl"].endswith("/two")  # an existing one is not a new one
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="one")["QueueUrl"])
    sqs.create_queue(QueueName="three")
    kms = aws("kms", info=make_sandbox("keys"), server=quota_server)
    kms.create_key()
    with pytest.raises(ClientError) as caught:
        kms.create_key()
    assert caught.value.response["Error"]["Code"] == "LimitExceededException"
    assert "at most 1" in caught.value.response["Error"]["Message"]
    assert len(kms.list_keys()["Keys"]) == 1


def test_stored_message_bytes(
    quota_server: Server, make_sandbox: Callable[..., SandboxInfo], aws: Callable[..., Any]
) -> None:
    sqs = aws("sqs", info=make_sandbox("bytes"), server=quota_server)
    url = sqs.create_queue(QueueName="big")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1000)
    sqs.send_message(QueueUrl=url, MessageBody="y" * 1000)
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="z" * 1000)
    assert caught.value.response["Error"]["Code"] == "OverLimit"
    assert "quota is 2500 bytes" in caught.value.response["Error"]["Message"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"] == {
        "ApproximateNumberOfMessages": "2"
    }
    sqs.send_message(QueueUrl=url, MessageBody="small")  # what fits still goes in
    for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    # The server sums stored bytes again at most once a second of real time.
    def send() -> bool:
        return _passes(lambda: sqs.send_message(QueueUrl=url, MessageBody="z" * 1000))

    wait_until(send, timeout=10, interval=0.2)


def test_stored_object_bytes(
    quota_server: Server, make_sandbox: Callable[..., SandboxInfo], aws: Callable[..., Any]
) -> None:
    """S3 object bodies count too, a large one streamed from disk included."""
    s3 = aws("s3", info=make_sandbox("objects"), server=quota_server)
    s3.create_bucket(Bucket="quota-bucket")
    s3.put_object(Bucket="quota-bucket", Key="small", Body=b"x" * 1000)
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket="quota-bucket", Key="large", Body=b"y" * (2 * 1024 * 1024))
    assert "quota is 2500 bytes" in caught.value.response["Error"]["Message"]
    assert [item["Key"] for item in s3.list_objects_v2(Bucket="quota-bucket")["Contents"]] == ["small"]
