"""A local SMTP server for the send benchmark: accepts everything and counts it.

    .venv/bin/python bench/smtp_sink.py --port 2525 --report /tmp/sink.json

It runs aiosmtpd in its own process so its CPU is measured apart from the sender's. On
SIGTERM it writes a JSON report (messages, distinct Message-IDs, recipients, its own CPU
seconds) and exits. ``--reset-file``: when that file appears, counters restart (between
benchmark runs, without restarting the server).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


class Counter:
    def __init__(self) -> None:
        self.messages = 0
        self.message_ids: set[bytes] = set()
        self.recipients: set[str] = set()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages += 1
        content = envelope.original_content or b""
        start = content.find(b"\nMessage-ID:")
        if start == -1:
            start = content.find(b"Message-ID:")
        if start != -1:
            end = content.find(b"\n", start + 2)
            self.message_ids.add(content[start:end].strip())
        self.recipients.update(envelope.rcpt_tos)
        return "250 OK"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.report))


async def serve(port: int, report: Path) -> None:
    counter = Counter()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(counter, data_size_limit=10_000_000), "127.0.0.1", port
    )
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, lambda: write(counter, report))
    print("ready", flush=True)
    await stop.wait()
    server.close()
    write(counter, report)


def write(counter: Counter, report: Path) -> None:
    data: dict[str, Any] = {
        "messages": counter.messages,
        "distinct_message_ids": len(counter.message_ids),
        "recipients": len(counter.recipients),
        "cpu_seconds": round(cpu_seconds(), 3),
    }
    report.write_text(json.dumps(data))


if __name__ == "__main__":
    main()
