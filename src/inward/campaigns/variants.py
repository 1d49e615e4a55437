"""Which variant of a touch a person gets."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inward.campaigns.models import Variant


def _base_language(language: str) -> str:
    return language.split("-")[0]


def _normalise(language: str) -> str:
    return language.strip().replace("_", "-").lower()


def variant_for(
    variants: Sequence[Variant],
    *,
    language: str,
    persona_id: int | None,
    split_key: str | None = None,
) -> Variant:
    """The best variant for a reader with this language and persona.

    Preference, first match wins: (language, persona), (language, no persona), then the
    same two for the base language ("nl" for "nl-BE"), then the fallbacks ("", persona)
    and ("", no persona). Languages compare case-insensitively, "_" as "-". A variant for
    another persona never matches. Raises ``LookupError`` when nothing matches (a touch
    without a fallback variant).

    When the best match has several test versions (``arm`` A, B, ...), ``split_key`` (e.g.
    the touch and person ids) picks one: the same key always gets the same arm, and keys
    spread evenly over the arms (``test_arm``). Without a key the first arm is taken.
    """
    wanted = _normalise(language)
    languages = [wanted, _base_language(wanted), ""] if wanted else [""]
    personas = [persona_id, None] if persona_id is not None else [None]
    by_key: dict[tuple[str, int | None], list[Variant]] = {}
    for v in sorted(variants, key=lambda v: v.arm):
        by_key.setdefault((_normalise(v.language), v.persona_id), []).append(v)
    for candidate_language in dict.fromkeys(languages):
        for candidate_persona in personas:
            found = by_key.get((candidate_language, candidate_persona))
            if found:
                if len(found) == 1 or split_key is None:
                    return found[0]
                return found[test_arm(split_key, len(found))]
    raise LookupError(f"no variant for language {language!r} and no fallback variant")


def test_arm(split_key: str, arms: int) -> int:
    """Which of ``arms`` test versions ``split_key`` gets: a hash, so the split is stable
    and does not depend on the order people are processed in."""
    digest = hashlib.blake2b(split_key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % arms
