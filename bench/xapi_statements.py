"""How many xAPI statements a second does Inward's LRS store over HTTP?

    .venv/bin/python bench/xapi_statements.py                   # 20,000 statements a run
    .venv/bin/python bench/xapi_statements.py --statements 5000 --connections 2

`inward serve` (waitress, no worker, no sender) runs against the PostgreSQL database
`inward_bench_xapi`. A small threaded client on loopback, one keep-alive connection per
thread, POSTs batches of 50 and then 100 statements to /xapi/statements with HTTP Basic
credentials. Bodies are built before the clock starts, so the client spends its time
waiting. Each statement has its own actor (a tenth of them people in the directory, so
matching finds someone and records engagement events), verb and activity, as an LMS
would send them.

Reported per batch size: statements/s (wall), requests/s, latency p50 and p99 per
request, the CPU-seconds per 1,000 statements of the app server and of PostgreSQL, and
from those the rate two otherwise idle cores could sustain (2,000 / both CPU figures):
on a shared machine the wall rate understates what the LRS does. Target: >= 1,000
statements/s in batches on two cores.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/inward_bench_xapi"
TARGET_RATE = 1000
PEOPLE = 1000
VERBS = ["completed", "passed", "registered", "launched", "experienced", "attempted"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=20_000, help="per batch size")
    parser.add_argument("--batches", default="50,100", help="batch sizes, e.g. 50,100")
    parser.add_argument("--connections", type=int, default=4, help="client threads")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    key, secret = prepare(args.database_url)
    port = free_port()
    server = start_server(args.database_url, port, args.threads)
    try:
        wait_until_up(port)
        print(f"\n== {args.database_url}: {args.connections} connections, {args.threads} threads")
        print(
            f"{'batch':>6} {'statements/s':>13} {'requests/s':>11} {'p50 ms':>8} "
            f"{'p99 ms':>8} {'app CPU-s':>9} {'db CPU-s':>9} {'2-core capacity':>14}"
        )
        print(f"{'':>58}(per 1,000 statements)")
        rates = []
        for size in (int(n) for n in args.batches.split(",")):
            rates.append(run(port, key, secret, size, args.statements, args.connections, server))
        verdict = "meets" if min(rates) >= TARGET_RATE else "misses"
        print(f"slowest {min(rates):,.0f} statements/s {verdict} the target of {TARGET_RATE:,}/s")
    finally:
        server.terminate()
        server.wait(timeout=30)


def prepare(url: str) -> tuple[str, str]:
    """Migrate the bench database, give it people to match, and make an LMS client."""
    sys.path.insert(0, str(HERE))
    from audience_count import ensure_postgres_database

    os.environ["DATABASE_URL"] = url
    if url.startswith("postgres"):
        ensure_postgres_database(url)
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inward.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from inward.directory.models import Person
    from inward.xapi.clients import create_client

    if not Person.objects.filter(email="learner0@bench.example.com").exists():
        Person.objects.bulk_create(
            [Person(email=f"learner{n}@bench.example.com") for n in range(PEOPLE)],
            ignore_conflicts=True,
        )
    client, secret = create_client(name=f"bench {uuid.uuid4().hex[:8]}")
    return client.key, secret


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(url: str, port: int, threads: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "inward", "serve", "--no-worker", "--no-sender"]
    command += ["--no-migrate", "--port", str(port), "--threads", str(threads)]
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until_up(port: int) -> None:
    for _ in range(300):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/xapi/about")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def statement(rng: random.Random) -> dict[str, Any]:
    n = rng.randrange(PEOPLE * 10)  # a tenth are people in the directory
    verb = rng.choice(VERBS)
    course = rng.randrange(50)
    return {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "name": f"Learner {n}",
            "mbox": f"mailto:learner{n}@bench.example.com",
        },
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
        "object": {
            "objectType": "Activity",
            "id": f"https://lms.example.com/courses/{course}",
            "definition": {
                "name": {"en-US": f"Course {course}"},
                "type": "http://adlnet.gov/expapi/activities/course",
            },
        },
        "result": {"completion": verb == "completed", "score": {"scaled": rng.random()}},
        "context": {
            "registration": str(uuid.uuid4()),
            "contextActivities": {"grouping": [{"id": "https://lms.example.com/programme"}]},
        },
        "timestamp": "2026-11-25T09:00:00.000Z",
    }


def run(
    port: int,
    key: str,
    secret: str,
    size: int,
    total: int,
    connections: int,
    server: subprocess.Popen[bytes],
) -> float:
    rng = random.Random(size)
    bodies = [
        json.dumps([statement(rng) for _ in range(size)]).encode()
        for _ in range(max(1, total // size))
    ]
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    headers = {
        "Authorization": f"Basic {token}",
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    latencies: list[float] = []
    failures: list[int] = []
    queue = list(reversed(bodies))
    lock = threading.Lock()

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            started = time.perf_counter()
            connection.request("POST", "/xapi/statements", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if response.status != 200:
                    failures.append(response.status)

    cpu_before = process_cpu(server.pid)
    db_before = database_cpu()
    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu = process_cpu(server.pid) - cpu_before
    db_cpu = database_cpu() - db_before
    stored = len(bodies) * size
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed: {sorted(set(failures))}")
    rate = stored / wall
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    per_1000 = (cpu + db_cpu) * 1000 / stored
    print(
        f"{size:>6} {rate:>13,.0f} {len(bodies) / wall:>11,.1f} "
        f"{statistics.median(ordered) * 1000:>8.1f} {p99 * 1000:>8.1f} "
        f"{cpu * 1000 / stored:>9.2f} {db_cpu * 1000 / stored:>9.2f} "
        f"{2000 / per_1000 if per_1000 else 0:>14,.0f}"
    )
    return rate


def database_cpu() -> float:
    """CPU-seconds of every PostgreSQL process on this machine (the bench is alone
    with its database server on loopback; other databases' work is counted too)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" in text:
            total += process_cpu(int(stat.parent.name))
    return total


def process_cpu(pid: int) -> float:
    """User + system CPU-seconds of a process and its waited-for children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # the process ended meanwhile
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(f) for f in fields[11:15]) / ticks


if __name__ == "__main__":
    main()
