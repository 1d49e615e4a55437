"""The Jinja2 side: two sandboxed environments, the whitelist check and the flattening.

Templates are checked on their syntax tree, so nothing outside the whitelist (other
variables, attributes, calls, includes, loops, assignments) survives to render time.
After the check, every ``person.first_name``-style path is rewritten into a plain name
(``person__first_name``); rendering then needs no attribute access at all.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection
from typing import Any

from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.environment import Template
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from inward.campaigns.rendering.context import ALLOWED_VARIABLES, flat_key
from inward.campaigns.rendering.limits import MAX_FILTER_OUTPUT
from inward.campaigns.rendering.problems import Field, TemplateProblem

# Each filter a message may use, with the arguments it takes after the value: a name and
# the type a (constant) argument must have, or None for any expression. None of them can
# mark text as safe HTML or reach objects, and none makes text much longer than what it
# is given: ``replace`` is left out, as ``"aaaa"|replace("a", "aaaa")`` grows text
# fourfold per use (and Jinja runs filters on constants while compiling).
_DEFAULT_ARGUMENTS: tuple[tuple[str, type | None], ...] = (
    ("default_value", None),
    ("boolean", None),
)
FILTER_ARGUMENTS: dict[str, tuple[tuple[str, type | None], ...]] = {
    "capitalize": (),
    "d": _DEFAULT_ARGUMENTS,
    "default": _DEFAULT_ARGUMENTS,
    "lower": (),
    "title": (),
    "trim": (),
    "truncate": (("length", int), ("killwords", None), ("end", str), ("leeway", int)),
    "upper": (),
    "urlencode": (),
}
ALLOWED_FILTERS = frozenset(FILTER_ARGUMENTS)

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


def _bounded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` as a filter whose output is at most ``MAX_FILTER_OUTPUT`` characters
    long, and whose misuse (a value it cannot take) is a ``TemplateProblem``.

    ``functools.wraps`` keeps Jinja's ``pass_eval_context``-style markers.
    """

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        try:
            result = function(*args, **kwargs)
        except (TypeError, ValueError, OverflowError):
            raise TemplateProblem(
                _("The filter “%(name)s” cannot be used on this value.") % {"name": name}
            ) from None
        if isinstance(result, str) and len(result) > MAX_FILTER_OUTPUT:
            return result[:MAX_FILTER_OUTPUT]
        return result

    return bounded


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
        # Jinja's optimiser re-folds every sub-expression at each level of an expression:
        # cubic in its depth (150 chained filters took 1.5 s to compile). Without it,
        # each printed expression is still tried as a constant once, in linear time.
        optimized=False,
    )
    env.globals.clear()
    env.filters = {name: _bounded(name, env.filters[name]) for name in ALLOWED_FILTERS}
    env.filters[HREF_FILTER] = _href
    return env


HTML_ENV = _environment(html=True)
TEXT_ENV = _environment(html=False)


def allowed_paths(extra_links: Collection[str] = ()) -> frozenset[str]:
    return frozenset(ALLOWED_VARIABLES) | {f"links.{name}" for name in extra_links}


def parse(env: SandboxedEnvironment, source: str, *, field: Field) -> nodes.Template:
    """The syntax tree of ``source``; ``TemplateProblem`` when it is no template.

    Too deep a nesting (``RecursionError``) is left to the caller, which guards the whole
    compilation against it.
    """
    try:
        return env.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem(
            _("Template syntax error: %(error)s") % {"error": error.message},
            field,
            error.lineno,
        ) from None
    except ValueError:
        # Jinja turns number literals into ints; Python refuses more than 4,300 digits.
        raise TemplateProblem(_("A number in the template is too long."), field) from None


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
        self._arguments(node)
        if node.name == "urlencode" and node.node is not None:
            # Encoding encoded text makes every "%" three characters again, without end.
            inner = [node.node, *node.node.find_all(nodes.Filter)]
            if any(isinstance(each, nodes.Filter) and each.name == "urlencode" for each in inner):
                raise self.problem(node, _("Text needs “urlencode” only once."))
        self._children(node)

    def _arguments(self, node: nodes.Filter) -> None:
        """Refuse arguments the filter does not take, or constants of the wrong type."""
        parameters = FILTER_ARGUMENTS[node.name]
        names = [name for name, _type in parameters]
        given: list[tuple[str, nodes.Node]] = list(zip(names, node.args, strict=False))
        for keyword in node.kwargs:
            assert isinstance(keyword, nodes.Keyword), "the parser makes only keywords here"
            given.append((keyword.key, keyword.value))
        counts = [name for name, _value in given]
        if len(node.args) > len(parameters) or len(set(counts)) < len(counts):
            raise self.problem(node, _too_many_arguments(node.name, len(parameters)))
        types = dict(parameters)
        for name, value in given:
            if name not in types:
                raise self.problem(node, _too_many_arguments(node.name, len(parameters)))
            wanted = types[name]
            if wanted is not None and not (
                isinstance(value, nodes.Const) and isinstance(value.value, wanted)
            ):
                raise self.problem(node, _bad_argument(node.name, name, wanted))


def _too_many_arguments(name: str, count: int) -> str:
    if not count:
        return _("The filter “%(name)s” takes no arguments.") % {"name": name}
    return _("The filter “%(name)s” does not take these arguments.") % {"name": name}


def _bad_argument(name: str, argument: str, wanted: type) -> str:
    kind = _("a whole number") if wanted is int else _("a text in quotes")
    return _("The “%(argument)s” of the filter “%(name)s” must be %(kind)s.") % {
        "argument": argument,
        "name": name,
        "kind": kind,
    }


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
