"""Benchmark the directory import: 1,000,000 rows on SQLite and PostgreSQL.

    .venv/bin/python bench/import_people.py [--rows N] [--backend sqlite|postgres|both]

Generates a deterministic CSV in /tmp, migrates a fresh database, then times
``inward directory import FILE --no-progress`` in a subprocess and reads that
subprocess's peak RSS from ``os.wait4``. A second run imports the same file again,
so every row is compared and found unchanged. Targets: >= 20,000 rows/s, < 300 MB.
The importer's own CPU time is printed too: on a busy machine wall time says little. The
database server's time is in the wall time only.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TMP = Path("/tmp")  # noqa: S108 - a benchmark's scratch files, named on purpose
INWARD = str(ROOT / ".venv" / "bin" / "inward")
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "inward_bench_import"
TARGET_RATE = 20_000
TARGET_RSS_MB = 300
HEADER = [
    "external_id", "email", "first_name", "last_name", "preferred_name", "job_title",
    "department", "site", "country", "time_zone", "language", "manager_email", "hire_date",
    "status", "tags", "cost_center", "employment_type",
]  # fmt: skip
FIRST = ["Anna", "Bauke", "Sjoerd", "Femke", "Jelle", "Lena", "Tom", "Grace", "Pieter", "Ewa"]
LAST = ["de Vries", "Hoekstra", "Bakker", "Müller", "Smith", "Visser", "Dijkstra", "Schmidt"]
DEPARTMENTS = ["Sales/Inside Sales", "Engineering/Platform", "Support", "Finance", "Marketing"]
SITES = [("Leeuwarden", "NL", "Europe/Amsterdam"), ("Berlin", "DE", "Europe/Berlin")]
SITES += [("London", "GB", "Europe/London"), ("Antwerp", "BE", "Europe/Brussels")]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Managers come before their reports except for every 50th row, which names a later one."""
    rng = random.Random(seed)
    start = dt.date(2011, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            site, country, zone = rng.choice(SITES)
            manager = "" if i == 0 else f"p{(i - 1) // 8}@bench.example"
            if i % 50 == 49 and i + 10 < rows:
                manager = f"p{i + 10}@bench.example"
            writer.writerow([
                f"E{i:07d}", f"p{i}@bench.example", rng.choice(FIRST), rng.choice(LAST), "",
                "Engineer", rng.choice(DEPARTMENTS), site, country, zone,
                rng.choice(["en", "nl", "fy", "de"]), manager,
                (start + dt.timedelta(days=rng.randrange(5400))).isoformat(),
                "active" if rng.random() < 0.95 else "on_leave", "remote;mentor" if i % 7 else "",
                f"CC-{rng.randrange(100, 999)}", "permanent",
            ])  # fmt: skip


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """Run ``inward ARGS``; return wall seconds, CPU seconds, peak RSS in MB, exit status."""
    started = time.perf_counter()
    child = subprocess.Popen([INWARD, *args], env=env, stdout=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    output = child.stdout.read().decode() if child.stdout else ""
    print("   ", output.strip())
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def fresh_database(backend: str) -> str:
    if backend == "sqlite":
        path = TMP / "inward_bench_import.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
        connection.execute(f"CREATE DATABASE {PG_NAME}")
    return f"{PG_SERVER}/{PG_NAME}"


def bench(backend: str, csv_path: Path, rows: int) -> None:
    env = {**os.environ, "DATABASE_URL": fresh_database(backend), "INWARD_VAR_DIR": str(TMP)}
    subprocess.run([INWARD, "migrate", "--verbosity", "0"], env=env, check=True)
    for label in ("fresh import", "re-import (unchanged)"):
        seconds, cpu, rss, status = run(
            ["directory", "import", str(csv_path), "--no-progress"], env
        )
        rate = rows / seconds
        print(
            f"{backend:8} {label:22} {rows:>9,} rows in {seconds:6.1f} s = {rate:>8,.0f} rows/s "
            f"[{'ok' if rate >= TARGET_RATE else 'BELOW'} >= {TARGET_RATE:,}] "
            f"(importer CPU {cpu:5.1f} s = {rows / cpu:>8,.0f} rows/CPU-s), peak RSS "
            f"{rss:5.0f} MB [{'ok' if rss < TARGET_RSS_MB else 'ABOVE'} < {TARGET_RSS_MB}], "
            f"exit {status}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    options = parser.parse_args()
    csv_path = TMP / f"inward_bench_people_{options.rows}.csv"
    if not csv_path.exists():
        print(f"generating {csv_path} …", file=sys.stderr)
        generate(csv_path, options.rows)
    backends = ["sqlite", "postgres"] if options.backend == "both" else [options.backend]
    for backend in backends:
        bench(backend, csv_path, options.rows)


if __name__ == "__main__":
    main()
