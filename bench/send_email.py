"""How fast does Inward send a personalised e-mail to a large audience?

    .venv/bin/python bench/send_email.py                       # 100,000 people, both databases
    .venv/bin/python bench/send_email.py --people 10000 --database-url sqlite:////tmp/s.sqlite3

A local aiosmtpd server (bench/smtp_sink.py, its own process) counts what arrives. First a
baseline pushes pre-built messages through smtplib over one connection into it: the ceiling
on this machine. Then, for each database, a campaign with one personalised e-mail touch to
everyone is sent by `inward deliver --once` with 1 and then 2 workers (each run a new
touch, so each run writes and sends the full outbox: materialising is included).

Reported: messages/s (wall), sender CPU-seconds per 1,000 messages (render, MIME, outbox
writes; the database server's CPU is not in it), the SMTP server's CPU, and the peak RSS
of any one worker. Targets: end-to-end >= 60% of the baseline, <= 0.5 sender CPU-s per
1,000 messages, peak RSS < 400 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URLS = [
    "postgres://postgres@127.0.0.1:5432/inward_bench_send",
    "sqlite:////tmp/inward_bench_send.sqlite3",
]
TARGET_SHARE = 0.60
TARGET_CPU_PER_1000 = 0.5
TARGET_RSS_MB = 400
SUBJECT = "{{ person.first_name }}, your new learning budget is waiting"
BODY = """Hi {{ person.first_name }},

As a **{{ person.job_title }}** in {{ person.department }} you have a learning budget
for this year, and most of it is still unused.

{{ persona.wiifm }}

[Choose your course](https://learn.example.com/budget?src=bench)

Questions? Ask {{ manager.name }} or reply to this message.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--database-url", action="append", dest="urls")
    parser.add_argument("--workers", default="1,2", help="worker counts to run, e.g. 1,2")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sink-port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--sink-pid", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--sink-report", default="", help=argparse.SUPPRESS)
    parser.add_argument("--baseline-rate", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    workers = [int(n) for n in args.workers.split(",")]
    if args.child:
        sink = Sink(args.sink_port, args.sink_pid, Path(args.sink_report))
        bench_database(args.people, workers, sink, args.baseline_rate)
        return
    with Sink.start() as sink:
        baseline = bench_baseline(args.people, sink)
        for url in args.urls or DEFAULT_URLS:
            env = {**os.environ, "DATABASE_URL": url}
            command = [sys.executable, __file__, "--child", "--people", str(args.people)]
            command += ["--workers", args.workers, "--sink-port", str(sink.port)]
            command += ["--sink-pid", str(sink.pid), "--sink-report", str(sink.report)]
            command += ["--baseline-rate", f"{baseline:.1f}"]
            subprocess.run(command, env=env, check=True)


class Sink:
    """The SMTP server process; ``snapshot()`` asks it for its counters."""

    def __init__(self, port: int, pid: int, report: Path) -> None:
        self.port, self.pid, self.report = port, pid, report
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(cls) -> Sink:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        report = Path(tempfile.mkdtemp(prefix="inward-bench-")) / "sink.json"
        command = [sys.executable, str(HERE / "smtp_sink.py"), "--port", str(port)]
        process = subprocess.Popen([*command, "--report", str(report)], stdout=subprocess.PIPE)
        assert process.stdout is not None
        process.stdout.readline()  # "ready"
        sink = cls(port, process.pid, report)
        sink.process = process
        return sink

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)

    def snapshot(self) -> dict[str, float]:
        self.report.unlink(missing_ok=True)
        os.kill(self.pid, signal.SIGUSR1)
        for _ in range(200):
            if self.report.exists() and self.report.stat().st_size:
                return dict(json.loads(self.report.read_text()))
            time.sleep(0.01)
        raise RuntimeError("the SMTP sink did not answer")


def bench_baseline(people: int, sink: Sink) -> float:
    """Pre-built messages through smtplib over one connection: the ceiling."""
    import smtplib

    prebuilt = []
    for n in range(1000):
        message = EmailMessage()
        message["From"] = "Inward <inward@example.com>"
        message["To"] = f"First{n} Last{n} <p{n}@example.com>"
        message["Subject"] = f"First{n}, your new learning budget is waiting"
        message["Message-ID"] = f"<baseline.{n}@example.com>"
        message.set_content(BODY.replace("{{ person.first_name }}", f"First{n}"))
        message.add_alternative(f"<p>{BODY}</p>", subtype="html")
        prebuilt.append((f"p{n}@example.com", message.as_bytes(policy=SMTP)))
    before = sink.snapshot()
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        for i in range(people):
            to, data = prebuilt[i % len(prebuilt)]
            smtp.sendmail("inward@example.com", [to], data)
    elapsed = time.perf_counter() - started
    after = sink.snapshot()
    rate = people / elapsed
    server_cpu = after["cpu_seconds"] - before["cpu_seconds"]
    print(f"\n== baseline: {people:,} pre-built messages through smtplib, one connection")
    print(f"{rate:,.0f} messages/s; SMTP server {server_cpu * 1000 / people:.2f} CPU-s/1,000")
    return rate


def bench_database(people: int, workers: list[int], sink: Sink, baseline: float) -> None:
    sys.path.insert(0, str(HERE))
    from audience_count import build, ensure_postgres_database  # the same generated directory

    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        ensure_postgres_database(url)
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inward.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"\n== {url} ({people:,} people)")
    from inward.delivery.models import Delivery, FeedItem
    from inward.directory.models import Person

    if Person.objects.count() != people:
        # The directory is rebuilt: earlier runs' deliveries would protect its people.
        FeedItem.objects.all().delete()
        Delivery.objects.all().delete()
    started = time.perf_counter()
    if build(people=people):
        print(f"directory built in {time.perf_counter() - started:.0f} s")
    for count in workers:
        run_send(count, sink, baseline)


def run_send(workers: int, sink: Sink, baseline: float) -> None:
    touch = make_touch(sink.port, label=f"{workers} worker(s)")
    expected = expected_recipients(touch)
    before = sink.snapshot()
    started = time.perf_counter()
    env = {**os.environ, "INWARD_BASE_URL": "https://inward.example.com"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "inward", "deliver", "--once", "--worker-id", f"bench-{n}"],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for n in range(workers)
    ]
    cpu, peak_kb = 0.0, 0
    for process in processes:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        cpu += usage.ru_utime + usage.ru_stime
        peak_kb = max(peak_kb, usage.ru_maxrss)
    elapsed = time.perf_counter() - started
    after = sink.snapshot()
    received = int(after["messages"] - before["messages"])
    distinct = int(after["distinct_message_ids"] - before["distinct_message_ids"])
    server_cpu = after["cpu_seconds"] - before["cpu_seconds"]
    report(workers, expected, received, distinct, elapsed, cpu, server_cpu, peak_kb, baseline)


def report(
    workers: int,
    expected: int,
    received: int,
    distinct: int,
    elapsed: float,
    cpu: float,
    server_cpu: float,
    peak_kb: int,
    baseline: float,
) -> None:
    rate = received / elapsed if elapsed else 0.0
    share = rate / baseline if baseline else 0.0
    per_1000 = cpu * 1000 / received if received else float("inf")
    rss_mb = peak_kb / 1024
    verdicts = [
        share >= TARGET_SHARE,
        per_1000 <= TARGET_CPU_PER_1000,
        rss_mb < TARGET_RSS_MB,
        received == expected == distinct,
    ]
    print(
        f"{workers} worker(s): {received:,}/{expected:,} received ({distinct:,} distinct "
        f"Message-IDs) in {elapsed:.1f} s = {rate:,.0f} messages/s "
        f"({share:.0%} of baseline, target {TARGET_SHARE:.0%}); "
        f"sender {per_1000:.3f} CPU-s/1,000 (target {TARGET_CPU_PER_1000}); "
        f"SMTP server {server_cpu * 1000 / max(received, 1):.3f} CPU-s/1,000; "
        f"peak RSS {rss_mb:.0f} MB (target < {TARGET_RSS_MB}) -> "
        f"{'PASS' if all(verdicts) else 'FAIL'}",
        flush=True,
    )


def make_touch(port: int, *, label: str):  # type: ignore[no-untyped-def]
    """A scheduled campaign with one approved e-mail touch due now, to everyone active."""
    from django.utils import timezone

    from inward.audiences.models import Audience
    from inward.campaigns.models import (
        ApprovalStatus,
        Campaign,
        CampaignStatus,
        Timing,
        Touch,
        Variant,
    )
    from inward.delivery.models import Channel, ChannelKind, DeliverySettings

    # Every run mails everyone again: no weekly cap, no quiet hours in the way.
    DeliverySettings.objects.update_or_create(
        pk=1, defaults={"weekly_cap": 1000, "quiet_start": "00:00", "quiet_end": "00:00"}
    )
    channel, _ = Channel.objects.update_or_create(
        slug="bench-email",
        defaults={
            "name": "Bench e-mail",
            "kind": ChannelKind.EMAIL,
            "config": {
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "from_addr": "Learning team <learning@example.com>",
            },
        },
    )
    audience, _ = Audience.objects.get_or_create(
        slug="bench-everyone", defaults={"name": "Everyone active", "rule": 'status = "active"'}
    )
    stamp = timezone.now()
    campaign = Campaign.objects.create(
        slug=f"bench-{stamp:%Y%m%d%H%M%S%f}",
        name=f"Bench send, {label}",
        owner_team="learning",
        purpose="persuade",
        status=CampaignStatus.SCHEDULED,
        audience=audience,
        starts_at=stamp,
        ends_at=stamp,
    )
    touch = Touch.objects.create(
        campaign=campaign,
        name="Budget reminder",
        channel=channel,
        timing=Timing.ABSOLUTE,
        send_at=stamp,
        scheduled_at=stamp,
        approval_status=ApprovalStatus.APPROVED,
    )
    Variant.objects.create(touch=touch, language="", subject=SUBJECT, body=BODY)
    return touch


def expected_recipients(touch) -> int:  # type: ignore[no-untyped-def]
    from inward.audiences.selectors import rule_count

    return rule_count(rule=touch.campaign.audience.rule)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
