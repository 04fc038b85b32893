"""Structural rules: the entry balances, its codes exist and are usable, required dimensions are there."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Iterator

from copilot.domain import Company, JournalEntry
from copilot.validate.findings import Correction, Finding
from copilot.validate.policy import RuleConfig
from copilot.validate.rules.base import LineView, RuleContext, entry_rule, line_rule


def _currency(ln: LineView, company: Company | None) -> str:
    if ln.currency:
        return ln.currency
    if company is not None and ln.entity in company.entities:
        return company.entities[ln.entity].currency
    return "base"


@entry_rule("entry.unbalanced")
def unbalanced(entry: JournalEntry, lines: list[LineView], ctx: RuleContext, cfg: RuleConfig
               ) -> Iterator[Finding]:
    """Debits equal credits within each entity and currency (an inter-entity entry balances per side)."""
    totals: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    for ln in lines:
        key = (ln.entity or "-", _currency(ln, ctx.company))
        totals[key][0 if ln.tr_type == 1 else 1] += ln.amount
    for (entity, currency), (debits, credits) in sorted(totals.items()):
        if debits == credits:
            continue
        diff = debits - credits
        side = "credit" if diff > 0 else "debit"
        where = f" for entity {entity}" if entity != "-" else ""
        yield ctx.finding(
            cfg, f"entry does not balance{where} in {currency}: debits {debits} vs credits {credits} "
                 f"(difference {abs(diff)})",
            entry_index=lines[0].entry_index if lines else None,
            corrections=[Correction(kind="amount", description=f"add or correct a {side} of {abs(diff)}"
                                    f"{where} in {currency}")],
            entity=entity, currency=currency, debits=debits, credits=credits, difference=diff)


@entry_rule("entry.too_few_lines")
def too_few_lines(entry: JournalEntry, lines: list[LineView], ctx: RuleContext, cfg: RuleConfig
                  ) -> Iterator[Finding]:
    minimum = int(cfg.param("min_lines"))
    if len(lines) < minimum:
        yield ctx.finding(cfg, f"a journal entry needs at least {minimum} lines, this one has {len(lines)}",
                          entry_index=lines[0].entry_index if lines else None,
                          lines=len(lines), min_lines=minimum)


@line_rule("code.unknown_account", coding=True)
def unknown_account(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    if ctx.company is not None and ln.account_no not in ctx.company.accounts:
        yield ctx.finding(cfg, f"account {ln.account_no} is not in the chart of accounts", ln,
                          account_no=ln.account_no)


def _active_then(ln: LineView, ctx: RuleContext, cfg: RuleConfig, attribute: str, value: str) -> bool:
    """A line already in the history is judged by the status at its date. Statuses carry no dates, so a
    code that other lines still used on or after that date, or within ``grace_days`` before it, is taken
    to have been active then (an employee who left, a finished project: their old lines are fine), if it
    was in regular use: on average at most ``max_mean_gap_days`` between uses."""
    if not ln.in_history or ctx.profile is None:
        return False
    uses = ctx.profile.count(attribute, value)
    latest, previous, first = ctx.profile.last_seen.get(attribute, {}).get(value, [-1, -1, -1])
    if uses < 2 or (latest - first) / (uses - 1) > float(cfg.param("max_mean_gap_days")):
        return False  # a retired code used now and then over a long span is misuse, not regular use
    day = ln.day.toordinal()
    other_latest = previous if latest == day else latest  # drop this line's own use (same day: ties)
    if latest > day or (latest == day and previous == day):
        return True
    return other_latest >= 0 and day - other_latest <= int(cfg.param("grace_days"))


@line_rule("code.inactive_account", coding=True)
def inactive_account(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    acct = ctx.company.accounts.get(ln.account_no) if ctx.company else None
    if acct is not None and not acct.active and not _active_then(ln, ctx, cfg, "account", ln.account_no):
        yield ctx.finding(cfg, f"account {ln.account_no} ({acct.title}) is {acct.status}", ln,
                          account_no=ln.account_no, status=acct.status)


def _has_master(company: Company, key: str) -> bool:
    """Only dimensions the company keeps master data for can be checked for existence."""
    rich = {"vendor": company.vendors, "customer": company.customers,
            "employee": company.employees, "project": company.projects}
    return bool(company.dimensions.get(key)) or bool(rich.get(key))


@line_rule("code.unknown_dimension", coding=True)
def unknown_dimension(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    company = ctx.company
    if company is None:
        return
    for key, code in sorted(ln.dims.items()):
        if _has_master(company, key) and company.dimension_value(key, code) is None:
            yield ctx.finding(cfg, f"{key} {code} does not exist", ln, dimension=key, code=code)


@line_rule("code.inactive_dimension", coding=True)
def inactive_dimension(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    company = ctx.company
    if company is None:
        return
    for key, code in sorted(ln.dims.items()):
        value = company.dimension_value(key, code)
        if value is not None and not value.active and not _active_then(ln, ctx, cfg, key, code):
            yield ctx.finding(cfg, f"{key} {code} ({value.name}) is {value.status}", ln,
                              dimension=key, code=code, status=value.status)


@line_rule("code.wrong_entity", coding=True)
def wrong_entity(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    company = ctx.company
    if company is None or not ln.entity:
        return
    if company.entities and ln.entity not in company.entities:
        yield ctx.finding(cfg, f"entity {ln.entity} does not exist", ln, entity=ln.entity)
        return
    for key, code in sorted(ln.dims.items()):
        value = company.dimension_value(key, code)
        if value is not None and not value.valid_in(ln.entity):
            yield ctx.finding(cfg, f"{key} {code} is not valid in entity {ln.entity} "
                                   f"(only in {', '.join(value.entities)})", ln,
                              dimension=key, code=code, entity=ln.entity, valid_in=value.entities)


@line_rule("dimension.required_missing", coding=True)
def required_missing(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    acct = ctx.company.accounts.get(ln.account_no) if ctx.company else None
    if acct is None:
        return
    missing = sorted(acct.required_dimensions - set(ln.dims))
    if missing:
        yield ctx.finding(cfg, f"account {ln.account_no} ({acct.title}) requires {', '.join(missing)}", ln,
                          account_no=ln.account_no, missing=missing)
