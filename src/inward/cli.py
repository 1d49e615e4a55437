"""The ``inward`` console command: Django management with Inward's settings.

``inward serve``, ``inward worker``, ``inward demo``, ``inward directory import|export``,
``inward audience count|list|explain``, ``inward campaign apply|launch|status|funnel``,
``inward deliver``, ``inward lrs client create|list|disable|enable``, ``inward lrs rematch``,
``inward analytics rollup``, ``inward createadmin``, ``inward token create`` and every Django
command (``inward migrate``, ``inward check --deploy``).
"""

from __future__ import annotations

import os
import sys

ALIASES = {"worker": "db_worker"}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inward.settings")
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    from django.core.management import execute_from_command_line

    execute_from_command_line(["inward", *args])


if __name__ == "__main__":
    main()
