"""The one exception campaign services raise for a refused change.

``code`` is stable and machine-readable (the API returns it); ``message`` is for people.
``field``/``line`` locate a template problem; ``path`` locates a problem in a campaign
file (``touches[2].channel``).
"""

from __future__ import annotations


class CampaignError(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        line: int | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.line = line
        self.path = path

    def __str__(self) -> str:
        return self.message


class CampaignFileError(CampaignError):
    """A campaign file with problems; nothing of it was applied. ``problems`` holds one
    line per problem, each starting with its path into the file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("file", "\n".join(problems))
        self.problems = problems
