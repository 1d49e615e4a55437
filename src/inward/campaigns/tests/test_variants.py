"""Choosing the variant a reader gets: language, then base language, then the fallback."""

from __future__ import annotations

import pytest

from inward.audiences.models import Persona
from inward.campaigns.models import Variant
from inward.campaigns.variants import variant_for

SALES = Persona(pk=1, name="Sales")
ENGINEERS = Persona(pk=2, name="Engineers")


def variant(language: str, persona: Persona | None = None) -> Variant:
    return Variant(language=language, persona=persona, subject=f"{language}/{persona}", body="x")


VARIANTS = [
    variant(""),
    variant("", SALES),
    variant("nl"),
    variant("nl", SALES),
    variant("nl-BE"),
    variant("fy", ENGINEERS),
]


@pytest.mark.parametrize(
    ("language", "persona_id", "expected"),
    [
        ("nl-BE", None, ("nl-BE", None)),
        ("nl-BE", 1, ("nl-BE", None)),
        ("nl-be", None, ("nl-BE", None)),
        ("nl_BE", None, ("nl-BE", None)),
        ("nl", 1, ("nl", 1)),
        ("nl", 2, ("nl", None)),
        ("nl-NL", None, ("nl", None)),
        ("fy", 2, ("fy", 2)),
        ("fy", None, ("", None)),
        ("fy", 1, ("", 1)),
        ("en", 1, ("", 1)),
        ("en", None, ("", None)),
        ("", None, ("", None)),
        ("", 1, ("", 1)),
    ],
)
def test_it_picks_the_best_match(
    language: str, persona_id: int | None, expected: tuple[str, int | None]
) -> None:
    chosen = variant_for(VARIANTS, language=language, persona_id=persona_id)
    assert (chosen.language, chosen.persona_id) == expected


def test_it_prefers_the_exact_language_without_persona_to_the_base_language_with_one() -> None:
    # The reader's own language beats a persona match in a neighbouring one.
    choices = [variant("nl-BE"), variant("nl", SALES), variant("", SALES)]
    assert variant_for(choices, language="nl-BE", persona_id=1).language == "nl-BE"
    without_exact = [variant("nl", SALES), variant("nl"), variant("", SALES)]
    chosen = variant_for(without_exact, language="nl-BE", persona_id=1)
    assert (chosen.language, chosen.persona_id) == ("nl", 1)


def test_it_raises_when_there_is_no_fallback() -> None:
    with pytest.raises(LookupError):
        variant_for([variant("nl")], language="en", persona_id=None)
    with pytest.raises(LookupError):
        variant_for([variant("", SALES)], language="en", persona_id=2)


def test_arms_split_readers_evenly_and_stably() -> None:
    from collections import Counter

    from inward.campaigns.models import Variant

    arms = [Variant(language="", arm="A", subject="a"), Variant(language="", arm="B", subject="b")]
    picked = [
        variant_for(arms, language="en", persona_id=None, split_key=f"7:{person}").arm
        for person in range(2000)
    ]
    counts = Counter(picked)
    assert set(counts) == {"A", "B"}
    assert 900 < counts["A"] < 1100  # a fair split: 1000 ± 4.5 standard deviations
    again = [
        variant_for(list(reversed(arms)), language="en", persona_id=None, split_key=f"7:{p}").arm
        for p in range(2000)
    ]
    assert again == picked  # the same reader always gets the same version, in any order


def test_a_language_variant_beats_the_test_arms_of_the_fallback() -> None:
    from inward.campaigns.models import Variant

    choices = [
        Variant(language="", arm="A", subject="a"),
        Variant(language="", arm="B", subject="b"),
        Variant(language="nl", subject="nl"),
    ]
    assert variant_for(choices, language="nl", persona_id=None, split_key="1:2").subject == "nl"
    assert variant_for(choices, language="en", persona_id=None).arm == "A"
