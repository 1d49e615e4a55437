"""Recursive descent over the tokens of the text form.

rule       := or_expr END
or_expr    := and_expr ("or" and_expr)*
and_expr   := not_expr ("and" not_expr)*
not_expr   := "not" not_expr | "(" or_expr ")" | call | comparison
call       := WORD "(" [scalar ("," scalar)*] ")"
comparison := field ( ("="|"!="|"<"|"<="|">"|">="|"contains"|"startswith") scalar
                    | ["not"] "in" "(" scalar ("," scalar)* ")"
                    | "is" ["not"] "empty" )
field      := WORD ["." WORD]
"""

from __future__ import annotations

from collections.abc import Callable

from inward.audiences.rules import limits
from inward.audiences.rules.ast import And, Call, Compare, Node, Not, Or, Scalar
from inward.audiences.rules.errors import RuleError, RuleSyntaxError
from inward.audiences.rules.tokens import Token, tokenize
from inward.audiences.rules.validate import call_check, compare_check, field_check

KEYWORDS = ("and", "or", "not", "in", "is", "empty", "contains", "startswith")
SCALAR_OPS = ("=", "!=", "<", "<=", ">", ">=")
WORD_OPS = ("contains", "startswith")
OPERATOR_HINT = "an operator (=, !=, in, not in, <, <=, >, >=, contains, startswith, is empty)"


class _Parser:
    def __init__(self, text: str):
        limits.check_length(text)
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.clauses = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def fail(self, expected: str, after: str = "") -> RuleSyntaxError:
        token = self.current
        where = f" after {after}" if after else ""
        return RuleSyntaxError(
            f"expected {expected}{where}, found {token.describe()}",
            line=token.line,
            column=token.column,
            expected=expected,
        )

    def rule(self) -> Node:
        node = self.or_expr()
        if self.current.kind != "end":
            raise self.fail('"and", "or" or end of rule')
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.current.is_word("or"):
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.current.is_word("and"):
            self.advance()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        self.depth += 1
        try:
            if self.depth > limits.MAX_DEPTH:
                raise limits.depth_error().at(self.current.line, self.current.column)
            return self._not_expr()
        finally:
            self.depth -= 1

    def _not_expr(self) -> Node:
        if self.current.is_word("not"):
            self.advance()
            return Not(self.not_expr())
        if self.current.is_punct("("):
            self.advance()
            node = self.or_expr()
            if not self.current.is_punct(")"):
                raise self.fail('"and", "or" or ")"')
            self.advance()
            return node
        if self.current.kind == "word" and not self.current.is_word(*KEYWORDS):
            return self.call_or_comparison()
        raise self.fail('a field, a function or "("')

    def call_or_comparison(self) -> Node:
        self.clauses += 1
        if self.clauses > limits.MAX_CLAUSES:
            raise limits.clauses_error().at(self.current.line, self.current.column)
        name = self.advance()
        if self.current.is_punct("("):
            return self.call(name)
        field = self.field_name(name)
        _placed(field_check, field, name)
        return self.comparison(name, field)

    def call(self, name: Token) -> Call:
        self.advance()
        args: list[Scalar] = []
        if not self.current.is_punct(")"):
            args = self.scalars(after=f'"{name.text}("')
        if not self.current.is_punct(")"):
            raise self.fail('"," or ")"')
        self.advance()
        node = Call(name.text.lower(), tuple(args), place=(name.line, name.column))
        _placed(call_check, node, name)
        return node

    def field_name(self, first: Token) -> str:
        if not self.current.is_punct("."):
            return first.text.lower()
        self.advance()
        if self.current.kind != "word":
            raise self.fail("an attribute name", after=f'"{first.text}."')
        return f"{first.text.lower()}.{self.advance().text}"

    def comparison(self, start: Token, field: str) -> Compare:
        op, value = self.operator_and_value(field)
        node = Compare(field, op, value)
        _placed(compare_check, node, start)
        return node

    def operator_and_value(self, field: str) -> tuple[str, Scalar | tuple[Scalar, ...] | None]:
        token = self.current
        if token.is_punct(*SCALAR_OPS) or token.is_word(*WORD_OPS):
            self.advance()
            op = token.text.lower()
            return op, self.scalar(after=f'"{op}"')
        if token.is_word("in"):
            self.advance()
            return "in", self.value_list(after='"in"')
        if token.is_word("not"):
            self.advance()
            if not self.current.is_word("in"):
                raise self.fail('"in"', after='"not"')
            self.advance()
            return "not in", self.value_list(after='"not in"')
        if token.is_word("is"):
            return self.emptiness(), None
        raise self.fail(OPERATOR_HINT, after=f'"{field}"')

    def emptiness(self) -> str:
        self.advance()
        negated = self.current.is_word("not")
        if negated:
            self.advance()
        if not self.current.is_word("empty"):
            raise self.fail('"empty"', after='"is not"' if negated else '"is"')
        self.advance()
        return "is not empty" if negated else "is empty"

    def value_list(self, *, after: str) -> tuple[Scalar, ...]:
        if not self.current.is_punct("("):
            raise self.fail('a list such as ("a", "b")', after=after)
        self.advance()
        values = self.scalars(after='"("')
        if not self.current.is_punct(")"):
            raise self.fail('"," or ")"')
        self.advance()
        return tuple(values)

    def scalars(self, *, after: str) -> list[Scalar]:
        values = [self.scalar(after=after)]
        while self.current.is_punct(","):
            self.advance()
            values.append(self.scalar(after='","'))
        return values

    def scalar(self, *, after: str) -> Scalar:
        token = self.current
        if token.kind not in ("string", "number", "duration"):
            raise self.fail("a value", after=after)
        self.advance()
        return token.value


def _placed(check: Callable[..., object], node: Compare | Call | str, token: Token) -> None:
    """Run a meaning check, pinning its error to where the clause starts."""
    try:
        check(node)
    except RuleSyntaxError:
        raise
    except RuleError as error:
        raise error.at(token.line, token.column) from None


def parse(text: str) -> Node:
    """The tree of a rule in its text form; RuleSyntaxError or RuleError if it is not one."""
    return _Parser(text).rule()
