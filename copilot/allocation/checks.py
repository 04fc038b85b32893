"""Before posting: does a project go over budget, and does the split look like the rule's past splits?

Budget: spend to date is every posting carrying the project up to the period end on an expense account
(income statement, debit normal balance) or a capitalized one (balance-sheet categories listed in the
rules' defaults, e.g. Fixed assets), in the project's entities. A project without a budget is a warning,
never an error.

History: the rule's earlier allocations are the lines of past periods on the pool accounts whose memo
starts with the rule's clause (or history_memo_prefix), on the allocation's side (debits for a cost).
Each target's share of those lines is averaged over the periods that have any; a share now further
from that average than the threshold (in share points) is flagged, as is a new or a vanished target.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from copilot.allocation.books import Books, Period
from copilot.allocation.rules import Defaults, Rule

ZERO = Decimal("0.00")
SIX = Decimal("0.000001")


class BudgetCheck(BaseModel):
    project: str
    name: str = ""
    currency: str = ""
    budget: Decimal | None = None
    spent_to_date: Decimal
    allocated: Decimal
    after: Decimal
    used: Decimal | None = None  # after / budget
    status: Literal["ok", "near_budget", "over_budget", "no_budget"]
    message: str


class HistoryCheck(BaseModel):
    code: str
    share: Decimal
    historical_share: Decimal | None
    periods: int
    deviation: Decimal | None
    flagged: bool
    message: str


def _spend_accounts(books: Books, defaults: Defaults) -> set[str]:
    capitalized = {c.lower() for c in defaults.budget_capitalized_categories}
    out = set()
    for a in books.company.accounts.values():
        if a.account_type.lower() == "incomestatement" and a.normal_balance.lower() == "debit":
            out.add(a.account_no)
        elif a.account_type.lower() == "balancesheet" and a.category.lower() in capitalized:
            out.add(a.account_no)
    return out


def budget_checks(rule: Rule, books: Books, period: Period, allocated: dict[str, Decimal],
                  defaults: Defaults) -> list[BudgetCheck]:
    accounts = _spend_accounts(books, defaults)
    wanted = {c for c, a in allocated.items() if a != 0}
    spent: dict[str, Decimal] = {c: ZERO for c in wanted}
    for code in wanted:
        project = books.company.projects.get(code)
        for p in books.of_project(code):
            if p.entry_date > period.end or p.account_no not in accounts:
                continue
            if project is not None and project.entities and p.entity not in project.entities:
                continue
            spent[code] += p.signed_amount
    out = []
    for code in sorted(wanted):
        project = books.company.projects.get(code)
        after = spent[code] + allocated[code]
        name = project.name if project else ""
        cur = project.currency if project else ""
        budget = project.budget if project else None
        base = dict(project=code, name=name, currency=cur, budget=budget, spent_to_date=spent[code],
                    allocated=allocated[code], after=after)
        if budget is None or budget <= 0:
            out.append(BudgetCheck(**base, status="no_budget",
                                   message=f"project {code} has no budget: spend after this allocation is "
                                           f"{cur} {after:,.2f}, nothing to check it against"))
            continue
        used = (after / budget).quantize(Decimal("0.0001"))
        if after > budget:
            status = "over_budget"
            msg = (f"project {code} goes over budget: {cur} {after:,.2f} after this allocation "
                   f"(spent {spent[code]:,.2f} + {allocated[code]:,.2f}) against a budget of {budget:,.2f} "
                   f"({used:.0%})")
        elif after >= budget * defaults.budget_warn_ratio:
            status = "near_budget"
            msg = (f"project {code} reaches {used:.0%} of its budget ({cur} {after:,.2f} of {budget:,.2f}) "
                   f"after this allocation")
        else:
            status, msg = "ok", f"project {code}: {used:.0%} of budget after this allocation"
        out.append(BudgetCheck(**base, used=used, status=status, message=msg))
    return out


def history_checks(rule: Rule, books: Books, period: Period, allocated: dict[str, Decimal], total: Decimal,
                   defaults: Defaults) -> list[HistoryCheck]:
    prefix = (rule.history_memo_prefix or rule.clause or "").strip().upper()
    if not prefix or not defaults.history_periods or total == 0:
        return []
    dim = rule.target.dimension
    first = period.shift(-defaults.history_periods).start
    accounts = set(rule.pool.accounts)
    filters = {k: v for k, v in {**rule.pool.dims, **rule.target.dims}.items() if k != dim}
    sign = 1 if total > 0 else -1
    by_period: dict[Period, dict[str, Decimal]] = {}
    for p in books.between(first, period.start - timedelta(days=1), rule.entity):
        if p.account_no not in accounts:
            continue
        if p.tr_type != sign or not p.memo.lstrip().upper().startswith(prefix):
            continue
        if any(p.dims.get(k) != v for k, v in filters.items()):
            continue
        code = p.dims.get(dim)
        if not code:
            continue
        month = by_period.setdefault(Period.of(p.entry_date), {})
        month[code] = month.get(code, ZERO) + p.amount
    if not by_period:
        return []
    shares: dict[str, list[Decimal]] = {}
    for month in by_period.values():
        month_total = sum(month.values(), ZERO)
        if month_total == 0:
            continue
        for code, amt in month.items():
            shares.setdefault(code, []).append(amt / month_total)
    n = len(by_period)
    out = []
    for code in sorted(set(shares) | {c for c, a in allocated.items() if a != 0}):
        now = (allocated.get(code, ZERO) / total).quantize(SIX)
        past = shares.get(code, [])
        # A period without this target counts as a zero share: it was not allocated anything then.
        hist = (sum(past, Decimal(0)) / n).quantize(SIX)
        dev = (now - hist).quantize(SIX)
        flagged = abs(dev) > defaults.deviation_threshold
        if not past:
            msg = (f"{dim} {code} gets {now:.1%} now but nothing in the last {n} allocation(s) of {rule.id}")
        elif now == 0:
            msg = f"{dim} {code} got {hist:.1%} on average in the last {n} allocation(s) of {rule.id}, nothing now"
        else:
            msg = (f"{dim} {code}: {now:.1%} now vs {hist:.1%} on average over {n} earlier allocation(s) "
                   f"({'+' if dev >= 0 else ''}{dev * 100:.1f} points)")
        out.append(HistoryCheck(code=code, share=now, historical_share=hist, periods=len(past), deviation=dev,
                                flagged=flagged, message=msg))
    return out
