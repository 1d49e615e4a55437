"""The message check: reading ease, calls to action, speaking to the reader, WIIFM."""

from __future__ import annotations

import time

import pytest
from django.utils import translation

from inward.campaigns.rendering import message_check
from inward.campaigns.rendering.check import syllables


@pytest.mark.parametrize(
    ("word", "count"),
    [("cat", 1), ("water", 2), ("education", 4), ("fryslân", 2), ("één", 1), ("rhythm", 1)],
)
def test_it_counts_syllables_as_vowel_groups(word: str, count: int) -> None:
    assert syllables(word) == count


def test_it_scores_english_with_flesch() -> None:
    # 10 words, 1 sentence, 15 syllables ("course" loses its silent e).
    check = message_check(subject="", body="You can join the course about data analysis next week.")
    assert check.reading_ease == round(206.835 - 1.015 * 10 - 84.6 * 15 / 10, 1)
    assert check.reading_label == "standard"


def test_it_keeps_the_score_between_0_and_100() -> None:
    assert message_check(subject="", body="Go. Do it. Now.").reading_ease == 100.0
    assert message_check(subject="", body="Organisational communication.").reading_ease == 0.0


def test_it_labels_long_words_in_long_sentences_as_hard() -> None:
    body = (
        "Organisational transformation initiatives necessitate comprehensive "
        "stakeholder communication, continuous evaluation and considerable "
        "administrative documentation throughout implementation activities."
    )
    check = message_check(subject="", body=body)
    assert check.reading_label == "hard"
    assert check.reading_ease is not None and check.reading_ease < 60
    assert "shorter sentences" in check.reading_hint


def test_it_scores_dutch_and_frisian_with_flesch_douma() -> None:
    body = "Medewerkers kunnen zich nu inschrijven voor de opleiding."
    # 8 words, 1 sentence, 16 syllables (me-de-wer-kers, in-schrij-ven, op-lei-ding).
    expected = round(206.84 - 77 * 16 / 8 - 0.93 * 8 / 1, 1)
    assert message_check(subject="", body=body, language="nl").reading_ease == expected
    assert message_check(subject="", body=body, language="fy-NL").reading_ease == expected


def test_it_reads_markdown_and_variables_as_the_reader_sees_them() -> None:
    body = (
        "# Hello {{ person.first_name }}\n\n"
        "{% if manager %}**You** can [join](https://x.example.com).{% endif %}"
    )
    check = message_check(subject="", body=body)
    assert check.reading_ease is not None
    assert check.calls_to_action == 1


def test_it_has_nothing_to_measure_in_an_empty_body() -> None:
    check = message_check(subject="", body="")
    assert check.reading_ease is None
    assert check.reading_label == ""
    assert check.calls_to_action == 0


@pytest.mark.parametrize(
    ("links", "ok"),
    [(0, False), (1, True), (2, True), (3, False)],
)
def test_it_wants_one_clear_call_to_action(links: int, ok: bool) -> None:
    body = " ".join(f"[Link {n}](https://x.example.com/{n})" for n in range(links))
    body += " [Again](https://x.example.com/0)" if links else ""
    check = message_check(subject="", body=body + " Read this.")
    assert check.calls_to_action == links
    assert check.calls_to_action_ok is ok
    assert check.calls_to_action_hint


@pytest.mark.parametrize(
    ("language", "body", "mentions"),
    [
        ("en", "Your course starts Monday; you will love it.", 2),
        ("en", "The course starts Monday.", 0),
        ("nl", "Jouw cursus begint maandag. Je gaat het leuk vinden, jij ook.", 3),
        ("nl-BE", "Uw cursus begint maandag.", 1),
        ("fy", "Dyn kursus begjint moandei. Do silst it moai fine.", 2),
    ],
)
def test_it_counts_how_often_it_speaks_to_the_reader(
    language: str, body: str, mentions: int
) -> None:
    check = message_check(subject="", body=body, language=language)
    assert check.reader_mentions == mentions
    assert check.speaks_to_reader is (mentions > 0)


def test_it_finds_the_wiifm_keywords_in_the_message() -> None:
    wiifm = "A recognised certificate that helps your career"
    carried = message_check(
        subject="Earn a certificate",
        body="Finish the course and add two certificates to your career profile.",
        wiifm=wiifm,
    )
    assert carried.wiifm_carried is True
    assert set(carried.wiifm_keywords_found) == {"certificate", "career"}
    missing = message_check(subject="Hello", body="The course starts Monday.", wiifm=wiifm)
    assert missing.wiifm_carried is False
    assert "certificate" in missing.wiifm_hint


def test_it_counts_the_wiifm_variable_as_carrying_it() -> None:
    check = message_check(subject="", body="{{ persona.wiifm }}", wiifm="Promotion prospects")
    assert check.wiifm_carried is True


def test_it_has_no_wiifm_verdict_without_a_wiifm() -> None:
    assert message_check(subject="", body="Hello").wiifm_carried is None


def test_it_never_raises_on_a_broken_template() -> None:
    check = message_check(subject="{{", body="{% if %} {{ person. ]( unclosed")
    assert check.reading_label in ("easy", "fairly easy", "standard", "hard")


def test_it_gives_hints_in_the_active_language() -> None:
    with translation.override("nl"):
        check = message_check(subject="", body="")
    assert isinstance(check.reading_hint, str)
    assert check.reading_hint


@pytest.mark.parametrize("opening", ["{{", "{%", "{#"])
def test_it_reads_a_body_of_unclosed_tags_in_linear_time(opening: str) -> None:
    # A correctness guard, not a benchmark: a lazy regular expression took 3 s on this.
    started = time.perf_counter()
    check = message_check(subject=opening * 150, body=opening * 10000)

    assert time.perf_counter() - started < 1
    assert check.reading_ease is None


def test_it_measures_only_as_much_as_a_message_may_hold() -> None:
    started = time.perf_counter()
    check = message_check(subject="You " * 100_000, body="You win. " * 200_000)

    assert time.perf_counter() - started < 2
    assert check.reader_mentions == 75 + 2222  # 300 and 20,000 characters' worth
