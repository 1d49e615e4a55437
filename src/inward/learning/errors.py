"""The one exception offering services raise for a refused change.

``code`` is stable and machine-readable; ``message`` is for people; ``field`` names the
form field it is about, when there is one. A check that finds several problems raises the
first and carries the rest in ``others``, so a form can show them all at once.
"""

from __future__ import annotations

from collections.abc import Sequence


class OfferingError(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        others: Sequence[OfferingError] = (),
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.others = tuple(others)

    def all(self) -> list[OfferingError]:
        """This problem and the others found with it, in the order they were found."""
        return [self, *self.others]

    def __str__(self) -> str:
        return self.message
