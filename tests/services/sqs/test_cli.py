"""The seed's SQS commands, verbatim, through the real `aws` executable."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo

pytestmark = pytest.mark.live


def test_seed_commands(
    aws_cli: Callable[..., Any], sqs: Any, make_queue: Callable[..., str], sandbox: SandboxInfo
) -> None:
    url = make_queue("seed-queue")

    attributes = json.loads(
        aws_cli("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All").stdout
    )
    assert attributes["Attributes"]["QueueArn"].endswith(f":{sandbox.account_id}:seed-queue")
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"

    sent = json.loads(aws_cli("sqs", "send-message", "--queue-url", url, "--message-body", "INSERTMESSAGE").stdout)
    assert sent["MD5OfMessageBody"] == "8716b4da59ead45ba500f552d31c5c1c"

    received = json.loads(aws_cli("sqs", "receive-message", "--queue-url", url).stdout)
    [message] = received["Messages"]
    assert (message["MessageId"], message["Body"]) == (sent["MessageId"], "INSERTMESSAGE")

    deleted = aws_cli("sqs", "delete-message", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"])
    assert deleted.stdout.strip() == ""

    # A long poll finds the messages there (how fast a poll is answered is tested through boto3 in
    # test_live_longpoll.py; here the CLI's own request and answer are what is checked).
    for index in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"batch {index}")
    received = json.loads(
        aws_cli(
            "sqs", "receive-message", "--wait-time-seconds", "10", "--max-number-of-messages", "10", "--queue-url", url
        ).stdout
    )
    assert sorted(m["Body"] for m in received["Messages"]) == ["batch 0", "batch 1", "batch 2"]

    # An empty queue: the CLI's long poll is answered once a message arrives mid-wait.
    sender = threading.Timer(1.0, lambda: sqs.send_message(QueueUrl=url, MessageBody="during the wait"))
    sender.start()
    received = json.loads(
        aws_cli(
            "sqs", "--region", "us-east-1", "receive-message", "--wait-time-seconds", "10",
            "--max-number-of-messages", "10", "--queue-url", url,
        ).stdout
    )  # fmt: skip
    sender.join()
    assert [m["Body"] for m in received["Messages"]] == ["during the wait"]

    attributes = json.loads(
        aws_cli("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All").stdout
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "4"


def test_cli_reports_a_missing_queue(aws_cli: Callable[..., Any], sandbox: SandboxInfo) -> None:
    result = aws_cli(
        "sqs", "receive-message", "--queue-url", f"http://localhost:8000/{sandbox.account_id}/absent", check=False
    )
    assert result.returncode != 0
    assert "NonExistentQueue" in result.stderr or "QueueDoesNotExist" in result.stderr
