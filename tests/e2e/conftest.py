"""Browser fixtures: one Chromium (Debian's, never a downloaded build) for the session, and a
signed-in page on a fresh sandbox of its own for each test, at 1280x720."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from tests.conftest import SandboxInfo, Server
from tests.e2e.gui import UI_TIMEOUT, Gui

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="package")
def browser(daphne: Server, celery_worker: Any) -> Iterator[Browser]:
    """Chromium for the browser tests, closed when they are done.

    While Playwright's sync API runs, its event loop counts as running in the test's thread, and
    Django refuses ORM calls there (fixtures make sandboxes, tests read clocks). The ORM is used the
    plain synchronous way here, never from a coroutine, so that check is switched off for these
    tests only: after the live servers started (a server started meanwhile, such as the strict one
    when a parallel worker first needs it here, does not inherit the switch: see `_server_env`), and
    back on when Playwright stops, so that the rest of the suite runs with the check.
    """
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@dataclass
class Student:
    username: str
    password: str
    sandbox: SandboxInfo


@pytest.fixture
def student(django_db_setup: Any, django_db_blocker: Any) -> Student:
    """A user of their own with one sandbox (so signing in lands on its diagram).

    Made here rather than with make_sandbox(username=...): hashing a password costs about a second
    of CPU on a busy machine, twice per test (making the user, signing in). This user's password
    hash is a cheap one, and most tests sign in with a session made here (see `signed_in`).
    """
    from django.contrib.auth import get_user_model

    from playground.sandboxes.services import sandbox_create

    username = f"student-{secrets.token_hex(4)}"
    password = f"pw-{username}"
    with django_db_blocker.unblock():
        user = get_user_model().objects.create(username=username, password=cheap_hash(password))
        sandbox, key, secret = sandbox_create(name="lab", owner=user)
    info = SandboxInfo(sandbox.pk, sandbox.account_id, key.access_key_id, secret, sandbox.default_region)
    return Student(username, password, info)


def cheap_hash(password: str) -> str:
    """A real PBKDF2 password hash with few iterations: checked by the same code, in a millisecond
    (the iteration count travels in the hash)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    return hasher.encode(password, hasher.salt(), iterations=1000)


def session_cookie(username: str, url: str) -> dict[str, Any]:
    """A signed-in session for the user, made as Django's test client does (no password check)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": url}


@pytest.fixture
def signed_in(
    daphne: Server, celery_worker: Any, browser: Browser, student: Student, django_db_blocker: Any
) -> Iterator[Callable[..., Page]]:
    """signed_in(viewport=..., diagram=True, form=False) -> a page signed in as the student: on
    their sandbox's diagram, drawn and live (or, diagram=False, wherever signing in lands). With
    form=True it signs in through the login form, as a person does. Every page made is closed at
    the end of the test."""
    contexts = []
    errors: list[str] = []

    def open_page(viewport: ViewportSize | None = None, diagram: bool = True, form: bool = False) -> Page:
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 720}, base_url=daphne.url)
        context.set_default_timeout(UI_TIMEOUT * 2)
        contexts.append(context)
        page = context.new_page()
        # A script error fails the test, even when what the test looks at still turned out right.
        page.on("pageerror", lambda error: errors.append(str(error)))
        if form:
            page.goto("/login/")
            page.fill("#id_username", student.username)
            page.fill("#id_password", student.password)
            page.locator('button[type="submit"]').click()
            page.wait_for_url(lambda url: "/login/" not in url)
        else:
            with django_db_blocker.unblock():
                context.add_cookies([session_cookie(student.username, daphne.url)])  # type: ignore[list-item]
            page.goto("/")
        if not diagram:
            return page
        page.wait_for_url(f"**/sandboxes/{student.sandbox.id}/")
        expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=UI_TIMEOUT * 2)
        expect(page.locator("body")).to_have_attribute("data-live", "true", timeout=UI_TIMEOUT * 2)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"script errors in the page: {errors}"


@pytest.fixture
def gui(signed_in: Callable[..., Page], request: pytest.FixtureRequest) -> Gui:
    return Gui(signed_in(), request.node.name)
