"""Live events are numbered once, in commit order: by the AWS call's own transaction (the
gateway's), or by the event store's writer for everything else (playground/live/store.py)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import requests

from tests.conftest import SandboxInfo, Server
from tests.live.test_websocket import login, open_socket, receive_until

pytestmark = pytest.mark.live


def test_a_calls_events_carry_the_numbers_the_polling_api_serves(daphne: Server, make_sandbox: Any, aws: Any) -> None:
    info: SandboxInfo = make_sandbox(username="numbering-owner")
    cookie = login(daphne, "numbering-owner", "pw-numbering-owner")
    sqs = aws("sqs", info=info)
    with open_socket(daphne, info.id, cookie) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "hello"
        for name in ("first", "second", "third"):
            sqs.create_queue(QueueName=name)
        sent = [receive_until(socket, lambda e: e["type"] == "resource.created", timeout=10) for _ in range(3)]
    polled = requests.get(
        f"{daphne.url}/api/sandboxes/{info.id}/events/",
        params={"type": "resource.created"},
        cookies={"sessionid": cookie},
        timeout=10,
    ).json()["results"]
    assert [event["name"] for event in polled] == ["first", "second", "third"]
    assert [(event["name"], event["seq"]) for event in sent] == [(event["name"], event["seq"]) for event in polled]
    assert polled[0]["seq"] < polled[1]["seq"] < polled[2]["seq"]


def test_an_event_of_a_rolled_back_savepoint_is_neither_kept_nor_sent(sandbox: SandboxInfo, db_access: None) -> None:
    from django.db import transaction

    from playground.live.bus import publish
    from playground.live.models import LiveEvent
    from playground.live.store import atomic_numbering_events
    from playground.sandboxes.models import Sandbox

    box = Sandbox.objects.get(pk=sandbox.id)
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).isoformat()
    with atomic_numbering_events():
        publish(box, "sandbox.reset", at=at)
        try:
            with transaction.atomic():  # a step that fails after publishing, its failure caught
                publish(box, "clock.changed", at=at, now=at, speed=1.0, paused=False, changed="advanced")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        publish(box, "sandbox.reset", at=at)
    rows = list(LiveEvent.objects.filter(sandbox=box).order_by("seq").values_list("type", "seq"))
    assert [kind for kind, _ in rows] == ["sandbox.reset", "sandbox.reset"]
    assert rows[1][1] == rows[0][1] + 1


def test_nested_in_another_transaction_the_writer_numbers_them(sandbox: SandboxInfo, db_access: None) -> None:
    from django.db import transaction

    from playground.live.bus import publish
    from playground.live.models import LiveEvent
    from playground.live.store import atomic_numbering_events, event_writer
    from playground.sandboxes.models import Sandbox

    box = Sandbox.objects.get(pk=sandbox.id)
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).isoformat()
    with transaction.atomic():
        with atomic_numbering_events():
            publish(box, "sandbox.reset", at=at)
        # Numbering here would hold the sandbox's counter while this transaction went on.
        assert not LiveEvent.objects.filter(sandbox=box).exists()
    assert event_writer().flush(5.0)
    assert LiveEvent.objects.filter(sandbox=box, type="sandbox.reset").count() == 1
