"""Does a piece of text only state facts we can point to?

Every figure a reviewer or auditor reads must come from the entry or the evidence. We pull out what
looks like a date, an amount, a percentage, a count or an account/dimension code and check each one
against what the caller allows. Verbatim quotations of known text (the memo, a policy clause, an
account title) are removed first: quoting a source is grounded by definition, and those texts may
contain numbers of their own.

It is deliberately strict: a false alarm only costs a switch to the deterministic text, while a
made-up figure in an audit narrative is the failure we exist to prevent. ``allowances`` collects
what may be mentioned for one line from its request, candidates, evidence and master data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from copilot.domain.master import Company
from copilot.domain.money import money
from copilot.domain.suggestions import Evidence, RankedCoding, SuggestionRequest
from copilot.domain.text import clean
from copilot.llm.facts import (MEMO_CHARS, as_date, as_decimal, codes_of, combo_key_of, confidence_pct, excerpt,
                               pct, typical_amount, vendor_display)

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


# ---------------------------------------------------------------- what an explanation may mention

@dataclass
class Allowances:
    codes: set[str] = field(default_factory=set)
    amounts: set[Decimal] = field(default_factory=set)
    dates: set[date] = field(default_factory=set)
    numbers: set[Decimal] = field(default_factory=set)
    known_codes: set[str] = field(default_factory=set)
    verbatim: set[str] = field(default_factory=set)

    def check(self, text: str | None) -> list[str]:
        return check_grounding(text, allowed_codes=self.codes, allowed_amounts=self.amounts,
                               allowed_dates=self.dates, allowed_numbers=self.numbers,
                               known_codes=self.known_codes, verbatim=self.verbatim)


def allowances(request: SuggestionRequest, codings: list[RankedCoding], evidence: list[Evidence],
               company: Company, *, materiality: Decimal, review_threshold: float) -> Allowances:
    a = Allowances()

    def add_number(*values: Any) -> None:
        for v in values:
            d = as_decimal(v)
            if d is not None:
                a.numbers.add(d)

    def add_share(part: Any, whole: Any) -> None:
        share = pct(part, whole)
        if share is not None:
            a.numbers.add(Decimal(share))

    def add_text(*texts: Any) -> None:
        for t in texts:
            if t:
                a.verbatim.update({str(t), clean(str(t), limit=10_000), excerpt(str(t)), excerpt(str(t), 80),
                                   clean(str(t), limit=MEMO_CHARS), clean(str(t), limit=120)})

    # Master data: every code the company knows, so naming one outside the allowed set is caught.
    a.known_codes.update(company.accounts, company.vendors, company.customers, company.employees,
                         company.projects, company.entities)
    for values in company.dimensions.values():
        a.known_codes.update(values)

    # The entry itself.
    a.codes.update(c for c in (request.entity, request.vendor, request.account_no, request.timesheet_project,
                               request.employee, request.document) if c)
    a.codes.update(request.known_dims.values())
    if request.amount is not None:
        a.amounts.add(money(abs(request.amount)))
    if request.entry_date:
        a.dates.add(request.entry_date)
    a.amounts.add(money(materiality))
    add_number(confidence_pct(review_threshold), len(codings))
    add_text(request.memo, request.vendor)
    entity = company.entities.get(request.entity)
    if entity:
        a.codes.add(entity.currency)
        add_text(entity.name)

    # The candidates.
    for coding in codings:
        combo = coding.combination
        a.codes.add(combo.account_no)
        a.codes.update(combo.dims.values())
        add_number(confidence_pct(coding.confidence))
        account = company.accounts.get(combo.account_no)
        if account:
            add_text(account.title)
        for dim, code in combo.dims.items():
            value = company.dimension_value(dim, code)
            if value:
                add_text(value.name)
    vendor = vendor_display(request, company)
    if vendor:
        add_text(vendor)
    if request.employee and request.employee in company.employees:
        add_text(company.employees[request.employee].name)

    # The evidence.
    postings = [e for e in evidence if e.kind == "posting"]
    add_number(len(postings), len(evidence))
    combo_counts: dict[str, int] = {}
    account_counts: dict[str, int] = {}
    for e in evidence:
        a.codes.add(e.ref)
        add_text(e.text)
        if e.score:
            add_number(round(Decimal(str(e.score)), 2), confidence_pct(e.score))
        data = e.data
        for k in ("date",):
            d = as_date(data.get(k))
            if d:
                a.dates.add(d)
        if e.kind in ("posting", "correction"):
            amt = as_decimal(data.get("amount"))
            if amt is not None:
                a.amounts.add(money(abs(amt)))
        if e.kind == "posting":
            key = combo_key_of(data.get("combo"))
            if key:
                a.codes.update(codes_of(key))
                account = key.split("|")[0]
                combo_counts[key] = combo_counts.get(key, 0) + 1
                account_counts[account] = account_counts.get(account, 0) + 1
            if data.get("vendor"):
                a.codes.add(str(data["vendor"]))
                add_text(data["vendor"])
            add_number(data.get("similar_count"), data.get("neighbours"))
            add_share(data.get("similar_count"), data.get("neighbours"))
            add_number(data.get("account_count"))
            add_share(data.get("account_count"), data.get("neighbours"))
        elif e.kind == "vendor_history":
            total = data.get("total")
            add_number(total)
            add_text(data.get("vendor_name"))
            for key, count in (data.get("by_combo") or {}).items():
                a.codes.update(codes_of(str(key)))
                add_number(count)
                add_share(count, total)
                add_share(count, 1)  # a share rather than a count
            share = as_decimal(data.get("top_share"))
            if share is not None:
                add_number(confidence_pct(float(share)) if share <= 1 else share)
        elif e.kind == "timesheet":
            add_number(data.get("hours"))
            add_text(data.get("employee"))
            if data.get("employee"):
                a.codes.add(str(data["employee"]))
                if str(data["employee"]) in company.employees:
                    add_text(company.employees[str(data["employee"])].name)
        elif e.kind == "employee_history":
            name = data.get("employee_name")
            add_text(name)
            for key, share in (data.get("by_combo") or {}).items():
                a.codes.update(codes_of(str(key)))
                add_share(share, 1)
        elif e.kind == "text_model":
            a.codes.update(codes_of(e.ref))
            add_share(data.get("p"), 1)
        elif e.kind == "correction":
            a.codes.update(codes_of(combo_key_of(data.get("combo"))))
        elif e.kind == "amount":
            for k in ("median", "p05", "p95"):
                v = as_decimal(data.get(k))
                if v is not None:
                    a.amounts.add(money(abs(v)))
            add_number(data.get("n"))
            z, mean = as_decimal(data.get("z")), as_decimal(data.get("typical_log10_mean"))
            if z is not None:
                add_number(abs(z))
            if mean is not None:
                a.amounts.add(typical_amount(mean))
            a.codes.update(codes_of(e.ref))  # an account number or a coding key
    for count in combo_counts.values():
        add_number(count)
        add_share(count, len(postings))
    for count in account_counts.values():
        add_number(count)
        add_share(count, len(postings))
    a.codes.discard("")
    a.verbatim.discard("")
    return a
