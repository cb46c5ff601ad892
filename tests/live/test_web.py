"""The pages a signed-in user sees today, over HTTP against the live server."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.conftest import SandboxInfo, Server

pytestmark = pytest.mark.live


def test_home_page_shows_the_sandbox_but_never_a_secret(daphne: Server, make_sandbox: Any) -> None:
    info: SandboxInfo = make_sandbox(name="web-lab", username="web-user")
    session = requests.Session()
    session.get(f"{daphne.url}/login/", timeout=10)
    session.post(
        f"{daphne.url}/login/",
        data={"username": "web-user", "password": "pw-web-user", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{daphne.url}/login/"},
        timeout=10,
    )
    page = session.get(f"{daphne.url}/", timeout=10).text
    assert "web-lab" in page
    assert info.account_id in page
    assert info.secret_access_key not in page  # shown once, when the key was made (the dialog lists keys)


def test_home_page_asks_anonymous_visitors_to_sign_in(daphne: Server) -> None:
    response = requests.get(f"{daphne.url}/", timeout=10, allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/")


def test_static_files_are_served_by_the_same_server(daphne: Server) -> None:
    response = requests.get(f"{daphne.url}/static/css/playground.css", timeout=10)
    assert response.status_code == 200
    assert "font-family" in response.text
