"""Which variant of a touch a person gets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inward.campaigns.models import Variant


def _base_language(language: str) -> str:
    return language.split("-")[0]


def _normalise(language: str) -> str:
    return language.strip().replace("_", "-").lower()


def variant_for(variants: Sequence[Variant], *, language: str, persona_id: int | None) -> Variant:
    """The best variant for a reader with this language and persona.

    Preference, first match wins: (language, persona), (language, no persona), then the
    same two for the base language ("nl" for "nl-BE"), then the fallbacks ("", persona)
    and ("", no persona). Languages compare case-insensitively, "_" as "-". A variant for
    another persona never matches. Raises ``LookupError`` when nothing matches (a touch
    without a fallback variant).
    """
    wanted = _normalise(language)
    languages = [wanted, _base_language(wanted), ""] if wanted else [""]
    personas = [persona_id, None] if persona_id is not None else [None]
    by_key = {(_normalise(v.language), v.persona_id): v for v in variants}
    for candidate_language in dict.fromkeys(languages):
        for candidate_persona in personas:
            found = by_key.get((candidate_language, candidate_persona))
            if found is not None:
                return found
    raise LookupError(f"no variant for language {language!r} and no fallback variant")
