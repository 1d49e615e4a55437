"""Markdown tokens as plain text: what the text/plain part of an e-mail says.

Paragraphs are separated by blank lines, list items keep their ``-`` or ``1.`` markers,
quotes their ``>``, emphasis disappears, and a link reads ``text (address)`` (only the
address when the text is the address).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markdown_it.token import Token

LinkTarget = Callable[[str], str]


@dataclass
class _Frame:
    """One level of nesting: a quote or a list item, with its line prefixes."""

    first: str
    rest: str
    used: bool = False


@dataclass
class _TextWriter:
    link_target: LinkTarget
    lines: list[str] = field(default_factory=list)
    frames: list[_Frame] = field(default_factory=list)
    # One entry per open list: its next number (None for bullets) and an identity.
    counters: list[int | None] = field(default_factory=list)
    list_ids: list[int] = field(default_factory=list)
    # The outermost list of the previous block, when that block was a tight item.
    previous_tight_list: int | None = None

    def write(self, tokens: Sequence[Token]) -> str:
        for token in tokens:
            self.token(token)
        return "\n".join(self.lines) + "\n"

    def token(self, token: Token) -> None:
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrs.get("start", 1)) if kind == "ordered_list_open" else None
            self.counters.append(start)
            self.list_ids.append(id(token))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.counters.pop()
            self.list_ids.pop()
        elif kind == "list_item_open":
            self.frames.append(self.item_frame())
        elif kind == "blockquote_open":
            self.frames.append(_Frame("> ", "> "))
        elif kind in ("list_item_close", "blockquote_close"):
            self.frames.pop()
        elif kind == "inline":
            self.block(inline_text(token.children or [], self.link_target), token)
        elif kind in ("code_block", "fence"):
            self.block(token.content.rstrip("\n"), token)
        elif kind == "hr":
            self.block("---", token)

    def item_frame(self) -> _Frame:
        number = self.counters[-1]
        if number is None:
            return _Frame("- ", "  ")
        self.counters[-1] = number + 1
        marker = f"{number}. "
        return _Frame(marker, " " * len(marker))

    def block(self, content: str, token: Token) -> None:
        # Items of a tight list follow each other without a blank line between them.
        tight_list = self.list_ids[0] if token.meta.get("tight") and self.list_ids else None
        if self.lines and not (tight_list and tight_list == self.previous_tight_list):
            self.lines.append("".join(frame.rest for frame in self.frames if frame.used).rstrip())
        self.previous_tight_list = tight_list
        for number, line in enumerate(content.split("\n")):
            self.lines.append((self.prefix(first=number == 0) + line).rstrip(" "))

    def prefix(self, *, first: bool) -> str:
        parts = []
        for frame in self.frames:
            parts.append(frame.rest if frame.used or not first else frame.first)
            if first:
                frame.used = True
        return "".join(parts)


def inline_text(children: Sequence[Token], link_target: LinkTarget) -> str:
    """The text of an inline token's children, links as ``text (address)``."""
    parts: list[str] = []
    opened: list[tuple[str, int]] = []
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "image":
            parts.append(child.content)
        elif kind == "link_open":
            opened.append((str(child.attrs.get("href", "")), len(parts)))
        elif kind == "link_close" and opened:
            href, start = opened.pop()
            _close_link(parts, start, href, link_target(href))
    return "".join(parts)


def _close_link(parts: list[str], start: int, href: str, target: str) -> None:
    label = "".join(parts[start:]).strip()
    shown = target.removeprefix("mailto:")
    if label in (href, shown):
        parts[start:] = [shown]
    else:
        parts.append(f" ({shown})")


def markdown_text(tokens: Sequence[Token], link_target: LinkTarget) -> str:
    """Plain text for parsed Markdown; ``link_target(href)`` gives what to print for a link."""
    _mark_tight(tokens)
    return _TextWriter(link_target).write(tokens)


def _mark_tight(tokens: Sequence[Token]) -> None:
    for index, token in enumerate(tokens):
        if token.type == "inline" and index and tokens[index - 1].type == "paragraph_open":
            token.meta["tight"] = tokens[index - 1].hidden
