"""The one error type of the rendering layer."""

from __future__ import annotations

from typing import Literal

Field = Literal["subject", "body"]


class TemplateProblem(ValueError):
    """A variant's subject or body cannot become a message.

    ``message`` is a translated sentence for the editor; ``field`` says which input it is
    about and ``line`` (1-based, in that input) where, when known.
    """

    def __init__(self, message: str, field: Field = "body", line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field: Field = field
        self.line = line

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.field}: {self.message}"
        return f"{self.field}, line {self.line}: {self.message}"
