"""How long does counting an audience take on a big directory?

    .venv/bin/python bench/audience_count.py --people 1000000
    .venv/bin/python bench/audience_count.py --people 200000 --database-url sqlite:////tmp/b.sqlite3

For each database it builds N people with bulk inserts (kept between runs when the count
matches), then times ``rule_count`` for a few rules: the median of several runs after one
warm-up, against the target of 300 ms on PostgreSQL. Each database runs in its own process
because Django reads DATABASE_URL once.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

DEFAULT_URLS = [
    "postgres://postgres@127.0.0.1:5432/inward_bench_rules",
    "sqlite:////tmp/inward_bench_rules.sqlite3",
]
TARGET_MS = 300
RULES = {
    "five clauses": 'department = "Sales" and site in ("Leeuwarden", "Amsterdam") '
    'and tenure < 2y and language = "nl" and attr.cost_center != "4100"',
    "five clauses + reports_to": 'department = "Sales" and site = "Leeuwarden" and tenure > 90d '
    'and not tags contains "contractor" and reports_to("p2@example.com")',
    "everyone active": 'status = "active"',
}
DEPARTMENTS = [
    "Sales",
    "Sales/Inside Sales",
    "Sales/Field Sales",
    "Support",
    "Support/Tier 1",
    "Engineering",
    "Engineering/Platform",
    "Engineering/Apps",
    "Finance",
    "People",
]
SITES = ["Leeuwarden", "Amsterdam", "Groningen", "Utrecht", "Remote"]
LANGUAGES = ["nl", "nl-NL", "nl-BE", "fy", "en", "en-GB", "de"]
BATCH = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--database-url", action="append", dest="urls")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        bench_one(people=args.people, runs=args.runs)
        return
    for url in args.urls or DEFAULT_URLS:
        env = {**os.environ, "DATABASE_URL": url}
        command = [sys.executable, __file__, "--child", "--people", str(args.people)]
        subprocess.run([*command, "--runs", str(args.runs)], env=env, check=True)


def bench_one(*, people: int, runs: int) -> None:
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        ensure_postgres_database(url)
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inward.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"\n== {url} ({people:,} people)")
    started = time.perf_counter()
    if build(people=people):
        print(f"built in {time.perf_counter() - started:.0f} s")
    for name, rule in RULES.items():
        report(name, rule, runs=runs, postgres=url.startswith("postgres"))


def ensure_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def build(*, people: int) -> bool:
    """Fill the directory with ``people`` people unless it already has exactly that many."""
    from django.db import connection, transaction

    from inward.directory.models import Department, Person, Site

    if Person.objects.count() == people:
        return False
    with transaction.atomic():
        Person.objects.all().delete()
        departments = make_departments(Department)
        sites = [Site.objects.get_or_create(name=name)[0].pk for name in SITES]
        rng = random.Random(1)
        for start in range(1, people + 1, BATCH):
            stop = min(start + BATCH, people + 1)
            Person.objects.bulk_create(
                [person_row(Person, n, rng, departments, sites) for n in range(start, stop)]
            )
            print(f"  {stop - 1:,} people", end="\r", flush=True)
        print()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('directory_person', 'id'), %s)", [people]
            )
            cursor.execute("VACUUM ANALYZE directory_person")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return True


def make_departments(model: type) -> list[int]:
    made: dict[str, object] = {}
    for path in DEPARTMENTS:
        parent_path, _, name = path.rpartition("/")
        made[path], _ = model.objects.get_or_create(  # type: ignore[attr-defined]
            path=path, defaults={"name": name, "parent": made.get(parent_path)}
        )
    return [department.pk for department in made.values()]  # type: ignore[attr-defined]


def person_row(model: type, n: int, rng: random.Random, departments: list[int], sites: list[int]):  # type: ignore[no-untyped-def]
    """Person ``n``; managers form a tree with ten reports each (``p1`` is the top)."""
    hired = date(2026, 1, 1) - timedelta(days=rng.randrange(0, 365 * 15))
    tags = rng.choice(["", ";remote;", ";contractor;", ";mentor;remote;"])
    return model(
        id=n,
        email=f"p{n}@example.com",
        first_name=f"First{n % 997}",
        last_name=f"Last{n % 1009}",
        department_id=rng.choice(departments),
        site_id=rng.choice(sites) if rng.random() > 0.05 else None,
        language=rng.choice(LANGUAGES),
        country="NL",
        manager_id=(n - 2) // 10 + 1 if n > 1 else None,
        hire_date=hired if rng.random() > 0.02 else None,
        status=rng.choices(["active", "on_leave", "left"], weights=[90, 3, 7])[0],
        tags=tags,
        attributes={"cost_center": rng.choice(["4100", "4200", "4300"])},
    )


def report(name: str, rule: str, *, runs: int, postgres: bool) -> None:
    from inward.audiences.selectors import rule_count

    count = rule_count(rule=rule)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        rule_count(rule=rule)
        timings.append((time.perf_counter() - started) * 1000)
    median = statistics.median(timings)
    verdict = ("OK" if median < TARGET_MS else "SLOWER than") if postgres else "vs"
    print(
        f"{name:28} {count:>9,} people  median {median:7.1f} ms  "
        f"(min {min(timings):.1f}, max {max(timings):.1f})  {verdict} target {TARGET_MS} ms"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
