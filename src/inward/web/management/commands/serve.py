"""`inward serve`: migrate, then run the web server, the background worker and the sender.

The web server is waitress. One waitress process runs Python on one core at a time (the
GIL), so ``--web-processes N`` (``INWARD_WEB_PROCESSES``) runs N of them on the same
address: this process binds N listening sockets with ``SO_REUSEPORT`` (Linux), the kernel
spreads new connections over them, and each web process (this command again, with a hidden
``--listen-fd``) serves one. This process only supervises then: it restarts a web process,
the worker or the sender that dies (a restarted web process takes over the same socket, so
connections waiting in it are not lost), and Ctrl-C or SIGTERM stops them all; each web
process writes the tracking hits it still holds before it exits.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

BACKLOG = 1024  # waitress's default
STOP_SECONDS = 15


@dataclass
class _Child:
    command: list[str]
    process: subprocess.Popen[bytes]
    fds: tuple[int, ...] = ()


class Command(BaseCommand):
    help = (
        "Migrate, then serve the web app with a background worker and the sender "
        "(`inward deliver`) until Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("INWARD_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("INWARD_PORT", "8000")))
        parser.add_argument("--threads", type=int, default=8, help="Threads per web process.")
        parser.add_argument(
            "--web-processes",
            type=int,
            default=None,
            help="Web server processes on the same address (Linux); default "
            "INWARD_WEB_PROCESSES, else 1.",
        )
        parser.add_argument("--no-worker", action="store_true", help="Serve only; no worker.")
        parser.add_argument(
            "--no-sender", action="store_true", help="Do not run `inward deliver` alongside."
        )
        parser.add_argument("--no-migrate", action="store_true")
        # A web process started by `inward serve --web-processes N`: serve this listening
        # socket (inherited file descriptor) until SIGTERM.
        parser.add_argument("--listen-fd", type=int, action="append", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["listen_fd"]:
            self._serve_web_process(options["listen_fd"], options["threads"])
            return
        processes = web_processes(options["web_processes"])
        if processes > 1 and not reuse_port_supported():
            self.stderr.write(
                f"{processes} web processes need SO_REUSEPORT, which only Linux offers here; "
                "serving with one web process."
            )
            processes = 1
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        host, port = options["host"], options["port"]
        listening: list[list[socket.socket]] = []
        if processes > 1:
            listening = shared_sockets(host, port, processes)
            port = listening[0][0].getsockname()[1]
        # Each child is restarted if it dies.
        children = {
            name: _Child(command, self._start(command))
            for name, command in self._child_commands(options).items()
        }
        for number, sockets in enumerate(listening, start=1):
            fds = tuple(sock.fileno() for sock in sockets)
            command = self._web_command(fds, options["threads"])
            children[f"web process {number}"] = _Child(command, self._start(command, fds), fds)
        stop = _stop_on_signals()
        server = None if listening else self._start_server(host, port, options["threads"])
        url = f"http://{host}:{port}"
        extra = f", {processes} web processes" if listening else ""
        self.stdout.write(self.style.SUCCESS(f"Inward is serving on {url}{extra} (Ctrl-C stops)"))
        try:
            while not stop.wait(0.5):
                for name, child in children.items():
                    if child.process.poll() is not None:
                        self.stderr.write(f"The {name} stopped; restarting it.")
                        child.process = self._start(child.command, child.fds)
        finally:
            if server is not None:
                close_server(server)
                self._flush_hits()
            for child in children.values():
                if child.process.poll() is None:
                    child.process.send_signal(signal.SIGTERM)
            for name, child in children.items():
                try:
                    child.process.wait(timeout=STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    self.stderr.write(f"The {name} did not stop in {STOP_SECONDS} s; killing it.")
                    child.process.kill()
                    child.process.wait()  # reaped here, so nothing outlives `inward serve`
            for sockets in listening:
                for sock in sockets:
                    sock.close()
            self.stdout.write("Stopped.")

    def _serve_web_process(self, fds: Sequence[int], threads: int) -> None:
        """One of N web processes: serve the inherited sockets until SIGTERM/SIGINT, or
        until the supervising `inward serve` is gone; then write the buffered hits."""
        from waitress.server import create_server

        from inward.wsgi import application

        stop = _stop_on_signals()
        parent = os.getppid()
        sockets = [socket.socket(fileno=fd) for fd in fds]
        server: Any = create_server(application, sockets=sockets, threads=threads)
        thread = run_in_thread(server)
        try:
            while not stop.wait(0.5):
                if os.getppid() != parent or not thread.is_alive():
                    break
        finally:
            close_server(server)
            self._flush_hits()

    def _flush_hits(self) -> None:
        """Write the tracking hits still in memory before the process goes."""
        from inward.analytics.hits import buffer

        buffer.stop()
        if buffer.dropped:
            self.stderr.write(f"{buffer.dropped} tracking hits were dropped (buffer full).")

    def _child_commands(self, options: dict[str, Any]) -> dict[str, list[str]]:
        inward = [sys.executable, "-m", "inward"]
        commands = {}
        if not options["no_worker"]:
            commands["background worker"] = [*inward, "worker", "--interval", "0.5"]
        if not options["no_sender"]:
            commands["sender"] = [*inward, "deliver", "--worker-id", "serve"]
        return commands

    def _web_command(self, fds: Sequence[int], threads: int) -> list[str]:
        command = [sys.executable, "-m", "inward", "serve", "--threads", str(threads)]
        for fd in fds:
            command += ["--listen-fd", str(fd)]
        return command

    def _start(self, command: list[str], fds: Sequence[int] = ()) -> subprocess.Popen[bytes]:
        # Children are in our process group, so a terminal's Ctrl-C reaches them too.
        return subprocess.Popen(command, env=os.environ.copy(), pass_fds=fds)  # noqa: S603

    def _start_server(self, host: str, port: int, threads: int) -> Any:
        from waitress.server import create_server

        from inward.wsgi import application

        server = create_server(application, host=host, port=port, threads=threads)
        run_in_thread(server)
        return server


def web_processes(given: int | None) -> int:
    """``--web-processes``, else ``INWARD_WEB_PROCESSES``, else 1."""
    if given is not None:
        if given < 1:
            raise CommandError("--web-processes must be 1 or more.")
        return given
    raw = os.environ.get("INWARD_WEB_PROCESSES", "").strip()
    if not raw:
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise CommandError(f"INWARD_WEB_PROCESSES={raw!r} is not a whole number of 1 or more.")
    return int(raw)


def reuse_port_supported() -> bool:
    """Linux's SO_REUSEPORT spreads connections over the sockets sharing a port (other
    systems' option of that name does not, or lacks the same-user rule)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def shared_sockets(host: str, port: int, count: int) -> list[list[socket.socket]]:
    """``count`` sets of listening sockets on ``host:port`` (a set: one socket per address
    the host name has, as waitress binds them), sharing the port with SO_REUSEPORT."""
    addresses = _addresses(host, port)
    _check_free(addresses)
    sets: list[list[socket.socket]] = []
    try:
        if port == 0:  # the system picks a free port for the first socket; all take it
            family, address = addresses[0]
            first = _listening(family, address, reuse_port=True)
            sets.append([first])
            port = first.getsockname()[1]
            addresses = [(f, (a[0], port, *a[2:])) for f, a in addresses]
        while len(sets) < count or len(sets[-1]) < len(addresses):
            if not sets or len(sets[-1]) == len(addresses):
                sets.append([])
            family, address = addresses[len(sets[-1])]
            sets[-1].append(_listening(family, address, reuse_port=True))
    except BaseException:
        for sockets in sets:
            for sock in sockets:
                sock.close()
        raise
    return sets


def _addresses(host: str, port: int) -> list[tuple[int, tuple[Any, ...]]]:
    found: list[tuple[int, tuple[Any, ...]]] = []
    try:
        infos = socket.getaddrinfo(
            host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, socket.IPPROTO_TCP, socket.AI_PASSIVE
        )
    except OSError as error:
        raise CommandError(f"Cannot listen on {host}:{port}: {error}") from error
    for family, _type, _proto, _name, address in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and (family, address) not in found:
            found.append((family, tuple(address)))
    if not found:
        raise CommandError(f"Cannot listen on {host}:{port}: no IPv4 or IPv6 address.")
    return found


def _check_free(addresses: list[tuple[int, tuple[Any, ...]]]) -> None:
    """Refuse a port already in use, even by sockets that allow sharing it (another
    `inward serve --web-processes`): a plain bind fails on either."""
    for family, address in addresses:
        if address[1] == 0:
            continue
        try:
            _listening(family, address, reuse_port=False, listen=False).close()
        except OSError as error:
            raise CommandError(f"Cannot listen on {address[0]}:{address[1]}: {error}") from error


def _listening(
    family: int, address: tuple[Any, ...], *, reuse_port: bool, listen: bool = True
) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        if listen:
            # Listening at once: connections the kernel gives this socket wait in its
            # backlog while its web process starts (or is restarted).
            sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return stop


def run_in_thread(server: Any) -> threading.Thread:
    """Run a waitress server's loop in a daemon thread until ``close_server``."""

    def run() -> None:
        try:
            server.run()
        except OSError as error:
            # close_server closes the sockets from another thread; the loop's next select
            # then finds a closed descriptor. That is the end asked for, not a failure.
            if error.errno != errno.EBADF or not getattr(server, "inward_closing", False):
                raise

    thread = threading.Thread(target=run, name="waitress", daemon=True)
    thread.start()
    return thread


def close_server(server: Any) -> None:
    """Stop taking connections, then let the requests under way finish (up to 5 s), so
    their hits are in the buffer before it is written."""
    server.inward_closing = True
    server.close()
    dispatcher = getattr(server, "task_dispatcher", None)
    if dispatcher is not None:
        dispatcher.shutdown()
