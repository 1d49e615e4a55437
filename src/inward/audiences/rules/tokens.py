"""The tokenizer for the text form: words, quoted text, numbers, durations, punctuation."""

from __future__ import annotations

from dataclasses import dataclass

from inward.audiences.rules.ast import Duration, DurationUnit
from inward.audiences.rules.errors import RuleSyntaxError

PUNCTUATION = ("!=", "<=", ">=", "=", "<", ">", "(", ")", ",", ".")
DURATION_UNITS = ("d", "w", "m", "y")


@dataclass(frozen=True)
class Token:
    kind: str  # word, string, number, duration, punct, end
    text: str
    value: str | int | Duration
    line: int
    column: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words

    def is_punct(self, *marks: str) -> bool:
        return self.kind == "punct" and self.text in marks

    def describe(self) -> str:
        """How the token is named in an error: ``end of rule``, ``"and"``."""
        if self.kind == "end":
            return "end of rule"
        if self.kind == "string":
            return f"the text {self.text}"
        return f'"{self.text}"'


class _Scanner:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def place(self, pos: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, pos) + 1
        column = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
        return line, column

    def error(self, pos: int, expected: str, found: str) -> RuleSyntaxError:
        line, column = self.place(pos)
        return RuleSyntaxError(
            f"expected {expected}, found {found}", line=line, column=column, expected=expected
        )

    def token(self, kind: str, start: int, value: str | int | Duration) -> Token:
        line, column = self.place(start)
        return Token(kind, self.text[start : self.pos], value, line, column)

    def tokens(self) -> list[Token]:
        found: list[Token] = []
        while True:
            self._skip_space()
            if self.pos >= len(self.text):
                found.append(self.token("end", self.pos, ""))
                return found
            found.append(self._next())

    def _skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _next(self) -> Token:
        start, char = self.pos, self.text[self.pos]
        if char == '"':
            return self._string(start)
        if char.isdigit():
            return self._number(start)
        if char.isalpha() or char == "_":
            self.pos = self._word_end(start)
            return self.token("word", start, self.text[start : self.pos])
        for mark in PUNCTUATION:
            if self.text.startswith(mark, start):
                self.pos += len(mark)
                return self.token("punct", start, mark)
        expected = "a field, a value or an operator"
        raise self.error(start, expected, f'"{char}"')

    def _word_end(self, start: int) -> int:
        end = start
        while end < len(self.text) and (self.text[end].isalnum() or self.text[end] in "_-"):
            end += 1
        return end

    def _string(self, start: int) -> Token:
        chars: list[str] = []
        self.pos += 1
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == '"':
                self.pos += 1
                return self.token("string", start, "".join(chars))
            if char == "\\":
                chars.append(self._escape())
            else:
                chars.append(char)
            self.pos += 1
        expected = f'" to close the text that starts at {self._at(start)}'
        raise self.error(self.pos, expected, "end of rule")

    def _escape(self) -> str:
        following = self.text[self.pos + 1 : self.pos + 2]
        if following not in ('"', "\\"):
            raise self.error(self.pos, '\\" or \\\\', f'"\\{following}"')
        self.pos += 1
        return following

    def _at(self, pos: int) -> str:
        line, column = self.place(pos)
        return f"line {line}, column {column}"

    def _number(self, start: int) -> Token:
        end = start
        while end < len(self.text) and self.text[end].isdigit():
            end += 1
        word_end = self._word_end(end)
        self.pos = word_end
        suffix = self.text[end:word_end].lower()
        if not suffix:
            return self.token("number", start, int(self.text[start:end]))
        if suffix in DURATION_UNITS:
            unit: DurationUnit = suffix  # type: ignore[assignment]
            return self.token("duration", start, Duration(int(self.text[start:end]), unit))
        expected = "a number or a duration such as 90d, 6w, 3m or 1y"
        raise self.error(start, expected, f'"{self.text[start:word_end]}"')


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token."""
    return _Scanner(text).tokens()
