"""State shared by the generator's flows: master data over time, the book, AP bills, fixed assets."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from copilot.demo.chart import CURRENCY, HQ_LOCATION, VAT_RATE
from copilot.demo.ledger import Book, Entry, FxRates, Line, ZERO, dec, q
from copilot.demo.masters import FX_START, Cust, Emp, Proj, Timesheets, Vend

# Kinds billed without VAT in UK01/DE01: foreign suppliers (reverse charge), exempt insurance and benefits,
# government fees. Everyone else adds input VAT on top.
NO_VAT_KINDS = {"saas", "license", "hosting", "data", "ads", "insurance", "benefits", "benefits_direct", "govt",
                "travel_agency", "multi:microsoft", "multi:google", "multi:linkedin", "multi:upwork"}


@dataclass
class Bill:
    bill_id: str
    doc_no: str
    vendor: Vend
    entity: str
    on: date
    due: date
    lines: list[Line]
    total: Decimal
    description: str
    entry: Entry | None = None
    payments: list[tuple[date, Decimal, str]] = field(default_factory=list)
    duplicate_of: str | None = None
    hold: bool = False  # disputed: paid in two parts


@dataclass
class BankLine:
    """One line of a bank statement and what it settles (the labels of extras/bank_feed.csv)."""

    entity: str
    on: date
    amount: Decimal  # signed, the account's currency: negative = money out
    description: str
    kind: str  # ap_payment | ar_receipt | payroll | tax | card_payment | reimbursement | bank_fee | ...
    bills: list[tuple[str, Decimal]] = field(default_factory=list)
    invoices: list[tuple[str, Decimal]] = field(default_factory=list)
    entry: Entry | None = None
    account: str = "1000"
    note: str = ""


@dataclass
class Asset:
    entity: str
    account: str
    acquired: date
    cost: Decimal
    dept: str
    loc: str
    memo: str


@dataclass
class Ctx:
    seed: int
    months: list[date]
    book: Book
    fx: FxRates
    emps: list[Emp]
    custs: list[Cust]
    projs: list[Proj]
    vends: list[Vend]
    ts: Timesheets
    noise: object  # anomalies.Noise (kept untyped to avoid an import cycle)
    bills: list[Bill] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)
    prepaids: list[tuple[str, date, Decimal, int, str, dict, str, str]] = field(default_factory=list)
    invoices: list = field(default_factory=list)  # revenue.Invoice
    bank: list = field(default_factory=list)  # payments.BankLine
    ic_pairs: list[dict] = field(default_factory=list)
    payroll_runs: list = field(default_factory=list)  # (entity, date, net, taxes, 401k, entry)
    benefits_due: dict = field(default_factory=dict)  # (entity, month) -> credited to 2120
    card_totals: dict = field(default_factory=dict)  # (entity, month) -> card charges
    recharge_base: dict = field(default_factory=dict)  # (month, account) -> shared software not kept by US01
    opening_deferred: dict = field(default_factory=dict)  # (customer, class) -> deferred revenue on day one
    _emp_cache: dict = field(default_factory=dict)
    _bill_seq: int = 0

    def __post_init__(self) -> None:
        self.emp_by_id = {e.emp_id: e for e in self.emps}

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}-{name}")

    # --- people ---------------------------------------------------------------------------------
    def staff(self, entity: str | None, on: date, dept: str | None = None) -> list[Emp]:
        key = (entity, on, dept)
        if key not in self._emp_cache:
            self._emp_cache[key] = [e for e in self.emps if (entity is None or e.entity == entity)
                                    and (dept is None or e.dept == dept) and e.active(on)]
        return self._emp_cache[key]

    def headcount(self, entity: str | None, on: date, dept: str | None = None) -> int:
        return len(self.staff(entity, on, dept))

    def local(self, usd: float | Decimal, entity: str) -> Decimal:
        """Catalog amounts are USD; subsidiaries are billed in their own currency at a stable price list."""
        return dec(float(usd) * float(FX_START[entity]))

    def hq(self, entity: str) -> str:
        return HQ_LOCATION[entity]

    # --- AP ---------------------------------------------------------------------------------------
    def next_bill_id(self) -> str:
        self._bill_seq += 1
        return str(50000 + self._bill_seq)

    def post_bill(self, v: Vend, entity: str, on: date, lines: list[Line], doc_no: str, description: str,
                  *, terms: int = 30, lag_days: int | None = None, rng: random.Random | None = None) -> Bill:
        """An AP bill: expense lines (already coded) + input VAT where it applies + the AP credit."""
        rng = rng or self.rng("bill-lag")
        for ln in lines:
            ln.dims.setdefault("vendor", v.vendor_id)
        net = sum((ln.amount for ln in lines), ZERO)
        posted = list(lines)
        vat_rate = VAT_RATE[entity] if v.kind not in NO_VAT_KINDS else Decimal(0)
        vat = q(net * vat_rate)
        if vat:
            posted.append(Line("1400", vat, f"Input VAT {int(vat_rate * 100)}% {doc_no}", {"vendor": v.vendor_id}))
        total = net + vat
        posted.append(Line("2000", -total, description, {"vendor": v.vendor_id}))
        lag = lag_days if lag_days is not None else rng.choice([0, 1, 1, 2, 3, 3, 5, 8])
        created = datetime(on.year, on.month, on.day, rng.randint(8, 18), rng.randint(0, 59)) + timedelta(days=lag)
        bill = Bill(bill_id=self.next_bill_id(), doc_no=doc_no, vendor=v, entity=entity, on=on,
                    due=on + timedelta(days=terms), lines=lines, total=total, description=description)
        bill.entry = self.book.add(Entry(entity, on, "APJ", f"AP bill {doc_no} - {v.name}"[:80], posted,
                                         document=doc_no, created=created, source="ap_bill", user="ap.clerk"))
        bill.entry.meta["bill"] = bill
        self.bills.append(bill)
        return bill

    def coded(self, account: str, amount: Decimal, memo: str, dims: dict[str, str], rule: str,
              entity: str, on: date, rng: random.Random) -> Line:
        """A line whose coding a person chose; the noise model may miscode it (and remembers the truth)."""
        ln = Line(account, amount, memo, dims, codable=True, rule=rule)
        self.noise.apply(ln, entity, on, rng)
        return ln

    def currency(self, entity: str) -> str:
        return CURRENCY[entity]
