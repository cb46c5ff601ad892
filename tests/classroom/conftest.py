"""Fixtures of the instructor's classroom tests: users, classrooms, students and clean-up come from
tests/api/conftest.py; Chromium from tests/e2e/conftest.py. `room` makes a classroom with its
instructor and students as the domain functions do, and opens pages signed in as any of them."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.api.conftest import (  # noqa: F401  (fixtures, registered for this folder by importing them)
    _remove_the_sandboxes_made_here,
    as_user,
    enroll,
    make_classroom,
    make_user,
)
from tests.conftest import Server
from tests.e2e.conftest import browser, cheap_hash, session_cookie  # noqa: F401  (the browser fixture)
from tests.e2e.gui import UI_TIMEOUT


@dataclass
class Pupil:
    username: str
    password: str
    enrollment_id: int
    sandbox_id: int
    account_id: str
    access_key_id: str
    secret_access_key: str
    region: str


@dataclass
class Room:
    """A classroom on the open-mode server, with pages signed in as its people."""

    server: Server
    browser: Browser
    blocker: Any
    id: int
    instructor: str
    students: list[Pupil] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add_student(self, prefix: str = "pupil") -> Pupil:
        from django.contrib.auth import get_user_model

        from playground.classroom.models import Classroom
        from playground.classroom.services import classroom_join

        username = f"{prefix}-{secrets.token_hex(4)}"
        with self.blocker.unblock():
            user = get_user_model().objects.create(username=username, password=cheap_hash(f"pw-{username}"))
            joined = classroom_join(classroom=Classroom.objects.get(pk=self.id), student=user)
        assert joined.key is not None
        sandbox = joined.enrollment.sandbox
        pupil = Pupil(
            username, f"pw-{username}", joined.enrollment.pk, sandbox.pk, sandbox.account_id,
            joined.key.access_key_id, joined.secret, sandbox.default_region,
        )  # fmt: skip
        self.students.append(pupil)
        return pupil

    def page_as(self, username: str, path: str) -> Page:
        context = self.browser.new_context(viewport={"width": 1400, "height": 900}, base_url=self.server.url)
        context.set_default_timeout(UI_TIMEOUT * 2)
        self.contexts.append(context)
        with self.blocker.unblock():
            context.add_cookies([session_cookie(username, self.server.url)])  # type: ignore[list-item]
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{username}: {error}"))
        page.goto(path)
        return page

    def dashboard(self) -> Page:
        page = self.page_as(self.instructor, f"/classrooms/{self.id}/")
        expect(page.locator("h1")).to_be_visible()
        return page

    def student_page(self, pupil: Pupil) -> Page:
        """The student's diagram, drawn and live."""
        page = self.page_as(pupil.username, f"/sandboxes/{pupil.sandbox_id}/")
        expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=UI_TIMEOUT * 2)
        expect(page.locator("body")).to_have_attribute("data-live", "true", timeout=UI_TIMEOUT * 2)
        return page


@pytest.fixture
def room(
    daphne: Server,
    celery_worker: Any,
    browser: Browser,  # noqa: F811
    django_db_blocker: Any,
) -> Iterator[Callable[..., Room]]:
    """room(students=2) -> a classroom of a new staff instructor with that many students; every
    page opened is closed at the end, and a script error in any of them fails the test."""
    made: list[Room] = []

    def make(students: int = 2) -> Room:
        from django.contrib.auth import get_user_model

        from playground.classroom.services import classroom_create

        username = f"teacher-{secrets.token_hex(4)}"
        with django_db_blocker.unblock():
            teacher = get_user_model().objects.create(
                username=username, password=cheap_hash(f"pw-{username}"), is_staff=True
            )
            classroom = classroom_create(name=f"class {secrets.token_hex(3)}", instructor=teacher)
        made_room = Room(daphne, browser, django_db_blocker, classroom.pk, username)
        for _ in range(students):
            made_room.add_student()
        made.append(made_room)
        return made_room

    yield make
    errors = [error for each in made for error in each.errors]
    for each in made:
        for context in each.contexts:
            context.close()
    assert not errors, f"script errors in the pages: {errors}"
