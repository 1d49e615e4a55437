"""The Jinja2 side: two sandboxed environments, the whitelist check and the flattening.

Templates are checked on their syntax tree, so nothing outside the whitelist (other
variables, attributes, calls, includes, loops, assignments) survives to render time.
After the check, every ``person.first_name``-style path is rewritten into a plain name
(``person__first_name``); rendering then needs no attribute access at all.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.environment import Template
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from inward.campaigns.rendering.context import ALLOWED_VARIABLES, flat_key
from inward.campaigns.rendering.problems import Field, TemplateProblem

#: Filters a message may use; none of them can mark text as safe HTML or reach objects.
ALLOWED_FILTERS = frozenset(
    {"capitalize", "d", "default", "lower", "replace", "title", "trim", "truncate", "upper"}
    | {"urlencode"}
)

# Names that only the compiler writes into the templates it builds: link targets and the
# check on links whose address is personalised.
_INTERNAL_NAME = re.compile(r"_l\d+")
HREF_FILTER = "_href"
_SAFE_HREF = re.compile(r"(?:https?://|mailto:)", re.IGNORECASE)

# Nodes that may appear anywhere; Name, Getattr, Filter and FilterBlock get a closer look.
_PLAIN_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Const,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
    nodes.List,
    nodes.Tuple,
    nodes.Keyword,
)


def _href(value: str) -> Markup:
    """A personalised link address, or ``#`` when it would not be a web or mail link.

    Gets the already escaped attribute text, so the scheme check sees what a mail reader
    will see; a value starting with ``javascript:`` or spaces never becomes a link.
    """
    # The value is the output of an autoescaped block: already safe HTML text.
    return Markup(value) if _SAFE_HREF.match(value) else Markup("#")  # noqa: S704


def _environment(*, html: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        autoescape=html,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        # Plain text has no markup to hide a tag's line in: a line holding only
        # {% if %} must vanish entirely, newline included.
        trim_blocks=not html,
        lstrip_blocks=not html,
        cache_size=0,
        auto_reload=False,
    )
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in ALLOWED_FILTERS}
    env.filters[HREF_FILTER] = _href
    return env


HTML_ENV = _environment(html=True)
TEXT_ENV = _environment(html=False)


def allowed_paths(extra_links: Collection[str] = ()) -> frozenset[str]:
    return frozenset(ALLOWED_VARIABLES) | {f"links.{name}" for name in extra_links}


def parse(env: SandboxedEnvironment, source: str, *, field: Field) -> nodes.Template:
    try:
        return env.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem(
            _("Template syntax error: %(error)s") % {"error": error.message},
            field,
            error.lineno,
        ) from None


def _path(node: nodes.Getattr) -> str | None:
    """``person.first_name`` for a chain of attribute lookups on a name, else None."""
    parts: list[str] = []
    current: nodes.Node = node
    while isinstance(current, nodes.Getattr):
        parts.append(current.attr)
        current = current.node
    if not isinstance(current, nodes.Name):
        return None
    parts.append(current.name)
    return ".".join(reversed(parts))


class _Checker:
    """Walks a parsed template and raises ``TemplateProblem`` at the first thing not allowed.

    ``internal`` admits the names and filter the compiler itself writes; the user's own
    source is always checked without it first.
    """

    def __init__(self, *, paths: frozenset[str], field: Field, internal: bool) -> None:
        self.paths = paths
        self.field = field
        self.internal = internal
        self.used: set[str] = set()

    def problem(self, node: nodes.Node, message: str) -> TemplateProblem:
        return TemplateProblem(message, self.field, getattr(node, "lineno", None))

    def check(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Getattr):
            self._variable(node, _path(node))
        elif isinstance(node, nodes.Name):
            self._name(node)
        elif isinstance(node, nodes.Filter):
            self._filter(node)
        elif isinstance(node, nodes.FilterBlock) and self.internal:
            if node.filter.name != HREF_FILTER:
                raise self.problem(node, _unsupported(node))
            for child in node.body:
                self.check(child)
        elif isinstance(node, _PLAIN_NODES):
            self._children(node)
        else:
            raise self.problem(node, _unsupported(node))

    def _children(self, node: nodes.Node) -> None:
        for child in node.iter_child_nodes():
            self.check(child)

    def _name(self, node: nodes.Name) -> None:
        if node.ctx != "load":
            raise self.problem(node, _("Setting variables is not allowed in messages."))
        if self.internal and _INTERNAL_NAME.fullmatch(node.name):
            return
        self._variable(node, node.name)

    def _variable(self, node: nodes.Node, path: str | None) -> None:
        if path is None:
            raise self.problem(node, _("Only plain variables like person.first_name work."))
        if path not in self.paths:
            raise self.problem(node, _unknown_variable(path))
        self.used.add(path)

    def _filter(self, node: nodes.Filter) -> None:
        if node.name not in ALLOWED_FILTERS:
            raise self.problem(
                node, _("The filter “%(name)s” is not allowed in messages.") % {"name": node.name}
            )
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise self.problem(node, _("Filters take plain arguments only."))
        self._children(node)


def _unknown_variable(path: str) -> str:
    if any(part.startswith("_") for part in path.split(".")):
        return _("Names starting with “_” are not allowed in messages.")
    return _("Unknown variable “%(path)s”. You can use: %(allowed)s.") % {
        "path": path,
        "allowed": ", ".join(sorted(ALLOWED_VARIABLES)),
    }


_CONSTRUCTS = {
    "For": "{% for %}",
    "Include": "{% include %}",
    "Import": "{% import %}",
    "FromImport": "{% from … import %}",
    "Extends": "{% extends %}",
    "Block": "{% block %}",
    "Macro": "{% macro %}",
    "CallBlock": "{% call %}",
    "Assign": "{% set %}",
    "AssignBlock": "{% set %}",
    "With": "{% with %}",
    "FilterBlock": "{% filter %}",
    "Scope": "{% with %}",
    "Call": "calling functions",
    "Getitem": "[…] lookups",
    "Test": "“is” tests",
}


def _unsupported(node: nodes.Node) -> str:
    what = _CONSTRUCTS.get(type(node).__name__, type(node).__name__)
    return _("This is not allowed in messages: %(construct)s.") % {"construct": what}


def template_check(
    tree: nodes.Template, *, paths: frozenset[str], field: Field, internal: bool = False
) -> frozenset[str]:
    """Raise ``TemplateProblem`` unless ``tree`` uses only whitelisted things.

    Returns the variable paths it uses.
    """
    checker = _Checker(paths=paths, field=field, internal=internal)
    checker.check(tree)
    return frozenset(checker.used)


class _Flatten(NodeTransformer):
    def visit_Getattr(self, node: nodes.Getattr, *args: Any, **kwargs: Any) -> nodes.Node:
        path = _path(node)
        assert path is not None, "template_check lets only paths through"
        return nodes.Name(flat_key(path), "load", lineno=node.lineno)

    def visit_Name(self, node: nodes.Name, *args: Any, **kwargs: Any) -> nodes.Node:
        return nodes.Name(flat_key(node.name), "load", lineno=node.lineno)


def template_build(env: SandboxedEnvironment, tree: nodes.Template) -> Template:
    """Compile a checked tree, with variable paths turned into flat context keys."""
    flat = _Flatten().visit(tree)
    assert isinstance(flat, nodes.Template)
    return env.from_string(flat)
