from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from playground.sandboxes.services import sandbox_create


class Command(BaseCommand):
    help = "Create a sandbox (an AWS account with its own clock) and print its first access key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--owner", help="username of the owner")
        parser.add_argument("--account-id", help="12 digits; random when omitted")
        parser.add_argument("--region", help="default region (us-east-1)")

    def handle(self, *args: Any, **opts: Any) -> None:
        owner = None
        if opts["owner"]:
            owner = get_user_model().objects.filter(username=opts["owner"]).first()
            if owner is None:
                raise CommandError(f"no user {opts['owner']}")
        try:
            sandbox, key, secret = sandbox_create(
                name=opts["name"], owner=owner, account_id=opts["account_id"], region=opts["region"]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"sandbox {sandbox.name} account {sandbox.account_id}")
        self.stdout.write(f"aws_access_key_id = {key.access_key_id}")
        self.stdout.write(f"aws_secret_access_key = {secret}")
