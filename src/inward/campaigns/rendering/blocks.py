"""Whatever a condition decides, the HTML must stay well-formed.

Markdown runs before Jinja, so an ``{% if %}`` can open inside one element and close
inside another (``{% if %}`` in a code block, ``{% endif %}`` after it). Dropping or
keeping that stretch would then leave an element open. The rule checked here: every
``{% if %}``, ``{% elif %}``, ``{% else %}`` and its ``{% endif %}`` must sit at the
same place in the element tree, by tag names (``ul > li`` at both ends is fine: dropping
``</li><li>two`` between them keeps the list well-formed).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.utils.translation import gettext as _

from inward.campaigns.rendering.placeholders import Placeholders
from inward.campaigns.rendering.problems import TemplateProblem

_VOID = frozenset({"br", "hr", "img"})
_TAG = re.compile(r"\{%[-+]?\s*(\w+)")

Path = tuple[str, ...]


class _Positions(HTMLParser):
    """Records the element path at each statement token, in document order."""

    def __init__(self, holders: Placeholders) -> None:
        super().__init__(convert_charrefs=True)
        self.holders = holders
        self.open: list[str] = []
        self.found: list[tuple[str, Path]] = []

    def _record(self, text: str, path: Path) -> None:
        for fragment in self.holders.in_text(text):
            self.found.append((fragment, path))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            self._record(value or "", (*self.open, tag, "@" + name))
        if tag not in _VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        self._record(data, tuple(self.open))


def blocks_check(html: str, holders: Placeholders, *, body: str) -> None:
    """Raise ``TemplateProblem`` when a condition's tags sit in different elements."""
    parser = _Positions(holders)
    parser.feed(html)
    parser.close()
    opened: list[Path] = []
    for fragment, path in parser.found:
        match = _TAG.match(fragment)
        tag = match.group(1) if match else ""
        if tag == "if":
            opened.append(path)
        elif tag in ("elif", "else", "endif") and opened:
            if opened[-1] != path:
                raise _misplaced(fragment, body)
            if tag == "endif":
                opened.pop()


def _misplaced(fragment: str, body: str) -> TemplateProblem:
    index = body.find(fragment)
    return TemplateProblem(
        _(
            "%(tag)s is in a different part of the message than the {%% if %%} it "
            "belongs to: wrap whole paragraphs, list items or words within one paragraph."
        )
        % {"tag": fragment},
        "body",
        body.count("\n", 0, index) + 1 if index >= 0 else None,
    )
