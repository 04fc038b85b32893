"""A small three-entity group for intercompany and allocation tests (no demo data needed).

US1 (USD, parent), GB1 (GBP) and EU1 (EUR); a chart with Due From / Due To accounts named after the
entities, an accrual account, intercompany income and fees, expenses requiring department + location,
and projects. ``Ledger`` books balanced entries as GLDETAIL-like Postings; ``write_group`` writes the
company as readByQuery pages plus extras (rates, employees, timesheets) under ``data_dir/companies/``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from copilot.allocation.books import Books
from copilot.domain import Account, Company, DimensionValue, Employee, Entity, Posting, Project

D = Decimal
BS, IS = "balancesheet", "incomestatement"
OPEX = frozenset({"department", "location"})

RATES = {  # USD per unit, by month
    ("GBP", "2025-02"): D("1.2500"), ("GBP", "2025-03"): D("1.2000"), ("GBP", "2025-04"): D("1.2200"),
    ("EUR", "2025-02"): D("1.1000"), ("EUR", "2025-03"): D("1.0800"), ("EUR", "2025-04"): D("1.0900"),
}


def _acct(no, title, kind=BS, normal="debit", category="", req=frozenset()):
    return Account(account_no=no, title=title, account_type=kind, normal_balance=normal, category=category,
                   required_dimensions=req)


def make_group(name: str = "grp") -> Company:
    dv = lambda d, c, ents=(), status="active": DimensionValue(  # noqa: E731
        dimension=d, code=c, name=c.title(), entities=ents, status=status)
    accounts = [
        _acct("1000", "Cash", category="Cash", req=frozenset({"location"})),
        _acct("1310", "Due From US1", category="Intercompany"),
        _acct("1320", "Due From GB1", category="Intercompany"),
        _acct("1330", "Due From EU1", category="Intercompany"),
        _acct("2050", "Accrued Expenses", normal="credit", category="Accruals"),
        _acct("2060", "Amounts due to employees", normal="credit", category="Payroll liabilities"),
        _acct("2310", "Due To US1", normal="credit", category="Intercompany"),
        _acct("2320", "Due To GB1", normal="credit", category="Intercompany"),
        _acct("2330", "Due To EU1", normal="credit", category="Intercompany"),
        _acct("1520", "Leasehold Improvements", category="Fixed assets", req=frozenset({"location"})),
        _acct("4000", "Subscription Revenue", IS, "credit", "Revenue", frozenset({"class"})),
        _acct("4300", "Intercompany Service Income", IS, "credit", "Intercompany", frozenset({"location"})),
        _acct("6200", "Rent", IS, req=OPEX),
        _acct("6400", "Software", IS, req=OPEX),
        _acct("6950", "Intercompany Service Fees", IS, category="Intercompany", req=OPEX),
        _acct("7200", "FX Gain/Loss", IS, req=frozenset({"location"})),
        _acct("9999", "Suspense / Clearing"),
    ]
    return Company(
        name=name,
        entities={"US1": Entity(entity_id="US1", name="Group Inc"),
                  "GB1": Entity(entity_id="GB1", name="Group Ltd", currency="GBP", parent="US1"),
                  "EU1": Entity(entity_id="EU1", name="Group GmbH", currency="EUR", parent="US1")},
        accounts={a.account_no: a for a in accounts},
        dimensions={
            "department": {d: dv("department", d) for d in ("FAC", "ENG", "SALES", "FIN")}
            | {"OLD": dv("department", "OLD", status="inactive")},
            "location": {"NYC": dv("location", "NYC", ("US1",)), "LON": dv("location", "LON", ("GB1",)),
                         "BER": dv("location", "BER", ("EU1",))},
            "class": {"PLAT": dv("class", "PLAT"), "ANLY": dv("class", "ANLY"), "CORP": dv("class", "CORP")},
        },
        employees={e.employee_id: e for e in [
            Employee(employee_id="E1", name="A", department="ENG", location="NYC"),
            Employee(employee_id="E2", name="B", department="ENG", location="NYC"),
            Employee(employee_id="E3", name="C", department="SALES", location="NYC"),
            Employee(employee_id="E4", name="D", department="FIN", location="LON"),
            Employee(employee_id="E5", name="E", department="SALES", location="NYC", status="inactive"),
        ]},
        projects={p.project_id: p for p in [
            Project(project_id="P1", name="Alpha", budget=D("10000.00"), entities=("US1",)),
            Project(project_id="P2", name="Beta", budget=D("1000.00"), entities=("US1",)),
            Project(project_id="P3", name="Gamma", budget=None, entities=("US1",)),
            Project(project_id="P4", name="London fit-out", budget=D("5000.00"), currency="GBP", entities=("GB1",)),
        ]},
    )


CURRENCY = {"US1": "USD", "GB1": "GBP", "EU1": "EUR"}


@dataclass
class Ledger:
    """Books balanced entries; lines are (account, signed amount, dims) with debit positive."""

    postings: list[Posting] = field(default_factory=list)
    batches: int = 0

    def book(self, entity: str, day: date, lines: list[tuple[str, str, dict]], *, doc: str | None = None,
             journal: str = "GJ", title: str = "", memo: str = "") -> str:
        total = sum((D(a) for _, a, _ in lines), D(0))
        assert total == 0, f"test entry out of balance by {total}"
        self.batches += 1
        batch = f"{entity}-{self.batches:05d}"
        for account, amount, dims in lines:
            amt = D(amount)
            self.postings.append(Posting(
                record_no=str(100000 + len(self.postings)), entity=entity, entry_date=day, journal=journal,
                batch_no=batch, batch_title=title or memo, account_no=account, tr_type=1 if amt > 0 else -1,
                amount=abs(amt), memo=memo, dims=dims, currency=CURRENCY[entity], document=doc))
        return batch

    def charge(self, seller: str, buyer: str, day: date, seller_amt: str, buyer_amt: str, *, doc: str | None,
               buyer_day: date | None = None, buyer_due: str | None = None, seller_due: str | None = None) -> tuple:
        """seller Dr Due From buyer / Cr 4300; buyer Dr 6950 / Cr Due To seller (or ``buyer_due``)."""
        due_from = seller_due or {"US1": "1310", "GB1": "1320", "EU1": "1330"}[buyer]
        due_to = buyer_due or {"US1": "2310", "GB1": "2320", "EU1": "2330"}[seller]
        hq = {"US1": "NYC", "GB1": "LON", "EU1": "BER"}
        s = self.book(seller, day, [(due_from, seller_amt, {}), ("4300", f"-{seller_amt}", {"location": hq[seller]})],
                      doc=doc, journal="ICJ", memo=f"IC charge {doc or ''}".strip())
        b = None
        if buyer_amt is not None:
            b = self.book(buyer, buyer_day or day, [("6950", buyer_amt, {"department": "FIN", "location": hq[buyer]}),
                                                    (due_to, f"-{buyer_amt}", {})],
                          doc=doc, journal="ICJ", memo=f"IC charge {doc or ''}".strip())
        return s, b


def books_of(company: Company, ledger: Ledger, root: Path | None = None) -> Books:
    return Books(name=company.name, company=company, postings=list(ledger.postings), root=root)


def write_rates(path: Path, rates: dict | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["month", "currency", "usd_per_unit"])
        for (cur, month), rate in sorted((rates or RATES).items(), key=lambda kv: (kv[0][1], kv[0][0])):
            w.writerow([f"{month}-01", cur, str(rate)])
        for month in sorted({m for _, m in (rates or RATES)}):
            w.writerow([f"{month}-01", "USD", "1.0000"])
    return path


def write_csv(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def write_group(data_dir: Path, company: Company, ledger: Ledger, *, rates: bool = True) -> Path:
    """The company as readByQuery pages under data_dir/companies/<name>, with extras/fx_rates.csv."""
    from copilot.formats.company_dir import write_company_dir

    root = data_dir / "companies" / company.name
    write_company_dir(root, company, ledger.postings)
    if rates:
        write_rates(root / "extras" / "fx_rates.csv")
    return root
