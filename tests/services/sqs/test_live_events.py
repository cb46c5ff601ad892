"""The live events SQS publishes to the sandbox's WebSocket: queue created / changed / deleted, and
message flows (sent, received, deleted, visible-again, dead-lettered, expired, moved, purged).
The tick publishes the time-based ones when they happen on the sandbox clock."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.conftest import TICK_SECONDS, SandboxInfo, Server
from tests.live.test_websocket import login, open_socket, receive_until

pytestmark = pytest.mark.live


@pytest.fixture
def owned(make_sandbox: Callable[..., SandboxInfo], request: pytest.FixtureRequest) -> SandboxInfo:
    return make_sandbox(username=f"sqs-{request.node.name[:100]}")


@pytest.fixture
def client(aws: Callable[..., Any], owned: SandboxInfo) -> Any:
    return aws("sqs", info=owned)


@contextmanager
def socket_for(daphne: Server, info: SandboxInfo, username: str) -> Iterator[Any]:
    with open_socket(daphne, info.id, login(daphne, username, f"pw-{username}")) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "hello"
        yield socket


def flow(socket: Any, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    return receive_until(socket, lambda e: e["type"] == "flow" and e["kind"] == kind, timeout=timeout)


def advance_clock(info: SandboxInfo, seconds: float) -> None:
    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import clock_advance

    clock_advance(sandbox=Sandbox.objects.get(pk=info.id), seconds=seconds)


def pause_clock(info: SandboxInfo) -> None:
    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import clock_pause

    clock_pause(sandbox=Sandbox.objects.get(pk=info.id))


def test_queue_and_message_events(
    daphne: Server, owned: SandboxInfo, client: Any, request: pytest.FixtureRequest, db_access: None
) -> None:
    username = f"sqs-{request.node.name[:100]}"
    with socket_for(daphne, owned, username) as socket:
        url = client.create_queue(QueueName="watched", Attributes={"VisibilityTimeout": "40"})["QueueUrl"]
        created = receive_until(socket, lambda e: e["type"] == "resource.created", timeout=5)
        arn = f"arn:aws:sqs:{owned.region}:{owned.account_id}:watched"
        assert (created["service"], created["resource_type"], created["arn"], created["name"]) == (
            "sqs", "queue", arn, "watched",
        )  # fmt: skip
        assert created["attributes"]["VisibilityTimeout"] == "40"

        client.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "0", "VisibilityTimeout": "5"})
        changed = receive_until(socket, lambda e: e["type"] == "resource.changed", timeout=5)
        assert changed["attributes"]["VisibilityTimeout"] == "5"

        sent = client.send_message(QueueUrl=url, MessageBody="watch me")
        event = flow(socket, "sent")
        assert (event["source"], event["target"], event["item_id"]) == ("client", arn, sent["MessageId"])
        assert event["detail"]["size"] == len("watch me")

        handle = client.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
        event = flow(socket, "received")
        assert (event["source"], event["target"], event["item_id"]) == (arn, "client", sent["MessageId"])
        assert event["detail"] == {"receive_count": 1}

        client.delete_message(QueueUrl=url, ReceiptHandle=handle)
        event = flow(socket, "deleted")
        assert (event["source"], event["item_id"]) == (arn, sent["MessageId"])

        client.send_message(QueueUrl=url, MessageBody="purge me")
        client.purge_queue(QueueUrl=url)
        assert flow(socket, "purged")["detail"] == {"count": 1}

        client.delete_queue(QueueUrl=url)
        deleted = receive_until(socket, lambda e: e["type"] == "resource.deleted", timeout=5)
        assert deleted["arn"] == arn


def test_clock_events_visible_again_dead_lettered_expired_moved(
    daphne: Server, owned: SandboxInfo, client: Any, request: pytest.FixtureRequest, db_access: None
) -> None:
    pause_clock(owned)
    dlq = client.create_queue(QueueName="events-dlq", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    dlq_arn = f"arn:aws:sqs:{owned.region}:{owned.account_id}:events-dlq"
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    source = client.create_queue(
        QueueName="events-src", Attributes={"VisibilityTimeout": "10", "RedrivePolicy": policy}
    )["QueueUrl"]
    source_arn = dlq_arn.replace("events-dlq", "events-src")
    with socket_for(daphne, owned, f"sqs-{request.node.name[:100]}") as socket:
        sent = client.send_message(QueueUrl=source, MessageBody="flaky")
        client.receive_message(QueueUrl=source)
        advance_clock(owned, 10)
        event = flow(socket, "visible-again")
        assert (event["source"], event["target"], event["item_id"]) == (source_arn, source_arn, sent["MessageId"])
        client.receive_message(QueueUrl=source)
        advance_clock(owned, 10)
        event = flow(socket, "dead-lettered")
        assert (event["source"], event["target"], event["item_id"]) == (source_arn, dlq_arn, sent["MessageId"])

        client.start_message_move_task(SourceArn=dlq_arn)
        advance_clock(owned, 1)
        event = flow(socket, "moved")
        assert (event["source"], event["target"], event["item_id"]) == (dlq_arn, source_arn, sent["MessageId"])

        client.send_message(QueueUrl=dlq, MessageBody="short-lived")
        advance_clock(owned, 60)
        event = flow(socket, "expired")
        assert (event["source"], event["target"]) == (dlq_arn, dlq_arn)


def test_the_tick_publishes_visible_again_on_the_sandbox_clock(
    daphne: Server, celery_worker: Any, owned: SandboxInfo, client: Any, request: pytest.FixtureRequest, db_access: None
) -> None:
    """No request and no clock_advance runs the due work here: only the Celery beat tick can."""
    from playground.sandboxes.models import Clock

    pause_clock(owned)
    url = client.create_queue(QueueName="ticking", Attributes={"VisibilityTimeout": "600"})["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody="waits for the tick")
    client.receive_message(QueueUrl=url)
    with socket_for(daphne, owned, f"sqs-{request.node.name[:100]}") as socket:
        with pytest.raises(TimeoutError):  # two ticks, and not yet
            flow(socket, "visible-again", timeout=2 * TICK_SECONDS)
        Clock.objects.get(sandbox_id=owned.id).advance(600)
        event = flow(socket, "visible-again", timeout=10)
    assert event["item_id"]
