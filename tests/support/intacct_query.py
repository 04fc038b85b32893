"""The readByQuery ``query`` language, as much of it as the test server needs.

FORMATS.md 2.1: operators ``< > >= <= = like, not like, in, not in, IS NULL, IS NOT NULL, AND, OR``,
spaces around operators required, string operands single-quoted with ``\\'`` escapes, string compare
case-sensitive. Dates (mm/dd/yyyy[ HH:MM:SS]) and numbers compare as such. An unknown field is an
error, so a client that builds a wrong query fails here as it would against Intacct.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

_TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:\\.|[^'\\])*')
  | (?P<op>>=|<=|<>|!=|=|<|>)
  | (?P<lp>\() | (?P<rp>\)) | (?P<comma>,)
  | (?P<word>[A-Za-z_][\w.]*)
  | (?P<num>-?\d+(?:\.\d+)?)
)""", re.VERBOSE)


class QueryError(ValueError):
    pass


def _tokens(query: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    query = query.strip()
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if not m or m.end() == pos:
            raise QueryError(f"Invalid query near {query[pos:pos + 20]!r}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "str":
            value = value[1:-1].replace("\\'", "'")
        out.append((kind, value))
        pos = m.end()
    return out


def _as_date(v: str) -> datetime | None:
    for fmt in ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y"):
        try:
            return datetime.strptime(v, fmt)
        except ValueError:
            pass
    return None


def _compare(a: str, b: str) -> int:
    da, db = _as_date(a), _as_date(b)
    if da is not None and db is not None:
        return (da > db) - (da < db)
    try:
        na, nb = Decimal(a), Decimal(b)
        return (na > nb) - (na < nb)
    except InvalidOperation:
        return (a > b) - (a < b)


def _like(value: str, pattern: str) -> bool:
    rx = "^" + re.escape(pattern).replace("%", ".*").replace("_", ".") + "$"
    return re.match(rx, value, re.S) is not None


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], fields: set[str]):
        self.t, self.i, self.fields = tokens, 0, fields

    def peek(self) -> tuple[str, str]:
        return self.t[self.i] if self.i < len(self.t) else ("end", "")

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        self.i += 1
        return tok

    def word(self, *words: str) -> bool:
        kind, val = self.peek()
        if kind == "word" and val.upper() == words[0]:
            if len(words) == 1:
                self.i += 1
                return True
            nxt = self.t[self.i + 1] if self.i + 1 < len(self.t) else ("end", "")
            if nxt[0] == "word" and nxt[1].upper() == words[1]:
                self.i += 2
                return True
        return False

    def expr(self):
        left = self.conj()
        while self.word("OR"):
            right = self.conj()
            left = (lambda l, r: lambda row: l(row) or r(row))(left, right)
        return left

    def conj(self):
        left = self.atom()
        while self.word("AND"):
            right = self.atom()
            left = (lambda l, r: lambda row: l(row) and r(row))(left, right)
        return left

    def value(self) -> str:
        kind, val = self.take()
        if kind not in ("str", "num"):
            raise QueryError(f"Expected a value, got {val!r}")
        return val

    def atom(self):
        if self.word("NOT"):
            inner = self.atom()
            return lambda row: not inner(row)
        if self.peek()[0] == "lp":
            self.take()
            inner = self.expr()
            if self.take()[0] != "rp":
                raise QueryError("Unbalanced parenthesis")
            return inner
        kind, field = self.take()
        if kind != "word":
            raise QueryError(f"Expected a field, got {field!r}")
        if field not in self.fields:
            raise QueryError(f"Invalid field {field} in query")
        if self.word("IS", "NOT"):
            if not self.word("NULL"):
                raise QueryError("Expected NULL")
            return lambda row: row.get(field, "") != ""
        if self.word("IS"):
            if not self.word("NULL"):
                raise QueryError("Expected NULL")
            return lambda row: row.get(field, "") == ""
        negate = self.word("NOT")
        if self.word("LIKE"):
            pat = self.value()
            return lambda row: _like(row.get(field, ""), pat) != negate
        if self.word("IN"):
            if self.take()[0] != "lp":
                raise QueryError("Expected ( after in")
            values = [self.value()]
            while self.peek()[0] == "comma":
                self.take()
                values.append(self.value())
            if self.take()[0] != "rp":
                raise QueryError("Expected )")
            return lambda row: (row.get(field, "") in values) != negate
        if negate:
            raise QueryError("NOT must be followed by like or in")
        kind, op = self.take()
        if kind != "op":
            raise QueryError(f"Expected an operator after {field}")
        val = self.value()
        tests = {"=": lambda c: c == 0, "<>": lambda c: c != 0, "!=": lambda c: c != 0,
                 "<": lambda c: c < 0, ">": lambda c: c > 0, "<=": lambda c: c <= 0, ">=": lambda c: c >= 0}
        test = tests[op]
        return lambda row: row.get(field, "") != "" and test(_compare(row.get(field, ""), val))


def compile_query(query: str | None, fields: set[str]):
    """Return a predicate row -> bool; raises QueryError for bad syntax or unknown fields."""
    if not query or not query.strip():
        return lambda row: True
    parser = _Parser(_tokens(query), fields)
    pred = parser.expr()
    if parser.peek()[0] != "end":
        raise QueryError(f"Unexpected {parser.peek()[1]!r} in query")
    return pred
