"""Classrooms over HTTP: an instructor creates one, students join with its code (sign-up page and
API) or are imported from CSV, and the instructor sees their progress and last activity, resets
a sandbox and drives one student's clock or the whole class's."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from tests.api.conftest import Api, Classroom, User, login, token_api, unique
from tests.conftest import NO_RETRY, Server
from tests.waiting import wait_until

pytestmark = pytest.mark.live


def test_only_staff_create_classrooms(as_user: Callable[..., Api], make_user: Callable[..., User]) -> None:
    response = as_user(make_user("student")).post("/classrooms/", {"name": "mine"})
    assert response.status_code == 403


def test_signing_up_with_the_join_code_gives_a_sandbox_of_ones_own(
    daphne: Server, make_classroom: Callable[..., Classroom]
) -> None:
    room = make_classroom(daphne)
    browser = _anonymous(daphne, "/join/")
    username = unique("signup")
    page = browser.post(
        f"{daphne.url}/join/",
        data={
            "code": room.join_code.lower(),  # typed as read, in any case, with its dash
            "username": username,
            "password": "a long password",
            "password_again": "a long password",
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        headers={"Referer": f"{daphne.url}/join/"},
        timeout=30,
    )
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    [student] = room.api.ok("GET", f"/classrooms/{room.id}/students/")
    assert student["username"] == username
    assert student["labs"] == []
    assert student["last_call"] is None
    api = token_api(daphne, User(username, "a long password", 0))
    mine = api.ok("GET", "/sandboxes/")
    assert [box["account_id"] for box in mine] == [student["sandbox"]["account_id"]]
    assert mine[0]["classroom"] == {"id": room.id, "name": room.api.ok("GET", f"/classrooms/{room.id}/")["name"]}
    # The answer page hands out the new key, secret included, this once.
    [key] = api.ok("GET", f"/sandboxes/{mine[0]['id']}/credentials/")
    [shown] = re.findall(r'"secret_access_key": "([^"]+)"', page.text)
    assert key["access_key_id"] in page.text
    assert len(shown) == 40
    assert shown not in browser.get(f"{daphne.url}/sandboxes/{mine[0]['id']}/", timeout=30).text


def test_a_wrong_or_rotated_code_is_refused(
    daphne: Server,
    make_classroom: Callable[..., Classroom],
    as_user: Callable[..., Api],
    make_user: Callable[..., User],
) -> None:
    room = make_classroom(daphne)
    student = as_user(make_user("late"))
    assert student.post("/classrooms/join/", {"code": "NOPE-NOPE"}).json()["code"] == "JoinRefused"
    new_code = room.api.ok("POST", f"/classrooms/{room.id}/join-code/")["join_code"]
    assert new_code != room.join_code
    assert student.post("/classrooms/join/", {"code": room.join_code}).status_code == 400
    first = student.ok("POST", "/classrooms/join/", {"code": new_code}, status=201)
    assert len(first["credentials"]["secret_access_key"]) == 40
    again = student.ok("POST", "/classrooms/join/", {"code": new_code}, status=200)
    assert first["sandbox"]["id"] == again["sandbox"]["id"]
    assert again["created"] is False
    assert "credentials" not in again  # the secret was in the first answer only
    room.api.ok("PATCH", f"/classrooms/{room.id}/", {"join_open": False})
    other = as_user(make_user("closed"))
    assert other.post("/classrooms/join/", {"code": new_code}).status_code == 400


def test_csv_import_makes_accounts_with_working_keys(daphne: Server, make_classroom: Callable[..., Classroom]) -> None:
    room = make_classroom(daphne)
    ada, bob = unique("ada"), unique("bob")
    text = f"username,password,email\n{ada},correct horse battery,ada@example.com\n{bob},,\n"
    result = room.api.ok("POST", f"/classrooms/{room.id}/students/import/", {"csv": text}, status=201)
    by_name = {row["username"]: row for row in result["imported"]}
    assert by_name[ada]["password"] == "correct horse battery"
    assert len(by_name[bob]["password"]) == 14
    handout = list(csv.DictReader(io.StringIO(result["csv"])))
    assert {row["username"] for row in handout} == {ada, bob}
    sts = boto3.client(
        "sts",
        endpoint_url=daphne.url,
        region_name="us-east-1",
        aws_access_key_id=by_name[bob]["access_key_id"],
        aws_secret_access_key=by_name[bob]["secret_access_key"],
        config=NO_RETRY,
    )
    assert sts.get_caller_identity()["Account"] == by_name[bob]["account_id"]
    login(daphne, bob, by_name[bob]["password"])  # the made-up password signs in
    again = room.api.ok("POST", f"/classrooms/{room.id}/students/import/", {"csv": f"username\n{ada}\n"}, status=201)
    assert again["imported"][0]["newly_enrolled"] is False
    assert again["imported"][0]["secret_access_key"] == ""
    bad = room.api.post(f"/classrooms/{room.id}/students/import/", {"csv": "username\nnot a name!\n"})
    assert bad.status_code == 400
    assert "line 2" in bad.json()["message"]
    assert bad.json()["code"] == "InvalidCsv"
    assert len(room.api.ok("GET", f"/classrooms/{room.id}/students/")) == 2


def test_dashboard_lists_progress_and_last_activity(
    daphne: Server,
    make_classroom: Callable[..., Classroom],
    enroll: Callable[..., tuple[User, Api, dict[str, Any]]],
) -> None:
    room = make_classroom(daphne)
    student, api, sandbox = enroll(daphne, room)
    _, _, idle = enroll(daphne, room)
    api.ok("POST", f"/sandboxes/{sandbox['id']}/aws/sqs/CreateQueue/", {"QueueName": "orders"})
    api.ok("POST", f"/sandboxes/{sandbox['id']}/lab-sessions/", {"lab": "sqs-decouple"}, status=201)
    session = api.ok("GET", f"/sandboxes/{sandbox['id']}/")["active_lab_session"]
    api.ok("POST", f"/lab-sessions/{session}/check/", {"step": "create-queue"})

    def listed() -> dict[str, Any]:
        return {row["username"]: row for row in room.api.ok("GET", f"/classrooms/{room.id}/students/")}

    wait_until(lambda: listed()[student.username]["last_call"] is not None)
    row = listed()[student.username]
    assert (row["last_call"]["service"], row["last_call"]["operation"]) == ("sqs", "CreateQueue")
    [lab] = row["labs"]
    assert (lab["lab"], lab["steps_passed"], lab["steps_total"], lab["score"]) == ("sqs-decouple", 1, 9, 1)
    assert listed()[idle["owner"]]["last_call"] is None
    session = login(daphne, room.instructor.username, room.instructor.password)
    page = session.get(f"{daphne.url}/classrooms/{room.id}/", timeout=30)
    assert page.status_code == 200
    # The rows come with the page, for its script to draw (tests/classroom/test_dashboard.py
    # looks at them in Chromium).
    assert student.username in page.text
    assert '"steps_passed": 1' in page.text
    assert '"operation": "CreateQueue"' in page.text


def test_instructor_resets_a_sandbox_and_drives_clocks(
    daphne: Server,
    make_classroom: Callable[..., Classroom],
    enroll: Callable[..., tuple[User, Api, dict[str, Any]]],
) -> None:
    room = make_classroom(daphne)
    _, api, first = enroll(daphne, room)
    _, _, second = enroll(daphne, room)
    api.ok("POST", f"/sandboxes/{first['id']}/aws/sqs/CreateQueue/", {"QueueName": "mine"})
    teacher = room.api
    assert len(teacher.ok("GET", f"/sandboxes/{first['id']}/graph/")["nodes"]) == 1
    teacher.ok("POST", f"/sandboxes/{first['id']}/reset/")
    assert teacher.ok("GET", f"/sandboxes/{first['id']}/graph/")["nodes"] == []
    paused = teacher.ok("POST", f"/classrooms/{room.id}/clock/pause/")["clocks"]
    assert {clock["sandbox"] for clock in paused} == {first["id"], second["id"]}
    assert all(clock["paused"] for clock in paused)
    advanced = teacher.ok("POST", f"/classrooms/{room.id}/clock/advance/", {"seconds": 600})["clocks"]
    assert [c["now"] for c in advanced] != [c["now"] for c in paused]
    teacher.ok("POST", f"/sandboxes/{second['id']}/clock/speed/", {"speed": 60})
    clocks = {c["sandbox"]: c for c in teacher.ok("POST", f"/classrooms/{room.id}/clock/resume/")["clocks"]}
    assert clocks[second["id"]]["speed"] == 60
    assert clocks[first["id"]]["speed"] == 1
    assert api.ok("GET", f"/sandboxes/{first['id']}/clock/")["paused"] is False


def test_dashboard_forms_reset_and_pause(
    daphne: Server,
    make_classroom: Callable[..., Classroom],
    enroll: Callable[..., tuple[User, Api, dict[str, Any]]],
) -> None:
    room = make_classroom(daphne)
    _, api, sandbox = enroll(daphne, room)
    [row] = room.api.ok("GET", f"/classrooms/{room.id}/students/")
    browser = login(daphne, room.instructor.username, room.instructor.password)

    def post(path: str, **data: str) -> None:
        response = browser.post(
            f"{daphne.url}{path}",
            data={**data, "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            headers={"Referer": f"{daphne.url}/classrooms/{room.id}/"},
            timeout=30,
        )
        assert response.status_code == 200, response.text[:300]

    post(f"/classrooms/{room.id}/students/{row['id']}/clock/", action="pause")
    assert api.ok("GET", f"/sandboxes/{sandbox['id']}/clock/")["paused"] is True
    post(f"/classrooms/{room.id}/clock/", action="speed", speed="10")
    assert api.ok("GET", f"/sandboxes/{sandbox['id']}/clock/")["speed"] == 10
    api.ok("POST", f"/sandboxes/{sandbox['id']}/aws/sqs/CreateQueue/", {"QueueName": "gone-soon"})
    post(f"/classrooms/{room.id}/students/{row['id']}/reset/")
    assert api.ok("GET", f"/sandboxes/{sandbox['id']}/graph/")["nodes"] == []
    imported = browser.post(
        f"{daphne.url}/classrooms/{room.id}/import/",
        data={"csv_text": f"username\n{unique('csv')}\n", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        headers={"Referer": f"{daphne.url}/classrooms/{room.id}/"},
        timeout=30,
    )
    assert imported.status_code == 200
    assert "1 students imported" in imported.text


def test_instructor_removes_a_student(
    daphne: Server,
    make_classroom: Callable[..., Classroom],
    enroll: Callable[..., tuple[User, Api, dict[str, Any]]],
) -> None:
    room = make_classroom(daphne)
    _, api, sandbox = enroll(daphne, room)
    refused = api.delete(f"/sandboxes/{sandbox['id']}/")
    assert refused.status_code == 403  # a classroom sandbox is the instructor's to remove
    [row] = room.api.ok("GET", f"/classrooms/{room.id}/students/")
    assert room.api.delete(f"/classrooms/{room.id}/students/{row['id']}/").status_code == 204
    assert api.get(f"/sandboxes/{sandbox['id']}/").status_code == 404
    assert room.api.ok("GET", f"/classrooms/{room.id}/students/") == []


def _anonymous(server: Server, path: str) -> Any:
    import requests

    browser = requests.Session()
    assert browser.get(f"{server.url}{path}", timeout=10).status_code == 200
    return browser
