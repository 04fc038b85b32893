"""The generator's working ledger: entries of signed lines, balanced on add, numbered at the end.

Lines keep generator-only facts (the policy clause that decided the coding, the coding policy would
give when a human miscoded the line) next to what the books say; only the latter become Postings.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from copilot.demo.chart import CURRENCY
from copilot.domain import Posting
from copilot.errors import CopilotError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def dec(value: float | int | str) -> Decimal:
    """Random draws are floats; they become cents here and nowhere later."""
    return q(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))


def split(total: Decimal, weights: list[tuple[str, float | Decimal]]) -> list[tuple[str, Decimal]]:
    """Split ``total`` by weights to the cent; the rounding remainder goes to the largest share."""
    weights = [(k, Decimal(repr(w)) if isinstance(w, float) else Decimal(w)) for k, w in weights]
    weights = [(k, w) for k, w in weights if w > 0]
    wsum = sum((w for _, w in weights), Decimal(0))
    if not weights or wsum == 0:
        return []
    parts = [(k, q(total * w / wsum)) for k, w in weights]
    diff = total - sum((a for _, a in parts), ZERO)
    if diff:
        i = max(range(len(parts)), key=lambda j: (parts[j][1], -j))
        parts[i] = (parts[i][0], parts[i][1] + diff)
    return [(k, a) for k, a in parts if a != 0]


class Line:
    """One GL line. ``amount`` is signed: positive debit, negative credit."""

    __slots__ = ("account", "amount", "memo", "dims", "codable", "rule", "truth", "noise", "record_no")

    def __init__(self, account: str, amount: Decimal, memo: str = "", dims: dict[str, str] | None = None,
                 *, codable: bool = False, rule: str = "") -> None:
        self.account = account
        self.amount = amount
        self.memo = memo
        self.dims = {k: v for k, v in (dims or {}).items() if v}
        self.codable = codable  # a human chose this coding (what the suggestion engine predicts)
        self.rule = rule  # policy clause that decides the coding, e.g. "CP-4.3"
        self.truth: tuple[str, dict[str, str]] | None = None  # policy coding when noise changed it
        self.noise = ""  # noise kind when a human miscoded it
        self.record_no = ""


class Entry:
    __slots__ = ("entity", "date", "journal", "title", "lines", "document", "created", "source",
                 "user", "batch_no", "seq", "meta")

    def __init__(self, entity: str, on: date, journal: str, title: str, lines: list[Line], *,
                 document: str | None = None, created: datetime | None = None, source: str = "",
                 user: str = "") -> None:
        self.entity, self.date, self.journal, self.title = entity, on, journal, title
        self.lines = lines
        self.document = document
        self.created = created or datetime(on.year, on.month, on.day, 17, 0)
        self.source = source  # ap_bill | card | expense | payroll | ... (extras and tests use it)
        self.user = user
        self.batch_no = ""
        self.seq = 0
        self.meta: dict = {}


class Book:
    """All entries of the demo company; ``add`` refuses an entry that does not balance to the cent."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(self, entry: Entry) -> Entry:
        lines = [ln for ln in entry.lines if ln.amount != 0]
        for ln in lines:
            ln.amount = q(ln.amount)
        if len(lines) < 2:
            raise CopilotError(f"demo generator: entry '{entry.title}' has fewer than 2 lines")
        total = sum((ln.amount for ln in lines), ZERO)
        if total != 0:
            raise CopilotError(f"demo generator: entry '{entry.title}' ({entry.entity} {entry.date}) "
                               f"is out of balance by {total}")
        entry.lines = lines
        entry.seq = len(self.entries)
        self.entries.append(entry)
        return entry

    def number(self) -> None:
        """Batch and record numbers in date order (what Intacct would have assigned)."""
        self.entries.sort(key=lambda e: (e.date, e.created, e.seq))
        batch = {k: 0 for k in CURRENCY}
        record = 1_000_000
        for e in self.entries:
            batch[e.entity] += 1
            e.batch_no = f"{e.entity}-{batch[e.entity]:06d}"
            for ln in e.lines:
                record += 1
                ln.record_no = str(record)

    def postings(self) -> list[Posting]:
        out = []
        for e in self.entries:
            cur = CURRENCY[e.entity]
            extra = {"WHENCREATED": e.created.strftime("%m/%d/%Y %H:%M:%S"), "CREATEDBY": e.user}
            for n, ln in enumerate(e.lines, 1):
                out.append(Posting(
                    record_no=ln.record_no, entity=e.entity, entry_date=e.date, journal=e.journal,
                    batch_no=e.batch_no, batch_title=e.title, account_no=ln.account,
                    tr_type=1 if ln.amount > 0 else -1, amount=abs(ln.amount), memo=ln.memo, dims=ln.dims,
                    currency=cur, document=e.document, extra={**extra, "LINE_NO": str(n)}))
        return out


class FxRates:
    """Monthly accounting rates (USD per unit of local currency), a seeded random walk."""

    START = {"USD": 1.0, "GBP": 1.21, "EUR": 1.07}

    def __init__(self, seed: int, months: list[date]) -> None:
        rng = random.Random(f"{seed}-fx")
        self.monthly: dict[tuple[str, date], Decimal] = {}
        for cur, start in self.START.items():
            rate = start
            for m in months:
                if cur != "USD":
                    rate *= 1 + rng.gauss(0, 0.012)
                self.monthly[(cur, m)] = Decimal(f"{rate:.4f}")
        self._rng = random.Random(f"{seed}-fx-daily")

    def rate(self, currency: str, on: date) -> Decimal:
        return self.monthly[(currency, on.replace(day=1))]

    def daily(self, currency: str, on: date) -> Decimal:
        """A spot rate: the monthly rate moved by up to ~1.5 % (used where someone took the wrong rate)."""
        base = float(self.rate(currency, on))
        if currency == "USD":
            return Decimal("1")
        return Decimal(f"{base * (1 + self._rng.uniform(0.008, 0.02) * self._rng.choice((-1, 1))):.4f}")

    def to_local(self, usd: Decimal, entity_currency: str, on: date) -> Decimal:
        return q(usd / self.rate(entity_currency, on))

    def to_usd(self, local: Decimal, entity_currency: str, on: date) -> Decimal:
        return q(local * self.rate(entity_currency, on))


def month_starts(start: date, months: int) -> list[date]:
    out, y, m = [], start.year, start.month
    for _ in range(months):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_end(m: date) -> date:
    nxt = date(m.year + 1, 1, 1) if m.month == 12 else date(m.year, m.month + 1, 1)
    return nxt - timedelta(days=1)


def business_day(d: date, back: bool = False) -> date:
    """Move a weekend date to the next (or previous) weekday."""
    step = -1 if back else 1
    while d.weekday() >= 5:
        d += timedelta(days=step)
    return d


def nth_business_day(m: date, n: int) -> date:
    d, count = m, 0
    while True:
        if d.weekday() < 5:
            count += 1
            if count == n:
                return d
        d += timedelta(days=1)
