from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from inward.directory.demo import demo_build
from inward.directory.models import Person


class Command(BaseCommand):
    help = "Build a deterministic demo company: `inward demo --people N --seed S [--if-empty]`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=2000, help="How many (default 2000).")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same company.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the directory has people."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Person.objects.exists():
            self.stdout.write("The directory has people already; no demo loaded.")
            return
        people = options["people"]
        disabled = options["no_progress"]
        # Each person passes twice (validated, then written); the bar shows people, so it
        # moves half a person per pass and ends at the number asked for.
        with tqdm(
            total=people,
            desc="demo",
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:,.0f}/{total:,} people [{elapsed}]",
            disable=disabled,
            file=sys.stderr,
        ) as bar:

            def advance(rows: int) -> None:
                bar.update(rows / 2)

            count = demo_build(people=people, seed=options["seed"], progress=advance)
        self.stdout.write(f"Demo organisation: {count} people (seed {options['seed']}).")
