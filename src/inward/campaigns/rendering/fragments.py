"""Where the ``{{ … }}``, ``{% … %}`` and ``{# … #}`` fragments of a text are, in linear time.

The same spans as the regular expression ``\\{\\{.*?\\}\\}|\\{%.*?%\\}|\\{#.*?#\\}`` (with
DOTALL) would find, but that expression rescans to the end of the text from every opening
that is never closed, so ``"{{" * 10000`` costs it 10,000 scans of 20,000 characters.
Here each opening without a closing after it ends the search for that kind at once: no
later opening of the kind can be closed either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

_CLOSERS = {"{": "}}", "%": "%}", "#": "#}"}


def fragment_spans(source: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each fragment, in order; ``source[start:end]`` is the fragment.

    A fragment ends at the first closing of its kind after its opening, as with a lazy
    ``.*?``; the search then goes on after that closing.
    """
    unclosed: set[str] = set()
    position = 0
    while (start := source.find("{", position)) >= 0:
        kind = source[start + 1 : start + 2]
        closer = _CLOSERS.get(kind)
        if closer is None or kind in unclosed:
            position = start + 1
            continue
        end = source.find(closer, start + 2)
        if end < 0:
            unclosed.add(kind)
            position = start + 1
            continue
        yield start, end + 2
        position = end + 2


def fragments_replace(source: str, replace: Callable[[str], str]) -> str:
    """``source`` with each fragment replaced by ``replace(fragment)``."""
    parts: list[str] = []
    position = 0
    for start, end in fragment_spans(source):
        parts.append(source[position:start])
        parts.append(replace(source[start:end]))
        position = end
    parts.append(source[position:])
    return "".join(parts)
