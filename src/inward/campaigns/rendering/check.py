"""The message check beside the editor: is this easy to read, and does it land?

Four plain measures, each with a one-line hint for the writer:

- Reading ease: Flesch (English) or Flesch-Douma (Dutch, also used for Frisian), from a
  vowel-group syllable count, kept within 0 to 100; labelled easy (>= 80), fairly easy
  (>= 70), standard (>= 60) or hard. Other languages are measured with the English formula.
- Calls to action: the distinct link addresses in the body. One is ideal, two is fine,
  none or more than two is a warning.
- Speaks to the reader: how often the subject and body say "you" (en: you, your…;
  nl: je, jij, jou, jouw, u, uw; fy: do, dy, dyn, jo, jim).
- What's in it for me: the persona's WIIFM is carried when the body prints
  ``{{ persona.wiifm }}``, or when at least half of its keywords (words of four or more
  letters that are not common function words) occur in the subject or body; a keyword
  matches a word that starts with its first ``max(4, len - 2)`` letters, so "certificate"
  also finds "certificates" and "certificaat" finds "certificaten".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

from inward.campaigns.rendering.fragments import fragment_spans, fragments_replace
from inward.campaigns.rendering.limits import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH

_MARKDOWN = MarkdownIt("commonmark", {"html": False})
_APOSTROPHE = "\u2019"
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"[.!?…]+(?=\s|$)|\n")
_VOWEL_GROUP = re.compile(r"[aeiouyàáâäèéêëìíîïòóôöùúûüýÿ]+")
_WIIFM_VARIABLE = re.compile(r"\bpersona\.wiifm\b")

READER_WORDS = {
    "en": frozenset({"you", "your", "yours", "yourself", "you're", "you'll", "you've"}),
    "nl": frozenset({"je", "jij", "jou", "jouw", "u", "uw"}),
    "fy": frozenset({"do", "dy", "dyn", "jo", "jim"}),
}
_STOPWORDS = frozenset(
    {"that", "this", "with", "from", "your", "what", "they", "them", "their", "have"}
    | {"will", "more", "into", "about", "when", "than", "then", "also", "just", "each"}
    | {"voor", "door", "naar", "over", "maar", "meer", "jouw", "zijn", "hebt", "heeft"}
    | {"kunnen", "wordt", "worden", "deze", "die", "niet", "ook", "nog", "jullie"}
    | {"foar", "troch", "mar", "mear", "dyn", "hawwe", "wurde", "dizze", "net", "ek"}
)


@dataclass(frozen=True, slots=True)
class MessageCheck:
    """The outcome of ``message_check``; every ``*_hint`` is a translated sentence.

    ``reading_ease`` is None (and ``reading_label`` "") when there is nothing to
    measure; ``wiifm_carried`` is None when no WIIFM was given.
    """

    reading_ease: float | None
    reading_label: str
    reading_hint: str
    calls_to_action: int
    calls_to_action_ok: bool
    calls_to_action_hint: str
    reader_mentions: int
    speaks_to_reader: bool
    speaks_to_reader_hint: str
    wiifm_carried: bool | None
    wiifm_keywords_found: tuple[str, ...]
    wiifm_keywords_missing: tuple[str, ...]
    wiifm_hint: str


def syllables(word: str) -> int:
    """The vowel groups in ``word`` (``ij`` counts with its i), at least one."""
    lowered = word.lower()
    count = len(_VOWEL_GROUP.findall(lowered))
    return max(1, count)


def _syllables_en(word: str) -> int:
    """``syllables``, less a silent final "e" ("make", not "table" or "free")."""
    count = syllables(word)
    lowered = word.lower()
    if count > 1 and lowered.endswith("e") and not lowered.endswith(("le", "ee", "ye")):
        count -= 1
    return count


def _base_language(language: str) -> str:
    return language.replace("_", "-").split("-")[0].lower()


@dataclass(frozen=True)
class _Prose:
    """What the reader reads: words, and the sentences they fall into."""

    words: list[str]
    sentences: int
    links: int
    wiifm_variable: bool


def _is_variable(fragment: str) -> bool:
    return fragment.startswith("{{")


def _prose(body: str) -> _Prose:
    wiifm_variable = any(
        _WIIFM_VARIABLE.search(body, start, end)
        for start, end in fragment_spans(body)
        if _is_variable(body[start:end])
    )
    # A variable reads as one name-like word; tags say nothing.
    plain = fragments_replace(body, lambda fragment: "Anna" if _is_variable(fragment) else "")
    texts: list[str] = []
    hrefs: set[str] = set()
    for token in _MARKDOWN.parse(plain):
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                texts.append(child.content)
            elif child.type == "softbreak":
                texts.append(" ")
            elif child.type == "link_open":
                hrefs.add(str(child.attrs.get("href", "")))
        if token.type == "inline":
            texts.append("\n")
    text = "".join(texts)
    sentences = [s for s in _SENTENCE_END.split(text) if _WORD.search(s)]
    return _Prose(_WORD.findall(text), len(sentences), len(hrefs), wiifm_variable)


def _reading(prose: _Prose, language: str) -> tuple[float | None, str, str]:
    if not prose.words:
        return None, "", _("Write a few sentences to see how easy they are to read.")
    words = len(prose.words)
    per_sentence = words / max(1, prose.sentences)
    if language in ("nl", "fy"):
        per_word = sum(syllables(word) for word in prose.words) / words
        score = 206.84 - 77 * per_word - 0.93 * per_sentence
    else:
        per_word = sum(_syllables_en(word) for word in prose.words) / words
        score = 206.835 - 1.015 * per_sentence - 84.6 * per_word
    # Very short sentences of short words score above 100; the scale shown stops there.
    score = round(min(100.0, max(0.0, score)), 1)
    if score >= 80:
        return score, "easy", _("Easy to read.")
    if score >= 70:
        return score, "fairly easy", _("Fairly easy to read.")
    if score >= 60:
        return score, "standard", _("Readable; shorter sentences would make it easier.")
    return score, "hard", _("Hard to read: use shorter sentences and shorter words.")


def _calls_to_action(count: int) -> tuple[bool, str]:
    if count == 0:
        return False, _("Add one clear call to action: a link the reader should follow.")
    if count == 1:
        return True, _("One clear call to action.")
    if count == 2:
        return True, _("Two links: make sure one is clearly the main action.")
    return False, _("%(count)d links compete for attention; keep one main action.") % {
        "count": count
    }


def _speaks_to_reader(words: list[str], language: str) -> tuple[int, bool, str]:
    vocabulary = READER_WORDS.get(language, READER_WORDS["en"])
    count = sum(1 for word in words if word.lower().replace(_APOSTROPHE, "'") in vocabulary)
    if count:
        return count, True, _("Speaks to the reader directly.")
    return 0, False, _("Speak to the reader: say “you” and what they get.")


def _keywords(wiifm: str) -> list[str]:
    seen: dict[str, None] = {}
    for word in _WORD.findall(wiifm.lower()):
        if len(word) >= 4 and word not in _STOPWORDS:
            seen.setdefault(word)
    return list(seen)


def _stem(keyword: str) -> str:
    return keyword[: max(4, len(keyword) - 2)]


def _wiifm(
    wiifm: str, words: list[str], *, variable: bool
) -> tuple[bool | None, tuple[str, ...], tuple[str, ...], str]:
    keywords = _keywords(wiifm)
    if not keywords:
        return None, (), (), _("Add what's in it for this persona to the brief to check it.")
    lowered = {word.lower() for word in words}
    found = tuple(
        k for k in keywords if any(w.startswith(k[: max(4, len(k) - 2)]) for w in lowered)
    )
    missing = tuple(k for k in keywords if k not in found)
    if variable or len(found) >= math.ceil(len(keywords) / 2):
        return True, found, missing, _("Carries what's in it for the reader.")
    return (
        False,
        found,
        missing,
        _("Say what's in it for them: %(missing)s.") % {"missing": ", ".join(missing)},
    )


def message_check(
    *, subject: str, body: str, language: str = "en", wiifm: str = ""
) -> MessageCheck:
    """Measure a draft; never raises, whatever state the template is in.

    Only the first ``MAX_SUBJECT_LENGTH`` characters of the subject and ``MAX_BODY_LENGTH``
    of the body are measured: longer ones cannot be saved, and this runs on every
    keystroke pause in the editor, so its cost must stay bounded.
    """
    base = _base_language(language)
    subject, body = subject[:MAX_SUBJECT_LENGTH], body[:MAX_BODY_LENGTH]
    prose = _prose(body)
    subject_words = _WORD.findall(fragments_replace(subject, lambda fragment: " "))
    ease, label, reading_hint = _reading(prose, base)
    cta_ok, cta_hint = _calls_to_action(prose.links)
    mentions, speaks, speaks_hint = _speaks_to_reader(subject_words + prose.words, base)
    carried, found, missing, wiifm_hint = _wiifm(
        wiifm, subject_words + prose.words, variable=prose.wiifm_variable
    )
    return MessageCheck(
        reading_ease=ease,
        reading_label=label,
        reading_hint=reading_hint,
        calls_to_action=prose.links,
        calls_to_action_ok=cta_ok,
        calls_to_action_hint=cta_hint,
        reader_mentions=mentions,
        speaks_to_reader=speaks,
        speaks_to_reader_hint=speaks_hint,
        wiifm_carried=carried,
        wiifm_keywords_found=found,
        wiifm_keywords_missing=missing,
        wiifm_hint=wiifm_hint,
    )
