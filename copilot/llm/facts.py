"""Facts stated from the evidence: the deterministic reasoning and narrative.

Assembled from the ``reasoning`` and ``narrative`` templates and only from what the engine passed;
``copilot.llm.grounding.allowances`` holds this text, and the LLM's, to the same set of figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, getcontext
from functools import lru_cache
from typing import Any

from copilot.domain.master import Company
from copilot.domain.money import money
from copilot.domain.suggestions import DimensionCombination, Evidence, RankedCoding, SuggestionRequest, parse_key
from copilot.domain.text import clean
from copilot.llm.prompts import Prompt

COUNTERPARTY_DIMS = frozenset({"vendor", "customer", "employee"})
Z_UNUSUAL = Decimal(2)  # |z| of log-amount above which an amount is called unusual for its coding
EXCERPT_CHARS = 160
MEMO_CHARS = 300


def pct(part: Any, whole: Any) -> int | None:
    """Whole-number percentage, rounded half up; None when it cannot be computed."""
    p, w = as_decimal(part), as_decimal(whole)
    if p is None or w is None or w == 0:
        return None
    return int((p * 100 / w).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def confidence_pct(confidence: float) -> int:
    return int((Decimal(str(confidence)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fmt_amount(value: Any) -> str:
    d = as_decimal(value)
    return f"{money(d):,.2f}" if d is not None else str(value)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    cleaned = clean(text, limit=10_000)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def as_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        d = Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
            try:
                return datetime.strptime(value.strip()[:10], fmt).date()
            except ValueError:
                continue
    return None


def combo_key_of(value: Any) -> str | None:
    if isinstance(value, DimensionCombination):
        return value.key
    if isinstance(value, dict):
        try:
            return DimensionCombination.model_validate(value).key
        except ValueError:
            return None
    return str(value) if value else None


# ---------------------------------------------------------------- labels

def combo_label(combo: DimensionCombination, company: Company) -> str:
    """``6100 Travel · department SALES (Sales) · location NYC (New York)``."""
    account = company.accounts.get(combo.account_no)
    parts = [f"{combo.account_no} {account.title}" if account and account.title else combo.account_no]
    for dim, _ in parse_key(combo.key)[1]:  # key order = display order
        code = combo.dims[dim]
        value = company.dimension_value(dim, code)
        name = value.name if value and value.name and value.name != code else ""
        parts.append(f"{dim} {code} ({name})" if name else f"{dim} {code}")
    return " · ".join(parts)


def vendor_display(request: SuggestionRequest, company: Company) -> str | None:
    typed = clean(request.vendor, limit=120)
    if not typed:
        return None
    vendor = company.vendors.get(typed)
    if vendor is None:
        vendor = next((v for v in company.vendors.values() if v.name.lower() == typed.lower()), None)
    return f"{vendor.name} ({vendor.vendor_id})" if vendor else typed


# ---------------------------------------------------------------- facts per coding

@dataclass
class FactBook:
    """Everything the deterministic text says about each candidate, keyed by combination key."""

    labels: dict[str, str]
    facts: dict[str, list[str]]
    cited: dict[str, list[str]]  # evidence ids each coding cites that exist in the evidence list


def build_facts(request: SuggestionRequest, codings: list[RankedCoding], evidence: list[Evidence],
                company: Company, reasoning: Prompt) -> FactBook:
    by_id = {e.id: e for e in evidence}
    kinds: dict[str, list[Evidence]] = {}  # evidence by kind, in order: each coding reads a few kinds
    for e in evidence:
        kinds.setdefault(e.kind, []).append(e)
    labels, facts, cited = {}, {}, {}
    for coding in codings:
        combo = coding.combination
        key = combo.key
        labels[key] = combo_label(combo, company)
        cited[key] = [i for i in dict.fromkeys(coding.evidence_ids) if i in by_id]
        own = [by_id[i] for i in cited[key]]
        lines = _posting_facts(combo, kinds.get("posting", []), reasoning)
        for e in kinds.get("vendor_history", ()):
            lines += _vendor_facts(combo, e, reasoning)
        for e in kinds.get("correction", ()):
            if same_coding(e.data.get("combo"), combo):
                when = as_date(e.data.get("date"))
                lines.append(reasoning.render("correction", ref=e.ref,
                                              date=when.isoformat() if when else "an unstated date"))
        for e in kinds.get("timesheet", ()):
            if combo.dims.get("project") == e.ref:
                lines.append(_timesheet_fact(e, company, reasoning))
        home = _home_fact(request, combo, company, reasoning)
        if home:
            lines.append(home)
        for e in kinds.get("employee_history", ()):
            share = next((as_decimal(v) for k, v in (e.data.get("by_combo") or {}).items() if same_coding(k, combo)), None)
            if share is not None and 0 < share <= 1:
                name = clean(e.data.get("employee_name") or "", limit=80)
                who = f"{name} ({e.ref})" if name else f"employee {clean(e.ref, limit=40)}"
                lines.append(reasoning.render("employee_history", employee=who, pct=pct(share, 1)))
        for e in kinds.get("text_model", ()):
            p = as_decimal(e.data.get("p"))
            if same_coding(e.ref, combo) and p is not None and 0 < p <= 1:
                lines.append(reasoning.render("text_model", pct=pct(p, 1)))
        for e in own:
            # Policies are retrieved for the memo, not per coding: quote one only under a coding it names.
            if e.kind == "policy" and _mentions_account(e.text, combo.account_no, company):
                lines.append(reasoning.render("policy", ref=e.ref, excerpt=excerpt(e.text)))
        for e in kinds.get("account_match", ()):
            if e.ref == combo.account_no and e.score > 0:
                title = excerpt(e.text, 80) or (company.accounts[e.ref].title if e.ref in company.accounts else "")
                lines.append(reasoning.render("account_match", account=e.ref, title=title,
                                              score=f"{Decimal(str(e.score)).quantize(Decimal('0.01'))}"))
        if request.amount is not None:
            for e in kinds.get("amount", ()):
                if e.ref == combo.account_no or same_coding(e.ref, combo):
                    lines += _amount_facts(request.amount, combo, e, reasoning)
        facts[key] = lines
    return FactBook(labels=labels, facts=facts, cited=cited)


def same_coding(value: Any, combo: DimensionCombination) -> bool:
    """Evidence keyed by a coding matches ``combo`` exactly or up to the counterparty dimensions
    (vendor, customer, employee) the engine carries through from the request."""
    key = combo_key_of(value)
    if not key:
        return False
    return key == combo.key or _same_keys(key, combo.key)


@lru_cache(maxsize=1 << 16)
def _same_keys(key: str, coding_key: str) -> bool:
    # A key says everything about its coding, so the answer for two keys is cached: a coding carries
    # the line's counterparties and its evidence does not, so the plain comparison almost never decides.
    try:
        account, pairs = parse_key(key)
        coding_account, coding_pairs = parse_key(coding_key)
    except ValueError:
        return False
    if account != coding_account:
        return False
    other, dims = dict(pairs), dict(coding_pairs)
    return all(dims.get(k) == v for k, v in other.items()) and set(dims) - set(other) <= COUNTERPARTY_DIMS


def _posting_facts(combo: DimensionCombination, postings: list[Evidence], reasoning: Prompt) -> list[str]:
    """``postings``: the evidence of kind posting, in order."""
    if not postings:
        return []
    # The engine cites a few postings per coding and states how many of all its neighbours agreed.
    stated = next((e for e in postings if e.data.get("similar_count") and e.data.get("neighbours")
                   and same_coding(e.data.get("combo"), combo)), None)
    if stated:
        count, total = stated.data["similar_count"], stated.data["neighbours"]
        lines = [reasoning.render("posting", count=count, total=total, pct=pct(count, total))]
        # Most neighbours may agree on the account and split on a dimension: say so.
        account = stated.data.get("account_count")
        if isinstance(account, int) and account > count:
            lines.append(reasoning.render("posting_account", count=account, total=total, pct=pct(account, total),
                                          account=combo.account_no))
        return lines
    if any(e.data.get("neighbours") for e in postings):
        # The list is a sample of the neighbours, not all of them: counting it would understate the total.
        return []
    matching = [e for e in postings if same_coding(e.data.get("combo"), combo)]
    lines = []
    if matching:
        lines.append(reasoning.render("posting", count=len(matching), total=len(postings),
                                      pct=pct(len(matching), len(postings))))
    same_account = sum(1 for e in postings
                       if (combo_key_of(e.data.get("combo")) or "").split("|")[0] == combo.account_no)
    if same_account > len(matching):
        lines.append(reasoning.render("posting_account", count=same_account, total=len(postings),
                                      pct=pct(same_account, len(postings)), account=combo.account_no))
    return lines


def _vendor_facts(combo: DimensionCombination, e: Evidence, reasoning: Prompt) -> list[str]:
    """by_combo holds counts (ints) or shares of a possibly recency-weighted total (floats <= 1)."""
    value = next((v for k, v in (e.data.get("by_combo") or {}).items() if same_coding(k, combo)), None)
    total = as_decimal(e.data.get("total"))
    v = as_decimal(value)
    if not v or not total:
        return []
    name = clean(e.data.get("vendor_name") or e.ref, limit=120) or "this vendor"
    if isinstance(value, int):
        return [reasoning.render("vendor_history", vendor=name, count=v, total=_num(total), pct=pct(v, total))]
    if v <= 1:
        part = "vendor_share" if total == total.to_integral() else "vendor_share_weighted"
        return [reasoning.render(part, vendor=name, pct=pct(v, 1), total=_num(total))]
    return [reasoning.render("vendor_share_weighted", vendor=name, pct=pct(v, total), total=_num(total))]


def _home_fact(request: SuggestionRequest, combo: DimensionCombination, company: Company,
               reasoning: Prompt) -> str | None:
    """Master data: the coding's department or location is the employee's own."""
    employee = company.employees.get(request.employee or request.known_dims.get("employee") or "")
    if employee is None:
        return None
    same = [(d, v) for d, v in (("department", employee.department), ("location", employee.location))
            if v and combo.dims.get(d) == v]
    if not same:
        return None
    what = " and ".join(f"{d} {v}" for d, v in same)
    return reasoning.render("employee_home", what=what, employee=f"{employee.name} ({employee.employee_id})")


def _timesheet_fact(e: Evidence, company: Company, reasoning: Prompt) -> str:
    raw = e.data.get("employee")
    employee = company.employees.get(str(raw)) if raw else None
    who = f"{employee.name} ({employee.employee_id})" if employee else clean(str(raw or ""), limit=80)
    when, hours = as_date(e.data.get("date")), as_decimal(e.data.get("hours"))
    if hours is not None and when is not None:
        return reasoning.render("timesheet", employee=who or "an employee", hours=_num(hours), project=e.ref,
                                date=when.isoformat())
    return reasoning.render("timesheet_project", who=f" of {who}" if who else "", project=e.ref)


def _amount_facts(amount: Decimal, combo: DimensionCombination, e: Evidence, reasoning: Prompt) -> list[str]:
    d = e.data
    p05, p95, median, n = (as_decimal(d.get(k)) for k in ("p05", "p95", "median", "n"))
    if None not in (p05, p95, median, n):
        part = "amount_typical" if p05 <= abs(amount) <= p95 else "amount_unusual"
        return [reasoning.render(part, amount=fmt_amount(amount), account=combo.account_no, p05=fmt_amount(p05),
                                 p95=fmt_amount(p95), median=fmt_amount(median), n=_num(n))]
    z, mean = as_decimal(d.get("z")), as_decimal(d.get("typical_log10_mean"))
    if z is None or mean is None or n is None:
        return []
    part = "amount_z_typical" if abs(z) <= Z_UNUSUAL else "amount_z_unusual"
    return [reasoning.render(part, amount=fmt_amount(amount), typical=fmt_amount(typical_amount(mean)),
                             n=_num(n), z=_num(abs(z)))]


def typical_amount(log10_mean: Decimal) -> Decimal:
    """The engine keeps the mean of log10(amount + 1); its antilog is the usual (geometric mean) amount."""
    return _typical_amount(log10_mean, getcontext().prec)


@lru_cache(maxsize=1 << 14)
def _typical_amount(log10_mean: Decimal, _prec: int) -> Decimal:
    # A fractional Decimal power costs ~25 us and a coding's mean recurs on every line coded to it.
    # The context precision is part of the key: the power is rounded to it.
    return money(Decimal(10) ** log10_mean - 1)


def _mentions_account(text: str, account_no: str, company: Company) -> bool:
    account = company.accounts.get(account_no)
    return _mentions(text, account_no, account.title if account and account.title else None)


@lru_cache(maxsize=1 << 14)
def _mentions(text: str, account_no: str, title: str | None) -> bool:
    # The same few policy clauses are checked against the same accounts on line after line.
    names = [account_no] + ([title] if title else [])
    return any(re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", text, re.I) for n in names)


def codes_of(key: str | None) -> set[str]:
    """Account and dimension codes named in a coding key; nothing for a malformed key."""
    if not key:
        return set()
    try:
        combo = DimensionCombination.from_key(key)
    except ValueError:
        return set()
    return {combo.account_no, *combo.dims.values()}


def _num(value: Decimal) -> str:
    """Counts as people write them: 41, 6.5, 40.63 (no trailing zeros)."""
    return f"{value.normalize():f}" if value == value.to_integral() else str(value.normalize())


def reasoning_text(book: FactBook, codings: list[RankedCoding], reasoning: Prompt) -> tuple[str, dict[str, str]]:
    """Overall reasoning for the top coding plus one line per candidate."""
    if not codings:
        return reasoning.render("no_candidates"), {}
    reasons = coding_reasons(book, codings, reasoning)
    top = codings[0]
    key = top.combination.key
    text = reasoning.render("top", label=book.labels[key], confidence=confidence_pct(top.confidence),
                            facts=reasons[key], evidence_ids=", ".join(book.cited[key]) or "none")
    alternatives = [reasoning.render("alternative", label=book.labels[c.combination.key],
                                     confidence=confidence_pct(c.confidence), facts=reasons[c.combination.key])
                    for c in codings[1:]]
    if alternatives:
        text += reasoning.render("alternatives", items="; ".join(alternatives))
    return text, reasons


def coding_reasons(book: FactBook, codings: list[RankedCoding], reasoning: Prompt) -> dict[str, str]:
    """One line per coding: the facts stated for it."""
    no_facts = reasoning.render("no_facts")
    return {c.combination.key: reasoning.render("coding_reason", facts="; ".join(book.facts[c.combination.key])
                                                or no_facts) for c in codings}


def narrative_text(request: SuggestionRequest, codings: list[RankedCoding], book: FactBook, company: Company,
                   narrative: Prompt, reasoning: Prompt, review_threshold: float) -> str:
    top = codings[0]
    key = top.combination.key
    entity = company.entities.get(request.entity)
    employee = company.employees.get(request.employee) if request.employee else None
    who = (f"{employee.name} ({employee.employee_id})" if employee
           else clean(request.employee, limit=80) if request.employee else "")
    vendor = vendor_display(request, company)
    confidence = confidence_pct(top.confidence)
    review = (narrative.render("review_part", threshold=confidence_pct(review_threshold))
              if top.confidence < review_threshold else "")
    if len(codings) > 1:
        runner = codings[1]
        change = narrative.render("change_alternative", label=book.labels[runner.combination.key],
                                  confidence=confidence_pct(runner.confidence))
    else:
        change = narrative.render("change_single")
    return narrative.render(
        "narrative",
        when=(narrative.render("when_known", date=request.entry_date.isoformat()) if request.entry_date
              else narrative.render("when_unknown")),
        employee_part=narrative.render("employee_part", employee=who) if who else "",
        direction="credit" if request.tr_type == -1 else "debit",
        amount=(f"{fmt_amount(abs(request.amount))} {entity.currency if entity else ''}".rstrip()
                if request.amount is not None else "an unstated amount"),
        entity=clean(request.entity, limit=60),
        vendor_part=narrative.render("vendor_part", vendor=vendor) if vendor else "",
        memo_part=(narrative.render("memo_part", memo=clean(request.memo, limit=MEMO_CHARS))
                   if clean(request.memo) else narrative.render("no_memo")),
        label=book.labels[key],
        facts="; ".join(book.facts[key]) or reasoning.render("no_facts"),
        evidence_ids=", ".join(book.cited[key]) or "none",
        confidence=confidence,
        review_part=review,
        change=change,
    )
