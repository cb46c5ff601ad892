"""The roster in the GUI, in Chromium: the instructor's way from the landing page to Classrooms,
an import whose credentials download as CSV, a new password for a student (the old one stops
working), removing a student, and closing joining."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.classroom.conftest import Room
from tests.conftest import Server

pytestmark = pytest.mark.live


def _signs_in(server: Server, username: str, password: str) -> bool:
    session = requests.Session()
    session.get(f"{server.url}/login/", timeout=10)
    answer = session.post(
        f"{server.url}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{server.url}/login/"},
        timeout=30,
        allow_redirects=False,
    )
    return answer.status_code == 302


def test_the_instructors_landing_page_links_to_classrooms(room: Callable[..., Room]) -> None:
    classroom = room(students=0)
    page = classroom.page_as(classroom.instructor, "/")
    page.get_by_role("link", name="Classrooms").first.click()
    expect(page).to_have_url(f"{classroom.server.url}/classrooms/")
    expect(page.get_by_role("heading", name="Your classrooms")).to_be_visible()
    page.get_by_role("link", name=page.locator("table a").first.inner_text()).click()
    expect(page).to_have_url(f"{classroom.server.url}/classrooms/{classroom.id}/")


def test_import_download_credentials_new_password_remove_and_close_joining(
    room: Callable[..., Room], daphne: Server, db_access: None
) -> None:
    from playground.classroom.models import Classroom, Enrollment
    from playground.sandboxes.models import Sandbox

    classroom = room(students=1)
    [kept] = classroom.students
    page = classroom.dashboard()
    newcomer = f"new-{classroom.id}-student"
    page.get_by_label("or paste CSV").fill(f"username\n{newcomer}\n")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="1 students imported")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("credentials-csv").click()
    assert download.value.suggested_filename.endswith("-credentials.csv")
    with open(download.value.path(), encoding="utf-8") as exported:
        [row] = list(csv.DictReader(io.StringIO(exported.read())))
    assert row["username"] == newcomer
    assert row["access_key_id"].startswith("AKIA")
    assert len(row["secret_access_key"]) == 40
    first_password = row["password"]
    assert _signs_in(daphne, newcomer, first_password)

    # A new password for the newcomer: shown once on the dashboard; the old one stops working.
    page.get_by_role("link", name=classroom_name(classroom.id)).click()
    expect(page.locator("[data-dashboard]")).to_have_attribute("data-live", "true")
    row_of = page.locator(f'tr[data-student="{newcomer}"]')
    page.once("dialog", lambda dialog: dialog.accept())
    row_of.get_by_role("button", name="New password").click()
    shown = page.get_by_test_id("new-password")
    expect(shown).to_contain_text(f"New password for {newcomer}: ")
    new_password = shown.locator("code").inner_text()
    assert new_password != first_password
    assert not _signs_in(daphne, newcomer, first_password)
    assert _signs_in(daphne, newcomer, new_password)

    # Remove the newcomer: their row, enrollment and sandbox go; the other student stays.
    sandbox_id = Enrollment.objects.get(classroom_id=classroom.id, student__username=newcomer).sandbox_id
    page.once("dialog", lambda dialog: dialog.accept())
    row_of.get_by_role("button", name="Remove").click()
    expect(page.get_by_test_id("notice")).to_contain_text(f"Removed {newcomer}.")
    expect(row_of).to_have_count(0)
    expect(page.locator(f'tr[data-student="{kept.username}"]')).to_be_visible()
    assert not Sandbox.objects.filter(pk=sandbox_id).exists()

    # One student's clock speed, from their row.
    row_of = page.locator(f'tr[data-student="{kept.username}"]')
    row_of.get_by_label(f"{kept.username}'s clock speed").fill("10")
    row_of.get_by_role("button", name="Speed").click()
    expect(page.get_by_test_id("notice")).to_contain_text(f"Set {kept.username}'s clock to ×10.")
    expect(row_of).to_contain_text("×10")

    # Close joining: the code admits no one; open it again.
    page.get_by_role("button", name="Close joining").click()
    expect(page.get_by_test_id("joining-closed")).to_be_visible()
    code = Classroom.objects.get(pk=classroom.id).join_code
    assert _join(daphne, code).status_code == 400
    page.get_by_role("button", name="Open joining").click()
    expect(page.get_by_test_id("joining-closed")).to_have_count(0)
    assert _join(daphne, code).status_code == 201


def classroom_name(classroom_id: int) -> str:
    from playground.classroom.models import Classroom

    return Classroom.objects.get(pk=classroom_id).name


def _join(server: Server, code: str) -> Any:
    """A new user joins with the code over the REST API."""
    import secrets

    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.create(username=f"joiner-{secrets.token_hex(4)}")
    token = Token.objects.create(user=user)
    return requests.post(
        f"{server.url}/api/classrooms/join/",
        json={"code": code},
        headers={"Authorization": f"Token {token.key}"},
        timeout=30,
    )


def test_a_new_password_over_http_ends_the_old_one_and_the_token_but_not_for_staff(
    daphne: Server, make_classroom: Callable[..., Any], enroll: Callable[..., Any], db_access: None
) -> None:
    from django.contrib.auth import get_user_model

    room = make_classroom(daphne)
    student, api, _ = enroll(daphne, room)
    [row] = room.api.ok("GET", f"/classrooms/{room.id}/students/")
    answer = room.api.post(f"/classrooms/{room.id}/students/{row['id']}/password/")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.json()["username"] == student.username
    assert not _signs_in(daphne, student.username, student.password)
    assert _signs_in(daphne, student.username, answer.json()["password"])
    assert api.get("/sandboxes/").status_code == 401  # the old token is revoked

    get_user_model().objects.filter(username=student.username).update(is_staff=True)
    staff = room.api.post(f"/classrooms/{room.id}/students/{row['id']}/password/")
    assert staff.status_code == 403
    assert staff.json()["code"] == "NotAllowed"
    assert room.api.post(f"/classrooms/{room.id}/students/0/password/").status_code == 404
    # Another instructor's student: no such student for this one.
    other = make_classroom(daphne)
    assert other.api.post(f"/classrooms/{room.id}/students/{row['id']}/password/").status_code == 404
