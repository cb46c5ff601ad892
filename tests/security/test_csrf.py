"""CSRF: every form and every state-changing endpoint a browser session can reach refuses a post
that lacks the CSRF token, or that comes from another site's page (a foreign Origin), and takes
the same post with the token from our own page. Token-authenticated REST calls (scripts) need none.

The GUI's forms and JSON endpoints are listed from playground/urls.py, playground/web/urls.py and
playground/classroom/urls.py; the REST API's routes are read from its URL configuration."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from django.urls import reverse
from playwright.sync_api import expect, sync_playwright

from tests.api.conftest import Classroom, login, unique
from tests.conftest import Server
from tests.security.conftest import Student, api_routes, unsafe_methods
from tests.waiting import wait_until

pytestmark = pytest.mark.live

FOREIGN_ORIGIN = "https://attacker.example"


@dataclass
class Post:
    path: str
    who: str  # "instructor", "student" or "anonymous"
    form: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = None  # a fetch() from the page, token in the X-CSRFToken header
    ok: tuple[int, ...] = (302,)


def _gui_posts(classroom: Classroom, alice: Student) -> dict[str, Post]:
    room, box, enrollment = classroom.id, alice.sandbox["id"], alice.enrollment_id
    return {
        "login": Post("/login/", "anonymous", {"username": alice.user.username, "password": alice.user.password}),
        "admin-login": Post(
            "/admin/login/",
            "anonymous",
            {"username": classroom.instructor.username, "password": classroom.instructor.password},
        ),
        "join": Post("/join/", "student", {"code": classroom.join_code}),
        "classroom-create": Post("/classrooms/", "instructor", {"name": unique("room")}),
        "classroom-import": Post(
            f"/classrooms/{room}/import/", "instructor", {"csv_text": f"username\n{unique('csv')}\n"}, ok=(200,)
        ),
        "classroom-clock": Post(f"/classrooms/{room}/clock/", "instructor", {"action": "pause"}),
        "classroom-join-code": Post(f"/classrooms/{room}/join-code/", "instructor"),
        "student-reset": Post(f"/classrooms/{room}/students/{enrollment}/reset/", "instructor"),
        "student-clock": Post(f"/classrooms/{room}/students/{enrollment}/clock/", "instructor", {"action": "resume"}),
        "sandbox-layout": Post(
            f"/sandboxes/{box}/layout/", "student", json={"positions": {"x": {"x": 1, "y": 2}}}, ok=(200,)
        ),
        "logout": Post("/logout/", "student"),
    }


def _session(server: Server, who: str, classroom: Classroom, alice: Student) -> requests.Session:
    if who == "anonymous":
        session = requests.Session()
        session.get(f"{server.url}/login/", timeout=10)  # the page sets the CSRF cookie
        return session
    user = classroom.instructor if who == "instructor" else alice.user
    return login(server, user.username, user.password)


def _send(
    session: requests.Session, server: Server, post: Post, *, token: bool, origin: str | None
) -> requests.Response:
    headers = {"Origin": origin} if origin else {}
    csrf = session.cookies.get("csrftoken") or ""
    if post.json is not None:
        if token:
            headers["X-CSRFToken"] = csrf
        return session.post(server.url + post.path, json=post.json, headers=headers, timeout=30, allow_redirects=False)
    data = dict(post.form, csrfmiddlewaretoken=csrf) if token else post.form
    return session.post(server.url + post.path, data=data, headers=headers, timeout=30, allow_redirects=False)


def _refused_for_csrf(response: requests.Response) -> bool:
    return response.status_code == 403 and "CSRF" in response.text


def test_every_gui_form_needs_the_token_from_our_own_page(
    strict_server: Server, classroom: Classroom, student: Callable[[], Student]
) -> None:
    alice = student()
    posts = _gui_posts(classroom, alice)  # in an order where each leaves the next possible: logout last
    sessions = {who: _session(strict_server, who, classroom, alice) for who in ("anonymous", "instructor", "student")}
    wrong: list[tuple[Any, ...]] = []
    for name, post in posts.items():
        session = sessions[post.who]
        missing = _send(session, strict_server, post, token=False, origin=strict_server.url)
        foreign = _send(session, strict_server, post, token=True, origin=FOREIGN_ORIGIN)
        if not (_refused_for_csrf(missing) and _refused_for_csrf(foreign)):
            wrong.append((name, "refused", missing.status_code, foreign.status_code))
    for name, post in posts.items():
        session = sessions[post.who] if post.who != "anonymous" else _session(strict_server, post.who, classroom, alice)
        accepted = _send(session, strict_server, post, token=True, origin=strict_server.url)
        if accepted.status_code not in post.ok:
            wrong.append((name, "accepted", accepted.status_code, accepted.text[:200]))
    assert wrong == []


def _api_path(name: str, pattern: Any, classroom: Classroom, alice: Student) -> str:
    values = {
        "sandbox_id": alice.sandbox["id"],
        "access_key_id": alice.key_id,
        "classroom_id": classroom.id,
        "enrollment_id": alice.enrollment_id,
        "session_id": 1,
        "lab_id": "sqs-decouple",
        "service": "sqs",
        "operation": "ListQueues",
    }
    return reverse(name, kwargs={key: values[key] for key in pattern.pattern.converters})


def test_every_session_authenticated_api_write_needs_the_token(
    strict_server: Server, classroom: Classroom, student: Callable[[], Student]
) -> None:
    alice = student()
    routes = [(name, pattern) for name, pattern in api_routes() if name != "api-token"]
    assert len(routes) > 30
    pupil = login(strict_server, alice.user.username, alice.user.password)
    tried = 0
    for name, pattern in routes:
        path = _api_path(name, pattern, classroom, alice)
        for method in unsafe_methods(pattern):
            for headers in ({"Origin": strict_server.url}, {"Origin": FOREIGN_ORIGIN, "X-CSRFToken": "x" * 32}):
                response = pupil.request(method, strict_server.url + path, json={}, headers=headers, timeout=30)
                assert _refused_for_csrf(response), (method, path, response.status_code, response.text[:300])
                tried += 1
    assert tried > 40
    # The same write with the token, from our own page, goes through; a token-authenticated script
    # needs no CSRF token at all, whatever Origin it sends.
    pupil.headers.update({"X-CSRFToken": pupil.cookies["csrftoken"], "Origin": strict_server.url})
    clock = f"{strict_server.url}/api/sandboxes/{alice.sandbox['id']}/clock/"
    assert pupil.post(clock + "pause/", json={}, timeout=30).json()["paused"] is True
    script = alice.api.post(f"/sandboxes/{alice.sandbox['id']}/clock/resume/", headers={"Origin": FOREIGN_ORIGIN})
    assert script.status_code == 200
    assert script.json()["paused"] is False


def test_a_page_on_another_site_cannot_post_as_the_signed_in_user(
    strict_server: Server, classroom: Classroom, student: Callable[[], Student]
) -> None:
    """In Chromium: the GUI's own Pause button (api.js sends X-CSRFToken) pauses the clock; a bare
    fetch without the token, and a form that another site's page submits in the same browser, do
    not resume it."""
    alice = student()
    own_clock = f"/sandboxes/{alice.sandbox['id']}/clock/"
    clock_api = f"/api{own_clock}"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            context = chromium.new_context(base_url=strict_server.url)
            page = context.new_page()
            page.goto("/login/")
            page.fill("#id_username", alice.user.username)
            page.fill("#id_password", alice.user.password)
            page.locator('button[type="submit"]').click()
            page.wait_for_url(f"**/sandboxes/{alice.sandbox['id']}/")
            expect(page.locator("body")).to_have_attribute("data-ready", "true")  # its buttons work
            page.locator('button[data-clock="pause"]').click()
            # The server's clock, not the button: the page's own start-up read of the clock may
            # still be under way on a busy machine, and it would show the clock from before.
            wait_until(lambda: alice.api.ok("GET", own_clock)["paused"] is True, timeout=30)
            bare = page.evaluate(f"fetch('{clock_api}resume/', {{method: 'POST'}}).then(r => r.status)")
            assert bare == 403
            # Another site (to a browser, localhost is not 127.0.0.1) submits a form to our address.
            attacker = context.new_page()
            attacker.goto(strict_server.url.replace("127.0.0.1", "localhost") + "/healthz")
            attacker.set_content(f'<form method="post" action="{strict_server.url}{clock_api}resume/"></form>')
            with attacker.expect_navigation():
                attacker.evaluate("document.forms[0].submit()")
            # Refused twice over: the browser keeps the session cookie (SameSite=Lax) from a cross-site
            # post, and a post that did carry it would still lack the token.
            expect(attacker.locator("body")).to_contain_text(re.compile("CSRF|credentials were not provided"))
        finally:
            chromium.close()
    assert alice.api.ok("GET", own_clock)["paused"] is True
