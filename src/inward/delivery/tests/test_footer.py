from __future__ import annotations

from inward.delivery.footer import email_footer

LINK = "https://inward.example.com/feed/preferences/abc.def/?x=1&y=2"


def test_it_links_to_the_recipients_preferences_in_both_parts() -> None:
    html, text = email_footer(language="en", preferences_url=LINK, mandatory=False)
    assert 'href="https://inward.example.com/feed/preferences/abc.def/?x=1&amp;y=2"' in html
    assert f"Change how Inward reaches you: {LINK}" in text
    assert "mandatory" not in html + text


def test_it_says_when_a_message_cannot_be_opted_out_of() -> None:
    html, text = email_footer(language="en", preferences_url=LINK, mandatory=True)
    assert "This message is mandatory" in html
    assert "This message is mandatory" in text


def test_it_speaks_the_recipients_language_and_falls_back_to_english() -> None:
    dutch, _ = email_footer(language="nl-BE", preferences_url=LINK, mandatory=True)
    other, _ = email_footer(language="de", preferences_url=LINK, mandatory=False)
    english, _ = email_footer(language="en", preferences_url=LINK, mandatory=True)
    assert dutch != english
    assert "Change how Inward reaches you" in other
