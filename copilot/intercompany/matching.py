"""Pair intercompany bookings across entities and say what is wrong with each pair (or lone side).

An *item* is one entry's lines on one intercompany account facing one entity. Every item booked in the
period or up to ``date_window_days`` around it takes part (so a side outside the period pairs with its
own partner rather than stealing one of the period's); pairs touching the period are reported. Passes,
each greedy on the closest candidate so the result does not depend on input order:

1. reference: the same document / reference in two entities (a non-intercompany line carrying the
   reference is the other side booked to the wrong account);
2. amount: the entity each side faces, opposite signs and sides, within the tolerance in base currency;
3. near amount: as 2 but within ``fx_band`` of the amount (an FX or amount difference);
4. cross account: opposite amounts within the tolerance where one side faces a third entity or sits on
   the same side (receivable against receivable): the wrong account;
5. same date: as 2, booked within ``same_date_days`` of each other, however far apart the amounts (up
   to ``max_difference_share``): a settlement or charge for a different amount.

Amounts are compared in the base currency at the rates of the document month, the earlier side's month
(IC-5.1: both sides translate at the monthly rate of the document month). A pair is matched when both
sides are in the period, on the right accounts, and within the tolerance; otherwise every reason found is
listed. A side of the period left alone is a missing side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from copilot.allocation.books import Books, Period, batch_key_of
from copilot.domain import Posting
from copilot.intercompany.accounts import IcAccount, classify, counterparty_of
from copilot.intercompany.config import IntercompanyRules
from copilot.intercompany.fx import MissingRate, RateTable
from copilot.intercompany.models import PRIORITY, Finding, Reason, Side

ZERO = Decimal("0.00")


@dataclass
class Item:
    entity: str
    counterparty: str | None
    account: str
    title: str
    side: str  # receivable | payable | other (a non-intercompany account)
    currency: str
    day: date
    reference: str | None
    batch: str
    batch_title: str
    journal: str
    lines: list[Posting] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.entity, self.batch, self.account, self.counterparty or "")

    @property
    def amount(self) -> Decimal:
        return sum((p.signed_amount for p in self.lines), ZERO)

    @property
    def intercompany(self) -> bool:
        return self.side != "other"


def _reference(p: Posting, patterns: list[re.Pattern]) -> str | None:
    if p.document and p.document.strip():
        return p.document.strip()
    for text in (p.memo, p.batch_title):
        for pat in patterns:
            m = pat.search(text or "")
            if m:
                return m.group(0)
    return None


def _currency(p: Posting, books: Books) -> str:
    if p.currency:
        return p.currency.upper()
    entity = books.company.entities.get(p.entity)
    return (entity.currency if entity else "").upper()


class Matcher:
    def __init__(self, books: Books, period: Period, rules: IntercompanyRules, rates: RateTable) -> None:
        self.books, self.period, self.rules, self.rates = books, period, rules, rates
        self.m = rules.matching
        self.tol = self.m.tolerance
        self.accounts: dict[str, IcAccount] = classify(books.company, rules.accounts)
        w = timedelta(days=self.m.date_window_days)
        self.first, self.last = period.start - w, period.end + w
        patterns = [re.compile(p) for p in self.m.reference_patterns]
        self.items = self._items(patterns)
        self.by_ref = self._reference_index(patterns) if self.m.use_reference else {}
        self.missing_rates: set[str] = set()

    # --- items -------------------------------------------------------------------------------
    def _items(self, patterns: list[re.Pattern]) -> list[Item]:
        company, acct_rules = self.books.company, self.rules.accounts
        found: dict[tuple, Item] = {}
        for p in self.books.between(self.first, self.last):
            acct = self.accounts.get(p.account_no)
            if acct is None:
                continue
            cp = counterparty_of(p, acct, company, acct_rules)
            key = (p.entity, batch_key_of(p), p.account_no, cp or "")
            item = found.get(key)
            if item is None:
                item = found[key] = Item(p.entity, cp, p.account_no, acct.title, acct.side, _currency(p, self.books),
                                         p.entry_date, _reference(p, patterns) if self.m.use_reference else None,
                                         batch_key_of(p), p.batch_title, p.journal)
            item.lines.append(p)
            item.day = min(item.day, p.entry_date)
            if item.reference is None and self.m.use_reference:
                item.reference = _reference(p, patterns)
        items = [i for i in found.values() if i.amount != 0]
        return sorted(items, key=lambda i: (i.day, i.entity, i.batch, i.account, i.counterparty or ""))

    def _reference_index(self, patterns: list[re.Pattern]) -> dict[str, list[Posting]]:
        """Every line in the window carrying a reference (to find a side booked off the IC accounts)."""
        index: dict[str, list[Posting]] = {}
        for p in self.books.between(self.first, self.last):
            ref = _reference(p, patterns)
            if ref:
                index.setdefault(ref, []).append(p)
        return index

    # --- money ---------------------------------------------------------------------------------
    def base(self, item: Item, on: date) -> Decimal:
        return self.rates.to_base(item.amount, item.currency, on)

    def difference(self, x: Item, y: Item) -> Decimal | None:
        """x + y in base currency at the document month's rates; None when a rate is missing."""
        on = min(x.day, y.day)
        try:
            return self.base(x, on) + self.base(y, on)
        except MissingRate as exc:
            self.missing_rates.add(exc.message)
            return None

    def _larger(self, x: Item, y: Item) -> Decimal:
        on = min(x.day, y.day)
        return max(abs(self.base(x, on)), abs(self.base(y, on)))

    # --- passes ----------------------------------------------------------------------------------
    def primary(self, item: Item) -> bool:
        return self.period.contains(item.day)

    def run(self) -> list[tuple[Item, Item | None, str]]:
        used: set[tuple] = set()
        pairs: list[tuple[Item, Item | None, str]] = []

        def take(x: Item, y: Item | None, how: str) -> None:
            used.add(x.key)
            if y is not None:
                used.add(y.key)
            # Pairs wholly outside the period are matched too (so they do not steal a side of the
            # period), but only pairs touching the period are reported.
            if self.primary(x) or (y is not None and self.primary(y)):
                pairs.append((x, y, how))

        if self.m.use_reference:
            self._by_reference(used, take)
        for how in ("amount", "near_amount", "cross_account", "same_date"):
            self._by_amount(used, take, how)
        for x in self.items:
            if self.primary(x) and x.key not in used:
                take(x, None, "none")
        return pairs

    def _faces(self, x: Item, y: Item) -> bool:
        """Each side faces the other's entity (or does not say whom it faces)."""
        return x.counterparty in (y.entity, None) and y.counterparty in (x.entity, None)

    def _by_reference(self, used: set, take) -> None:
        groups: dict[str, list[Item]] = {}
        for item in self.items:
            if item.reference:
                groups.setdefault(item.reference, []).append(item)
        for ref in sorted(groups):
            members = groups[ref]
            for x in members:
                if x.key in used or not self.primary(x):
                    continue
                options = [y for y in members if y.key not in used and y.entity != x.entity
                           and (y.amount > 0) != (x.amount > 0)]
                # The other side facing back beats one on some other intercompany account.
                options.sort(key=lambda y: (not self._faces(x, y), abs(y.day - x.day), y.key))
                if options:
                    take(x, options[0], "reference")
                    continue
                stray = self._stray(x, ref)
                if stray is not None:
                    take(x, stray, "reference")

    def _stray(self, x: Item, ref: str) -> Item | None:
        """The other side booked off the intercompany accounts: a line of another entity with the same
        reference and the opposite sign, preferring the counterparty and balance-sheet accounts."""
        company = self.books.company
        best: tuple | None = None
        for p in self.by_ref.get(ref, []):
            if p.entity == x.entity or p.account_no in self.accounts or (p.signed_amount > 0) == (x.amount > 0):
                continue
            acct = company.accounts.get(p.account_no)
            balance_sheet = acct is not None and acct.account_type.lower() == "balancesheet"
            rank = (p.entity != x.counterparty, not balance_sheet, -p.amount, p.record_no)
            if best is None or rank < best[0]:
                best = (rank, p)
        if best is None:
            return None
        p = best[1]
        acct = company.accounts.get(p.account_no)
        return Item(p.entity, None, p.account_no, acct.title if acct else "", "other", _currency(p, self.books),
                    p.entry_date, ref, batch_key_of(p), p.batch_title, p.journal, [p])

    def _by_amount(self, used: set, take, how: str) -> None:
        edges = []
        open_items = [i for i in self.items if i.key not in used]
        for i, x in enumerate(open_items):
            for y in open_items[i + 1:]:
                if x.entity == y.entity:
                    continue
                if (x.amount > 0) == (y.amount > 0) or abs(x.day - y.day).days > self.m.date_window_days:
                    continue
                right_way = self._faces(x, y) and x.side != y.side
                if how in ("amount", "near_amount", "same_date") and not right_way:
                    continue
                if how == "same_date" and abs(x.day - y.day).days > self.m.same_date_days:
                    continue
                if how == "cross_account" and (right_way or not (
                        x.counterparty in (y.entity, None) or y.counterparty in (x.entity, None))):
                    continue
                diff = self.difference(x, y)
                if diff is None:
                    continue
                if how in ("amount", "cross_account"):
                    limit = self.tol
                elif how == "near_amount":
                    limit = max(self.tol, self.m.fx_band * self._larger(x, y))
                else:
                    limit = max(self.tol, self.m.max_difference_share * self._larger(x, y))
                if abs(diff) > limit:
                    continue
                edges.append((abs(diff), abs(x.day - y.day).days, x.key, y.key, x, y))
        for _d, _days, _kx, _ky, x, y in sorted(edges, key=lambda e: e[:4]):
            if x.key in used or y.key in used:
                continue
            take(x, y, how)

    # --- findings ----------------------------------------------------------------------------------
    def side(self, item: Item, on: date | None) -> Side:
        base = None
        if on is not None:
            try:
                base = self.base(item, on)
            except MissingRate:
                base = None
        return Side(entity=item.entity, counterparty=item.counterparty, account=item.account,
                    account_title=item.title, intercompany_account=item.intercompany, side=item.side,
                    amount=item.amount, currency=item.currency, date=item.day, period=str(Period.of(item.day)),
                    reference=item.reference, batch=item.batch, batch_title=item.batch_title, journal=item.journal,
                    records=[p.record_no for p in item.lines], base_amount=base)

    @staticmethod
    def ordered(x: Item, y: Item | None) -> tuple[Item, Item | None]:
        """The receivable (or the intercompany) side first."""
        if y is not None and (x.side == "other" or (y.side == "receivable" and x.side == "payable")):
            return y, x
        return x, y

    def finding(self, n: int, x: Item, y: Item | None, how: str) -> Finding:
        reasons = self.reasons(x, y)
        on = min(x.day, y.day) if y is not None else x.day
        diff = self.difference(x, y) if y is not None else None
        codes = [r.code for r in reasons]
        status = next((c for c in PRIORITY if c in codes), "matched")
        return Finding(id=f"IC-{self.period}-{n:04d}", status=status, reasons=reasons, matched_by=how,
                       a=self.side(x, on), b=self.side(y, on) if y is not None else None, difference=diff)

    def reasons(self, x: Item, y: Item | None) -> list[Reason]:
        base, tol = self.rates.base, self.tol
        if y is None:
            return [Reason(code="missing_side", detail=self._missing_detail(x))]
        out: list[Reason] = []
        for a, b in ((x, y), (y, x)):
            if not a.intercompany:
                acct = f"{a.account} {a.title}".strip()
                out.append(Reason(code="wrong_account", detail=(
                    f"{a.entity} booked its side to {acct}, not an intercompany account facing {b.entity}")))
        if x.intercompany and y.intercompany:
            if x.counterparty not in (y.entity, None):
                out.append(Reason(code="wrong_account", detail=(
                    f"{x.entity} booked to {x.account} {x.title} (facing {x.counterparty}) but the other side is "
                    f"{y.entity}")))
            if y.counterparty not in (x.entity, None):
                out.append(Reason(code="wrong_account", detail=(
                    f"{y.entity} booked to {y.account} {y.title} (facing {y.counterparty}) but the other side is "
                    f"{x.entity}")))
            if x.side == y.side:
                out.append(Reason(code="wrong_account", detail=(
                    f"both sides are on {x.side} accounts ({x.entity} {x.account}, {y.entity} {y.account})")))
        px, py = Period.of(x.day), Period.of(y.day)
        if px != py:
            late, early = (x, y) if x.day > y.day else (y, x)
            out.append(Reason(code="timing_difference", detail=(
                f"{early.entity} booked it on {early.day} ({Period.of(early.day)}), {late.entity} on {late.day} "
                f"({Period.of(late.day)}): different periods")))
        on = min(x.day, y.day)
        try:
            bx, by = self.base(x, on), self.base(y, on)
        except MissingRate as exc:
            out.append(Reason(code="no_fx_rate", detail=(
                f"{exc.message}: the {x.currency} and {y.currency} sides cannot be compared")))
            return out
        diff = bx + by
        if abs(diff) > tol:
            words = (f"{x.entity} {x.currency} {x.amount:,.2f} = {base} {bx:,.2f} vs {y.entity} {y.currency} "
                     f"{y.amount:,.2f} = {base} {by:,.2f} at the {Period.of(on)} rates: {base} {abs(diff):,.2f} apart, "
                     f"over the {base} {tol:,.2f} tolerance")
            relative = abs(diff) / max(abs(bx), abs(by))
            if x.currency != y.currency and relative <= self.m.fx_band:
                out.append(Reason(code="fx_difference", detail=f"{words} ({relative:.2%}: a different rate was used)"))
            else:
                out.append(Reason(code="amount_difference", detail=f"{words} ({relative:.2%})"))
        return out

    def _missing_detail(self, x: Item) -> str:
        other = x.counterparty or "another entity"
        want = "payable" if x.side == "receivable" else "receivable"
        text = (f"{x.entity} booked {x.currency} {x.amount:,.2f} on {x.account} {x.title} on {x.day}"
                f"{' (ref ' + x.reference + ')' if x.reference else ''}; no offsetting {want} in {other} within "
                f"{self.m.date_window_days} days")
        last = self.books.last_day
        if last is not None and last < self.last:
            text += f" (the books end on {last}: it may still be booked later)"
        try:
            self.rates.rate(x.currency, x.day)
        except MissingRate as exc:
            text += f"; {exc.message}"
        return text


def reconcile_items(books: Books, period: Period, rules: IntercompanyRules, rates: RateTable
                    ) -> tuple[Matcher, list[tuple[Item, Item | None, Finding]]]:
    matcher = Matcher(books, period, rules, rates)
    pairs = matcher.run()
    pairs.sort(key=lambda t: (min(t[0].day, t[1].day if t[1] else t[0].day), t[0].entity, t[0].batch))
    out = []
    for n, (x, y, how) in enumerate(pairs, 1):
        x, y = matcher.ordered(x, y)
        out.append((x, y, matcher.finding(n, x, y, how)))
    return matcher, out
