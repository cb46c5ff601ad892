"""Several consumer processes receive from one queue while a producer sends: every message is
received and deleted exactly once, none is lost (on SQLite and on PostgreSQL alike)."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import SandboxInfo, Server
from tests.services.sqs.test_live_messages import counts

pytestmark = pytest.mark.live

CONSUMERS = 4
MESSAGES = 300


def consume(endpoint: str, keys: tuple[str, str, str], url: str, done: Any, results: Any) -> None:
    """One consumer process: receive up to 10, delete them, until every message has been taken."""
    client = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=keys[2],
        aws_access_key_id=keys[0],
        aws_secret_access_key=keys[1],
        config=Config(retries={"total_max_attempts": 1}, read_timeout=30),
    )
    received: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with done.get_lock():
            if done.value >= MESSAGES:
                break
        messages = client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=300
        ).get("Messages", [])
        if not messages:
            continue
        received.extend(message["Body"] for message in messages)
        outcome = client.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(messages)],
        )
        assert not outcome.get("Failed"), outcome
        with done.get_lock():
            done.value += len(messages)
    results.put(received)


def test_concurrent_consumers_get_each_message_exactly_once(
    daphne: Server, sandbox: SandboxInfo, sqs: Any, make_queue: Callable[..., str]
) -> None:
    url = make_queue("work")
    context = multiprocessing.get_context("spawn")
    done = context.Value("i", 0)
    results = context.Queue()
    keys = (sandbox.access_key_id, sandbox.secret_access_key, sandbox.region)
    consumers = [context.Process(target=consume, args=(daphne.url, keys, url, done, results)) for _ in range(CONSUMERS)]
    for process in consumers:
        process.start()
    sent: list[str] = []
    for start in range(0, MESSAGES, 10):
        if start % 50 == 0:
            for index in range(start, start + 10):
                sqs.send_message(QueueUrl=url, MessageBody=f"job-{index}")
        else:
            sqs.send_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"job-{i}"} for i in range(start, start + 10)]
            )
        sent.extend(f"job-{index}" for index in range(start, start + 10))
    received: list[str] = []
    for _ in consumers:
        received.extend(results.get(timeout=90))
    for process in consumers:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert len(received) == len(set(received)), "a message was handed to two consumers"
    assert sorted(received) == sorted(sent)
    assert counts(sqs, url) == (0, 0, 0)
