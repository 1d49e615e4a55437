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
    help = "Migrate, then serve the web app and run a background worker until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("INWARD_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("INWARD_PORT", "8000")))
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-worker", action="store_true", help="Serve only; no worker.")
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        worker = None if options["no_worker"] else self._start_worker()
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
                if worker is not None and worker.poll() is not None:
                    self.stderr.write("The background worker stopped; restarting it.")
                    worker = self._start_worker()
        finally:
            server.close()
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()
            self.stdout.write("Stopped.")

    def _start_worker(self) -> subprocess.Popen[bytes]:
        # The worker is a child in our process group, so a terminal's Ctrl-C reaches both.
        command = [sys.executable, "-m", "inward", "worker", "--interval", "0.5"]
        return subprocess.Popen(command, env=os.environ.copy())  # noqa: S603

    def _start_server(self, host: str, port: int, threads: int) -> Any:
        from waitress.server import create_server

        from inward.wsgi import application

        server = create_server(application, host=host, port=port, threads=threads)
        thread = threading.Thread(target=server.run, name="waitress", daemon=True)
        thread.start()
        return server
