"""Timed class sessions: at the end (wall time) every student's sandbox is frozen (kept as it is
for grading: clock stopped, AWS calls and key changes refused) or reset, as the classroom says,
and the students are told. Over HTTP in strict mode (the students' keys stop working) and in
Chromium (the dashboard's timer, the student's GUI refusing changes, Reopen, a reset)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import expect

from tests.api.conftest import Api, Classroom, User
from tests.classroom.conftest import Room
from tests.conftest import NO_RETRY, Server
from tests.waiting import wait_until

pytestmark = pytest.mark.live

FROZEN = "The class session has ended: your sandbox is frozen as it was, for grading."
# The beat applies the end within a tick of the wall time; a loaded machine may take a while.
ENDS_WITHIN = 30.0


def _sqs(server: Server, credentials: dict[str, str], region: str) -> Any:
    return boto3.client(
        "sqs", endpoint_url=server.url, region_name=region, config=NO_RETRY,
        aws_access_key_id=credentials["access_key_id"], aws_secret_access_key=credentials["secret_access_key"],
    )  # fmt: skip


def _refused(call: Callable[[], Any]) -> str:
    try:
        call()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return ""


def test_a_frozen_sandbox_refuses_the_students_changes_until_the_class_reopens(
    strict_server: Server,
    celery_worker: Any,
    make_classroom: Callable[..., Classroom],
    enroll: Callable[..., tuple[User, Api, dict[str, Any]]],
) -> None:
    room = make_classroom(strict_server)
    _, student, sandbox = enroll(strict_server, room)
    sqs = _sqs(strict_server, sandbox["credentials"], sandbox["region"])
    sqs.create_queue(QueueName="work")
    mine = f"/sandboxes/{sandbox['id']}/"

    now = dt.datetime.now(dt.UTC).isoformat()
    timer = room.api.ok("PATCH", f"/classrooms/{room.id}/", {"ends_at": now, "at_end": "freeze"})
    assert (timer["at_end"], timer["ended_at"]) == ("freeze", None)
    wait_until(lambda: room.api.ok("GET", f"/classrooms/{room.id}/students/")[0]["frozen"], timeout=ENDS_WITHIN)
    assert room.api.ok("GET", f"/classrooms/{room.id}/")["ended_at"] is not None

    # The student's keys stop working (as IAM's deactivated keys do, within seconds): SQS (JSON) says so
    # as AWS JSON services do.
    wait_until(lambda: _refused(lambda: sqs.list_queues()) == "UnrecognizedClientException", timeout=10)
    for path, body in (
        ("aws/sqs/CreateQueue/", {"QueueName": "more"}),
        ("credentials/", None),
        ("reset/", None),
    ):
        answer = student.post(mine + path, body)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json() == {"code": "SandboxFrozen", "message": FROZEN}
    resumed = student.post(mine + "clock/resume/")
    assert resumed.status_code == 403
    assert resumed.json()["message"] == FROZEN
    assert student.ok("GET", mine + "clock/")["paused"] is True
    # Kept as it was, for grading; and the student was told.
    assert [node["name"] for node in room.api.ok("GET", mine + "graph/")["nodes"]] == ["work"]
    [told] = student.ok("GET", mine + "events/?type=classroom.broadcast")["results"]
    assert told["message"].startswith("Time is up")
    assert told["sender"] == "The class timer"

    room.api.ok("POST", f"/classrooms/{room.id}/reopen/")
    wait_until(lambda: _refused(lambda: sqs.list_queues()) == "", timeout=10)
    assert student.ok("GET", mine + "clock/")["paused"] is False
    assert student.ok("POST", mine + "aws/sqs/CreateQueue/", {"QueueName": "more"})["QueueUrl"].endswith("/more")
    assert room.api.ok("GET", f"/classrooms/{room.id}/")["ends_at"] is None


def test_the_dashboard_timer_freezes_then_resets_the_students_gui(room: Callable[..., Room], daphne: Server) -> None:
    classroom = room(students=1)
    [pupil] = classroom.students
    boto3.client(
        "sqs", endpoint_url=daphne.url, region_name=pupil.region, config=NO_RETRY,
        aws_access_key_id=pupil.access_key_id, aws_secret_access_key=pupil.secret_access_key,
    ).create_queue(QueueName="orders")  # fmt: skip
    student = classroom.student_page(pupil)
    queue = student.locator('.pg-node[data-name="orders"]')
    expect(queue).to_be_visible()
    teacher = classroom.dashboard()

    timer = teacher.get_by_test_id("timer")
    timer.get_by_label("End the session in (minutes)").fill("0")
    timer.get_by_label("then").select_option("freeze")
    timer.get_by_role("button", name="Start the timer").click()
    expect(teacher.get_by_test_id("timer-state")).to_contain_text(
        "the sandboxes were frozen", timeout=ENDS_WITHIN * 1000
    )
    expect(teacher.locator(f'tr[data-student="{pupil.username}"]').get_by_test_id("frozen")).to_be_visible()
    expect(student.locator("[data-class-message]")).to_contain_text("Time is up", timeout=ENDS_WITHIN * 1000)
    expect(student.locator("#clock")).to_have_attribute("data-paused", "true")

    # The student's GUI refuses changes, with the reason.
    student.locator("#clock [data-clock=resume]").click()
    expect(student.locator("#toasts")).to_contain_text(FROZEN)
    student.locator('#palette button[data-create="queue"]').click()
    dialog = student.locator("dialog.pg-dialog[open]")
    dialog.locator('[name="name"]').fill("late-work")
    dialog.locator('button[type="submit"]').click()
    expect(student.get_by_text(FROZEN).first).to_be_visible()

    teacher.get_by_role("button", name="Reopen the class").click()
    expect(teacher.get_by_test_id("messages")).to_contain_text("The class is open again (1 sandboxes thawed).")
    expect(student.locator("#clock")).to_have_attribute("data-paused", "false")

    # Now a session that resets: the queue goes from the student's diagram.
    timer = teacher.get_by_test_id("timer")
    timer.get_by_label("End the session in (minutes)").fill("0")
    timer.get_by_label("then").select_option("reset")
    timer.get_by_role("button", name="Start the timer").click()
    expect(teacher.get_by_test_id("timer-state")).to_contain_text(
        "the sandboxes were reset", timeout=ENDS_WITHIN * 1000
    )
    expect(queue).to_have_count(0)
    expect(student.locator("[data-class-message]")).to_contain_text("reset: every resource deleted")
