"""The sandbox WebSocket against the live server: api-call events arrive, other users are refused."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.conftest import SandboxInfo, Server

pytestmark = pytest.mark.live


def login(server: Server, username: str, password: str) -> str:
    """Sign in through the login form as a browser does; returns the session cookie."""
    session = requests.Session()
    session.get(f"{server.url}/login/", timeout=10)
    response = session.post(
        f"{server.url}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{server.url}/login/"},
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    return session.cookies["sessionid"]


def open_socket(server: Server, sandbox_id: int, cookie: str) -> Any:
    ws_url = server.url.replace("http://", "ws://") + f"/ws/sandboxes/{sandbox_id}/"
    return connect(ws_url, additional_headers={"Cookie": f"sessionid={cookie}", "Origin": server.url}, open_timeout=10)


def receive_until(socket: Any, predicate: Any, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        event = json.loads(socket.recv(timeout=left))
        if predicate(event):
            return event
    raise TimeoutError("no matching event")


def test_api_call_event_arrives(daphne: Server, make_sandbox: Any, aws: Any) -> None:
    mine: SandboxInfo = make_sandbox(username="ws-owner")
    cookie = login(daphne, "ws-owner", "pw-ws-owner")
    with open_socket(daphne, mine.id, cookie) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "hello"
        aws("sts", info=mine).get_caller_identity()
        event = receive_until(socket, lambda e: e["type"] == "api.call", timeout=10)
    assert event["service"] == "sts"
    assert event["operation"] == "GetCallerIdentity"
    assert event["sandbox"] == mine.account_id
    assert event["access_key_id"] == mine.access_key_id
    assert event["error_code"] == ""


def test_a_burst_of_events_arrives_whole_and_in_order(daphne: Server, make_sandbox: Any, db_access: None) -> None:
    """Thousands of events at once (a class's lab script, a fast-forwarded clock) are neither
    dropped on the way (Redis pub/sub to the server process, its sockets' queues) nor reordered (the
    sender's batches)."""
    from playground.live.bus import publish_flow
    from playground.sandboxes.models import Sandbox

    mine: SandboxInfo = make_sandbox(username="ws-burst")
    sandbox = Sandbox.objects.get(pk=mine.id)
    cookie = login(daphne, "ws-burst", "pw-ws-burst")
    count = 2000
    with open_socket(daphne, mine.id, cookie) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "hello"
        now = dt.datetime.now(dt.UTC)
        for index in range(count):
            publish_flow(sandbox, service="sqs", kind="sent", source="client", target="q", item_id=str(index), now=now)
        received: list[str] = []
        deadline = time.monotonic() + 120
        while len(received) < count and (left := deadline - time.monotonic()) > 0:
            event = json.loads(socket.recv(timeout=left))
            if event["type"] == "flow":
                received.append(event["item_id"])
    assert received == [str(index) for index in range(count)]


def test_another_users_sandbox_is_refused(daphne: Server, make_sandbox: Any) -> None:
    theirs: SandboxInfo = make_sandbox(username="ws-other")
    make_sandbox(username="ws-intruder")
    cookie = login(daphne, "ws-intruder", "pw-ws-intruder")
    with pytest.raises(InvalidStatus) as caught, open_socket(daphne, theirs.id, cookie):
        pass
    assert caught.value.response.status_code == 403


def test_anonymous_socket_is_refused(daphne: Server, sandbox: SandboxInfo) -> None:
    with pytest.raises(InvalidStatus) as caught, open_socket(daphne, sandbox.id, "not-a-session"):
        pass
    assert caught.value.response.status_code == 403
