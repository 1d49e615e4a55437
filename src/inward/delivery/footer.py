"""The footer under every e-mail: where to change preferences, and, for a mandatory
message, that it cannot be opted out of.

Built once per (language, mandatory) and filled per recipient with their own signed
preferences link, so a send pays one string join per message, not a translation lookup.
"""

from __future__ import annotations

import functools
import html

from django.utils import translation
from django.utils.translation import gettext

_LINK = "\x00link\x00"  # replaced by the recipient's link; cannot occur in translated text


@functools.lru_cache(maxsize=64)
def _footer_templates(language: str, mandatory: bool) -> tuple[str, str]:
    with translation.override(language or None):
        change = gettext("Change how Inward reaches you")
        note = (
            gettext("This message is mandatory: it reaches you whatever your channel preferences.")
            if mandatory
            else ""
        )
    html_note = f"<br>{html.escape(note)}" if note else ""
    html_part = (
        '\n<hr>\n<p><small><a href="' + _LINK + '">' + html.escape(change) + "</a>"
        f"{html_note}</small></p>"
    )
    text_part = f"\n\n-- \n{change}: {_LINK}" + (f"\n{note}" if note else "")
    return html_part, text_part


def email_footer(*, language: str, preferences_url: str, mandatory: bool) -> tuple[str, str]:
    """The footer as (HTML fragment, plain text) for one recipient."""
    base = language.split("-")[0].lower() if language else ""
    if base not in ("en", "nl", "fy"):
        base = "en"
    html_part, text_part = _footer_templates(base, mandatory)
    return (
        html_part.replace(_LINK, html.escape(preferences_url, quote=True)),
        text_part.replace(_LINK, preferences_url),
    )
