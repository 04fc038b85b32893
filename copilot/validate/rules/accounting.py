"""Accounting-policy rules: capitalization threshold, suspense / clearing accounts, round amounts."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, Iterator

from copilot.domain import Account, Company
from copilot.errors import ConfigurationError
from copilot.validate.findings import Correction, Finding
from copilot.validate.policy import RuleConfig
from copilot.validate.rules.base import LineView, RuleContext, line_rule


def _words(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(p.lower()) for p in patterns) + r")s?\b")


def _is_expense(acct: Account) -> bool:
    return acct.account_type.lower().replace(" ", "") == "incomestatement" and acct.normal_balance.lower() == "debit"


def _asset_accounts(company: Company, cfg: RuleConfig) -> list[Account]:
    listed = [company.accounts[a] for a in cfg.param("asset_accounts") if a in company.accounts]
    if listed:
        return listed
    pattern = _words(cfg.param("asset_account_keywords"))
    return [a for a in company.accounts.values()
            if a.active and a.account_type.lower().replace(" ", "") == "balancesheet"
            and pattern.search(a.title.lower())]


def threshold_for(param: Any, entity: str | None, day: date) -> Decimal | None:
    """A number; or per entity (``default`` for the rest) a number or dated steps [{from, amount}]."""
    if not isinstance(param, dict):
        return Decimal(str(param))
    table = param.get(entity) if entity in param else param.get("default")
    if table is None:
        return None
    if not isinstance(table, list):
        return Decimal(str(table))
    current = None
    for step in sorted(table, key=lambda s: str(s.get("from", ""))):
        start = step.get("from")
        start = date.fromisoformat(start) if isinstance(start, str) else start
        if not isinstance(start, date) or "amount" not in step:
            raise ConfigurationError("policy.capitalization threshold steps need `from` (a date) and `amount`")
        if start <= day:
            current = Decimal(str(step["amount"]))
    return current


_UNIT_PRICE = re.compile(r"@\s*(?:[$£€]\s*)?([0-9][0-9,]*(?:\.[0-9]{1,2})?)")
_QUANTITY = re.compile(r"(?:\bx\s*([0-9]{1,4})\b|\b([0-9]{1,4})\s*(?:x|units?|pcs|pieces|ea|each)\b|\bqty[:\s]*([0-9]{1,4})\b)",
                       re.IGNORECASE)


def unit_cost(amount: Decimal, memo: str) -> tuple[Decimal, int]:
    """(cost per unit, units) read from the memo: ``x7 @ 1,135.90``, ``4 units``, ``qty 3``; else the
    whole amount as one unit. The threshold applies per unit (several units are not added together)."""
    price = _UNIT_PRICE.search(memo)
    qty_match = _QUANTITY.search(memo)
    qty = next((int(g) for g in qty_match.groups() if g), 1) if qty_match else 1
    if price:
        try:
            return Decimal(price.group(1).replace(",", "")), max(qty, 1)
        except ArithmeticError:
            pass
    if qty > 1:
        return (amount / qty).quantize(Decimal("0.01")), qty
    return amount, 1


@line_rule("policy.capitalization")
def capitalization(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    """An expense account debited for an asset-like purchase whose unit cost reaches the capitalization
    threshold in force for the entity on the line's date."""
    company = ctx.company
    acct = company.accounts.get(ln.account_no) if company else None
    if acct is None or ln.tr_type != 1 or not _is_expense(acct):
        return
    threshold = threshold_for(cfg.param("threshold"), ln.entity, ln.day)
    if threshold is None or ln.amount < threshold or ln.account_no in set(cfg.param("exempt_accounts")):
        return
    if _words(cfg.param("exempt_account_keywords")).search(acct.title.lower()):
        return  # e.g. depreciation of the assets themselves
    memo = ln.memo.lower()
    match = _words(cfg.param("asset_keywords")).search(memo)
    if not match or _words(cfg.param("service_keywords")).search(memo):
        return
    unit, units = unit_cost(ln.amount, ln.memo) if cfg.param("per_unit") else (ln.amount, 1)
    if unit < threshold:
        return
    assets = _asset_accounts(company, cfg)  # type: ignore[arg-type]
    fixes = [Correction(kind="account", account_no=a.account_no, dims=dict(ln.dims),
                        description=f"capitalize to {a.account_no} {a.title}") for a in assets[:3]]
    each = f" ({units} units at {unit})" if units > 1 else ""
    yield ctx.finding(cfg, f"{ln.amount}{each} for '{match.group(0)}' expensed to {ln.account_no} ({acct.title}): "
                           f"unit cost at or above the capitalization threshold {threshold}", ln,
                      corrections=fixes, amount=ln.amount, unit_cost=unit, units=units, threshold=threshold,
                      keyword=match.group(0), account_no=ln.account_no)


@line_rule("account.suspense")
def suspense(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    listed = {str(a) for a in cfg.param("accounts")}
    acct = ctx.company.accounts.get(ln.account_no) if ctx.company else None
    by_title = acct is not None and bool(_words(cfg.param("title_keywords")).search(acct.title.lower()))
    if ln.account_no in listed or by_title:
        title = f" ({acct.title})" if acct else ""
        yield ctx.finding(cfg, f"posting to suspense / clearing account {ln.account_no}{title}: "
                               "reclassify to the real account before close", ln,
                          account_no=ln.account_no, listed=ln.account_no in listed, matched_title=by_title)


@line_rule("amount.round")
def round_amount(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    minimum = Decimal(str(cfg.param("min_amount")))
    multiple = Decimal(str(cfg.param("multiple")))
    journals = {str(j).upper() for j in cfg.param("journals")}
    if ln.account_no in {str(a) for a in cfg.param("exempt_accounts")}:
        return
    if journals and ln.journal.upper() not in journals:
        return
    if ln.amount >= minimum and ln.amount % multiple == 0:
        yield ctx.finding(cfg, f"round amount {ln.amount} (a multiple of {multiple}): estimates and "
                               "fabricated entries are often round", ln, amount=ln.amount, multiple=multiple)
