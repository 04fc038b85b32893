"""Does a piece of text only state facts we can point to?

Every figure a reviewer or auditor reads must come from the entry or the evidence. We pull out what
looks like a date, an amount, a percentage, a count or an account/dimension code and check each one
against what the caller allows. Verbatim quotations of known text (the memo, a policy clause, an
account title) are removed first: quoting a source is grounded by definition, and those texts may
contain numbers of their own.

It is deliberately strict: a false alarm only costs a switch to the deterministic text, while a
made-up figure in an audit narrative is the failure we exist to prevent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
_MONTH_ALT = "|".join(sorted({*(_MONTHS), *(m[:3] for m in _MONTHS), "sept"}, key=len, reverse=True))

_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_US_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_MDY_DATE = re.compile(rf"\b({_MONTH_ALT})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_DMY_DATE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_ALT})\.?,?\s+(\d{{4}})\b", re.I)
_MONTH_YEAR = re.compile(rf"\b({_MONTH_ALT})\.?\s+(\d{{4}})\b", re.I)

# Currency-marked, thousands-separated or two-decimal figures are amounts.
_CURRENCY = r"(?:[$£€]|USD|GBP|EUR|CAD|AUD)"
_AMOUNT = re.compile(
    rf"(?<![\w.])(?:{_CURRENCY}\s?)?-?\(?(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+\.\d{{2}})\)?(?![\w%]|[.,]\d)"
    rf"|(?<![\w.]){_CURRENCY}\s?-?\d+(?:\.\d+)?(?![\w%]|[.,]\d)")
_PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(?:%|percent\b)", re.I)
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$", re.I)
_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.\-/]*[A-Za-z0-9])?")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def _to_decimal(text: str) -> Decimal | None:
    cleaned = re.sub(r"[^\d.]", "", text)
    try:
        return Decimal(cleaned) if cleaned else None
    except InvalidOperation:
        return None


def _month(name: str) -> int:
    low = name.lower().rstrip(".")
    return next(i for m, i in _MONTHS.items() if m.startswith(low[:3]))


def _same_value(value: Decimal, allowed: Iterable[Decimal]) -> bool:
    return any(abs(value) == abs(a) for a in allowed)


def check_grounding(
    text: str | None,
    *,
    allowed_codes: set[str],
    allowed_amounts: set[Decimal],
    allowed_dates: set[date],
    allowed_numbers: set[Decimal] = frozenset(),  # type: ignore[assignment]
    known_codes: set[str] = frozenset(),  # type: ignore[assignment]
    verbatim: Iterable[str] = (),
    percent_tolerance: Decimal = Decimal("1"),
) -> list[str]:
    """Problems found in ``text`` (empty list = grounded).

    allowed_codes: codes the text may name (candidates, evidence refs, the entity...).
    known_codes: every code in the company's master data; naming one that is not allowed is a
        problem even when it does not look like a code (e.g. ``SALES``).
    allowed_numbers: counts, percentages, hours, confidences that appear in the evidence.
    verbatim: source texts whose exact quotation is fine (removed before checking).
    """
    if not text:
        return []
    problems: list[str] = []
    work = text
    for quote in sorted({q for q in verbatim if q and len(q) >= 3}, key=len, reverse=True):
        work = work.replace(quote, " ")

    def cut(match: re.Match[str]) -> str:
        return " " * (match.end() - match.start())

    # Dates first: their digits must not be read as counts or codes.
    def date_check(d: date | None, shown: str) -> None:
        if d is None:
            problems.append(f"'{shown}' is not a valid date")
        elif d not in allowed_dates:
            problems.append(f"date '{shown}' is not in the entry or evidence")

    def make(y: int, m: int, d: int) -> date | None:
        try:
            return date(y, m, d)
        except ValueError:
            return None

    for m in _ISO_DATE.finditer(work):
        date_check(make(int(m[1]), int(m[2]), int(m[3])), m[0])
    work = _ISO_DATE.sub(cut, work)
    for m in _US_DATE.finditer(work):
        date_check(make(int(m[3]), int(m[1]), int(m[2])), m[0])
    work = _US_DATE.sub(cut, work)
    for m in _MDY_DATE.finditer(work):
        date_check(make(int(m[3]), _month(m[1]), int(m[2])), m[0])
    work = _MDY_DATE.sub(cut, work)
    for m in _DMY_DATE.finditer(work):
        date_check(make(int(m[3]), _month(m[2]), int(m[1])), m[0])
    work = _DMY_DATE.sub(cut, work)
    for m in _MONTH_YEAR.finditer(work):
        year, month = int(m[2]), _month(m[1])
        if not any(d.year == year and d.month == month for d in allowed_dates):
            problems.append(f"month '{m[0]}' is not in the entry or evidence")
    work = _MONTH_YEAR.sub(cut, work)

    numbers = set(allowed_numbers)
    amounts = set(allowed_amounts)
    for m in _AMOUNT.finditer(work):
        value = _to_decimal(m[0])
        if value is None or not (_same_value(value, amounts) or _same_value(value, numbers)):
            problems.append(f"amount '{m[0].strip()}' is not in the entry or evidence")
    work = _AMOUNT.sub(cut, work)

    for m in _PERCENT.finditer(work):
        value = Decimal(m[1])
        if not any(abs(value - n) <= percent_tolerance for n in numbers):
            problems.append(f"percentage '{m[0]}' is not supported by the evidence")
    work = _PERCENT.sub(cut, work)

    codes = {c.upper() for c in allowed_codes}
    known = set(known_codes)
    for m in _TOKEN.finditer(work):
        token = m[0].rstrip(".")
        up = token.upper()
        if up in codes:
            continue
        # Exact case only: department SALES is a code, "sales" in a sentence is a word.
        if token in known:
            problems.append(f"code '{token}' is not among the candidates or evidence")
            continue
        if not any(ch.isdigit() for ch in token):
            continue
        ordinal = _ORDINAL.match(token)
        if ordinal and int(ordinal[1]) <= 20:
            continue  # "2nd alternative", "3rd"
        if _NUMBER.match(token):
            value = Decimal(token)
            if not (value in numbers or _same_value(value, amounts)):
                problems.append(f"number '{token}' is not in the entry or evidence")
        else:
            problems.append(f"code-like '{token}' is not among the candidates or evidence")
    return problems
