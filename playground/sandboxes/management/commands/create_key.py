from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from playground.sandboxes.models import AccessKey, Clock, Sandbox


class Command(BaseCommand):
    help = "Create another access key for a sandbox and print it (the secret is shown only here)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account_id")

    def handle(self, *args: Any, **opts: Any) -> None:
        sandbox = Sandbox.objects.filter(account_id=opts["account_id"]).first()
        if sandbox is None:
            raise CommandError(f"no sandbox with account id {opts['account_id']}")
        key, secret = AccessKey.issue(sandbox=sandbox, now=Clock.current(sandbox.pk).now())
        self.stdout.write(f"aws_access_key_id = {key.access_key_id}")
        self.stdout.write(f"aws_secret_access_key = {secret}")
