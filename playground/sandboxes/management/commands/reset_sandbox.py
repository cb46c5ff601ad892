from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from playground.sandboxes.models import Sandbox
from playground.sandboxes.services import sandbox_reset


class Command(BaseCommand):
    help = "Delete every resource of a sandbox (its keys and clock stay)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account_id")

    def handle(self, *args: Any, **opts: Any) -> None:
        sandbox = Sandbox.objects.filter(account_id=opts["account_id"]).select_related("clock").first()
        if sandbox is None:
            raise CommandError(f"no sandbox with account id {opts['account_id']}")
        sandbox_reset(sandbox=sandbox)
        self.stdout.write(f"reset {sandbox}")
