from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inward.accounts.services import token_create


class Command(BaseCommand):
    help = "Manage API tokens: `inward token create --user NAME --name LABEL`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print its secret once.")
        create.add_argument("--user", required=True, help="Username the token acts as.")
        create.add_argument("--name", default="cli", help="A label for the token.")

    def handle(self, *args: Any, **options: Any) -> None:
        from inward.accounts.models import User

        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user named {options['user']!r}.")
        issued = token_create(user=user, name=options["name"])
        self.stdout.write(issued.secret)
