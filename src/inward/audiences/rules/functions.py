"""Functions a rule may call, by name. Each one compiles to a Q on Person.

To add one (later: ``opened("slug")``, ``clicked``, ``enrolled``, ``completed``), write a
compiler that takes the compile context and the arguments and returns a ``Q`` that is never
NULL for any person, then register it::

    @register("opened", params=("campaign slug",), doc="opened the campaign's message")
    def _opened(context: CompileContext, args: tuple[Scalar, ...]) -> Q: ...

Importing the module that registers it must happen before rules are parsed: add it to
``_BUILTIN_MODULES`` below (or import it from an ``AppConfig.ready``). The reference
evaluator in ``reference.py`` needs a matching function for the property test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from inward.audiences.rules.ast import Scalar
from inward.directory.models import Person

if TYPE_CHECKING:
    from inward.audiences.rules.compiler import CompileContext

FunctionCompiler = Callable[["CompileContext", tuple[Scalar, ...]], Q]


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[str, ...]
    doc: str
    compile: FunctionCompiler


FUNCTIONS: dict[str, Function] = {}


def register(
    name: str, *, params: tuple[str, ...], doc: str
) -> Callable[[FunctionCompiler], FunctionCompiler]:
    def decorate(compile_: FunctionCompiler) -> FunctionCompiler:
        FUNCTIONS[name] = Function(name=name, params=params, doc=doc, compile=compile_)
        return compile_

    return decorate


def _email(args: tuple[Scalar, ...]) -> str:
    return str(args[0]).strip().lower()


@register(
    "reports_to",
    params=("manager's e-mail address",),
    doc="reports to the manager directly or through any number of levels",
)
def _reports_to(context: CompileContext, args: tuple[Scalar, ...]) -> Q:
    # The SQL holds only quoted identifiers from the model; the address is a parameter.
    managers = RawSQL(_managers_below_sql(), [_email(args)])  # noqa: S611
    return Q(manager__isnull=False) & Q(manager__in=managers)


def _managers_below_sql() -> str:
    """The manager and every manager below them: a person reports to the manager at any
    depth exactly when their own manager is in this set.

    Walking only the people who have reports keeps the set small (a tenth of the subtree in
    a typical organisation), which on PostgreSQL at a million people makes the count about
    2.5 times faster than returning everyone below. UNION (not UNION ALL) stops at cycles.
    """
    quote = connection.ops.quote_name
    table = quote(Person._meta.db_table)
    pk = quote(str(Person._meta.pk.column))
    manager = quote(str(Person._meta.get_field("manager").column))
    email = quote(str(Person._meta.get_field("email").column))
    return (
        f"WITH RECURSIVE below(id) AS ("  # noqa: S608
        f"SELECT m.{pk} FROM {table} m WHERE LOWER(m.{email}) = %s "
        f"UNION SELECT p.{pk} FROM {table} p JOIN below b ON p.{manager} = b.id "
        f"WHERE EXISTS (SELECT 1 FROM {table} r WHERE r.{manager} = p.{pk})"
        f") SELECT id FROM below"
    )


@register(
    "reports_directly_to",
    params=("manager's e-mail address",),
    doc="has this manager as their direct manager",
)
def _reports_directly_to(context: CompileContext, args: tuple[Scalar, ...]) -> Q:
    managers = Person.objects.filter(Exact(Lower("email"), _email(args))).values("pk")
    return Q(manager__isnull=False) & Q(manager__in=managers)


@register(
    "in_audience",
    params=("audience slug",),
    doc="is a member of the saved audience",
)
def _in_audience(context: CompileContext, args: tuple[Scalar, ...]) -> Q:
    return context.audience_q(str(args[0]))
