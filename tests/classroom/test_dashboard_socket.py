"""The dashboard's WebSocket (/ws/classrooms/<id>/) against the live server: its instructor hears
which students changed (gathered), and the roster; a student of the class, another instructor,
anyone signed out and another origin are refused."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.api.conftest import Api, Classroom, User, login
from tests.conftest import Server

pytestmark = pytest.mark.live


def _socket(server: Server, classroom_id: int, user: User | None, origin: str = "") -> Any:
    cookie = login(server, user.username, user.password).cookies["sessionid"] if user else "none"
    url = server.url.replace("http://", "ws://") + f"/ws/classrooms/{classroom_id}/"
    return connect(
        url, additional_headers={"Cookie": f"sessionid={cookie}", "Origin": origin or server.url}, open_timeout=10
    )


def _until(socket: Any, wanted: Callable[[dict[str, Any]], bool], timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        event = json.loads(socket.recv(timeout=left))
        if wanted(event):
            return event
    raise TimeoutError("no such message")


def test_the_instructor_hears_students_change_and_others_are_refused(
    daphne: Server,
    make_classroom: Callable[..., Classroom],
    enroll: Callable[..., tuple[User, Api, dict[str, Any]]],
    make_user: Callable[..., User],
) -> None:
    room = make_classroom(daphne)
    student, api, sandbox = enroll(daphne, room)
    with _socket(daphne, room.id, room.instructor) as socket:
        assert json.loads(socket.recv(timeout=10)) == {"type": "hello", "classroom": room.id}
        api.ok("POST", f"/sandboxes/{sandbox['id']}/aws/sqs/CreateQueue/", {"QueueName": "q"})
        changed = _until(socket, lambda event: event["type"] == "students.changed")
        assert changed["accounts"] == [sandbox["account_id"]]
        assert "api.call" in changed["types"]
        # A student who joins now: the roster message, then their sandbox's changes too.
        _, newcomer, box = enroll(daphne, room)
        _until(socket, lambda event: event["type"] == "classroom.roster")
        newcomer.ok("POST", f"/sandboxes/{box['id']}/aws/sqs/CreateQueue/", {"QueueName": "q2"})
        _until(socket, lambda event: event["type"] == "students.changed" and box["account_id"] in event["accounts"])

    other_teacher = make_classroom(daphne).instructor
    for who, origin in ((student, ""), (other_teacher, ""), (None, ""), (room.instructor, "http://evil.example")):
        with pytest.raises(InvalidStatus) as caught, _socket(daphne, room.id, who, origin):
            pass
        assert caught.value.response.status_code == 403
