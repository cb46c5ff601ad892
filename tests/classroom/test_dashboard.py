"""The instructor's live dashboard in Chromium: rows update over the WebSocket as students make AWS
calls and lab progress (no reload), sort and filter, highlight students stuck in a lab (no step
passed for the classroom's minutes of wall time) and students whose calls keep failing, show the
last activity in wall time, name lab columns by id and title, mark steps a `solve` did, and link
the grades CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from playwright.sync_api import Page, expect

from tests.classroom.conftest import Pupil, Room
from tests.conftest import NO_RETRY, Server

pytestmark = pytest.mark.live


def _sqs(server: Server, pupil: Pupil) -> Any:
    return boto3.client(
        "sqs", endpoint_url=server.url, region_name=pupil.region, config=NO_RETRY,
        aws_access_key_id=pupil.access_key_id, aws_secret_access_key=pupil.secret_access_key,
    )  # fmt: skip


def _live_dashboard(classroom: Room) -> Page:
    page = classroom.dashboard()
    expect(page.locator("[data-dashboard]")).to_have_attribute("data-live", "true")
    return page


def _row(page: Page, pupil: Pupil) -> Any:
    return page.locator(f'tr[data-student="{pupil.username}"]')


def _names(page: Page) -> list[str]:
    return [
        name for name in page.locator("tbody tr[data-student]").evaluate_all("rows => rows.map(r => r.dataset.student)")
    ]


def test_rows_update_live_with_last_activity_in_wall_time_failing_calls_sorting_and_filters(
    room: Callable[..., Room], daphne: Server
) -> None:
    classroom = room(students=2)
    quiet, noisy = classroom.students
    page = _live_dashboard(classroom)
    expect(_row(page, quiet)).to_contain_text("no call yet")

    _sqs(daphne, quiet).create_queue(QueueName="orders")
    activity = _row(page, quiet).get_by_test_id("activity")
    expect(activity).to_contain_text("sqs:CreateQueue")
    expect(activity).to_contain_text(" s ago")  # wall time since the call, whatever the sandbox clock says
    expect(activity.locator("div")).to_have_attribute("title", re.compile(r"\(wall time\)$"))

    noisy_sqs = _sqs(daphne, noisy)
    for _ in range(3):
        with pytest.raises(ClientError):
            noisy_sqs.get_queue_url(QueueName="no-such-queue")
    expect(_row(page, noisy)).to_have_class("failing")
    expect(_row(page, noisy).get_by_test_id("failing")).to_have_text("failing: 3 failed calls in a row")
    expect(_row(page, noisy).get_by_test_id("activity")).to_contain_text("sqs:GetQueueUrl QueueDoesNotExist")
    expect(_row(page, quiet)).not_to_have_class("failing")

    # Filters: failing only, then a name.
    page.get_by_label("Show").select_option("failing")
    expect(page.locator("tbody tr[data-student]")).to_have_count(1)
    expect(_row(page, noisy)).to_be_visible()
    page.get_by_label("Show").select_option("all")
    page.get_by_label("Find a student").fill(quiet.username)
    expect(page.locator("tbody tr[data-student]")).to_have_count(1)
    expect(_row(page, quiet)).to_be_visible()
    page.get_by_label("Find a student").fill("")
    expect(page.locator("tbody tr[data-student]")).to_have_count(2)

    # Sorting by last activity: the latest first, then the other way round.
    page.get_by_role("button", name="Last activity").click()
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Last activity")
    assert _names(page) == [noisy.username, quiet.username]
    page.get_by_role("button", name="Last activity").click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Last activity")
    assert _names(page) == [quiet.username, noisy.username]

    # A good call ends the run of failures, live.
    noisy_sqs.create_queue(QueueName="fixed")
    expect(_row(page, noisy)).not_to_have_class("failing")
    expect(_row(page, noisy).get_by_test_id("failing")).to_have_count(0)


def _token(username: str) -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username=username))
    return str(token.key)


def _rest(server: Server, username: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {_token(username)}"
    return session


def test_stuck_students_lab_progress_solves_and_the_grades_export(
    room: Callable[..., Room], daphne: Server, db_access: None
) -> None:
    from playground.classroom.models import Classroom
    from playground.classroom.services import class_lab_start
    from playground.labs.models import LabSession

    classroom = room(students=2)
    stuck, helped = classroom.students
    class_lab_start(classroom=Classroom.objects.get(pk=classroom.id), lab_id="sqs-decouple")
    # Twenty minutes of wall time without progress (wall time cannot be advanced like a sandbox clock).
    LabSession.objects.filter(sandbox_id=stuck.sandbox_id).update(
        started_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    )
    page = _live_dashboard(classroom)
    header = page.locator('th[data-lab="sqs-decouple"]')
    expect(header).to_contain_text("sqs-decouple · Decouple with SQS")
    expect(_row(page, stuck)).to_have_class("stuck")
    expect(_row(page, stuck).get_by_test_id("stuck")).to_contain_text("stuck: no progress for 20 min")
    expect(_row(page, helped).get_by_test_id("stuck")).to_have_count(0)
    page.get_by_label("Show").select_option("stuck")
    expect(page.locator("tbody tr[data-student]")).to_have_count(1)
    expect(_row(page, stuck)).to_be_visible()
    page.get_by_label("Show").select_option("all")

    # The stuck student passes the first step: the row moves on, live.
    _sqs(daphne, stuck).create_queue(QueueName="orders")
    session_of = {
        p.username: LabSession.objects.get(sandbox_id=p.sandbox_id, status="active").pk for p in (stuck, helped)
    }
    checked = _rest(daphne, stuck.username).post(
        f"{daphne.url}/api/lab-sessions/{session_of[stuck.username]}/check/", json={}, timeout=60
    )
    assert checked.status_code == 200, checked.text
    cell = _row(page, stuck).locator('[data-lab-cell="sqs-decouple"]')
    expect(cell).to_contain_text("1/")
    expect(_row(page, stuck)).not_to_have_class("stuck")

    # The other student may solve (the instructor allowed it); the dashboard says which step solve did.
    teacher = _rest(daphne, classroom.instructor)
    allowed = teacher.patch(
        f"{daphne.url}/api/classrooms/{classroom.id}/lab-settings/", json={"student_solve": True}, timeout=30
    )
    assert allowed.status_code == 200, allowed.text
    student = _rest(daphne, helped.username)
    solved = student.post(
        f"{daphne.url}/api/lab-sessions/{session_of[helped.username]}/solve/", json={"step": "create-queue"}, timeout=60
    )
    assert solved.status_code == 200, solved.text
    assert student.post(f"{daphne.url}/api/lab-sessions/{session_of[helped.username]}/check/", json={}, timeout=60).ok
    expect(_row(page, helped).get_by_test_id("solved")).to_have_text("solve used: create-queue")
    expect(_row(page, stuck).get_by_test_id("solved")).to_have_count(0)

    # The grades export, from the dashboard's link.
    with page.expect_download() as download:
        page.get_by_test_id("grades").click()
    with open(download.value.path(), encoding="utf-8") as exported:
        rows = list(csv.DictReader(io.StringIO(exported.read())))
    assert {row[next(iter(row))] for row in rows} >= {stuck.username, helped.username}
