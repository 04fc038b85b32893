"""A small company and a year of deterministic history every validation test can reason about.

History (2024-07-01 .. 2025-06-30, US01 unless noted):
- vendor V1 office supplies on 6230 (SALES/ENG), 100-300; V2 equipment on 6450 (ENG), 500-2000;
- salaries on 6000 by department; labor 5250 split over projects P1/P2 70/30; subcontractors 5200 on P1;
- UK01 rent on 6200 at LON; every expense line balanced by AP 2000 (vendor) or accrued 2050;
- fixed facts for duplicate tests: H-DUP (V3, 432.10, 2025-06-10, doc INV-777, memo "Office supplies June order");
- project P3 (budget 1,000) has spent 900.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from copilot.domain import Account, Company, DimensionValue, Entity, JournalEntry, JournalLine, Posting, Project, Vendor
from copilot.validate.policy import CalendarRules, CloseCalendar, ScoringPolicy, load_rules
from copilot.validate.scoring import LineScorer
from copilot.validate.profile import HistoryProfile
from copilot.settings import ROOT

START, END = date(2024, 7, 1), date(2025, 6, 30)
AS_OF = date(2025, 7, 3)


def build_company() -> Company:
    def acct(no, title, kind="incomestatement", normal="debit", req=(), status="active"):
        return Account(account_no=no, title=title, account_type=kind, normal_balance=normal,
                       required_dimensions=frozenset(req), status=status)

    accounts = [
        acct("1500", "Computer Equipment", "balancesheet"),
        acct("1510", "Furniture & Fixtures", "balancesheet"),
        acct("2000", "Accounts Payable", "balancesheet", "credit", ("vendor",)),
        acct("2050", "Accrued Expenses", "balancesheet", "credit"),
        acct("5200", "Subcontractor Costs", req=("project",)),
        acct("5250", "Cost of Services - Labor", req=("project",)),
        acct("6000", "Salaries & Wages", req=("department",)),
        acct("6200", "Rent"),
        acct("6230", "Office Supplies"),
        acct("6450", "Non-capitalized Equipment & Furniture"),
        acct("6990", "Miscellaneous Expense (retired)", status="inactive"),
        acct("9999", "Suspense / Clearing", "balancesheet"),
    ]
    depts = {c: DimensionValue(dimension="department", code=c, name=c) for c in ("SALES", "ENG", "FIN", "LEGAL")}
    depts["OLD"] = DimensionValue(dimension="department", code="OLD", name="Old", status="inactive")
    locs = {"NYC": DimensionValue(dimension="location", code="NYC", name="New York", entities=("US01",)),
            "LON": DimensionValue(dimension="location", code="LON", name="London", entities=("UK01",))}
    vendors = {f"V{i}": Vendor(vendor_id=f"V{i}", name=f"Vendor {i}") for i in range(1, 6)}
    vendors["V9"] = Vendor(vendor_id="V9", name="Gone Ltd", status="inactive")
    projects = {"P1": Project(project_id="P1", name="Alpha", budget=Decimal("10000000")),
                "P2": Project(project_id="P2", name="Beta"),
                "P3": Project(project_id="P3", name="Gamma", budget=Decimal("1000"))}
    return Company(name="acme", accounts={a.account_no: a for a in accounts},
                   entities={"US01": Entity(entity_id="US01", name="Acme Inc"),
                             "UK01": Entity(entity_id="UK01", name="Acme Ltd", currency="GBP")},
                   dimensions={"department": depts, "location": locs}, vendors=vendors, projects=projects)


def build_history(seed: int = 11) -> list[Posting]:
    rng = random.Random(seed)
    out: list[Posting] = []
    n = 0

    def post(day, account, amount, tr, memo="", entity="US01", batch=None, doc=None, **dims):
        nonlocal n
        n += 1
        out.append(Posting(record_no=f"H{n}", entity=entity, entry_date=day, batch_no=batch or f"B{n}",
                           account_no=account, tr_type=tr, amount=Decimal(amount), memo=memo,
                           dims={k: v for k, v in dims.items() if v}, document=doc))

    def pair(day, account, amount, memo, vendor=None, entity="US01", credit="2000", doc=None, **dims):
        batch = f"B{len(out) + 1}"
        loc = "LON" if entity == "UK01" else "NYC"
        post(day, account, amount, 1, memo, entity, batch, doc, vendor=vendor, location=loc, **dims)
        post(day, credit, amount, -1, memo, entity, batch, doc, vendor=vendor if credit == "2000" else None,
             location=loc)

    day = START
    while day <= END:
        if day.weekday() < 5:
            for _ in range(3):
                amt = f"{rng.uniform(100, 300):.2f}"
                pair(day, "6230", amt, "office supplies order", "V1", department=rng.choice(["SALES", "ENG"]))
            if rng.random() < 0.5:
                pair(day, "6450", f"{rng.uniform(500, 2000):.2f}", "monitor arm and dock", "V2", department="ENG")
            if rng.random() < 0.3:
                pair(day, "6230", f"{rng.uniform(20, 80):.2f}", "paper and toner", "V4", department="FIN")
            if rng.random() < 0.4:
                hours = rng.randint(50, 150)
                total = Decimal(hours * 85)
                p1 = (total * Decimal("0.7")).quantize(Decimal("0.01"))
                batch = f"L{day.isoformat()}"
                post(day, "5250", str(p1), 1, "labor allocation", batch=batch, project="P1", location="NYC")
                post(day, "5250", str(total - p1), 1, "labor allocation", batch=batch, project="P2", location="NYC")
                post(day, "2050", str(total), -1, "labor allocation", batch=batch, location="NYC")
            if rng.random() < 0.2:
                pair(day, "5200", f"{rng.uniform(1000, 5000):.2f}", "subcontractor invoice", "V5", project="P1")
        if day.day == 28:
            for dept in ("SALES", "ENG", "FIN"):
                pair(day, "6000", f"{rng.uniform(40000, 60000):.2f}", "payroll", credit="2050", department=dept)
            pair(day, "6200", "8000.00", "office rent", "V3", entity="UK01")
        day += timedelta(days=1)
    pair(date(2025, 6, 10), "6230", "432.10", "Office supplies June order", "V3", doc="INV-777", department="SALES")
    pair(date(2025, 5, 2), "5200", "900.00", "subcontractor invoice", "V5", project="P3")
    return out


@pytest.fixture(scope="session")
def company() -> Company:
    return build_company()


@pytest.fixture(scope="session")
def history() -> list[Posting]:
    return build_history()


@pytest.fixture(scope="session")
def profile(history) -> HistoryProfile:
    prof = HistoryProfile.build(history)
    LineScorer(prof, ScoringPolicy()).fit_calibration(history)  # as copilot.validate.context does
    return prof


@pytest.fixture(scope="session")
def policy():
    return load_rules(ROOT / "policies" / "rules.yaml")


@pytest.fixture(scope="session")
def calendar() -> CloseCalendar:
    return CloseCalendar(default=CalendarRules(close_business_days=5, year_end_close_business_days=15,
                                               open_months=3, locked_through="2025-03", max_days_ahead=31))


def line(account: str, amount: str, tr: int = 1, memo: str = "", **dims) -> JournalLine:
    return JournalLine(account_no=account, amount=Decimal(amount), tr_type=tr, memo=memo,
                       dims={k: v for k, v in dims.items() if v})


def entry(*lines: JournalLine, day: date = date(2025, 7, 1), entity: str | None = "US01", **kw) -> JournalEntry:
    return JournalEntry(journal="GJ", batch_date=day, entity=entity, lines=list(lines), **kw)


def balanced(account: str, amount: str, memo: str = "", *, vendor: str | None = None, credit: str = "2000",
             day: date = date(2025, 7, 1), entity: str = "US01", **dims) -> JournalEntry:
    loc = "LON" if entity == "UK01" else "NYC"
    return entry(line(account, amount, 1, memo, vendor=vendor, location=loc, **dims),
                 line(credit, amount, -1, memo, vendor=vendor if credit == "2000" else None, location=loc),
                 day=day, entity=entity)
