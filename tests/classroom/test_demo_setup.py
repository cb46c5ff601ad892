"""`manage.py demo_setup` (what `make run` prints) leaves no account with a known password on a
strict-mode server: the demo user's password is a new random one each run, printed once, and the
open mode's known password neither signs in nor gets an API token there."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import requests

from tests.conftest import ROOT, Server

pytestmark = pytest.mark.live

KNOWN = "playground"


def _demo_setup(server: Server, mode: str) -> dict[str, str]:
    env = dict(server.env, PLAYGROUND_AUTH_MODE=mode)
    done = subprocess.run(
        [sys.executable, "manage.py", "demo_setup", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    details: dict[str, str] = json.loads(done.stdout)
    return details


def _form_sign_in(server: Server, username: str, password: str) -> requests.Response:
    session = requests.Session()
    session.get(f"{server.url}/login/", timeout=10)
    return session.post(
        f"{server.url}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{server.url}/login/"},
        timeout=30,
        allow_redirects=False,
    )


def _token(server: Server, username: str, password: str) -> requests.Response:
    return requests.post(f"{server.url}/api/token/", json={"username": username, "password": password}, timeout=30)


def test_strict_mode_leaves_no_demo_account_with_a_known_password(
    strict_server: Server, django_db_blocker: Any
) -> None:
    # A database first used in open mode: the demo user has the known password there.
    opened = _demo_setup(strict_server, "open")
    assert opened["username"] == "demo"
    assert opened["password"] == KNOWN

    first = _demo_setup(strict_server, "strict")
    second = _demo_setup(strict_server, "strict")
    assert first["username"] == second["username"] == "demo"
    for printed in (first["password"], second["password"]):
        assert printed != KNOWN
        assert len(printed) >= 20
    assert first["password"] != second["password"]

    with django_db_blocker.unblock():
        from django.contrib.auth import get_user_model

        demo = get_user_model().objects.get(username="demo")
        assert not demo.check_password(KNOWN)
        assert not demo.check_password(first["password"])

    # The known password and the previous run's: no sign-in, no token.
    for stale in (KNOWN, first["password"]):
        refused = _form_sign_in(strict_server, "demo", stale)
        assert refused.status_code == 200  # the form again, with its error; no redirect into the GUI
        assert "sessionid" not in refused.cookies
        assert _token(strict_server, "demo", stale).status_code == 401
    # The password printed on the operator's console works.
    assert _form_sign_in(strict_server, "demo", second["password"]).status_code == 302
    answer = _token(strict_server, "demo", second["password"])
    assert answer.status_code == 200
    assert answer.json()["token"]
