"""The instructor starts a lab for one student or for the whole class: from the dashboard in
Chromium, and over the REST API. Each student gets a session of their own, set up in their own
sandbox; a student already in that lab keeps their progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.api.conftest import Api, Classroom, User
from tests.classroom.conftest import Room
from tests.conftest import Server

pytestmark = pytest.mark.live


def _active(sandbox_id: int) -> str | None:
    from playground.labs.models import LabSession

    session = LabSession.objects.filter(sandbox_id=sandbox_id, status=LabSession.ACTIVE).first()
    return session.lab_id if session else None


def test_start_a_lab_for_one_student_then_the_whole_class_from_the_dashboard(
    room: Callable[..., Room], db_access: None
) -> None:
    classroom = room(students=2)
    first, second = sorted(classroom.students, key=lambda pupil: pupil.username)
    page = classroom.dashboard()
    form = page.get_by_test_id("lab-start")
    form.get_by_label("Start").select_option("kms-envelope")
    form.get_by_label("for").select_option(label=first.username)
    form.get_by_role("button", name="Start lab").click()
    expect(page.get_by_test_id("messages")).to_contain_text(f"Started kms-envelope for {first.username}.")
    expect(page.locator('th[data-lab="kms-envelope"]')).to_contain_text("kms-envelope · Envelope encryption with KMS")
    expect(page.locator(f'tr[data-student="{first.username}"]')).to_contain_text("0/")
    assert _active(first.sandbox_id) == "kms-envelope"
    assert _active(second.sandbox_id) is None

    form = page.get_by_test_id("lab-start")
    form.get_by_label("Start").select_option("kms-envelope")
    form.get_by_label("for").select_option(label="the whole class")
    form.get_by_role("button", name="Start lab").click()
    expect(page.get_by_test_id("messages")).to_contain_text(f"Started kms-envelope for {second.username}.")
    expect(page.get_by_test_id("messages")).to_contain_text(
        f"Already in kms-envelope (progress kept): {first.username}."
    )
    for pupil in (first, second):
        assert _active(pupil.sandbox_id) == "kms-envelope"


def test_start_a_lab_for_the_class_over_the_rest_api(
    strict_server: Server,
    make_classroom: Callable[..., Classroom],
    enroll: Callable[..., tuple[User, Api, dict[str, Any]]],
    db_access: None,
) -> None:
    room = make_classroom(strict_server)
    joined = [enroll(strict_server, room) for _ in range(2)]
    rows = room.api.ok("GET", f"/classrooms/{room.id}/students/")
    one = rows[0]["id"]
    answer = room.api.ok("POST", f"/classrooms/{room.id}/lab-sessions/", {"lab": "sqs-decouple", "students": [one]})
    [started] = answer["started"]
    assert started["student"] == one
    assert started["created"] is True
    assert started["problem"] == ""
    assert started["session"]["lab"] == "sqs-decouple"

    whole = room.api.ok("POST", f"/classrooms/{room.id}/lab-sessions/", {"lab": "sqs-decouple"})
    assert sorted(item["created"] for item in whole["started"]) == [False, True]
    for _, student, sandbox in joined:
        sessions = student.ok("GET", f"/sandboxes/{sandbox['id']}/lab-sessions/")
        assert [item["lab"] for item in sessions if item["status"] == "active"] == ["sqs-decouple"]

    refused = room.api.post(f"/classrooms/{room.id}/lab-sessions/", {"lab": "no-such-lab"})
    assert refused.status_code == 404, refused.text
    stranger = room.api.post(f"/classrooms/{room.id}/lab-sessions/", {"lab": "sqs-decouple", "students": [0]})
    assert stranger.status_code == 404
    assert stranger.json()["code"] == "NotFound"
