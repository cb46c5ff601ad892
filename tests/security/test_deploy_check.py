"""Django's deployment checklist passes for a classroom configured as docs/classroom-and-api.md
says (strict mode, HTTPS public address, a strong SECRET_KEY), and strict mode refuses to start
with a guessable SECRET_KEY."""

from __future__ import annotations

import secrets
import subprocess
import sys

from cryptography.fernet import Fernet

from tests.conftest import ROOT, _server_env

CLASSROOM = {
    "PLAYGROUND_AUTH_MODE": "strict",
    "PLAYGROUND_PUBLIC_URL": "https://aws-class.example.edu",
    "ALLOWED_HOSTS": "aws-class.example.edu",
    "PLAYGROUND_MASTER_KEY": Fernet.generate_key().decode(),
}


def _check(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_server_env(**CLASSROOM, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_for_the_classroom_settings() -> None:
    result = _check(SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_strict_mode_refuses_a_weak_secret_key() -> None:
    result = _check(SECRET_KEY="classroom-2026")
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr
