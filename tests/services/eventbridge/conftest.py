"""Fixtures for the EventBridge tests: boto3 clients for the test's sandbox, a queue whose policy
lets events.amazonaws.com send (as AWS requires of an SQS target), the sandbox clock, and the
sandbox's stored flow events."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import SandboxInfo

# The browser tests' fixtures (tests/e2e/conftest.py), imported in a conftest as the S3 tests do
# (a package-scoped fixture imported into a test module would live for the whole session).
from tests.e2e.conftest import browser, gui, signed_in, student  # noqa: F401
from tests.waiting import wait_until


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def events(aws: Callable[..., Any]) -> Any:
    return aws("events")


@pytest.fixture
def sqs(aws: Callable[..., Any]) -> Any:
    return aws("sqs")


def allow_events(queue_arn: str, *, source_arn: str | None = None) -> str:
    """The queue policy AWS documents for an EventBridge rule's SQS target."""
    statement: dict[str, Any] = {
        "Sid": "events-to-queue",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
    }
    if source_arn:
        statement["Condition"] = {"ArnEquals": {"aws:SourceArn": source_arn}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@dataclass
class Queue:
    url: str
    arn: str


@pytest.fixture
def make_queue(sqs: Any) -> Callable[..., Queue]:
    """make_queue(fifo=False, allow=True): a new queue, its policy letting EventBridge send."""

    def make(*, fifo: bool = False, allow: bool = True) -> Queue:
        name = unique("q") + (".fifo" if fifo else "")
        url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"} if fifo else {})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        if allow:
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": allow_events(arn)})
        return Queue(url, arn)

    return make


@pytest.fixture
def drain(sqs: Any) -> Callable[..., list[dict[str, Any]]]:
    """drain(queue_url) -> every message now in the queue (received and deleted), oldest first."""

    def receive(queue_url: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
            ).get("Messages", [])
            if not batch:
                return found
            found.extend(batch)
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )

    return receive


@pytest.fixture
def clock_set(sandbox: SandboxInfo, db_access: None) -> Callable[[str], None]:
    """clock_set("2027-03-31T17:59:00+00:00"): pause the sandbox clock and move it forward to that
    moment (which must lie ahead of it), running what became due on the way."""
    import datetime as dt

    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import clock_advance, clock_pause

    def put(moment: str) -> None:
        box = Sandbox.objects.get(pk=sandbox.id)
        clock = clock_pause(sandbox=box)
        seconds = (dt.datetime.fromisoformat(moment) - clock.now()).total_seconds()
        assert seconds > 0, f"{moment} is not ahead of the sandbox clock"
        clock_advance(sandbox=box, seconds=seconds)

    return put


@pytest.fixture
def flows(sandbox: SandboxInfo, db_access: None) -> Callable[..., list[dict[str, Any]]]:
    """flows(kind, count=1): the sandbox's stored EventBridge flow events, waiting for `count`."""
    from playground.live.models import LiveEvent

    def read(kind: str | None = None, *, count: int = 1) -> list[dict[str, Any]]:
        def found() -> list[dict[str, Any]]:
            rows = LiveEvent.objects.filter(sandbox_id=sandbox.id, type="flow").order_by("seq")
            return [
                row.payload
                for row in rows
                if row.payload.get("service") == "eventbridge" and (kind is None or row.payload["kind"] == kind)
            ]

        wait_until(lambda: len(found()) >= count, timeout=5)
        return found()

    return read
