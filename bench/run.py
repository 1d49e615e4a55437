"""Run every benchmark in bench/ and print its figures against the targets.

    make bench                      # the full sizes (1,000,000 rows; takes a while)
    .venv/bin/python bench/run.py --quick   # 50,000 rows, to check the scripts work

Each script prints its own table and compares with its target; record the results in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="50,000 rows instead of 1,000,000")
    args = parser.parse_args()
    size = "50000" if args.quick else "1000000"
    sends = "10000" if args.quick else "100000"
    runs = [
        [sys.executable, str(HERE / "import_people.py"), "--rows", size],
        [sys.executable, str(HERE / "audience_count.py"), "--people", size],
        [sys.executable, str(HERE / "send_email.py"), "--people", sends],
        [sys.executable, str(HERE / "tracking_hits.py"), "--deliveries", sends],
        [sys.executable, str(HERE / "xapi_statements.py")],
        [sys.executable, str(HERE / "funnel.py")]
        + (["--people", "100000", "--events", "1000000"] if args.quick else []),
    ]
    failed = 0
    for command in runs:
        print(f"\n$ {' '.join(command[1:])}", flush=True)
        failed += subprocess.run(command, check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
