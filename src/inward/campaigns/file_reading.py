"""Reading a campaign file: YAML into plain values, remembering each value's line, and
small typed readers that report a problem at the value's path (``touches[2].at``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import yaml

# "10:00" unquoted is a base-60 integer in YAML 1.1; times stay text.
_CLOCK = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")


class Problems:
    """Problems found so far, each as "path: message (line N)"."""

    def __init__(self, lines: dict[str, int]) -> None:
        self.lines = lines
        self.items: list[str] = []

    def add(self, path: str, message: str, *, line_in_value: int | None = None) -> None:
        """``line_in_value`` is a line within a multi-line value (a template's body)."""
        line = self.lines.get(path)
        if line is not None and line_in_value is not None:
            line += line_in_value - 1
        where = f" (line {line})" if line else ""
        self.items.append(f"{path}: {message}{where}" if path else f"{message}{where}")

    def __bool__(self) -> bool:
        return bool(self.items)


def load(text: str) -> tuple[Any, dict[str, int]]:
    """The document as dicts, lists and scalars, and the line of every path in it.

    Raises yaml.YAMLError for text that is not YAML.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[str, int] = {}
        return (_plain(loader, node, "", lines) if node is not None else None), lines
    finally:
        loader.dispose()


def _plain(loader: yaml.SafeLoader, node: yaml.Node, path: str, lines: dict[str, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        lines[path] += 1  # a block's text starts on the line after its "|"
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(loader.construct_object(key_node))
            child = f"{path}.{key}" if path else key
            result[key] = _plain(loader, value_node, child, lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_plain(loader, item, f"{path}[{i}]", lines) for i, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    if node.tag.endswith(":int") and _CLOCK.match(str(node.value)):
        return str(node.value)
    return loader.construct_object(node)


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Reader:
    """Typed reads from one mapping of the file, reporting problems at their path."""

    def __init__(self, data: Any, path: str, problems: Problems) -> None:
        self.path = path
        self.problems = problems
        if not isinstance(data, dict):
            problems.add(path, "expected a mapping of keys to values")
            data = {}
        self.data: dict[str, Any] = data

    def known(self, keys: set[str]) -> None:
        for key in self.data:
            if key not in keys:
                self.problems.add(join(self.path, key), "unknown key")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.add(join(self.path, key), "missing")
            return default
        if isinstance(value, dict | list):
            self.problems.add(join(self.path, key), "expected text")
            return default
        return str(value) if not isinstance(value, bool) else str(value).lower()

    def choice(self, key: str, choices: list[str], *, default: str | None = None) -> str:
        """One of ``choices``; required unless there is a ``default``."""
        if not self.has(key):
            if default is None:
                self.problems.add(join(self.path, key), "missing")
            return default or choices[0]
        value = self.text(key)
        if value not in choices:
            self.problems.add(
                join(self.path, key), f'"{value}" is not one of: {", ".join(choices)}'
            )
            return default or choices[0]
        return value

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            self.problems.add(join(self.path, key), "expected true or false")
            return False
        return value

    def integer(self, key: str, *, default: int = 0) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.add(join(self.path, key), "expected a whole number")
            return default
        return value

    def clock(self, key: str) -> dt.time | None:
        value = self.data.get(key)
        if value is None:
            return None
        try:
            return dt.time.fromisoformat(str(value).zfill(5))
        except ValueError:
            self.problems.add(join(self.path, key), f'"{value}" is not a time like "09:30"')
            return None

    def moment(self, key: str, tz: ZoneInfo, *, required: bool = False) -> dt.datetime | None:
        """An ISO date-time; without an offset it is read in ``tz``, a bare date is its
        midnight."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.add(join(self.path, key), "missing")
            return None
        try:
            when = _moment(value)
        except ValueError:
            self.problems.add(
                join(self.path, key), f'"{value}" is not a date and time like 2026-03-02T09:00'
            )
            return None
        return when if when.tzinfo is not None else when.replace(tzinfo=tz)

    def day(self, key: str) -> dt.date | None:
        """An ISO date (2026-03-02)."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.problems.add(join(self.path, key), f'"{value}" is not a date like 2026-03-02')
            return None

    def items(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.add(join(self.path, key), "expected a list")
            return []
        return value

    def child(self, key: str) -> Reader:
        return Reader(self.data.get(key) or {}, join(self.path, key), self.problems)


def _moment(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time.min)
    return dt.datetime.fromisoformat(str(value))
