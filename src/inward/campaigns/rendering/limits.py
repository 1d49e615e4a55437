"""How large a message may be: the bounds that keep compiling and rendering cheap.

A manager's template runs on the server (at save, in the preview and once per reader), so
its size is bounded here and every step after it is linear in that size.
"""

from __future__ import annotations

#: ``Variant.subject`` holds this many characters.
MAX_SUBJECT_LENGTH = 300
#: A body of about eight pages; line breaks count as one character (``\r\n`` too).
MAX_BODY_LENGTH = 20_000
#: The most text one filter may return: no filter can make more than a body may hold.
MAX_FILTER_OUTPUT = MAX_BODY_LENGTH


def text_length(text: str) -> int:
    """The length as a browser counts it in a ``<textarea maxlength>``: CRLF is one."""
    return len(text) - text.count("\r\n")
