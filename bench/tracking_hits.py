"""How many open-pixel and click hits a second does `inward serve` take, and how fast?

    .venv/bin/python bench/tracking_hits.py                     # 20,000 deliveries, 15 s
    .venv/bin/python bench/tracking_hits.py --deliveries 5000 --seconds 5 --django
    .venv/bin/python bench/tracking_hits.py --web-processes 2   # `inward serve --web-processes 2`

A campaign with one e-mail touch sent to N people (PostgreSQL, `inward_bench_tracking`)
is served by the real server (`inward serve` without the worker and sender: waitress, the
lean tracking path of inward/wsgi.py, the hit buffer and its flusher). A load generator on
loopback requests signed open-pixel and click URLs of those deliveries at random, on
keep-alive connections, with a mail client's user agent: `wrk` (one thread, so the server
keeps a core) with a Lua script over the URL list when it is installed, else a Python
asyncio client. A warm-up run first fills the link cache; then the measured run. Before either, a
baseline: waitress with the same threads answering a constant image, no Django and no
database, under the same load: the ceiling of this server on this machine. With
`--web-processes N` the server runs N web processes on the port, and the baseline N
waitress processes sharing it the same way (SO_REUSEPORT).

Reported: the load average before the run, hits/s, p50/p99 latency, the server's
CPU-seconds per 1,000 hits (all its web processes), how long after
the load the last hit was in the database, and whether every hit was written (each one an
event; none a robot). `--django` serves the same through Django's whole middleware stack
(INWARD_TRACKING_FAST_PATH=0) for comparison. Targets: >= 3,000 hits/s, p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/inward_bench_tracking"
TARGET_RATE = 3000
TARGET_P99_MS = 50.0
AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
BODY = "Read [the guide](https://learn.example.com/guide) or [enrol](https://learn.example.com/go)."
LUA = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
wrk.headers["User-Agent"] = "%(agent)s"
math.randomseed(%(seed)d)
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


@dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--django", action="store_true", help="Without the lean path.")
    parser.add_argument("--python-client", action="store_true", help="Not wrk.")
    parser.add_argument(
        "--web-processes",
        type=int,
        default=1,
        help="`inward serve --web-processes` (and as many baseline processes).",
    )
    parser.add_argument("--threads", type=int, default=8, help="Threads per web process.")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    port = free_port()
    os.environ["INWARD_BASE_URL"] = f"http://127.0.0.1:{port}"
    setup_django(args.database_url)
    touch_id, campaign_id = make_campaign(args.deliveries)
    paths = signed_paths(touch_id)
    print(f"\n== {args.database_url}: {args.deliveries:,} deliveries, {len(paths):,} URLs")
    use_wrk = shutil.which("wrk") is not None and not args.python_client
    client = "wrk" if use_wrk else "python asyncio"
    processes = args.web_processes
    args.load_average = os.getloadavg()[0]  # before this script's own load
    baseline = bench_baseline(
        paths, args.seconds, args.connections, use_wrk, processes, args.threads
    )
    server = start_server(port, lean=not args.django, processes=processes, threads=args.threads)
    try:
        warm = run_load(port, paths, 3.0, args.connections, use_wrk)
        cpu_before = tree_cpu_seconds(server.pid)
        load = run_load(port, paths, args.seconds, args.connections, use_wrk)
        cpu = tree_cpu_seconds(server.pid) - cpu_before
        sent = warm.requests + load.requests
        lag = wait_written(campaign_id, sent, args.connections)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    written, robots = counts(campaign_id)
    err = Path(server.log_path).read_text(errors="replace")  # type: ignore[attr-defined]
    report(args, client, load, cpu, sent, written, robots, lag, err, baseline)


def setup_django(url: str) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(HERE))
    from audience_count import ensure_postgres_database

    if url.startswith("postgres"):
        ensure_postgres_database(url)
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inward.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_campaign(people: int) -> tuple[int, int]:
    """A campaign whose one touch was sent to ``people`` people an hour ago."""
    import datetime as dt

    from audience_count import build
    from django.utils import timezone

    from inward.analytics.funnel_state import ensure_funnel_rows
    from inward.analytics.models import EngagementEvent, RecipientFunnel
    from inward.campaigns.models import Campaign, CampaignStatus, Touch, Variant
    from inward.delivery.models import Channel, ChannelKind, Delivery, DeliveryStatus, FeedItem
    from inward.directory.models import Person

    if Person.objects.count() != people:
        EngagementEvent.objects.all().delete()
        RecipientFunnel.objects.all().delete()
        FeedItem.objects.all().delete()
        Delivery.objects.all().delete()
        build(people=people)
    channel, _ = Channel.objects.get_or_create(
        slug="bench-tracking", defaults={"name": "Bench tracking", "kind": ChannelKind.EMAIL}
    )
    stamp = timezone.now()
    campaign = Campaign.objects.create(
        slug=f"bench-tracking-{stamp:%Y%m%d%H%M%S%f}",
        name="Bench tracking",
        owner_team="learning",
        purpose="persuade",
        status=CampaignStatus.RUNNING,
        starts_at=stamp,
        ends_at=stamp,
    )
    touch = Touch.objects.create(
        campaign=campaign, name="Guide", channel=channel, send_at=stamp, scheduled_at=stamp
    )
    variant = Variant.objects.create(touch=touch, language="", subject="Guide", body=BODY)
    sent = stamp - dt.timedelta(hours=1)
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    Delivery.objects.bulk_create(
        (
            Delivery(
                touch=touch,
                person_id=pk,
                channel=channel,
                variant=variant,
                status=DeliveryStatus.SENT,
                due_at=sent,
                sent_at=sent,
                message_id=f"<bench.{touch.pk}.{pk}@example.com>",
            )
            for pk in ids
        ),
        batch_size=5000,
    )
    ensure_funnel_rows(touch)
    return touch.pk, campaign.pk


def signed_paths(touch_id: int) -> list[str]:
    """An open-pixel and a first-link click path for each delivery, shuffled."""
    from inward.delivery.models import Delivery
    from inward.delivery.tracking import click_token, open_token

    paths = []
    for pk in Delivery.objects.filter(touch_id=touch_id).values_list("pk", flat=True):
        paths += [f"/t/o/{open_token(pk)}.gif", f"/t/c/{click_token(pk, 0)}"]
    random.Random(1).shuffle(paths)
    return paths


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


BASELINE_APP = """
import logging, socket, sys
from waitress import serve
logging.disable(logging.WARNING)
PIXEL = b"GIF89a" + b"\\0" * 37
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "image/gif"), ("Content-Length", "43")])
    return [PIXEL]
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if hasattr(socket, "SO_REUSEPORT"):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
sock.bind(("127.0.0.1", int(sys.argv[1])))
sock.listen(1024)
serve(app, sockets=[sock], threads=int(sys.argv[2]))
"""


def bench_baseline(
    paths: list[str],
    seconds: float,
    connections: int,
    use_wrk: bool,
    processes: int = 1,
    threads: int = 8,
) -> float:
    """The ceiling: waitress (as `inward serve` runs it, ``threads`` a process, ``processes``
    processes sharing the port) answering a constant 43-byte image to the same load, with
    no Django and no database."""
    port = free_port()
    servers = [
        subprocess.Popen([sys.executable, "-c", BASELINE_APP, str(port), str(threads)])
        for _ in range(processes)
    ]
    try:
        for server in servers:
            wait_listening(port, server)
        time.sleep(1.0)  # every process listening, not only the first
        load = run_load(port, paths, seconds, connections, use_wrk)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    rate = load.requests / load.seconds
    print(
        f"baseline (waitress x {processes}, constant answer): {rate:,.0f} requests/s, "
        f"p99 {load.p99_ms:.1f} ms"
    )
    return rate


def wait_listening(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


def start_server(
    port: int, *, lean: bool, processes: int = 1, threads: int = 8
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "INWARD_TRACKING_FAST_PATH": "1" if lean else "0"}
    command = [sys.executable, "-m", "inward", "serve", "--no-worker", "--no-sender"]
    command += ["--no-migrate", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--web-processes", str(processes), "--threads", str(threads)]
    # The server's log goes to a file: waitress warns about its queue under load, and an
    # unread pipe would fill up and stall the server.
    log = tempfile.NamedTemporaryFile(prefix="inward-bench-serve-", suffix=".log", delete=False)  # noqa: SIM115
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT)
    server.log_path = log.name  # type: ignore[attr-defined]
    wait_listening(port, server)
    if processes > 1:  # the parent listens at once; wait until every web process answers
        deadline = time.monotonic() + 60
        while len(child_pids(server.pid)) < processes and time.monotonic() < deadline:
            time.sleep(0.2)
        run_load(port, ["/healthz"], 2.0, 4 * processes, use_wrk=shutil.which("wrk") is not None)
    return server


def run_load(port: int, paths: list[str], seconds: float, connections: int, use_wrk: bool) -> Load:
    if use_wrk:
        return run_wrk(port, paths, seconds, connections)
    return asyncio.run(run_python(port, paths, seconds, connections))


def run_wrk(port: int, paths: list[str], seconds: float, connections: int) -> Load:
    directory = Path(tempfile.mkdtemp(prefix="inward-bench-"))
    (directory / "paths.txt").write_text("\n".join(paths) + "\n")
    script = directory / "hits.lua"
    values = {"paths": directory / "paths.txt", "agent": AGENT, "seed": random.randrange(10**6)}
    script.write_text(LUA % values)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--latency", "-s"]
    command += [str(script), f"http://127.0.0.1:{port}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    requests, elapsed = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out).groups()[:2]  # type: ignore[union-attr]
    unit = re.search(r"\d+ requests in [\d.]+(m?s)", out).group(1)  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    failed = int(errors.group(1)) if errors else 0
    failed += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Load(
        requests=int(requests),
        seconds=float(elapsed) / (1000 if unit == "ms" else 1),
        p50_ms=_latency(out, "50%"),
        p99_ms=_latency(out, "99%"),
        errors=failed,
    )


def _latency(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


async def run_python(port: int, paths: list[str], seconds: float, connections: int) -> Load:
    """Keep-alive raw-socket clients, each sending a request and reading its answer."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    rng = random.Random(2)

    async def one_connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            path = paths[rng.randrange(len(paths))]
            started = time.perf_counter()
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {AGENT}\r\n\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"Content-Length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith((b"HTTP/1.1 200", b"HTTP/1.1 302")):
                errors += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Load(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99)] * 1000,
        errors=errors,
    )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in out.stdout.split()]


def tree_cpu_seconds(pid: int) -> float:
    """CPU-seconds of `inward serve` and its web processes (the children it runs)."""
    total = cpu_seconds(pid)
    for child in child_pids(pid):
        try:
            total += cpu_seconds(child)
        except OSError:
            continue
    return total


def counts(campaign_id: int) -> tuple[int, int]:
    from inward.analytics.models import EngagementEvent

    events = EngagementEvent.objects.filter(campaign_id=campaign_id)
    return events.filter(robot=False).count(), events.filter(robot=True).count()


def wait_written(campaign_id: int, sent: int, slack: int) -> float:
    """Seconds from the end of the load until the database holds every hit sent (or the
    count stops growing for ten seconds: a large batch can take a while on a busy machine)."""
    started = last_change = time.monotonic()
    seen = -1
    while time.monotonic() - last_change < 10.0:
        written, robots = counts(campaign_id)
        if written + robots >= sent:
            return time.monotonic() - started
        if written + robots != seen:
            seen, last_change = written + robots, time.monotonic()
        time.sleep(0.05)
    return float("nan")


def report(
    args: argparse.Namespace,
    client: str,
    load: Load,
    cpu: float,
    sent: int,
    written: int,
    robots: int,
    lag: float,
    server_err: str,
    baseline: float,
) -> None:
    rate = load.requests / load.seconds if load.seconds else 0.0
    share = rate / baseline if baseline else 0.0
    # wrk counts the answers it read; the server may also have taken in the requests
    # that were in flight when wrk stopped (at most one per connection and run).
    complete = sent <= written <= sent + 2 * args.connections and robots == 0
    verdicts = [rate >= TARGET_RATE, load.p99_ms < TARGET_P99_MS, complete, load.errors == 0]
    path = "Django stack" if args.django else "lean path"
    print(
        f"{path}, {args.web_processes} web process(es) x {args.threads} threads, {client}, "
        f"{args.connections} "
        f"connections, load average before {args.load_average:.1f}: {load.requests:,} hits in "
        f"{load.seconds:.1f} s = {rate:,.0f} hits/s (target {TARGET_RATE:,}; "
        f"{share:.0%} of the baseline); "
        f"p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms (target < {TARGET_P99_MS:.0f}); "
        f"server {cpu * 1000 / max(load.requests, 1):.3f} CPU-s/1,000 hits; "
        f"{written:,} of {sent:,} hits written ({robots} robots), the last "
        f"{lag:.2f} s after the load; errors {load.errors} -> "
        f"{'PASS' if all(verdicts) else 'FAIL'}",
        flush=True,
    )
    dropped = [line for line in server_err.splitlines() if "dropped" in line]
    for line in dropped:
        print(f"  server: {line}")


if __name__ == "__main__":
    main()
