"""Minimum group size for anything that reports on groups of people."""

from __future__ import annotations

from collections.abc import Sequence


def fold_small_groups(
    groups: Sequence[tuple[str, int]], *, minimum: int
) -> tuple[list[tuple[str, int]], int]:
    """Split counts into groups that may be shown and one "other" count.

    Every shown group has at least ``minimum`` people, and so has "other" whenever it is
    not 0. Groups are folded into "other" smallest first until it is large enough, because
    an "other" of 2 next to a known total gives the hidden group away just as well.
    """
    shown = sorted((g for g in groups if g[1] >= minimum), key=lambda g: g[1], reverse=True)
    other = sum(n for _label, n in groups if n < minimum)
    while 0 < other < minimum and shown:
        other += shown.pop()[1]
    if other < minimum:
        other = 0  # the whole breakdown is under the minimum: show nothing of it
    return shown, other
