"""Fixtures for the SNS tests: boto3 SNS and SQS clients for the test's sandbox, topics, queues
subscribed the way AWS requires (a queue policy letting the topic send), an HTTP endpoint the test
runs on 127.0.0.1, the sandbox clock, and the sandbox's live events."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import SandboxInfo
from tests.waiting import wait_until


@pytest.fixture
def sns(aws: Callable[..., Any]) -> Any:
    return aws("sns")


@pytest.fixture
def sqs(aws: Callable[..., Any]) -> Any:
    return aws("sqs")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def make_topic(sns: Any) -> Callable[..., str]:
    """make_topic(name=None, fifo=False, **attributes) -> the ARN of a new topic."""

    def make(name: str | None = None, *, fifo: bool = False, **attributes: Any) -> str:
        base = name or unique("topic")
        if fifo:
            attributes["FifoTopic"] = "true"
            base = base if base.endswith(".fifo") else f"{base}.fifo"
        answer = sns.create_topic(Name=base, Attributes={key: str(value) for key, value in attributes.items()})
        return str(answer["TopicArn"])

    return make


def allow_topic(queue_arn: str, topic_arn: str) -> str:
    """The queue policy AWS documents for letting a topic send to a queue."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "topic-to-queue",
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                }
            ],
        }
    )


@dataclass
class Subscribed:
    queue_url: str
    queue_arn: str
    subscription_arn: str


@pytest.fixture
def subscribe_queue(sns: Any, sqs: Any) -> Callable[..., Subscribed]:
    """subscribe_queue(topic_arn, raw=False, fifo=False, allow=True, **attributes): a new queue whose
    policy lets the topic send (unless allow=False), subscribed to the topic."""

    def make(
        topic_arn: str, *, raw: bool = False, fifo: bool = False, allow: bool = True, name: str | None = None,
        **attributes: str,
    ) -> Subscribed:  # fmt: skip
        queue_name = name or unique("q")
        queue_attributes = {"FifoQueue": "true"} if fifo else {}
        if fifo and not queue_name.endswith(".fifo"):
            queue_name += ".fifo"
        url = sqs.create_queue(QueueName=queue_name, Attributes=queue_attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        if allow:
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": allow_topic(arn, topic_arn)})
        if raw:
            attributes["RawMessageDelivery"] = "true"
        answer = sns.subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes=attributes, ReturnSubscriptionArn=True
        )
        return Subscribed(url, arn, answer["SubscriptionArn"])

    return make


@pytest.fixture
def drain(sqs: Any) -> Callable[..., list[dict[str, Any]]]:
    """drain(queue_url) -> every message now in the queue (received and deleted), oldest first."""

    def receive(queue_url: str, *, expect: int | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
            ).get("Messages", [])
            if not batch:
                break
            found.extend(batch)
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )
        if expect is not None:
            assert len(found) == expect, [m["Body"] for m in found]
        return found

    return receive


@pytest.fixture
def flows(sandbox: SandboxInfo, db_access: None) -> Callable[..., list[dict[str, Any]]]:
    """flows(kind=None, item_id=None, count=1): the sandbox's stored SNS flow events (what
    GET /api/sandboxes/<id>/events/ serves), waiting up to 30 s for `count` of them (the Celery
    worker delivers them in real time; a loaded machine has taken more than 5)."""
    from playground.live.models import LiveEvent

    def read(kind: str | None = None, *, item_id: str | None = None, count: int = 1) -> list[dict[str, Any]]:
        def found() -> list[dict[str, Any]]:
            rows = LiveEvent.objects.filter(sandbox_id=sandbox.id, type="flow").order_by("seq")
            events = [row.payload for row in rows if row.payload.get("service") == "sns"]
            return [
                event
                for event in events
                if (kind is None or event["kind"] == kind) and (item_id is None or event["item_id"] == item_id)
            ]

        wait_until(lambda: len(found()) >= count, timeout=30)
        return found()

    return read


# --- an HTTP endpoint of the test's own ----------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Endpoint:
    url: str
    received: list[Received] = field(default_factory=list)
    # Status codes to answer with, in order; 200 once they run out.
    statuses: list[int] = field(default_factory=list)

    def of_type(self, kind: str) -> list[Received]:
        return [item for item in self.received if item.headers.get("x-amz-sns-message-type") == kind]

    def wait_for(self, kind: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        wait_until(lambda: len(self.of_type(kind)) >= count, timeout=timeout)
        return self.of_type(kind)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    """An HTTP server on 127.0.0.1 that records every POST and answers with `statuses` in turn."""
    state = Endpoint(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            with lock:
                status = state.statuses.pop(0) if state.statuses else 200
                state.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
