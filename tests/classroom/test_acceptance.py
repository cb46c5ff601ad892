"""Acceptance, in Chromium: a student of a class does a lab entirely in the GUI (the lab panel to
start and check it, the palette and the inspector to do its steps: no token, no curl, no SDK),
and the instructor's dashboard, open all along and never reloaded, follows every step live: the
lab's column (by id and title), the steps passed and points, the completion, the last activity."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.classroom.conftest import Room
from tests.e2e.gui import UI_TIMEOUT, Gui

pytestmark = pytest.mark.live


def _bundle(lab_id: str) -> dict[str, Any]:
    return {
        "id": lab_id,
        "title": "Orders in a queue",
        "summary": "A queue, then a message in it.",
        "services": ["sqs"],
        "variables": {"queue": "class-orders"},
        "steps": [
            {
                "id": "queue",
                "title": "Create the queue",
                "instructions": "Create the queue **{{queue}}** in account `{{account_id}}`.",
                "checks": [
                    {
                        "kind": "resource",
                        "select": {"service": "sqs", "name": "{{queue}}"},
                        "message": "There is no queue {{queue}} yet.",
                    }
                ],
            },
            {
                "id": "send",
                "title": "Send a message",
                "instructions": "Send a message to {{queue}}.",
                "checks": [
                    {
                        "kind": "call",
                        "service": "sqs",
                        "operation": "SendMessage",
                        "points": 2,
                        "message": "Nothing was sent to the queue yet.",
                    }
                ],
            },
        ],
    }


def test_a_student_does_a_lab_in_the_gui_and_the_dashboard_follows_live(
    room: Callable[..., Room], db_access: None
) -> None:
    from playground.labs.bundles import bundle_save

    lab_id = f"class-lab-{secrets.token_hex(3)}"
    bundle_save(document=_bundle(lab_id), lab_id=lab_id, user=None)
    classroom = room(students=2)
    pupil, classmate = classroom.students

    teacher = classroom.dashboard()
    expect(teacher.locator("[data-dashboard]")).to_have_attribute("data-live", "true")
    teacher.evaluate("window.neverReloaded = true")
    row = teacher.locator(f'tr[data-student="{pupil.username}"]')
    expect(row).to_contain_text("no call yet")

    # The student opens the lab panel and starts the lab from its list.
    page = classroom.student_page(pupil)
    gui = Gui(page, "acceptance")
    panel = page.locator("#lab-panel")
    expect(panel).to_have_attribute("data-ready", "true", timeout=UI_TIMEOUT)
    panel.locator("[data-lab-toggle]").click()
    panel.locator(f'.lab-offer[data-lab="{lab_id}"] [data-lab-start]').click()
    expect(panel).to_have_attribute("data-state", "running")
    expect(panel.locator(".lab-current")).to_contain_text(pupil.account_id)

    header = teacher.locator(f'th[data-lab="{lab_id}"]')
    expect(header).to_contain_text(f"{lab_id} · Orders in a queue")
    cell = row.locator(f'[data-lab-cell="{lab_id}"]')
    expect(cell).to_contain_text("0/2 steps")
    expect(cell).to_contain_text("0/3 points")
    expect(teacher.locator(f'tr[data-student="{classmate.username}"] [data-lab-cell="{lab_id}"]')).to_have_count(0)

    # Step 1 in the GUI: the palette makes the queue; the panel's Check passes it.
    gui.create("queue", name="class-orders")
    expect(row.get_by_test_id("activity")).to_contain_text("sqs:CreateQueue")
    panel.locator("[data-lab-check]").click()
    expect(panel.locator('.lab-step[data-step="queue"]')).to_have_attribute("data-passed", "true")
    expect(cell).to_contain_text("1/2 steps")
    expect(cell).to_contain_text("1/3 points")

    # Step 2 in the GUI: the inspector sends a message; Check completes the lab.
    gui.select("class-orders")
    send = gui.inspector.locator('[data-form="send"]')
    send.locator('textarea[name="body"]').fill("order 1")
    send.locator('button[type="submit"]').click()
    expect(gui.inspector.locator('[data-result="send"]')).to_contain_text("Sent")
    expect(row.get_by_test_id("activity")).to_contain_text("sqs:SendMessage")
    panel.locator("[data-lab-check]").click()
    expect(panel).to_have_attribute("data-state", "completed")
    expect(cell).to_contain_text("2/2 steps")
    expect(cell).to_contain_text("✓ completed")
    expect(cell).to_contain_text("3/3 points")
    expect(cell.get_by_test_id("solved")).to_have_count(0)  # the student did it, not solve

    # Sorted by the lab's points, the student who finished comes first.
    teacher.locator(f'th[data-lab="{lab_id}"] button').click()
    first = teacher.locator("tbody tr[data-student]").first
    expect(first).to_have_attribute("data-student", pupil.username)
    assert teacher.evaluate("window.neverReloaded") is True
