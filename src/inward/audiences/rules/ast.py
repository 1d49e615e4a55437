"""The rule tree. Text and JSON forms both parse to these frozen dataclasses."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

DurationUnit = Literal["d", "w", "m", "y"]


@dataclass(frozen=True)
class Duration:
    """``90d``: days, weeks, calendar months or calendar years."""

    amount: int
    unit: DurationUnit

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


Scalar = str | int | Duration
Value = Scalar | tuple[Scalar, ...] | None


@dataclass(frozen=True)
class Compare:
    """``field op value``; ``value`` is a tuple for ``in``/``not in``, None for ``is empty``."""

    field: str
    op: str
    value: Value


@dataclass(frozen=True)
class Call:
    """A function such as ``reports_to("anna@example.com")`` or ``opened("x", 30d)``.

    ``place`` is the (line, column) where the call starts in the text form, so errors found
    while compiling (an unknown audience, campaign or offering) can point at it. It takes no
    part in equality: the same call read from JSON or from text is the same call.
    """

    name: str
    args: tuple[Scalar, ...]
    place: tuple[int, int] | None = dataclasses.field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Compare | Call | And | Or | Not

OPERATORS = (
    "=",
    "!=",
    "in",
    "not in",
    "<",
    "<=",
    ">",
    ">=",
    "contains",
    "startswith",
    "is empty",
    "is not empty",
)
LIST_OPERATORS = ("in", "not in")
NO_VALUE_OPERATORS = ("is empty", "is not empty")


def leaves(node: Node) -> list[Compare | Call]:
    """The comparisons and calls of a rule, left to right."""
    if isinstance(node, Compare | Call):
        return [node]
    if isinstance(node, Not):
        return leaves(node.item)
    return [leaf for item in node.items for leaf in leaves(item)]


def names_field(node: Node, field: str) -> bool:
    return any(isinstance(leaf, Compare) and leaf.field == field for leaf in leaves(node))
