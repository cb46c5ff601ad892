"""The classroom's lab setting on the dashboard, in Chromium: students may not use a lab's Solve
until the instructor ticks "Students may use a lab's Solve" and saves; then the student's lab panel
offers it, and the REST API reads the same setting."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.classroom.conftest import Room
from tests.classroom.test_acceptance import _bundle
from tests.e2e.gui import UI_TIMEOUT

pytestmark = pytest.mark.live

LABEL = "Students may use a lab's Solve (every use goes into the grades)"


def test_the_instructor_lets_students_solve_from_the_dashboard(room: Callable[..., Room], db_access: None) -> None:
    from playground.labs.bundles import bundle_save

    lab_id = f"solve-lab-{secrets.token_hex(3)}"
    bundle_save(document=_bundle(lab_id), lab_id=lab_id, user=None)
    classroom = room(students=1)
    [pupil] = classroom.students

    page = classroom.student_page(pupil)
    panel = page.locator("#lab-panel")
    expect(panel).to_have_attribute("data-ready", "true", timeout=UI_TIMEOUT)
    panel.locator("[data-lab-toggle]").click()
    panel.locator(f'.lab-offer[data-lab="{lab_id}"] [data-lab-start]').click()
    expect(panel.locator(".lab-current")).to_have_attribute("data-step", "queue")
    expect(panel.locator("[data-lab-check]")).to_be_visible()
    expect(panel.locator("[data-lab-solve]")).to_have_count(0)  # a classroom's default: no solve

    teacher = classroom.dashboard()
    setting = teacher.get_by_label(LABEL)
    expect(setting).not_to_be_checked()
    setting.check()
    teacher.get_by_role("button", name="Save settings").click()
    expect(teacher.get_by_text("Settings saved.")).to_be_visible()
    expect(teacher.get_by_label(LABEL)).to_be_checked()  # read back from the stored setting

    page.reload()
    panel = page.locator("#lab-panel")
    expect(panel).to_have_attribute("data-ready", "true", timeout=UI_TIMEOUT)
    expect(panel.locator("[data-lab-solve]")).to_be_visible()

    from playground.labs.models import ClassroomLabSettings

    assert ClassroomLabSettings.objects.get(classroom_id=classroom.id).student_solve is True
