from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Migrate, then serve the web app with a background worker and the sender "
        "(`inward deliver`) until Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("INWARD_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("INWARD_PORT", "8000")))
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-worker", action="store_true", help="Serve only; no worker.")
        parser.add_argument(
            "--no-sender", action="store_true", help="Do not run `inward deliver` alongside."
        )
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        # Each child is restarted if it dies: name -> (command, process).
        children = {
            name: (command, self._start(command))
            for name, command in self._child_commands(options).items()
        }
        stop = threading.Event()

        def _stop(signum: int, frame: object) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        server = self._start_server(options["host"], options["port"], options["threads"])
        url = f"http://{options['host']}:{options['port']}"
        self.stdout.write(self.style.SUCCESS(f"Inward is serving on {url} (Ctrl-C stops)"))
        try:
            while not stop.wait(0.5):
                for name, (command, process) in children.items():
                    if process.poll() is not None:
                        self.stderr.write(f"The {name} stopped; restarting it.")
                        children[name] = (command, self._start(command))
        finally:
            server.close()
            for _command, process in children.values():
                process.send_signal(signal.SIGTERM)
            for _command, process in children.values():
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
            self.stdout.write("Stopped.")

    def _child_commands(self, options: dict[str, Any]) -> dict[str, list[str]]:
        inward = [sys.executable, "-m", "inward"]
        commands = {}
        if not options["no_worker"]:
            commands["background worker"] = [*inward, "worker", "--interval", "0.5"]
        if not options["no_sender"]:
            commands["sender"] = [*inward, "deliver", "--worker-id", "serve"]
        return commands

    def _start(self, command: list[str]) -> subprocess.Popen[bytes]:
        # Children are in our process group, so a terminal's Ctrl-C reaches them too.
        return subprocess.Popen(command, env=os.environ.copy())  # noqa: S603

    def _start_server(self, host: str, port: int, threads: int) -> Any:
        from waitress.server import create_server

        from inward.wsgi import application

        server = create_server(application, host=host, port=port, threads=threads)
        thread = threading.Thread(target=server.run, name="waitress", daemon=True)
        thread.start()
        return server
