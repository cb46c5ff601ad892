"""The class clock the instructor holds: while they have paused the class or set its speed, a
student cannot pause, resume, speed up or advance their own clock (the classroom's
`lock_student_clocks`, on by default), over the REST API and in the student's GUI, which shows the
clock's error. Letting go (resume at 1x) or switching the setting off frees the student's clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.api.conftest import Api, Classroom, User
from tests.classroom.conftest import Room
from tests.conftest import Server

pytestmark = pytest.mark.live

HELD = "ClockHeldByInstructor"


def _refused(api: Api, path: str, body: dict[str, Any] | None = None) -> str:
    response = api.post(path, body)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == HELD
    return str(response.json()["message"])


def test_a_paused_class_clock_holds_against_a_students_resume_over_http(
    strict_server: Server,
    make_classroom: Callable[..., Classroom],
    enroll: Callable[..., tuple[User, Api, dict[str, Any]]],
) -> None:
    room = make_classroom(strict_server)
    _, student, sandbox = enroll(strict_server, room)
    _, other, other_box = enroll(strict_server, room)
    mine = f"/sandboxes/{sandbox['id']}/clock/"

    room.api.ok("POST", f"/classrooms/{room.id}/clock/pause/")
    held = student.ok("GET", mine)
    assert held["paused"] is True
    message = _refused(student, mine + "resume/")
    assert "paused the class clock" in message
    _refused(student, mine + "advance/", {"seconds": 3600})
    _refused(student, mine + "speed/", {"speed": 60})
    _refused(other, f"/sandboxes/{other_box['id']}/clock/resume/")
    after = student.ok("GET", mine)
    assert after == held  # still paused, not one second further
    rows = room.api.ok("GET", f"/classrooms/{room.id}/students/")
    assert [row["clock_held"] for row in rows] == [True, True]

    # Running again at 10x: still the instructor's clock.
    room.api.ok("POST", f"/classrooms/{room.id}/clock/speed/", {"speed": 10})
    room.api.ok("POST", f"/classrooms/{room.id}/clock/resume/")
    assert "set the class clock to 10x" in _refused(student, mine + "speed/", {"speed": 1})
    # The instructor's own actions on one student's clock pass (and hold it too).
    room.api.ok("POST", mine + "advance/", {"seconds": 60})

    # Back to 1x and running: let go.
    room.api.ok("POST", f"/classrooms/{room.id}/clock/speed/", {"speed": 1})
    assert student.ok("POST", mine + "pause/")["paused"] is True
    assert student.ok("POST", mine + "resume/")["paused"] is False

    # Switched off, a pause of the instructor's no longer holds the students.
    room.api.ok("POST", f"/classrooms/{room.id}/clock/pause/")
    _refused(student, mine + "resume/")
    setting = room.api.ok("PATCH", f"/classrooms/{room.id}/", {"lock_student_clocks": False})
    assert setting["lock_student_clocks"] is False
    assert student.ok("POST", mine + "resume/")["paused"] is False


def test_a_paused_class_clock_holds_against_a_students_resume_in_the_gui(
    room: Callable[..., Room], db_access: None
) -> None:
    from playground.sandboxes.models import Clock

    classroom = room(students=2)
    pupil = classroom.students[0]
    student = classroom.student_page(pupil)
    bar = student.locator("#clock")
    expect(bar).to_have_attribute("data-paused", "false")

    teacher = classroom.dashboard()
    teacher.get_by_role("button", name="Pause all").click()
    expect(teacher.locator(f'tr[data-student="{pupil.username}"] [data-testid="held"]')).to_be_visible()
    # The student's page hears the pause live, and its Resume is refused with the reason.
    expect(bar).to_have_attribute("data-paused", "true")
    frozen = Clock.current(pupil.sandbox_id).now()
    bar.locator('[data-clock="resume"]').click()
    expect(student.locator("#toasts")).to_contain_text("Your instructor has paused the class clock")
    bar.locator('[data-clock="advance"][data-value="3600"]').click()
    expect(student.locator("#toasts .toast-error")).to_have_count(2)
    expect(bar).to_have_attribute("data-paused", "true")
    clock = Clock.current(pupil.sandbox_id)
    assert clock.paused
    assert clock.now() == frozen

    # The instructor lets go: resume at 1x; the student's own Pause works again.
    teacher.get_by_role("button", name="Resume all").click()
    expect(bar).to_have_attribute("data-paused", "false")
    bar.locator('[data-clock="pause"]').click()
    expect(bar).to_have_attribute("data-paused", "true")
    assert Clock.current(pupil.sandbox_id).paused
