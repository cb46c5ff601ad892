"""The demo login and sandbox `make run` prints.

Open mode (a machine of one's own): the user `demo` with the password `playground`, printed at start.
Strict mode (a classroom server others reach): no account may have a password anyone knows, so the
demo user gets a new random password on every run, printed on the operator's console only; an earlier
run's password (or the open mode's known one, from a database first used in open mode) stops working.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from playground.sandboxes.models import Sandbox
from playground.sandboxes.services import sandbox_create

DEMO_USER = "demo"
OPEN_MODE_PASSWORD = "playground"  # noqa: S105  (a local demo login, open mode only, printed at start)


def demo_password() -> str:
    """The password the demo user gets now: the known one in open mode, a new random one in strict."""
    if settings.AUTH_MODE == "strict":
        return secrets.token_urlsafe(18)
    return OPEN_MODE_PASSWORD


class Command(BaseCommand):
    help = "Create the demo user and its sandbox unless a sandbox exists; print the login and keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the details as JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        users = get_user_model()
        password = demo_password()
        user = users.objects.filter(username=DEMO_USER).first()
        if user is None:
            user = users.objects.create_user(username=DEMO_USER, password=password)
        elif settings.AUTH_MODE == "strict" or not user.check_password(password):
            # Strict: the password printed last time is gone from every console but the operator's;
            # a new one each run. Open: an account left by a strict run gets the known one back.
            user.set_password(password)
            user.save(update_fields=["password"])
        sandbox = Sandbox.objects.filter(owner=user).order_by("id").first()
        if sandbox is None:
            sandbox, _, _ = sandbox_create(name="demo", owner=user)
        key = sandbox.access_keys.filter(active=True, access_key_id__startswith="AKIA").first()
        details = {
            "username": DEMO_USER,
            "password": password,
            "account_id": sandbox.account_id,
            "region": sandbox.default_region,
            "access_key_id": key.access_key_id if key else "",
            "secret_access_key": key.secret_access_key if key else "",
        }
        self.stdout.write(json.dumps(details) if opts["json"] else "\n".join(f"{k}: {v}" for k, v in details.items()))
