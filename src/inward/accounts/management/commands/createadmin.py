from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from inward.accounts.services import admin_create


class Command(BaseCommand):
    help = "Create an admin (or reset its password) and print the password once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="admin@example.com")
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Do nothing when the user already exists (used by `make run`).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from inward.accounts.models import User

        if options["if_missing"] and User.objects.filter(username=options["username"]).exists():
            self.stdout.write(f"Admin {options['username']!r} exists; password unchanged.")
            return
        created = admin_create(username=options["username"], email=options["email"])
        self.stdout.write(self.style.SUCCESS(f"Admin user:     {created.user.username}"))
        self.stdout.write(self.style.SUCCESS(f"Admin password: {created.password}"))
        self.stdout.write("This password is shown once. Change it after signing in.")
