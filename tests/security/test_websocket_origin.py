"""WebSocket origin checks: a page on another site cannot open the sandbox's live socket with the
signed-in user's cookie (playground/asgi.py wraps the routes in AllowedHostsOriginValidator); a
page of ours can."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.conftest import Server
from tests.security.conftest import Student

pytestmark = pytest.mark.live


@pytest.mark.parametrize(
    "origin",
    ["https://attacker.example", "http://127.0.0.1.attacker.example", "null", None],
    ids=["foreign", "lookalike", "null", "none"],
)
def test_socket_refuses_a_foreign_origin(
    strict_server: Server, student: Callable[[], Student], origin: str | None
) -> None:
    alice = student()
    cookie = alice.browser(strict_server).cookies["sessionid"]
    url = strict_server.url.replace("http://", "ws://") + f"/ws/sandboxes/{alice.sandbox['id']}/"
    headers = {"Cookie": f"sessionid={cookie}"}
    with connect(url, additional_headers={**headers, "Origin": strict_server.url}, open_timeout=10) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "hello"
    if origin is not None:
        headers["Origin"] = origin
    with pytest.raises(InvalidStatus) as refused, connect(url, additional_headers=headers, open_timeout=10):
        pass
    assert refused.value.response.status_code == 403
