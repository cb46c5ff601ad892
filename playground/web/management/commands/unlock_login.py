from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from playground.web.logins import failures_forgotten


class Command(BaseCommand):
    help = "Let a user name (and optionally an address) sign in again before its window of failed sign-ins ends."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--address", help="also clear this client address's count (e.g. a classroom's NAT)")

    def handle(self, *args: Any, **opts: Any) -> None:
        failures_forgotten(username=opts["username"], address=opts["address"])
        self.stdout.write(f"{opts['username']} may sign in again")
