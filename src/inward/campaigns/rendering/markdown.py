"""A Markdown body, with Jinja tokens in it, into an HTML template and a text template.

Runs once per variant. Markdown is CommonMark with raw HTML switched off (any ``<tag>``
in a body shows as text); the HTML is then sanitised with nh3 all the same. Link
addresses are checked here: written out, they must be ``http(s)://`` or ``mailto:``;
personalised (``{{ links.feed }}``), they are checked again at render time.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import nh3
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt
from markdown_it.token import Token

from inward.campaigns.rendering.blocks import blocks_check
from inward.campaigns.rendering.placeholders import Placeholders, is_statement
from inward.campaigns.rendering.problems import TemplateProblem
from inward.campaigns.rendering.sandbox import HREF_FILTER
from inward.campaigns.rendering.text import markdown_text

_MARKDOWN = MarkdownIt("commonmark", {"html": False})

_TAGS = {"a", "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "hr"}
_TAGS |= {"h1", "h2", "h3", "h4", "h5", "h6", "img"}
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
_URL_SCHEMES = {"http", "https", "mailto"}

_LINK = re.compile(r"(?:https?://|mailto:)", re.IGNORECASE)
_WEB = re.compile(r"https?://", re.IGNORECASE)
_URL_ATTRIBUTE = re.compile(r'\s(href|src)="([^"]*)"')


@dataclass(frozen=True)
class BodyTemplates:
    """Jinja sources for one body: ``html`` (to autoescape), ``text`` (not), ``links``."""

    html: str
    text: str
    links: list[str]


def link_name(index: int) -> str:
    """The context name a compiled body reads link number ``index``'s address from."""
    return f"_l{index}"


def body_templates(markdown_source: str, holders: Placeholders, *, body: str) -> BodyTemplates:
    """Both templates for a body already through ``placeholders_substitute``.

    ``body`` is the original text, for line numbers in errors.
    """
    tokens = _MARKDOWN.parse(markdown_source)
    links = _links(tokens, holders, body=body)
    link_tokens = [holders.add("{{ " + link_name(i) + " }}") for i in range(len(links))]
    html = _html(tokens, holders, links, link_tokens)
    blocks_check(html, holders, body=body)
    text = markdown_text(tokens, lambda url: link_tokens[links.index(url)] if url in links else url)
    brace = holders.add("{{ '{' }}")
    return BodyTemplates(
        html=holders.restore(html.replace("{", "&#123;")),
        text=holders.restore(text.replace("{", brace)),
        links=links,
    )


def _inline_tokens(tokens: Sequence[Token]) -> list[Token]:
    return [child for token in tokens for child in (token.children or [])]


def _links(tokens: Sequence[Token], holders: Placeholders, *, body: str) -> list[str]:
    """The distinct web links, in order; raises for addresses that can't be links."""
    links: list[str] = []
    for token in _inline_tokens(tokens):
        if token.type not in ("link_open", "image"):
            continue
        attribute = "href" if token.type == "link_open" else "src"
        url = str(token.attrs.get(attribute, ""))
        fragments = holders.in_text(url)
        if fragments:
            _check_personalised(fragments, body=body, url=holders.restore(url))
        elif not (_LINK if token.type == "link_open" else _WEB).match(url):
            raise TemplateProblem(_bad_address(token.type, url), "body", _line_of(body, url))
        elif token.type == "link_open" and _WEB.match(url) and url not in links:
            links.append(url)
    return links


def _check_personalised(fragments: list[str], *, body: str, url: str) -> None:
    if any(is_statement(fragment) for fragment in fragments):
        raise TemplateProblem(
            _("A link address can hold {{ … }} variables, but no {% … %} tags."),
            "body",
            _line_of(body, fragments[0]),
        )


def _bad_address(kind: str, url: str) -> str:
    if kind == "image":
        return _("Images must come from a web address (https://…), not “%(url)s”.") % {"url": url}
    return _("Links must start with https://, http:// or mailto:, not “%(url)s”.") % {"url": url}


def _line_of(body: str, needle: str) -> int | None:
    index = body.find(needle) if needle else -1
    return None if index < 0 else body.count("\n", 0, index) + 1


def _html(
    tokens: Sequence[Token], holders: Placeholders, links: list[str], link_tokens: list[str]
) -> str:
    rendered = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    clean = nh3.clean(
        rendered,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener",
    )
    clean = _URL_ATTRIBUTE.sub(lambda m: _url_attribute(m, holders, links, link_tokens), clean)
    return _unwrap_statements(clean, holders)


def _url_attribute(
    match: re.Match[str], holders: Placeholders, links: list[str], link_tokens: list[str]
) -> str:
    attribute, value = match.groups()
    if holders.in_text(value):
        opening = holders.add("{% filter " + HREF_FILTER + " %}")
        closing = holders.add("{% endfilter %}")
        return f' {attribute}="{opening}{value}{closing}"'
    url = html_lib.unescape(value)
    if attribute == "href" and url in links:
        return f' href="{link_tokens[links.index(url)]}"'
    return match.group()


def _unwrap_statements(html: str, holders: Placeholders) -> str:
    """Move ``{% … %}`` tags at the edges of a paragraph or heading outside it.

    ``<p>{% if manager %}\nAsk {{ manager.name }}.\n{% endif %}</p>`` becomes
    ``{% if manager %}<p>Ask ….</p>{% endif %}``, so a false condition leaves no empty
    paragraph behind; moving tags outwards never unbalances the HTML.
    """
    numbers = [str(i) for i, text in enumerate(holders.fragments) if is_statement(text)]
    if not numbers:
        return html
    tag = re.escape(holders.prefix) + "(?:" + "|".join(numbers) + ")x"
    pattern = re.compile(rf"<(p|h[1-6])>((?:{tag}\s*)*)(.*?)((?:\s*{tag})*)</\1>", re.DOTALL)

    def unwrap(match: re.Match[str]) -> str:
        element, leading, inner, trailing = match.groups()
        if not inner.strip():
            return leading + trailing
        return f"{leading}<{element}>{inner.strip()}</{element}>{trailing}"

    return pattern.sub(unwrap, html)
