"""The one exception offering services raise for a refused change.

``code`` is stable and machine-readable; ``message`` is for people; ``field`` names the
form field it is about, when there is one.
"""

from __future__ import annotations


class OfferingError(Exception):
    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message
