"""Pool -> drivers -> one balanced GLBATCH per rule and period (CA-1.1: the lines keep the cost's account).

The pool is read per (account, carried dimensions) group: each group is credited in full on its own
coding and debited to the targets, the target dimension replaced. Every group is split with the
largest-remainder method, so the entry balances to the cent and each group's total is preserved.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, Field, computed_field

from copilot.allocation import checks, drivers as driver_mod
from copilot.allocation.books import Books, Period, entry_problems
from copilot.allocation.rounding import largest_remainder
from copilot.allocation.rules import Defaults, Rule
from copilot.domain import JournalEntry, JournalLine, money
from copilot.errors import InputError

ZERO = Decimal("0.00")
BASIS_WORDS = {"square_footage": "sq ft", "headcount": "headcount", "revenue": "revenue", "hours": "hours",
               "fixed": "fixed percentages"}


@dataclass
class PoolGroup:
    account: str
    dims: dict[str, str]
    amount: Decimal  # signed: debit positive
    lines: int


class TargetShare(BaseModel):
    code: str
    name: str = ""
    driver: Decimal
    share: Decimal = Field(description="Share of the pool, 6 decimals")
    amount: Decimal


class AllocationResult(BaseModel):
    company: str
    rule: str
    clause: str
    entity: str
    period: str
    currency: str
    basis: str
    target_dimension: str
    pool_total: Decimal
    pool_lines: int
    driver_source: str
    notes: list[str] = Field(default_factory=list)
    excluded: list[str] = Field(default_factory=list, description="Targets with a zero driver (nothing allocated)")
    targets: list[TargetShare] = Field(default_factory=list)
    entry: JournalEntry
    problems: list[str] = Field(default_factory=list, description="What Intacct would refuse")
    budget: list[checks.BudgetCheck] = Field(default_factory=list)
    history: list[checks.HistoryCheck] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list, description="Overruns and deviations to look at before posting")

    @computed_field(description="No problem Intacct would refuse (flags may still want a look)")
    @property
    def ready(self) -> bool:
        return not self.problems


def _excluded_memo(memo: str, prefixes: list[str]) -> bool:
    m = memo.lstrip().upper()
    return any(m.startswith(p.upper()) for p in prefixes if p)


def pool_groups(rule: Rule, books: Books, period: Period, defaults: Defaults,
                amount: Decimal | None = None) -> list[PoolGroup]:
    """The pool of ``period``: explicit ``amount`` (or the rule's), else the GL balance of the pool."""
    explicit = amount if amount is not None else rule.pool.amount
    given = {rule.pool.accounts[0]: explicit} if explicit is not None else rule.pool.amounts
    if given:
        for acct, value in given.items():
            if value != money(value):
                raise InputError(f"pool amount {value} of account {acct} is not in whole cents", field="amount")
        return [PoolGroup(acct, dict(rule.pool.dims), value, 0) for acct, value in given.items() if value != 0]
    wanted = set(rule.pool.accounts)
    excluded_journals = {j.upper() for j in defaults.exclude_journals}
    groups: dict[tuple, PoolGroup] = {}
    for p in books.between(period.start, period.end, rule.entity):
        if p.account_no not in wanted:
            continue
        if any(p.dims.get(k) != v for k, v in rule.pool.dims.items()):
            continue
        # Earlier allocations moved this cost already: the pool is the cost before allocations.
        if _excluded_memo(p.memo, defaults.exclude_memo_prefixes) or p.journal.upper() in excluded_journals:
            continue
        carried = {k: p.dims[k] for k in rule.carry if p.dims.get(k)}
        key = (p.account_no, tuple(sorted(carried.items())))
        g = groups.get(key)
        if g is None:
            g = groups[key] = PoolGroup(p.account_no, carried, ZERO, 0)
        g.amount += p.signed_amount
        g.lines += 1
    return [g for _, g in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])) if g.amount != 0]


def _check_currency(rule: Rule, books: Books, codes: list[str]) -> str:
    entity = books.company.entities.get(rule.entity)
    if entity is None:
        known = ", ".join(sorted(books.company.entities)) or "none"
        raise InputError(f"rule {rule.id}: entity {rule.entity!r} is not an entity of {books.name} "
                         f"(entities: {known})", field="entity")
    currency = entity.currency
    if rule.pool.currency and rule.pool.currency.upper() != currency.upper():
        raise InputError(f"rule {rule.id}: the pool is in {rule.pool.currency.upper()} but entity {rule.entity} "
                         f"books in {currency}; convert the amount first", field="pool.currency")
    if rule.target.dimension == "project":
        wrong = [f"{c} ({books.company.projects[c].currency})" for c in codes
                 if c in books.company.projects and books.company.projects[c].currency.upper() != currency.upper()]
        if wrong:
            raise InputError(f"rule {rule.id}: currency mismatch: the pool is in {currency} ({rule.entity}) but "
                             f"these projects are in another currency: {', '.join(wrong)}", field="target")
    return currency


def _check_targets(rule: Rule, books: Books, codes: list[str]) -> None:
    company, dim = books.company, rule.target.dimension
    unknown = [c for c in codes if company.dimension_value(dim, c) is None]
    if unknown:
        raise InputError(f"rule {rule.id}: {dim} codes not found in {books.name}: {', '.join(unknown)}",
                         field="target")
    unusable = [c for c in codes if not company.is_valid_code(dim, c, rule.entity)]
    if unusable:
        raise InputError(f"rule {rule.id}: {dim} codes inactive or not usable in {rule.entity}: "
                         f"{', '.join(unusable)}", field="target")


def _memo(rule: Rule, defaults: Defaults, period: Period, account: str, books: Books) -> str:
    what = rule.what or (books.company.accounts[account].title.lower() if account in books.company.accounts
                         else account)
    template = rule.memo or defaults.memo
    text = template.format(clause=rule.clause, what=what, period_label=period.label, period=str(period),
                           basis=BASIS_WORDS[rule.basis], rule=rule.id)
    return " ".join(text.split())


def allocate(rule: Rule, books: Books, period: Period, defaults: Defaults, *,
             amount: Decimal | None = None) -> AllocationResult:
    """The allocation entry for ``rule`` in ``period`` with its budget and history checks."""
    company = books.company
    result_notes: list[str] = []
    drv = driver_mod.compute(rule, books, period)
    result_notes += drv.notes
    weights = sorted(drv.values.items()) if not rule.drivers else list(drv.values.items())
    excluded = [c for c, w in weights if w == 0]
    nonzero = [c for c, w in weights if w != 0]
    if not nonzero:
        raise InputError(f"rule {rule.id}: every driver is zero in {period} ({drv.source}): there is no basis "
                         "to allocate on", field="drivers")
    currency = _check_currency(rule, books, nonzero)
    _check_targets(rule, books, nonzero)
    groups = pool_groups(rule, books, period, defaults, amount)
    if not groups:
        raise InputError(f"rule {rule.id}: nothing to allocate: the pool ({', '.join(rule.pool.accounts)}"
                         f"{' ' + str(rule.pool.dims) if rule.pool.dims else ''}) is 0.00 in {rule.entity} for "
                         f"{period}; {books.coverage()}", field="pool")
    if rule.pool.scale == "entity_headcount_share":
        share, how = driver_mod.entity_headcount_share(rule, books, period)
        result_notes.append(f"allocating the {rule.entity} share {share:.4f} of the pool: {how}")
        groups = [PoolGroup(g.account, g.dims, money(g.amount * share), g.lines) for g in groups]
        groups = [g for g in groups if g.amount != 0]
    total = sum((g.amount for g in groups), ZERO)
    if total == 0:
        raise InputError(f"rule {rule.id}: the pool nets to 0.00 in {period}: nothing to allocate", field="pool")

    lines: list[JournalLine] = []
    per_target: dict[str, Decimal] = {c: ZERO for c in nonzero}
    dim = rule.target.dimension
    for g in groups:
        memo = _memo(rule, defaults, period, g.account, books)
        split = largest_remainder(g.amount, [(c, w) for c, w in weights if w != 0], what="driver")
        lines.append(JournalLine(account_no=g.account, tr_type=-1 if g.amount > 0 else 1, amount=abs(g.amount),
                                 memo=memo, dims=g.dims, currency=currency))
        for code, part in split:
            per_target[code] += part
            if part == 0:
                continue  # a share too small for a cent gets no line
            dims = {**g.dims, **rule.target.dims, dim: code}
            lines.append(JournalLine(account_no=g.account, tr_type=1 if part > 0 else -1, amount=abs(part),
                                     memo=memo, dims=dims, currency=currency))
    title = defaults.title.format(period_label=period.label, period=str(period), rule=rule.id, clause=rule.clause)
    entry = JournalEntry(journal=defaults.journal, batch_date=period.end, batch_title=title, entity=rule.entity,
                         reference_no=f"ALLOC-{rule.id}-{period}"[:40], state=defaults.state,
                         lines=[ln.model_copy(update={"line_no": i}) for i, ln in enumerate(lines, 1)])
    # The split above preserves every group's total; this guards the invariant, not the arithmetic.
    if not entry.is_balanced:  # pragma: no cover
        raise AssertionError(f"allocation entry out of balance: {entry.debits} vs {entry.credits}")
    wsum = sum((w for _, w in weights), Decimal(0))
    targets = [TargetShare(code=c, name=_name(books, dim, c), driver=w,
                           share=(w / wsum).quantize(Decimal("0.000001")), amount=per_target[c])
               for c, w in weights if w != 0]
    budget = checks.budget_checks(rule, books, period, per_target, defaults) if dim == "project" else []
    history = checks.history_checks(rule, books, period, per_target, total, defaults)
    if not history and defaults.history_periods:
        result_notes.append(f"no earlier allocations of {rule.id} found in the last {defaults.history_periods} "
                            f"months (memos starting {rule.history_memo_prefix or rule.clause!r}): no pattern to compare")
    if excluded:
        result_notes.append(f"zero driver, nothing allocated: {', '.join(excluded)}")
    flags = [b.message for b in budget if b.status in ("over_budget", "near_budget", "no_budget")]
    flags += [h.message for h in history if h.flagged]
    return AllocationResult(
        company=books.name, rule=rule.id, clause=rule.clause, entity=rule.entity, period=str(period),
        currency=currency, basis=rule.basis, target_dimension=dim, pool_total=total,
        pool_lines=sum(g.lines for g in groups), driver_source=drv.source, notes=result_notes, excluded=excluded,
        targets=targets, entry=entry, problems=entry_problems(company, entry), budget=budget, history=history,
        flags=flags)


def _name(books: Books, dim: str, code: str) -> str:
    value = books.company.dimension_value(dim, code)
    return value.name if value is not None else ""
