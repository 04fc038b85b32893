"""Which accounts hold intercompany balances, on which side, and which entity each one faces.

Found from the chart, never from account numbers in code: an explicit list in the rules wins; else a
title such as "Due From UK01" / "Intercompany payable" or a balance-sheet account in an intercompany
category. The counterparty is the entity named in the title (by id or by name), else a line dimension
(per line, see ``counterparty_of``), else unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from copilot.domain import Company, Posting
from copilot.intercompany.config import AccountRules


@dataclass(frozen=True)
class IcAccount:
    account_no: str
    title: str
    side: str  # receivable | payable
    counterparty: str | None


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9]+", " ", text.lower()).strip() + " "


def _entity_in_title(company: Company, title: str) -> str | None:
    """The one entity a title names, by id ("Due To US01") or name ("Due from Harborview Ltd")."""
    words = _words(title)
    found = [e.entity_id for e in company.entities.values()
             if _words(e.entity_id) in words or (len(e.name) > 3 and _words(e.name).strip() in words)]
    return found[0] if len(set(found)) == 1 else None


def classify(company: Company, rules: AccountRules) -> dict[str, IcAccount]:
    out: dict[str, IcAccount] = {}
    excluded = set(rules.exclude)
    recv = [_words(t) for t in rules.receivable_titles]
    pay = [_words(t) for t in rules.payable_titles]
    categories = {c.lower() for c in rules.categories}
    for acct in company.accounts.values():
        if acct.account_no in excluded:
            continue
        words = _words(acct.title)
        in_category = acct.category.lower() in categories
        counterparty = _entity_in_title(company, acct.title)
        side = None
        for side_name, patterns in (("receivable", recv), ("payable", pay)):
            hit = next((t for t in patterns if t.strip() and t in words), None)
            # "Due to" alone also titles non-group balances ("Due to employees"): it counts when the
            # title names an entity, the category says intercompany, or the words do.
            if hit and (counterparty or in_category or any(w in hit for w in (" intercompany ", " affiliate ", " ic "))):
                side = side_name
                break
        if side is None and in_category:
            side = "receivable" if acct.normal_balance.lower() == "debit" else "payable"
        if side is None or acct.account_type.lower() != "balancesheet":
            continue
        out[acct.account_no] = IcAccount(acct.account_no, acct.title, side, counterparty)
    for spec in rules.explicit:
        title = company.accounts[spec.account].title if spec.account in company.accounts else ""
        out[spec.account] = IcAccount(spec.account, title, spec.side,
                                      spec.counterparty or _entity_in_title(company, title))
    return out


def counterparty_of(posting: Posting, account: IcAccount, company: Company, rules: AccountRules) -> str | None:
    """Whom a line faces: a counterparty dimension on the line wins over the account's title."""
    for dim in rules.counterparty_dimensions:
        code = posting.dims.get(dim)
        if code:
            if code in company.entities:
                return code
            return _entity_in_title(company, code) or code
    return account.counterparty
