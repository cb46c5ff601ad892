"""A message to every student's GUI, live; and the help queue: a student raises a hand in their
GUI, the instructor sees it on the dashboard (live) and clears it, and the student's GUI hears so.
In Chromium, and the refusals over the REST API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.api.conftest import Api, Classroom, User
from tests.classroom.conftest import Room
from tests.conftest import Server

pytestmark = pytest.mark.live


def test_a_broadcast_reaches_every_students_gui_and_a_raised_hand_reaches_the_dashboard(
    room: Callable[..., Room],
) -> None:
    classroom = room(students=2)
    asker, other = classroom.students
    pages = {pupil.username: classroom.student_page(pupil) for pupil in (asker, other)}
    teacher = classroom.dashboard()
    expect(teacher.get_by_test_id("help-queue")).to_be_hidden()

    teacher.get_by_label("Message to every student").fill("Ten minutes left: check your lab!")
    teacher.get_by_role("button", name="Send to everyone").click()
    expect(teacher.get_by_test_id("messages")).to_contain_text("Sent to the 2 students.")
    for page in pages.values():
        message = page.locator("[data-class-message]")
        expect(message).to_be_visible()
        expect(message).to_contain_text("Ten minutes left: check your lab!")
        expect(message).to_contain_text(f"{classroom.instructor}, to the class")

    # The classroom's part of the top bar keeps the page within a 1280x720 screen.
    mine = pages[asker.username]
    mine.set_viewport_size({"width": 1280, "height": 720})
    expect(mine.get_by_role("button", name="Raise hand")).to_be_visible()
    assert mine.evaluate("document.scrollingElement.scrollWidth") <= 1280

    # A student who opens the GUI later sees the latest message too.
    later = classroom.student_page(classroom.add_student("late"))
    expect(later.locator("[data-class-message]")).to_contain_text("Ten minutes left")
    later.get_by_role("button", name="Dismiss").first.click()
    expect(later.locator("[data-class-message]")).to_be_hidden()

    # The asker raises a hand; the dashboard's help queue shows them, live.
    expect(teacher.locator("[data-dashboard]")).to_have_attribute("data-live", "true")
    mine = pages[asker.username]
    mine.get_by_role("button", name="Raise hand").click()
    expect(mine.get_by_role("button", name="Lower hand")).to_have_attribute("aria-pressed", "true")
    queue = teacher.get_by_test_id("help-queue")
    expect(queue).to_be_visible()
    expect(queue.locator("li")).to_have_count(1)
    expect(queue).to_contain_text(asker.username)
    expect(teacher.locator(f'tr[data-student="{asker.username}"]').get_by_test_id("hand")).to_have_text(
        "✋ hand raised"
    )
    teacher.get_by_label("Show").select_option("hand")
    expect(teacher.locator("tbody tr[data-student]")).to_have_count(1)

    # The instructor clears it: gone from the queue, and the student's button is back.
    queue.get_by_role("button", name="Clear").click()
    expect(teacher.get_by_test_id("help-queue")).to_be_hidden()
    expect(mine.get_by_role("button", name="Raise hand")).to_have_attribute("aria-pressed", "false")
    expect(mine.locator("#toasts")).to_contain_text(f"{classroom.instructor} saw to your hand.")


def test_broadcast_and_hand_refusals_over_http(
    strict_server: Server,
    make_classroom: Callable[..., Classroom],
    enroll: Callable[..., tuple[User, Api, dict[str, Any]]],
) -> None:
    room = make_classroom(strict_server)
    _, student, sandbox = enroll(strict_server, room)
    other_room = make_classroom(strict_server)
    _, stranger, _ = enroll(strict_server, other_room)

    empty = room.api.post(f"/classrooms/{room.id}/broadcasts/", {"message": "   "})
    assert empty.status_code == 400
    assert empty.json()["message"].startswith("message:")
    sent = room.api.ok("POST", f"/classrooms/{room.id}/broadcasts/", {"message": "Hello  class"}, status=201)
    assert sent["message"] == "Hello class"
    assert [item["id"] for item in room.api.ok("GET", f"/classrooms/{room.id}/broadcasts/")] == [sent["id"]]
    assert student.post(f"/classrooms/{room.id}/broadcasts/", {"message": "hi"}).status_code == 404
    events = student.ok("GET", f"/sandboxes/{sandbox['id']}/events/?type=classroom.broadcast")["results"]
    assert [event["message"] for event in events] == ["Hello class"]

    hand = f"/sandboxes/{sandbox['id']}/hand/"
    up = student.ok("POST", hand, {"raised": True, "note": "my queue is empty"})
    assert up["raised"] is True
    assert up["note"] == "my queue is empty"
    again = student.ok("POST", hand, {"raised": True})
    assert again["raised_at"] == up["raised_at"]  # it keeps its place in the queue
    [row] = room.api.ok("GET", f"/classrooms/{room.id}/students/")
    assert row["hand_raised_at"] == up["raised_at"]
    assert row["hand_note"] == "my queue is empty"
    refused = room.api.post(hand, {"raised": True})
    assert refused.status_code == 403
    assert stranger.post(hand, {"raised": False}).status_code == 404
    assert room.api.ok("POST", hand, {"raised": False}) == {"raised": False, "raised_at": None, "note": ""}
    [row] = room.api.ok("GET", f"/classrooms/{room.id}/students/")
    assert row["hand_raised_at"] is None
