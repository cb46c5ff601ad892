from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Create a Playground user (a student, or with --staff an instructor)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--staff", action="store_true", help="an instructor")

    def handle(self, *args: Any, **opts: Any) -> None:
        users = get_user_model()
        if users.objects.filter(username=opts["username"]).exists():
            raise CommandError(f"user {opts['username']} already exists")
        user = users.objects.create_user(username=opts["username"], email=opts["email"], password=opts["password"])
        user.is_staff = opts["staff"]
        user.save()
        self.stdout.write(f"created user {user.get_username()}")
