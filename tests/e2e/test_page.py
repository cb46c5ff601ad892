"""The sandbox page around the diagram: the clock bar, the live socket's reconnection, saved node
positions, the credentials panel, projector mode at 1280x720, and the list of sandboxes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import NO_RETRY, SandboxInfo, Server
from tests.e2e.conftest import Student, cheap_hash
from tests.e2e.gui import Gui

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def _clock(sandbox_id: int) -> Any:
    from playground.sandboxes.models import Clock

    return Clock.current(sandbox_id)


def test_clock_bar_pauses_speeds_up_and_advances_the_sandbox_clock(gui: Gui, student: Student, db_access: None) -> None:
    bar = gui.page.locator("#clock")
    gui.clock("pause")
    expect(bar).to_have_attribute("data-paused", "true")
    expect(bar.locator("[data-clock-state]")).to_have_text("paused")
    assert _clock(student.sandbox.id).paused

    shown = bar.locator("[data-clock-time]").inner_text()
    before = _clock(student.sandbox.id).now()
    gui.clock("advance", "3600")
    expect(bar.locator("[data-clock-time]")).not_to_have_text(shown)
    assert _clock(student.sandbox.id).now() - before == dt.timedelta(hours=1)
    expected = (before + dt.timedelta(hours=1)).strftime("%H:%M:%S")
    expect(bar.locator("[data-clock-time]")).to_have_text(expected)

    gui.clock("speed", "60")
    expect(bar).to_have_attribute("data-speed", "60")
    expect(bar.locator('[data-clock="speed"][data-value="60"]')).to_have_attribute("aria-pressed", "true")
    # A read of the clock answered late, from before the change, does not undo it on the page.
    stale = {**_clock(student.sandbox.id).as_dict(), "speed": 1, "changed": "2000-01-01T00:00:00.000000+00:00"}
    gui.page.evaluate("(clock) => window.playground.clock.set(clock)", stale)
    expect(bar).to_have_attribute("data-speed", "60")
    gui.clock("resume")
    expect(bar).to_have_attribute("data-paused", "false")
    clock = _clock(student.sandbox.id)
    assert clock.speed == 60
    assert not clock.paused
    gui.screenshot("clock-60x")


def test_after_a_lost_connection_the_page_catches_up(gui: Gui, student: Student, aws: Any) -> None:
    page = gui.page
    page.evaluate("window.playground.live.hold()")  # the socket closes and stays closed
    expect(page.locator("#live-status")).to_have_attribute("data-state", "offline")

    # The connection is lost for the page's reads of the diagram too: a refresh it had scheduled
    # before (its start-up sync can still be under way on a busy machine) fails, as it would
    # offline, instead of drawing the queue without the catching up this test is about.
    def is_graph(url: str) -> bool:
        return url.endswith(f"/api/sandboxes/{student.sandbox.id}/graph/")

    page.route(is_graph, lambda route: route.abort())
    # A read already under way when the route was set is not stopped by it: it is waited out, so
    # that it cannot answer after the queue exists.
    expect(page.locator("body")).to_have_attribute("data-graph", "idle")
    sqs = aws("sqs", info=student.sandbox)
    sqs.create_queue(QueueName="made-while-away")
    expect(gui.node("made-while-away")).to_have_count(0)

    page.unroute(is_graph)
    page.evaluate("window.playground.live.release()")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(gui.node("made-while-away")).to_be_visible()
    expect(page.locator('#activity .call[data-operation="CreateQueue"]')).to_have_count(1)


def test_node_positions_survive_a_reload(gui: Gui) -> None:
    gui.create("queue", name="movable")
    node = gui.node("movable")
    expect(node).to_be_visible()
    gui.settle()
    box = node.bounding_box()
    assert box
    mouse = gui.page.mouse
    mouse.move(box["x"] + 60, box["y"] + 12)
    mouse.down()
    mouse.move(box["x"] + 260, box["y"] + 160, steps=6)
    mouse.up()
    # The position is saved shortly after the drag; the saved layout is what a reload draws.
    gui.page.wait_for_function("window.playground.diagram.layoutSaved()")
    moved = node.bounding_box()
    assert moved
    assert moved["y"] > box["y"] + 100
    gui.page.reload()
    expect(gui.page.locator("body")).to_have_attribute("data-ready", "true")
    again = gui.node("movable").bounding_box()
    assert again
    assert abs(again["x"] - moved["x"]) < 2
    assert abs(again["y"] - moved["y"]) < 2


def test_credentials_panel_lists_keys_without_their_secrets(gui: Gui, student: Student) -> None:
    gui.page.locator("#credentials-button").click()
    panel = gui.page.locator("#credentials-dialog")
    expect(panel).to_be_visible()
    info = student.sandbox
    row = panel.locator(f'tr[data-key="{info.access_key_id}"]')
    expect(row.locator("[data-access-key-id]")).to_have_text(info.access_key_id)
    expect(row).to_contain_text("Active")
    expect(panel).to_contain_text(f"--endpoint-url {gui.page.url.split('/sandboxes/')[0]}")
    assert info.secret_access_key not in gui.page.content()


def test_a_key_made_in_the_credentials_panel_shows_its_secret_once_and_works(
    gui: Gui, student: Student, strict_server: Server
) -> None:
    page = gui.page
    page.locator("#credentials-button").click()
    panel = page.locator("#credentials-dialog")
    panel.get_by_role("button", name="Create access key").click()
    fresh = panel.locator("[data-new-key]")
    expect(fresh).to_contain_text("it is not shown again")
    key_id = fresh.get_attribute("data-new-key")
    secret = fresh.locator("[data-secret]").inner_text()
    assert key_id
    assert len(secret) == 40
    expect(fresh).to_contain_text(f"aws configure set aws_secret_access_key {secret} --profile playground")
    expect(fresh).to_contain_text("boto3.Session(")
    expect(panel.locator(f'tr[data-key="{key_id}"]')).to_contain_text("Active")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    fresh.locator("h3", has_text="aws CLI").get_by_role("button", name="Copy").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(
        f"aws configure set aws_access_key_id {key_id} --profile playground\n"
        f"aws configure set aws_secret_access_key {secret} --profile playground"
    )
    gui.screenshot("new-key")

    sts = boto3.client(
        "sts",
        endpoint_url=strict_server.url,
        region_name=student.sandbox.region,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=NO_RETRY,
    )
    assert sts.get_caller_identity()["Account"] == student.sandbox.account_id

    # Open the dialog again, or reload the page: the key is listed, its secret is gone.
    panel.locator("[data-close]").click()
    page.locator("#credentials-button").click()
    expect(panel.locator(f'tr[data-key="{key_id}"]')).to_be_visible()
    expect(panel.locator("[data-new-key]")).to_have_count(0)
    assert secret not in page.content()
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.locator("#credentials-button").click()
    expect(panel.locator(f'tr[data-key="{key_id}"]')).to_be_visible()
    assert secret not in page.content()


def test_an_old_key_is_deactivated_then_deleted_in_the_credentials_panel(gui: Gui, student: Student) -> None:
    page = gui.page
    page.locator("#credentials-button").click()
    panel = page.locator("#credentials-dialog")
    panel.get_by_role("button", name="Create access key").click()
    expect(panel.locator("[data-new-key]")).to_be_visible()
    old = panel.locator(f'tr[data-key="{student.sandbox.access_key_id}"]')
    old.get_by_role("button", name="Deactivate").click()
    expect(old).to_have_attribute("data-status", "Inactive")
    expect(old.get_by_role("button", name="Activate")).to_be_visible()
    old.get_by_role("button", name="Delete").click()
    page.locator("dialog.pg-dialog[open]", has_text="Delete access key").get_by_role("button", name="Delete").click()
    expect(old).to_have_count(0)
    expect(panel.locator("tbody tr")).to_have_count(1)


def test_projector_mode_keeps_everything_on_a_1280x720_screen(gui: Gui) -> None:
    page = gui.page
    gui.create("queue", name="big")
    page.locator("#projector-toggle").click()
    expect(page.locator("body")).to_have_class(re.compile(r"\bprojector\b"))
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "20px"
    # Nothing scrolls the page sideways; every panel stays on screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    for selector in ("#clock", "#palette", "#inspector", "#activity", "#credentials-button"):
        box = page.locator(selector).bounding_box()
        assert box, selector
        assert box["x"] >= 0, selector
        assert box["x"] + box["width"] <= 1281, selector
        assert box["y"] + box["height"] <= 721, selector
    expect(gui.node("big")).to_be_in_viewport()
    gui.screenshot("projector")
    page.reload()  # the choice is remembered
    expect(page.locator("body")).to_have_class(re.compile(r"\bprojector\b"))


def test_a_user_with_two_sandboxes_chooses_from_a_list(
    signed_in: Callable[..., Page], make_sandbox: Callable[..., SandboxInfo], student: Student, db_access: None
) -> None:
    from django.contrib.auth import get_user_model

    from playground.sandboxes.services import sandbox_create

    owner = get_user_model().objects.get(username=student.username)
    second, _, _ = sandbox_create(name="second lab", owner=owner)
    page = signed_in(diagram=False, form=True)  # two sandboxes: signing in lands on the list
    expect(page.locator("h1")).to_have_text("Your sandboxes")
    # Sandbox time as a person reads it, never a raw ISO timestamp with microseconds.
    clock = page.locator(f'.sandbox[data-account="{second.account_id}"] time.clock')
    expect(clock).to_have_text(re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d:\d\d UTC$"))
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", page.locator("body").inner_text())
    expect(page.locator(".site-head")).to_contain_text(f"Signed in as {student.username}")
    open_button = page.locator(f'.sandbox[data-account="{second.account_id}"] a.button.primary')
    assert open_button.evaluate("a => getComputedStyle(a).backgroundColor") == "rgb(28, 100, 242)"
    Gui(page, "sandbox-list").screenshot("list")
    page.get_by_role("link", name="second lab").first.click()
    page.wait_for_url(f"**/sandboxes/{second.pk}/")
    expect(page.locator("[data-sandbox-name]")).to_have_text("second lab")


def test_the_sign_in_page_is_styled_and_says_why_a_sign_in_failed(
    browser: Browser, daphne: Server, student: Student
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=daphne.url)
    try:
        page = context.new_page()
        page.goto("/login/")
        card = page.locator("main.card.sign-in")
        expect(card.get_by_role("heading", name="Sign in")).to_be_visible()
        assert card.evaluate("card => getComputedStyle(card).borderTopLeftRadius") != "0px"
        submit = card.locator('button[type="submit"]')
        assert submit.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(28, 100, 242)"
        expect(card.get_by_label("Username")).to_be_visible()
        page.fill("#id_username", student.username)
        page.fill("#id_password", "not the password")
        submit.click()
        expect(card.locator('.error[role="alert"]')).to_contain_text("correct username and password")
        Gui(page, "sign-in").screenshot("refused")
    finally:
        context.close()


def test_an_instructor_watches_a_students_diagram_read_only(
    daphne: Server, browser: Browser, student: Student, aws: Any, db_access: None
) -> None:
    from django.contrib.auth import get_user_model

    from playground.classroom.models import Enrollment
    from playground.classroom.services import classroom_create
    from playground.sandboxes.models import Sandbox

    teacher = get_user_model().objects.create(
        username=f"teacher-{student.username}", password=cheap_hash("pw-teach"), is_staff=True
    )
    classroom = classroom_create(name="e2e class", instructor=teacher)
    owner = get_user_model().objects.get(username=student.username)
    Enrollment.objects.create(classroom=classroom, student=owner, sandbox=Sandbox.objects.get(pk=student.sandbox.id))
    aws("sqs", info=student.sandbox).create_queue(QueueName="homework")

    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=daphne.url)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto("/login/")
        page.fill("#id_username", teacher.username)
        page.fill("#id_password", "pw-teach")
        page.locator('button[type="submit"]').click()
        page.wait_for_url(lambda url: "/login/" not in url)
        page.goto(f"/sandboxes/{student.sandbox.id}/")
        expect(page.locator("body")).to_have_attribute("data-live", "true")
        gui = Gui(page, "instructor")
        expect(page.locator("body")).to_have_class(re.compile(r"\bread-only\b"))
        expect(page.locator(".read-only-note")).to_contain_text(student.username)
        expect(gui.node("homework")).to_be_visible()
        expect(page.locator('#palette button[data-create="queue"]')).to_be_hidden()
        gui.select("homework")
        expect(gui.inspector.locator('[data-form="send"]')).to_be_hidden()
        expect(gui.inspector.locator('[data-action="peek"]')).to_be_visible()
        gui.inspector.locator('[data-action="peek"]').click()  # SQS's own page (/sqs/...) lets an instructor look
        expect(gui.inspector.locator('[data-result="messages"]')).to_have_text("The queue is empty.")
        page.locator("#credentials-button").click()
        expect(page.locator("#credentials-dialog [data-access-key-id]")).to_have_text(student.sandbox.access_key_id)
        expect(page.locator("#credentials-dialog")).not_to_contain_text(student.sandbox.secret_access_key)
        gui.screenshot("read-only")
        # The student sees what happens meanwhile; the instructor's page follows too.
        aws("sqs", info=student.sandbox).create_queue(QueueName="homework-2")
        expect(gui.node("homework-2")).to_be_visible()
        assert not errors, f"script errors in the page: {errors}"
    finally:
        context.close()


def test_joining_a_classroom_shows_the_first_keys_secret_once(
    daphne: Server, browser: Browser, student: Student, db_access: None
) -> None:
    from django.contrib.auth import get_user_model

    from playground.classroom.services import classroom_create

    teacher = get_user_model().objects.create(username=f"teacher-{student.username}", is_staff=True)
    classroom = classroom_create(name="join class", instructor=teacher)
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=daphne.url)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"/join/?code={classroom.join_code}")
        page.fill("#id_username", f"joiner-{student.username}")
        page.fill("#id_password", "a long password")
        page.fill("#id_password_again", "a long password")
        page.get_by_role("button", name="Sign up and join").click()
        fresh = page.locator("[data-new-key]")
        expect(fresh).to_contain_text("it is not shown again")
        key_id = fresh.get_attribute("data-new-key")
        secret = fresh.locator("[data-secret]").inner_text()
        expect(fresh).to_contain_text(f"aws configure set aws_secret_access_key {secret} --profile playground")
        Gui(page, "joined").screenshot("first-key")

        page.locator("[data-open-sandbox]").click()
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        page.locator("#credentials-button").click()
        expect(page.locator(f'#credentials-dialog tr[data-key="{key_id}"]')).to_contain_text("Active")
        assert secret not in page.content()
        # The join answer is not kept for Back to show again: Chromium offers to resubmit the form.
        with pytest.raises(PlaywrightError, match="ERR_CACHE_MISS"):
            page.go_back()
        assert not errors, f"script errors in the page: {errors}"
    finally:
        context.close()
