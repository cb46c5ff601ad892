from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from playground.sandboxes.models import Sandbox
from playground.sandboxes.services import sandbox_create

DEMO_USER = "demo"
DEMO_PASSWORD = "playground"  # noqa: S105  (a local demo login, printed at start)


class Command(BaseCommand):
    help = "Create the demo user and its sandbox unless a sandbox exists; print the login and keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the details as JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        users = get_user_model()
        user = users.objects.filter(username=DEMO_USER).first()
        if user is None:
            user = users.objects.create_user(username=DEMO_USER, password=DEMO_PASSWORD)
        sandbox = Sandbox.objects.filter(owner=user).order_by("id").first()
        if sandbox is None:
            sandbox, _, _ = sandbox_create(name="demo", owner=user)
        key = sandbox.access_keys.filter(active=True, access_key_id__startswith="AKIA").first()
        details = {
            "username": DEMO_USER,
            "password": DEMO_PASSWORD,
            "account_id": sandbox.account_id,
            "region": sandbox.default_region,
            "access_key_id": key.access_key_id if key else "",
            "secret_access_key": key.secret_access_key if key else "",
        }
        self.stdout.write(json.dumps(details) if opts["json"] else "\n".join(f"{k}: {v}" for k, v in details.items()))
