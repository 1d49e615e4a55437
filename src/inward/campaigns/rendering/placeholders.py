"""Jinja fragments out of the way of Markdown, and back in afterwards.

Each ``{{ … }}``, ``{% … %}`` and ``{# … #}`` in a body becomes an opaque alphanumeric
token, which Markdown and the HTML sanitiser leave alone; after them the tokens are
swapped back, so the whole body compiles as one Jinja template.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from inward.campaigns.rendering.fragments import fragment_spans
from inward.campaigns.rendering.problems import TemplateProblem

_RAW = re.compile(r"\{%[-+]?\s*raw\b")


@dataclass
class Placeholders:
    """The fragments of one body, each standing in the text as ``<prefix><index>x``."""

    prefix: str
    fragments: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pattern = re.compile(re.escape(self.prefix) + r"(\d+)x")

    def add(self, fragment: str) -> str:
        self.fragments.append(fragment)
        return f"{self.prefix}{len(self.fragments) - 1}x"

    def in_text(self, text: str) -> list[str]:
        """The fragments whose tokens occur in ``text``, in order."""
        return [self.fragments[int(m.group(1))] for m in self.pattern.finditer(text)]

    def restore(self, text: str) -> str:
        return self.pattern.sub(lambda m: self.fragments[int(m.group(1))], text)


def is_statement(fragment: str) -> bool:
    """``{% … %}`` and ``{# … #}`` print nothing; ``{{ … }}`` does."""
    return not fragment.startswith("{{")


def _fresh_prefix(source: str) -> str:
    while True:
        prefix = "Q" + "".join(secrets.choice(string.ascii_letters) for _ in range(8))
        if prefix not in source:
            return prefix


def _lines(source: str) -> list[list[tuple[bool, str]]]:
    """The source as lines of (is_fragment, text) pieces; a fragment may span lines."""
    lines: list[list[tuple[bool, str]]] = [[]]
    position = 0

    def literal(text: str) -> None:
        first, *rest = text.split("\n")
        lines[-1].append((False, first))
        lines.extend([[(False, part)] for part in rest])

    for start, end in fragment_spans(source):
        literal(source[position:start])
        lines[-1].append((True, source[start:end]))
        position = end
    literal(source[position:])
    return lines


def placeholders_substitute(source: str) -> tuple[str, Placeholders]:
    """``source`` with its Jinja fragments replaced by tokens, and the way back.

    A line holding nothing but ``{% … %}``/``{# … #}`` tags loses its indentation, so an
    indented ``{% if %}`` never turns into a Markdown code block.
    """
    for start, end in fragment_spans(source):
        if _RAW.match(source, start, end):
            number = source.count("\n", 0, start) + 1
            raise TemplateProblem(_("{% raw %} is not allowed in messages."), "body", number)
    holders = Placeholders(prefix=_fresh_prefix(source))
    out: list[str] = []
    for line in _lines(source):
        fragments = [text for is_fragment, text in line if is_fragment]
        standalone = (
            bool(fragments)
            and all(is_statement(text) for text in fragments)
            and all(not text.strip() for is_fragment, text in line if not is_fragment)
        )
        if standalone:
            out.append("".join(holders.add(text) for text in fragments))
        else:
            out.append("".join(holders.add(t) if is_f else t for is_f, t in line))
    return "\n".join(out), holders
