"""Facts stated from the evidence, and the set of figures any explanation may mention.

The deterministic reasoning and narrative are assembled here from the ``reasoning`` and
``narrative`` templates. ``Allowances`` lists every code, amount, date and number that appears in
the entry or the evidence; the grounding check holds both the templates and the LLM to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from copilot.domain.master import Company
from copilot.domain.money import money
from copilot.domain.suggestions import DimensionCombination, Evidence, RankedCoding, SuggestionRequest
from copilot.domain.text import clean
from copilot.llm.grounding import check_grounding
from copilot.llm.prompts import Prompt

COUNTERPARTY_DIMS = frozenset({"vendor", "customer", "employee"})
Z_UNUSUAL = Decimal(2)  # |z| of log-amount above which an amount is called unusual for its coding
EXCERPT_CHARS = 160
MEMO_CHARS = 300


def pct(part: Any, whole: Any) -> int | None:
    """Whole-number percentage, rounded half up; None when it cannot be computed."""
    p, w = _dec(part), _dec(whole)
    if p is None or w is None or w == 0:
        return None
    return int((p * 100 / w).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def confidence_pct(confidence: float) -> int:
    return int((Decimal(str(confidence)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fmt_amount(value: Any) -> str:
    d = _dec(value)
    return f"{money(d):,.2f}" if d is not None else str(value)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    cleaned = clean(text, limit=10_000)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def _dec(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        d = Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _date(value: Any) -> date | None:
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


def _combo_key(value: Any) -> str | None:
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
    for dim in DimensionCombination.from_key(combo.key).dims:  # key order = display order
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
    labels, facts, cited = {}, {}, {}
    for coding in codings:
        combo = coding.combination
        key = combo.key
        labels[key] = combo_label(combo, company)
        cited[key] = [i for i in dict.fromkeys(coding.evidence_ids) if i in by_id]
        own = [by_id[i] for i in cited[key]]
        lines = _posting_facts(combo, evidence, reasoning)
        for e in evidence:
            if e.kind == "vendor_history":
                lines += _vendor_facts(combo, e, reasoning)
        for e in evidence:
            if e.kind == "correction" and same_coding(e.data.get("combo"), combo):
                when = _date(e.data.get("date"))
                lines.append(reasoning.render("correction", ref=e.ref,
                                              date=when.isoformat() if when else "an unstated date"))
        for e in evidence:
            if e.kind == "timesheet" and combo.dims.get("project") == e.ref:
                lines.append(_timesheet_fact(e, company, reasoning))
        for e in own:
            # Policies are retrieved for the memo, not per coding: quote one only under a coding it names.
            if e.kind == "policy" and _mentions_account(e.text, combo.account_no, company):
                lines.append(reasoning.render("policy", ref=e.ref, excerpt=excerpt(e.text)))
        for e in evidence:
            if e.kind == "account_match" and e.ref == combo.account_no and e.score > 0:
                title = excerpt(e.text, 80) or (company.accounts[e.ref].title if e.ref in company.accounts else "")
                lines.append(reasoning.render("account_match", account=e.ref, title=title,
                                              score=f"{Decimal(str(e.score)).quantize(Decimal('0.01'))}"))
        for e in evidence:
            if e.kind == "amount" and request.amount is not None and (
                    e.ref == combo.account_no or same_coding(e.ref, combo)):
                lines += _amount_facts(request.amount, combo, e, reasoning)
        facts[key] = lines
    return FactBook(labels=labels, facts=facts, cited=cited)


def same_coding(value: Any, combo: DimensionCombination) -> bool:
    """Evidence keyed by a coding matches ``combo`` exactly or up to the counterparty dimensions
    (vendor, customer, employee) the engine carries through from the request."""
    key = _combo_key(value)
    if not key:
        return False
    if key == combo.key:
        return True
    try:
        other = DimensionCombination.from_key(key)
    except ValueError:
        return False
    return (other.account_no == combo.account_no
            and all(combo.dims.get(k) == v for k, v in other.dims.items())
            and set(combo.dims) - set(other.dims) <= COUNTERPARTY_DIMS)


def _posting_facts(combo: DimensionCombination, evidence: list[Evidence], reasoning: Prompt) -> list[str]:
    postings = [e for e in evidence if e.kind == "posting"]
    if not postings:
        return []
    matching = [e for e in postings if same_coding(e.data.get("combo"), combo)]
    # The engine cites a few postings per coding and states how many of all its neighbours agreed.
    stated = next(((e.data["similar_count"], e.data["neighbours"]) for e in matching
                   if e.data.get("similar_count") and e.data.get("neighbours")), None)
    if stated:
        return [reasoning.render("posting", count=stated[0], total=stated[1], pct=pct(*stated))]
    if any(e.data.get("neighbours") for e in postings):
        # The list is a sample of the neighbours, not all of them: counting it would understate the total.
        return []
    lines = []
    if matching:
        lines.append(reasoning.render("posting", count=len(matching), total=len(postings),
                                      pct=pct(len(matching), len(postings))))
    same_account = sum(1 for e in postings
                       if (_combo_key(e.data.get("combo")) or "").split("|")[0] == combo.account_no)
    if same_account > len(matching):
        lines.append(reasoning.render("posting_account", count=same_account, total=len(postings),
                                      pct=pct(same_account, len(postings)), account=combo.account_no))
    return lines


def _vendor_facts(combo: DimensionCombination, e: Evidence, reasoning: Prompt) -> list[str]:
    """by_combo holds counts (ints) or shares of a possibly recency-weighted total (floats <= 1)."""
    value = next((v for k, v in (e.data.get("by_combo") or {}).items() if same_coding(k, combo)), None)
    total = _dec(e.data.get("total"))
    v = _dec(value)
    if not v or not total:
        return []
    name = clean(e.data.get("vendor_name") or e.ref, limit=120) or "this vendor"
    if isinstance(value, int):
        return [reasoning.render("vendor_history", vendor=name, count=v, total=_num(total), pct=pct(v, total))]
    if v <= 1:
        part = "vendor_share" if total == total.to_integral() else "vendor_share_weighted"
        return [reasoning.render(part, vendor=name, pct=pct(v, 1), total=_num(total))]
    return [reasoning.render("vendor_share_weighted", vendor=name, pct=pct(v, total), total=_num(total))]


def _timesheet_fact(e: Evidence, company: Company, reasoning: Prompt) -> str:
    raw = e.data.get("employee")
    employee = company.employees.get(str(raw)) if raw else None
    who = f"{employee.name} ({employee.employee_id})" if employee else clean(str(raw or ""), limit=80)
    when, hours = _date(e.data.get("date")), _dec(e.data.get("hours"))
    if hours is not None and when is not None:
        return reasoning.render("timesheet", employee=who or "an employee", hours=_num(hours), project=e.ref,
                                date=when.isoformat())
    return reasoning.render("timesheet_project", who=f" of {who}" if who else "", project=e.ref)


def _amount_facts(amount: Decimal, combo: DimensionCombination, e: Evidence, reasoning: Prompt) -> list[str]:
    d = e.data
    p05, p95, median, n = _dec(d.get("p05")), _dec(d.get("p95")), _dec(d.get("median")), _dec(d.get("n"))
    if None not in (p05, p95, median, n):
        part = "amount_typical" if p05 <= abs(amount) <= p95 else "amount_unusual"
        return [reasoning.render(part, amount=fmt_amount(amount), account=combo.account_no, p05=fmt_amount(p05),
                                 p95=fmt_amount(p95), median=fmt_amount(median), n=_num(n))]
    z, mean = _dec(d.get("z")), _dec(d.get("typical_log10_mean"))
    if z is None or mean is None or n is None:
        return []
    part = "amount_z_typical" if abs(z) <= Z_UNUSUAL else "amount_z_unusual"
    return [reasoning.render(part, amount=fmt_amount(amount), typical=fmt_amount(typical_amount(mean)),
                             n=_num(n), z=_num(abs(z)))]


def typical_amount(log10_mean: Decimal) -> Decimal:
    """The engine keeps the mean of log10(amount + 1); its antilog is the usual (geometric mean) amount."""
    return money(Decimal(10) ** log10_mean - 1)


def _mentions_account(text: str, account_no: str, company: Company) -> bool:
    account = company.accounts.get(account_no)
    names = [account_no] + ([account.title] if account and account.title else [])
    return any(re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", text, re.I) for n in names)


def _codes_of(key: str | None) -> set[str]:
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
    no_facts = reasoning.render("no_facts")
    reasons = {c.combination.key: reasoning.render("coding_reason", facts="; ".join(book.facts[c.combination.key])
                                                    or no_facts) for c in codings}
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


# ---------------------------------------------------------------- what may be mentioned

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
            d = _dec(v)
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
            d = _date(data.get(k))
            if d:
                a.dates.add(d)
        if e.kind in ("posting", "correction"):
            amt = _dec(data.get("amount"))
            if amt is not None:
                a.amounts.add(money(abs(amt)))
        if e.kind == "posting":
            key = _combo_key(data.get("combo"))
            if key:
                a.codes.update(_codes_of(key))
                account = key.split("|")[0]
                combo_counts[key] = combo_counts.get(key, 0) + 1
                account_counts[account] = account_counts.get(account, 0) + 1
            if data.get("vendor"):
                a.codes.add(str(data["vendor"]))
                add_text(data["vendor"])
            add_number(data.get("similar_count"), data.get("neighbours"))
            add_share(data.get("similar_count"), data.get("neighbours"))
        elif e.kind == "vendor_history":
            total = data.get("total")
            add_number(total)
            add_text(data.get("vendor_name"))
            for key, count in (data.get("by_combo") or {}).items():
                a.codes.update(_codes_of(str(key)))
                add_number(count)
                add_share(count, total)
                add_share(count, 1)  # a share rather than a count
            share = _dec(data.get("top_share"))
            if share is not None:
                add_number(confidence_pct(float(share)) if share <= 1 else share)
        elif e.kind == "timesheet":
            add_number(data.get("hours"))
            add_text(data.get("employee"))
            if data.get("employee"):
                a.codes.add(str(data["employee"]))
                if str(data["employee"]) in company.employees:
                    add_text(company.employees[str(data["employee"])].name)
        elif e.kind == "correction":
            a.codes.update(_codes_of(_combo_key(data.get("combo"))))
        elif e.kind == "amount":
            for k in ("median", "p05", "p95"):
                v = _dec(data.get(k))
                if v is not None:
                    a.amounts.add(money(abs(v)))
            add_number(data.get("n"))
            z, mean = _dec(data.get("z")), _dec(data.get("typical_log10_mean"))
            if z is not None:
                add_number(abs(z))
            if mean is not None:
                a.amounts.add(typical_amount(mean))
            a.codes.update(_codes_of(e.ref))  # an account number or a coding key
    for count in combo_counts.values():
        add_number(count)
        add_share(count, len(postings))
    for count in account_counts.values():
        add_number(count)
        add_share(count, len(postings))
    a.codes.discard("")
    a.verbatim.discard("")
    return a
