"""``inward lrs``: the learning record store's LMS clients and statement matching.

inward lrs client create NAME     make a client; prints its key and secret once
inward lrs client list            every client, with its key and state
inward lrs client disable KEY     refuse the client's requests (statements stay)
inward lrs client enable KEY
inward lrs rematch [--client KEY] match stored statements again
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from inward.xapi.clients import client_set_enabled, create_client, lrs_endpoint
from inward.xapi.matching import rematch
from inward.xapi.models import LrsClient


class Command(BaseCommand):
    help = "Manage the learning record store's LMS clients: `inward lrs client create NAME`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="noun", required=True)
        client = sub.add_parser("client", help="LMS clients allowed to send statements.")
        actions = client.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Make a client; print its key and secret.")
        create.add_argument("name", help="The learning system's name, e.g. Moodle.")
        actions.add_parser("list", help="List the clients.")
        for name, text in (("disable", "Refuse a client's requests."), ("enable", "Allow again.")):
            actions.add_parser(name, help=text).add_argument("key", help="The client's key.")
        again = sub.add_parser("rematch", help="Match stored statements to people again.")
        again.add_argument("--client", help="Only this client's statements (its key).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["noun"] == "rematch":
            self._rematch(options.get("client"))
        elif options["action"] == "create":
            self._create(options["name"])
        elif options["action"] == "list":
            self._list()
        else:
            client = self._client(options["key"])
            client_set_enabled(client=client, enabled=options["action"] == "enable", actor=None)
            self.stdout.write(f"{client.name} ({client.key}) is {options['action']}d.")

    def _create(self, name: str) -> None:
        if not name.strip():
            raise CommandError("Give the client a name.")
        client, secret = create_client(name=name)
        self.stdout.write(f"Client:   {client.name}")
        self.stdout.write(f"Endpoint: {lrs_endpoint()}")
        self.stdout.write(f"Key:      {client.key}")
        self.stdout.write(f"Secret:   {secret}")
        self.stdout.write("The secret is shown once; it is not stored.")

    def _list(self) -> None:
        clients = LrsClient.objects.annotate(statement_count=Count("statements")).order_by(
            "name", "pk"
        )
        if not clients:
            self.stdout.write("No LMS clients. Make one with `inward lrs client create NAME`.")
        for c in clients:
            state = "enabled" if c.enabled else "disabled"
            used = f"{c.last_used_at:%Y-%m-%d %H:%M}" if c.last_used_at else "never used"
            self.stdout.write(f"{c.key}\t{state}\t{c.statement_count} statements\t{used}\t{c.name}")

    def _rematch(self, key: str | None) -> None:
        client_id = self._client(key).pk if key else None
        self._counted = False
        changed = rematch(client_id=client_id, progress=self._progress)
        if self._counted and self.stderr.isatty():
            self.stderr.write("")  # end the line the count was rewritten on
        self.stdout.write(f"Statements newly matched: {changed}")

    def _progress(self, done: int, total: int) -> None:
        """A running count on stderr (stdout keeps the result): one line rewritten in a
        terminal, else one line per batch."""
        self._counted = True
        text = f"Matched {done:,} of {total:,} statements…"
        if self.stderr.isatty():
            self.stderr.write(f"\r{text}", style_func=str, ending="")
            self.stderr.flush()
        else:
            self.stderr.write(text, style_func=str)

    @staticmethod
    def _client(key: str) -> LrsClient:
        client = LrsClient.objects.filter(key=key).first()
        if client is None:
            raise CommandError(f"No LMS client with the key {key!r}.")
        return client
