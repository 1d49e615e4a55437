from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from inward.lib.privacy import fold_small_groups


def test_it_folds_small_groups_into_other() -> None:
    shown, other = fold_small_groups([("A", 12), ("B", 3), ("C", 3)], minimum=5)
    assert (shown, other) == ([("A", 12)], 6)


def test_it_folds_the_smallest_shown_group_when_other_alone_would_be_too_small() -> None:
    shown, other = fold_small_groups(
        [("Amsterdam", 12), ("Leeuwarden", 6), ("Antwerp", 2)], minimum=5
    )
    assert (shown, other) == ([("Amsterdam", 12)], 8)


def test_it_shows_nothing_when_everyone_together_is_under_the_minimum() -> None:
    assert fold_small_groups([("A", 2), ("B", 1)], minimum=5) == ([], 0)


@given(
    st.lists(st.tuples(st.text(max_size=3), st.integers(min_value=1, max_value=40)), max_size=8),
    st.integers(min_value=1, max_value=10),
)
def test_no_group_or_remainder_under_the_minimum_can_be_seen_or_derived(
    groups: list[tuple[str, int]], minimum: int
) -> None:
    shown, other = fold_small_groups(groups, minimum=minimum)
    total = sum(n for _label, n in groups)
    assert all(n >= minimum for _label, n in shown)
    assert other == 0 or other >= minimum
    # What the total minus the visible parts leaves is never a small group.
    remainder = total - sum(n for _label, n in shown) - other
    assert remainder == 0 or total < minimum
