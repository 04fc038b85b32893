"""Cell values as ledgers write them: dates in a declared format, amounts with declared separators,
and stable codes for things a ledger names but does not number (a vendor known only by its name).

Parsers raise ValueError with a message meant for people; the reader adds the line and the column.
Both parsers cache by cell text: a ledger repeats the same few thousand dates and amounts, and the
cache is what keeps a million-row import fast. Caches are bounded so memory stays flat.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from copilot.domain.money import money

_CACHE_LIMIT = 200_000
_SPACE = re.compile(r"\s+")
_NON_CODE = re.compile(r"[^A-Z0-9]+")
# Intacct IDs (VENDORID, DEPARTMENTID...) are at most 20 characters.
CODE_MAX_LENGTH = 20
_HASH_CHARS = 8


class DateParser:
    """Dates in one or more strftime formats, tried in order (list the unambiguous one first)."""

    def __init__(self, formats: list[str]) -> None:
        self.formats = formats
        self.cache: dict[str, date] = {}
        self.expected = " or ".join(formats)

    def parse(self, text: str) -> date:
        found = self.cache.get(text)
        if found is not None:
            return found
        if not text:
            raise ValueError("date is missing")
        value = self._parse(text)
        if len(self.cache) >= _CACHE_LIMIT:
            self.cache.clear()
        self.cache[text] = value
        return value

    def _parse(self, text: str) -> date:
        for fmt in self.formats:
            try:
                if fmt == "%Y-%m-%d" and len(text) == 10 and text[4] == "-" and text[7] == "-":
                    return date.fromisoformat(text)  # 10x faster than strptime
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise ValueError(f"not a date in format {self.expected}: {text!r}")


class AmountParser:
    """Amounts with a declared decimal and thousands separator, strictly.

    Strict on purpose: with decimal '.' the text '12,34' is an error, not 1234, so a mapping with the
    wrong separators fails on the first row instead of importing amounts 100x too large. Accepted:
    a sign before or after, (parentheses) for negatives, a currency symbol or ISO code, spaces.
    """

    def __init__(self, decimal_separator: str = ".", thousands_separator: str | None = None) -> None:
        if thousands_separator is None:
            thousands_separator = "," if decimal_separator != "," else "."
        if decimal_separator == thousands_separator:
            raise ValueError("decimal and thousands separators must differ")
        self.decimal_separator = decimal_separator
        self.thousands_separator = thousands_separator
        d, t = re.escape(decimal_separator), re.escape(thousands_separator)
        if not thousands_separator:
            groups = r"(?!)"  # no grouping allowed
        elif thousands_separator.isspace():
            groups = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+"
        else:
            groups = rf"\d{{1,3}}(?:{t}\d{{3}})+"
        self._pattern = re.compile(
            rf"^(?P<lead>[-+(]?)\s*(?:[£$€¥]|[A-Z]{{3}})?\s*(?P<lead2>[-+]?)\s*"
            rf"(?P<int>{groups}|\d+|(?={d}\d))(?:{d}(?P<frac>\d+))?"
            rf"\s*(?:[£$€¥]|[A-Z]{{3}})?\s*(?P<trail>[-)]?)$")
        self.cache: dict[str, Decimal] = {}
        self.rounded: str | None = None  # the first amount that had to be rounded to cents

    def parse(self, text: str) -> Decimal:
        found = self.cache.get(text)
        if found is not None:
            return found
        value = self._parse(text)
        if len(self.cache) >= _CACHE_LIMIT:
            self.cache.clear()
        self.cache[text] = value
        return value

    def _parse(self, text: str) -> Decimal:
        if not text:
            raise ValueError("amount is missing")
        m = self._pattern.match(text)
        if m is None:
            raise ValueError(f"not an amount (decimal separator {self.decimal_separator!r}, "
                             f"thousands separator {self.thousands_separator!r}): {text!r}")
        lead, lead2, trail = m.group("lead"), m.group("lead2"), m.group("trail")
        if (lead == "(") != (trail == ")") or (lead in "-+" and lead and lead2):
            raise ValueError(f"not an amount (unbalanced sign or parenthesis): {text!r}")
        digits = re.sub(r"\D", "", m.group("int") or "0")
        frac = m.group("frac") or "0"
        try:
            value = Decimal(f"{digits}.{frac}")
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            raise ValueError(f"not an amount: {text!r}") from None
        if lead in ("-", "(") or lead2 == "-" or trail == "-":
            value = -value
        cents = money(value)
        if cents != value and self.rounded is None:
            self.rounded = text  # money is kept in cents; say so rather than round in silence
        return cents


def normalize_name(name: str) -> str:
    """The form two spellings of one name share: NFKC, upper case, single spaces."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", name)).strip().upper()


def derive_code(name: str, max_length: int = CODE_MAX_LENGTH) -> str:
    """A stable ID for something known only by name (a card merchant, an expense area).

    A pure function of the normalized name, so the same merchant gets the same ID in every file and
    every re-import. A name that is already a clean ID (``TESCO``) is kept as it is; otherwise a
    readable prefix plus 8 hex characters of its SHA-1 keeps different names apart
    (``B & Q PLC`` -> ``B-Q-PLC-`` + hash).
    """
    norm = normalize_name(name)
    if not norm:
        raise ValueError("cannot derive a code from an empty name")
    slug = _NON_CODE.sub("-", norm).strip("-")
    if slug == norm and len(slug) <= max_length:
        return slug
    digest = hashlib.sha1(norm.encode("utf-8")).hexdigest()[:_HASH_CHARS].upper()
    prefix = slug[: max_length - _HASH_CHARS - 1].rstrip("-")
    return f"{prefix}-{digest}" if prefix else digest
