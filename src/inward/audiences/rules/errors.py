"""What goes wrong with a rule, said so a comms person can fix it."""

from __future__ import annotations


class RuleError(ValueError):
    """The rule cannot be used: unknown field, wrong kind of value, unknown audience.

    ``line`` and ``column`` (1-based) are known when the error comes from the text form.
    """

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None):
        self.message = message
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is None or self.column is None:
            return self.message
        return f"line {self.line}, column {self.column}: {self.message}"

    def at(self, line: int, column: int) -> RuleError:
        """The same error, placed in the text."""
        return type(self)(self.message, line=line, column=column)


class RuleSyntaxError(RuleError):
    """The text is not a rule: ``line 1, column 23: expected a value after "=", found ...``."""

    def __init__(self, message: str, *, line: int, column: int, expected: str):
        self.expected = expected
        super().__init__(message, line=line, column=column)

    def at(self, line: int, column: int) -> RuleError:
        return RuleSyntaxError(self.message, line=line, column=column, expected=self.expected)
