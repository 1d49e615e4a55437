"""Hiding counts that could point at a few people, for the campaign analytics report.

Three rules, applied in this order by ``analytics.selectors``:

1. A shown count is 0 or at least ``minimum`` (``shown_in_row``).
2. Within a row (a funnel, a time series), any two shown counts differ by 0 or by at
   least ``minimum``: the difference of two cumulative counts is a group of people too
   ("reached 100, engaged 98" says two people did not open). A hidden count is then
   never pinned by its shown neighbours either.
3. Within a column of a breakdown whose groups add up to a shown total, no hidden count
   can be worked out as "total minus the shown rows" (``protect_column``): at least two
   cells are hidden, they hold 0 or at least ``minimum`` people together, and none of
   them is pinned by the others' bounds.

Hiding more is always safe for rules 1 and 2 (the difference of two shown counts with a
hidden one between is the sum of two allowed differences), so the rules can be applied
one after the other. ``minimum`` 1 hides nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def allowed(n: float, *, minimum: int) -> bool:
    """Whether a group of ``n`` people may be shown: none at all, or enough of them
    (anything when ``minimum`` is 1: a linear credit of 0.5 is shown to admins)."""
    return n == 0 or n >= minimum or minimum <= 1


def shown_in_row(values: Sequence[float], *, minimum: int) -> list[bool]:
    """Which of ``values`` to show, greedily from the first: a value is shown when it is
    allowed and differs from every value shown so far by an allowed amount."""
    shown: list[bool] = []
    kept: list[float] = []
    for value in values:
        ok = allowed(value, minimum=minimum) and all(
            allowed(abs(value - other), minimum=minimum) for other in kept
        )
        shown.append(ok)
        if ok:
            kept.append(value)
    return shown


def shown_in_series(
    values: Sequence[float], *, minimum: int, end: float | None = None
) -> list[bool]:
    """``shown_in_row`` for a series that never goes down (a cumulative count over time):
    comparing with the last shown value is enough there, as the difference of two shown
    values further apart is a sum of allowed differences. ``end`` is a value the viewer
    sees anyway that the series grows to (the shown total): each shown value differs
    from it by an allowed amount too, so "total minus the last shown day" is no small
    group either."""
    shown: list[bool] = []
    last = 0.0
    for value in values:
        ok = allowed(value, minimum=minimum) and allowed(value - last, minimum=minimum)
        ok = ok and (end is None or allowed(abs(end - value), minimum=minimum))
        shown.append(ok)
        if ok:
            last = value
    return shown


def row_bounds(values: Sequence[float], shown: Sequence[bool], index: int) -> tuple[float, float]:
    """What a viewer knows about cell ``index`` of a cumulative row (values never grow
    along it) from the other shown cells: at most the nearest shown before, at least the
    nearest shown after (or 0)."""
    upper = next((values[i] for i in range(index - 1, -1, -1) if shown[i]), math.inf)
    lower = next((values[i] for i in range(index + 1, len(values)) if shown[i]), 0.0)
    return lower, upper


@dataclass
class Cell:
    """One count in a column: its value, whether it is shown, and the bounds a viewer can
    read from the rest of its row when it is hidden."""

    value: float
    shown: bool
    lower: float = 0.0
    upper: float = math.inf


def pinned(cells: Sequence[Cell], total: float, *, minimum: int) -> bool:
    """Whether the hidden cells of a column with a shown ``total`` give anything away:
    a single hidden cell, a small sum, or a hidden cell whose bounds (its own row's and
    what the others leave of the sum) meet."""
    hidden = [c for c in cells if not c.shown]
    if not hidden:
        return False
    rest = total - sum(c.value for c in cells if c.shown)
    if len(hidden) == 1 or not allowed(rest, minimum=minimum):
        return True
    for cell in hidden:
        others = [c for c in hidden if c is not cell]
        low = max(cell.lower, rest - sum(c.upper for c in others))
        high = min(cell.upper, rest - sum(c.lower for c in others))
        if low >= high:
            return True
    return False


def protect_column(cells: Sequence[Cell], total: float, *, minimum: int) -> bool:
    """Hide more cells of a column (smallest first, those whose own row leaves room
    first) until its hidden cells give nothing away against the shown ``total``. Changes
    ``cells`` in place; returns False when that is impossible and the total must be
    hidden instead."""
    while pinned(cells, total, minimum=minimum):
        candidates = [c for c in cells if c.shown and c.upper > c.lower]
        if not candidates:
            return False
        min(candidates, key=lambda c: (c.value == 0, c.value)).shown = False
    return True


def pinned_without_total(
    cells: Sequence[Cell], total_lower: float, total_upper: float, *, minimum: int
) -> bool:
    """Whether the cells of a column whose total is hidden give the total away after all
    (every cell shown: the total is their sum) or pin a hidden cell or the total, given
    what the total's own row says of it (``total_lower`` .. ``total_upper``)."""
    hidden = [c for c in cells if not c.shown]
    if not hidden:
        return True
    known = sum(c.value for c in cells if c.shown)
    low_sum = sum(c.lower for c in hidden)
    high_sum = sum(c.upper for c in hidden)
    if max(total_lower, known + low_sum) >= min(total_upper, known + high_sum):
        return True
    for cell in hidden:
        low = max(cell.lower, total_lower - known - (high_sum - cell.upper))
        high = min(cell.upper, total_upper - known - (low_sum - cell.lower))
        if low >= high:
            return True
    return False


def protect_column_without_total(
    cells: Sequence[Cell], total_lower: float, total_upper: float, *, minimum: int
) -> None:
    """Hide more cells of a column whose total is hidden (smallest first, those whose
    own row leaves room first) until they no longer give the total or each other away,
    or nothing is left to hide."""
    while pinned_without_total(cells, total_lower, total_upper, minimum=minimum):
        candidates = [c for c in cells if c.shown and c.upper > c.lower]
        if not candidates:
            return
        min(candidates, key=lambda c: (c.value == 0, c.value)).shown = False
