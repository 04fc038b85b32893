"""The group's monthly accounting rates (IC-5.1): units of the base currency per unit of a currency.

A rate table is a CSV with a month (``month`` YYYY-MM or YYYY-MM-DD, or ``date``), a ``currency`` and
the rate (``usd_per_unit`` / ``<base>_per_unit`` / ``rate``). Only the month's own rate is used: a
missing month is a missing rate (and a reason in the report), never a silent stale one.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from copilot.allocation.books import Period
from copilot.domain.money import money
from copilot.errors import InputError, ParseError


class MissingRate(InputError):
    code = "missing-fx-rate"

    def __init__(self, currency: str, period: Period, base: str, source: str) -> None:
        super().__init__(f"no {currency}->{base} rate for {period} in {source}", field="currency")
        self.currency, self.period = currency, period


class RateTable:
    def __init__(self, base: str, rates: dict[tuple[str, Period], Decimal] | None = None,
                 source: str = "the rate table") -> None:
        self.base = base.upper()
        self.rates = {(c.upper(), p): r for (c, p), r in (rates or {}).items()}
        self.source = source

    def rate(self, currency: str, on: date) -> Decimal:
        """Base units per unit of ``currency`` for the month of ``on``."""
        cur = (currency or self.base).upper()
        if cur == self.base:
            return Decimal(1)
        period = Period.of(on)
        found = self.rates.get((cur, period))
        if found is None:
            raise MissingRate(cur, period, self.base, self.source)
        return found

    def to_base(self, amount: Decimal, currency: str, on: date) -> Decimal:
        return money(amount * self.rate(currency, on))

    def __len__(self) -> int:
        return len(self.rates)


def read_rates(path: Path, base: str) -> RateTable:
    """A rate table from CSV; a bad row is a ParseError naming the file, line and column."""
    base = base.upper()
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ParseError(f"cannot read rate table: {exc}", source=source) from None
    reader = csv.DictReader(text.splitlines())
    fields = {(f or "").strip().lower(): f for f in reader.fieldnames or []}
    month_col = fields.get("month") or fields.get("date") or fields.get("period")
    cur_col = fields.get("currency")
    per_unit = [k for k in fields if k.endswith("_per_unit")]
    if f"{base.lower()}_per_unit" in fields:
        rate_col = fields[f"{base.lower()}_per_unit"]
    elif "rate" in fields:
        rate_col = fields["rate"]
    elif per_unit:
        raise ParseError(f"rates are {per_unit[0].split('_')[0].upper()} per unit but the base currency is {base}",
                         field=per_unit[0], source=source, line=1)
    else:
        rate_col = None
    if not (month_col and cur_col and rate_col):
        raise ParseError("a rate table needs columns month (or date), currency and rate (or <base>_per_unit)",
                         source=source, line=1)
    rates: dict[tuple[str, Period], Decimal] = {}
    for n, row in enumerate(reader, start=2):
        cur = (row.get(cur_col) or "").strip().upper()
        when = (row.get(month_col) or "").strip()
        raw = (row.get(rate_col) or "").strip()
        if not cur and not when and not raw:
            continue
        try:
            period = Period(int(when[:4]), int(when[5:7]))
            period.start  # noqa: B018 - validates the month number
        except (ValueError, IndexError):
            raise ParseError(f"month must be YYYY-MM or YYYY-MM-DD, got {when!r}", field=month_col.strip(),
                             line=n, source=source) from None
        if not cur:
            raise ParseError("currency is missing", field=cur_col.strip(), line=n, source=source)
        try:
            rate = Decimal(raw)
        except InvalidOperation:
            rate = Decimal(-1)
        if not rate.is_finite() or rate <= 0:
            raise ParseError(f"rate must be a positive number, got {raw!r}", field=rate_col.strip(), line=n,
                             source=source)
        if (cur, period) in rates and rates[(cur, period)] != rate:
            raise ParseError(f"two different {cur} rates for {period}", field=rate_col.strip(), line=n,
                             source=source)
        rates[(cur, period)] = rate
    return RateTable(base, rates, source=path.name)
