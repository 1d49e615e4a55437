"""A variant's subject and body, compiled once, rendered per reader.

``compile_variant`` does the expensive part (Markdown, sanitising, Jinja parsing and the
whitelist check); ``CompiledVariant.render`` only fills in values, so a sender compiles
each variant once per batch and renders thousands of messages from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from django.utils.translation import gettext as _
from jinja2 import UndefinedError
from jinja2.environment import Template
from jinja2.sandbox import SandboxedEnvironment

from inward.campaigns.rendering.context import MessageContext, flat_key
from inward.campaigns.rendering.limits import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH, text_length
from inward.campaigns.rendering.markdown import body_templates, link_name
from inward.campaigns.rendering.placeholders import placeholders_substitute
from inward.campaigns.rendering.problems import Field, TemplateProblem
from inward.campaigns.rendering.sandbox import (
    HTML_ENV,
    TEXT_ENV,
    allowed_paths,
    parse,
    template_build,
    template_check,
)

LinkWrapper = Callable[[int, str], str]

# C0 controls and DEL become spaces in subjects: a CR or LF there would start a new header.
_SUBJECT_CONTROLS = {code: " " for code in (*range(32), 127)}
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """One reader's message: a one-line subject, an HTML fragment and plain text."""

    subject: str
    html: str
    text: str


class CompiledVariant:
    """A checked, compiled subject and body.

    ``links`` are the distinct ``http(s)`` addresses written out in the body, in order;
    ``variables`` the dotted variable paths the subject and body use.
    """

    __slots__ = ("_html", "_link_names", "_links_used", "_subject", "_text", "links", "variables")

    def __init__(
        self,
        *,
        subject: Template,
        html: Template,
        text: Template,
        links: list[str],
        variables: frozenset[str],
    ) -> None:
        self._subject = subject
        self._html = html
        self._text = text
        self.links = links
        self.variables = variables
        self._link_names = [(index, link_name(index), url) for index, url in enumerate(links)]
        self._links_used = [path for path in variables if path.startswith("links.")]

    def render(self, ctx: MessageContext, *, link: LinkWrapper | None = None) -> RenderedMessage:
        """Fill in one reader's values; ``link(index, url)`` gives each link's href.

        ``index`` is the position of ``url`` in ``links`` (click tracking redirects by
        it). The same wrapped address goes into the HTML and the text. Raises
        ``TemplateProblem`` only when a ``links.<name>`` the template uses is missing
        from ``ctx``.
        """
        values: Mapping[str, str] = ctx.values
        if self._link_names:
            values = dict(values)
            for index, name, url in self._link_names:
                values[name] = link(index, url) if link else url
        try:
            subject = self._subject.render(values)
            html = self._html.render(values)
            text = self._text.render(values)
        except UndefinedError:
            missing = sorted(path for path in self._links_used if flat_key(path) not in values)
            raise TemplateProblem(
                _("No value was given for %(names)s.") % {"names": ", ".join(missing)}
            ) from None
        if "<p></p>" in html:  # a paragraph that was only an empty variable
            html = html.replace("<p></p>\n", "").replace("<p></p>", "")
        return RenderedMessage(
            subject=" ".join(subject.translate(_SUBJECT_CONTROLS).split()),
            html=html.strip(),
            text=_BLANK_LINES.sub("\n\n", text).strip("\n") + "\n",
        )


def compile_variant(
    *, subject: str, body: str, extra_links: Collection[str] = ()
) -> CompiledVariant:
    """Compile a subject (plain text with variables) and a Markdown body.

    Raises ``TemplateProblem`` for a subject longer than ``MAX_SUBJECT_LENGTH`` or a body
    longer than ``MAX_BODY_LENGTH`` characters, syntax errors, nesting too deep to compile,
    variables outside ``ALLOWED_VARIABLES`` (plus ``links.<name>`` for each name in
    ``extra_links``), constructs a message may not use, and links that are not
    ``http(s)``/``mailto``.
    """
    _check_lengths(subject, body)
    paths = allowed_paths(extra_links)
    with _within_limits("subject"):
        used = template_check(
            parse(TEXT_ENV, subject, field="subject"), paths=paths, field="subject"
        )
        subject_template = _build(TEXT_ENV, subject, paths, "subject")
    with _within_limits("body"):
        used |= template_check(parse(TEXT_ENV, body, field="body"), paths=paths, field="body")
        markdown_source, holders = placeholders_substitute(body)
        sources = body_templates(markdown_source, holders, body=body)
        html = _build(HTML_ENV, sources.html, paths, "body")
        text = _build(TEXT_ENV, sources.text, paths, "body")
    return CompiledVariant(
        subject=subject_template, html=html, text=text, links=sources.links, variables=used
    )


def _check_lengths(subject: str, body: str) -> None:
    if text_length(subject) > MAX_SUBJECT_LENGTH:
        raise TemplateProblem(
            _("The subject is too long: at most %(limit)d characters.")
            % {"limit": MAX_SUBJECT_LENGTH},
            "subject",
        )
    if text_length(body) > MAX_BODY_LENGTH:
        raise TemplateProblem(
            _("The message is too long: at most %(limit)d characters.")
            % {"limit": MAX_BODY_LENGTH},
            "body",
        )


@contextmanager
def _within_limits(field: Field) -> Iterator[None]:
    """Turn running out of stack or memory while compiling into a ``TemplateProblem``.

    Jinja parses and compiles recursively: ``{{ ((((…`` a few hundred deep, or hundreds of
    nested ``{% if %}``, exhaust Python's stack. The stack is unwound by the time this
    handler runs, so recovering here is safe. A little less deep, the Python code Jinja
    generates can be too deeply nested for Python's own compiler (``SyntaxError``: "too
    many nested parentheses", ``IndentationError``: "too many levels of indentation").
    """
    try:
        yield
    except (RecursionError, SyntaxError):
        raise TemplateProblem(
            _("The brackets, filters or {% if %} tags are nested too deeply."), field
        ) from None
    except MemoryError:
        raise TemplateProblem(_("This is too large to compile."), field) from None


def _build(env: SandboxedEnvironment, source: str, paths: frozenset[str], field: Field) -> Template:
    """Parse and check a generated template; problems here have no line in the input."""
    try:
        tree = parse(env, source, field=field)
        template_check(tree, paths=paths, field=field, internal=True)
    except TemplateProblem as problem:
        raise TemplateProblem(
            _("The {%% … %%} tags do not fit the Markdown around them: %(problem)s")
            % {"problem": problem.message},
            field,
        ) from None
    return template_build(env, tree)
