"""The lab panel beside the diagram, as a student meets it in Chromium: open the panel, start a lab
from the list, read the step's instructions with their own endpoint and account filled in, do the
step from the palette, click Check and see the step's result and points, reveal a hint (and what
it costs), do the next step with boto3 and watch the panel follow a check made in another tab,
live, without a reload. No token, no curl: the page's own session does it all. The student's
instructor, watching read-only, sees the same panel without its buttons, following too."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import Server
from tests.e2e.conftest import Student, cheap_hash, session_cookie
from tests.e2e.gui import UI_TIMEOUT, Gui

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def lab_bundle(lab_id: str) -> dict[str, Any]:
    return {
        "id": lab_id,
        "title": "Panel lab",
        "summary": "A queue, then a message in it.",
        "services": ["sqs"],
        "variables": {"queue": "panel-orders"},
        "steps": [
            {
                "id": "queue",
                "title": "Create the queue",
                "instructions": "Create **{{queue}}**:\n\n```\naws --endpoint-url {{endpoint}} sqs create-queue"
                " --queue-name {{queue}}\n```\n\nIn account `{{account_id}}`.",
                "checks": [
                    {
                        "kind": "resource",
                        "select": {"service": "sqs", "name": "{{queue}}"},
                        "message": "There is no queue {{queue}} yet.",
                    }
                ],
                "solve": [{"call": "sqs:CreateQueue", "params": {"QueueName": "{{queue}}"}}],
            },
            {
                "id": "send",
                "title": "Send a message",
                "instructions": "Send a message to `{{endpoint}}/{{account_id}}/{{queue}}`.",
                "checks": [
                    {
                        "kind": "call",
                        "service": "sqs",
                        "operation": "SendMessage",
                        "points": 2,
                        "message": "Nothing was sent to the queue yet.",
                    }
                ],
                "hints": [
                    {"text": "The queue's URL is `{{endpoint}}/{{account_id}}/{{queue}}`.", "cost": 1},
                    "`send-message --message-body hello`",
                ],
            },
        ],
    }


@pytest.fixture
def lab_id(django_db_blocker: Any) -> str:
    from playground.labs.bundles import bundle_save

    lab_id = f"panel-{secrets.token_hex(4)}"
    with django_db_blocker.unblock():
        bundle_save(document=lab_bundle(lab_id), lab_id=lab_id, user=None)
    return lab_id


def test_a_student_does_a_lab_in_the_panel_and_it_follows_checks_live(
    signed_in: Callable[..., Page], student: Student, daphne: Server, aws: Callable[..., Any], lab_id: str
) -> None:
    page = signed_in()
    panel = page.locator("#lab-panel")
    expect(panel).to_have_attribute("data-ready", "true", timeout=UI_TIMEOUT)
    expect(panel.locator("[data-lab-body]")).to_be_hidden()  # no lab running: closed to a tab

    # Open the panel, find the lab in the list and start it.
    panel.locator("[data-lab-toggle]").click()
    offer = panel.locator(f'.lab-offer[data-lab="{lab_id}"]')
    expect(offer).to_contain_text("A queue, then a message in it.")
    offer.locator("[data-lab-start]").click()
    expect(panel).to_have_attribute("data-state", "running")
    expect(panel.locator("[data-lab-score]")).to_have_text("0 / 3 points")
    current = panel.locator(".lab-current")
    expect(current).to_have_attribute("data-step", "queue")
    # Rendered Markdown, with the student's own endpoint and account: never a placeholder.
    expect(current.locator("strong", has_text="panel-orders")).to_be_visible()
    expect(current.locator("pre")).to_contain_text(
        f"aws --endpoint-url {daphne.url} sqs create-queue --queue-name panel-orders"
    )
    expect(current).to_contain_text(student.sandbox.account_id)
    expect(panel).not_to_contain_text("{{")
    # Outside a classroom, and the lab allowing it, solve is offered (not used here).
    expect(panel.locator("[data-lab-solve]")).to_be_visible()

    # A check before doing anything: not yet, with the bundle's message.
    panel.locator("[data-lab-check]").click()
    expect(current.locator('[data-result="queue"]')).to_contain_text("Not yet: 0 / 1 point")
    expect(current.locator('[data-result="queue"]')).to_contain_text("There is no queue panel-orders yet.")

    # The step, done in the GUI (the palette); Check shows it passed with its point, and moves on.
    Gui(page, "labpanel").create("queue", name="panel-orders")
    panel.locator("[data-lab-check]").click()
    expect(panel.locator('.lab-step[data-step="queue"]')).to_have_attribute("data-passed", "true")
    expect(panel.locator('[data-points="queue"]')).to_have_text("1/1")
    expect(panel.locator("[data-lab-score]")).to_have_text("1 / 3 points")
    expect(current).to_have_attribute("data-step", "send")
    expect(current).to_contain_text(f"{daphne.url}/{student.sandbox.account_id}/panel-orders")

    # Hints, one at a time, each saying what it costs.
    hint = panel.locator("[data-lab-hint]")
    expect(hint).to_have_text("Show a hint (costs 1 point)")
    expect(panel.locator(".lab-hint")).to_have_count(0)
    hint.click()
    expect(panel.locator('.lab-hint[data-hint="1"]')).to_contain_text(
        f"The queue's URL is {daphne.url}/{student.sandbox.account_id}/panel-orders."
    )
    expect(panel.locator(".lab-hint")).to_have_count(1)
    expect(panel.locator(".lab-hint-penalty")).to_have_text("Hints cost this step 1 point.")
    expect(hint).to_have_text("Show a hint")
    hint.click()
    expect(panel.locator(".lab-hint")).to_have_count(2)
    expect(panel.locator("[data-lab-hint]")).to_have_count(0)  # none left
    # Open beside the diagram, the panel still fits the 1280x720 screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert page.evaluate("document.querySelector('#diagram').getBoundingClientRect().width") > 400

    # The last step, done with boto3 and checked in another tab: this one follows, live.
    queue_url = aws("sqs", info=student.sandbox).get_queue_url(QueueName="panel-orders")["QueueUrl"]
    aws("sqs", info=student.sandbox).send_message(QueueUrl=queue_url, MessageBody="hello")
    other = page.context.new_page()
    other.goto(f"/sandboxes/{student.sandbox.id}/")
    expect(other.locator("#lab-panel")).to_have_attribute("data-ready", "true", timeout=UI_TIMEOUT * 2)
    other.locator("#lab-panel [data-lab-check]").click()
    expect(other.locator("#lab-panel")).to_have_attribute("data-state", "completed")

    expect(panel).to_have_attribute("data-state", "completed")
    expect(panel.locator("[data-lab-score]")).to_have_text("2 / 3 points")  # 3, less the hint's point
    expect(panel.locator('[data-points="send"]')).to_have_text("1/2")
    expect(panel.locator(".lab-done")).to_have_text("Lab complete.")
    expect(panel.locator('[data-result="send"]')).to_contain_text("Passed")
    assert re.search(r"/sandboxes/\d+/$", page.url), "the first tab never reloaded"


def test_the_instructor_watching_read_only_sees_the_panel_follow_the_student(
    signed_in: Callable[..., Page],
    student: Student,
    daphne: Server,
    browser: Browser,
    aws: Callable[..., Any],
    lab_id: str,
    django_db_blocker: Any,
) -> None:
    from django.contrib.auth import get_user_model

    from playground.classroom.models import Enrollment
    from playground.classroom.services import classroom_create
    from playground.sandboxes.models import Sandbox

    with django_db_blocker.unblock():
        teacher = get_user_model().objects.create(
            username=f"teacher-{student.username}", password=cheap_hash("pw-teach"), is_staff=True
        )
        classroom = classroom_create(name="panel class", instructor=teacher)
        owner = get_user_model().objects.get(username=student.username)
        sandbox = Sandbox.objects.get(pk=student.sandbox.id)
        Enrollment.objects.create(classroom=classroom, student=owner, sandbox=sandbox)

    page = signed_in()
    panel = page.locator("#lab-panel")
    expect(panel).to_have_attribute("data-ready", "true", timeout=UI_TIMEOUT)  # its script is listening
    panel.locator("[data-lab-toggle]").click()
    panel.locator(f'.lab-offer[data-lab="{lab_id}"] [data-lab-start]').click()
    expect(panel).to_have_attribute("data-state", "running")

    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=daphne.url)
    errors: list[str] = []
    try:
        with django_db_blocker.unblock():
            context.add_cookies([session_cookie(teacher.username, daphne.url)])  # type: ignore[list-item]
        watching = context.new_page()
        watching.on("pageerror", lambda error: errors.append(str(error)))
        watching.goto(f"/sandboxes/{student.sandbox.id}/")
        expect(watching.locator("body")).to_have_attribute("data-live", "true", timeout=UI_TIMEOUT * 2)
        seen = watching.locator("#lab-panel")
        expect(seen).to_have_attribute("data-state", "running")  # open by itself: a lab runs
        expect(seen.locator("[data-lab-score]")).to_have_text("0 / 3 points")
        expect(seen.locator(".lab-current pre")).to_contain_text(f"--endpoint-url {daphne.url} ")
        expect(seen.locator("[data-lab-check]")).to_have_count(0)
        expect(seen.locator("[data-lab-list]")).to_have_count(0)

        aws("sqs", info=student.sandbox).create_queue(QueueName="panel-orders")
        panel.locator("[data-lab-check]").click()
        expect(panel.locator("[data-lab-score]")).to_have_text("1 / 3 points")
        expect(seen.locator("[data-lab-score]")).to_have_text("1 / 3 points")  # live, no reload
        expect(panel.locator("[data-lab-solve]")).to_have_count(0)  # not in a classroom that does not allow it
        expect(seen.locator('.lab-step[data-step="queue"]')).to_have_attribute("data-passed", "true")
        expect(seen.locator("[data-lab-hint]")).to_have_count(0)  # hints are the student's to reveal
    finally:
        context.close()
    assert not errors, f"script errors in the instructor's page: {errors}"


def test_solve_from_the_panel_is_recorded_and_shown(
    signed_in: Callable[..., Page], student: Student, lab_id: str, django_db_blocker: Any
) -> None:
    page = signed_in()
    panel = page.locator("#lab-panel")
    expect(panel).to_have_attribute("data-ready", "true", timeout=UI_TIMEOUT)  # its script is listening
    panel.locator("[data-lab-toggle]").click()
    panel.locator(f'.lab-offer[data-lab="{lab_id}"] [data-lab-start]').click()
    expect(panel.locator(".lab-current")).to_have_attribute("data-step", "queue")
    panel.locator("[data-lab-solve]").click()
    step = panel.locator('.lab-step[data-step="queue"]')
    expect(step).to_have_attribute("data-passed", "true")
    expect(step.locator(".lab-badge.solved")).to_have_text("solved")
    expect(panel.locator("[data-lab-score]")).to_have_text("1 / 3 points")

    # The list of labs and back, the running lab as it was.
    panel.locator("[data-lab-list]").click()
    expect(panel).to_have_attribute("data-state", "list")
    panel.locator("[data-lab-back]").click()
    expect(panel.locator("[data-lab-score]")).to_have_text("1 / 3 points")

    from playground.labs.models import LabSession

    with django_db_blocker.unblock():
        session = LabSession.objects.get(sandbox_id=student.sandbox.id, lab_id=lab_id)
    assert [(entry["step"], entry["by"]) for entry in session.solves] == [("queue", student.username)]
