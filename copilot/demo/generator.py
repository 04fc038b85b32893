"""The demo company: Harborview Analytics, a SaaS + services group with three entities.

``generate_demo(seed, months, start)`` builds it in memory (seeded: the same arguments give the same
company, postings and extras, byte for byte once written); ``write_demo`` writes it as Intacct
readByQuery pages (``intacct/<OBJECT>/page-NNNN.xml``, via copilot.formats.company_dir) plus the
labelled side tables in ``extras/`` (documented in extras/README.md, written with them).

What is in it
-------------
- Entities US01 (USD, parent), UK01 (GBP) and DE01 (EUR); one shared chart of ~90 accounts with
  REQUIREDEPT/REQUIRELOC/REQUIREPROJECT/... flags (chart.py), a few retired (inactive) accounts,
  departments, entity-owned locations, classes (product lines) and one custom dimension, GLDIMCHANNEL,
  required on revenue and marketing accounts.
- People hired and leaving over time, customers won and lost, 40+ projects (client implementations
  with SOW numbers and budgets, internal R&D and office projects), 300+ vendors of which about half
  arrive during the history (so the last months always bring vendors never seen before), and daily
  timesheets for consultants and R&D engineers.
- GL history for every month: AP bills for every vendor kind (spend.py, products.py, services.py),
  corporate-card charges, travel-agency statements and expense reports (travel.py), payroll by
  department x location with taxes, benefits, 401k and the bonus accrual (payroll.py), subscription
  and services invoicing with deferred revenue (revenue.py), depreciation, prepaid amortization,
  accruals with reversals and cost allocations (closing.py), intercompany charges and settlements
  (intercompany.py), payments, receipts, payroll funding, VAT and sales-tax returns, a Series C round
  and bank-coded items (payments.py). Every entry balances to the cent in its entity's currency
  (ledger.Book refuses anything else). Trailing invoices (subcontractors, travel-agency statements)
  arrive up to six weeks after a project ends and travel is booked up to three weeks before it starts.

The coding rules (each line records the policy clause it follows; policies/*.md state them)
-------------------------------------------------------------------------------------------
- The account follows the item, not the vendor: Amazon, Microsoft, Google, LinkedIn, Apple, Adobe,
  Upwork, Gartner and 4imprint sell things coded to different accounts and departments (products.py);
  hosting is COGS 5000 for production and 6420 for development, by the linked account in the memo
  (CP-3.1/3.2); legal fees go to the department of the matter (CP-9.2).
- Policy change on 2024-01-01 (month 13 of the default history): SaaS subscriptions move from 6400 to
  6410 (CP-4.3; perpetual licences stay on 6400, CP-4.4) and the capitalization threshold doubles
  (FA-2.1: USD 2,500 -> 5,000, GBP 2,000 -> 4,000, EUR 2,300 -> 4,600), per unit: the same laptop is
  capitalized in 2023 and expensed in 2024.
- Department from a person: card and expense lines carry the cardholder's department and location;
  placement fees go to the hiring department (CP-10.1); laptops to the new hire's department (FA-2.2).
- Project from a timesheet: a consultant's travel in a week with billable hours carries the project
  with the most hours that week (TE-3.2); subcontractors are cost of services on the project they
  worked on, and move between projects (CP-2.1).
- Meals with clients or while travelling are 6130, meals with colleagues 6140 (TE-4.1/4.2); the sales
  kickoff is a team event even at a venue that usually hosts marketing events (CP-7.4).
- Seasonality and one-offs: bonus accrual paid in March, December parties, Q4 advertising, annual
  renewals, insurance prepaid and amortized, trade shows in their months, office fit-out projects
  capitalized as leasehold improvements (FA-2.4).
- Allocations (CA-2 floor space, CA-3 headcount, CA-4 revenue share, CA-5 timesheet hours) and
  intercompany charges (IC-2 fixed shares of the G&A pool + 5 %, IC-3 cost + 8 %, IC-4 recharges).

What is wrong in it, on purpose and labelled
--------------------------------------------
- Noise (extras/coding_truth.csv, column noise): about 3-4 % of human-coded lines are coded
  plausibly but against policy (neighbouring department, sibling account, old SaaS account during the
  transition, another office, a forgotten optional project); the policy coding is recorded.
- Anomalies (extras/anomaly_labels.csv, about 0.5-1 % of posting lines): duplicate bills, decimal-
  slip outliers, round unsupported manual entries, suspense postings, never-seen account-department
  combinations, weekend entries, entries into closed periods, codes of another entity, retired codes.
- Intercompany pairs (extras/intercompany_pairs.csv): mostly matched; some with FX differences,
  timing differences, a missing side or the wrong due-to account.
- Bank feed (extras/bank_feed.csv): raw descriptions, masked cards, one payment for several bills,
  partial payments, Stripe payouts net of fees, unmatched lines.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Callable, Iterable, Iterator

from copilot.demo import (closing, extras, intercompany, payments, payroll, products, revenue, services, spend,
                          travel)
from copilot.demo.anomalies import Injector, Noise, close_date
from copilot.demo.chart import COMPANY_NAME, ENTITIES, build_accounts, build_dimensions
from copilot.demo.context import Ctx
from copilot.demo.ledger import Book, FxRates, month_end, month_starts
from copilot.demo.masters import (build_customers, build_employees, build_projects, build_timesheets,
                                  build_vendors)
from copilot.domain import Company, Customer, Employee, Posting, Project, Vendor
from copilot.errors import InputError
from copilot.formats.common import bulk_load

DEFAULT_START = date(2023, 1, 1)
VENDOR_TYPES = {"saas": "Software", "license": "Software", "hosting": "Cloud", "data": "Data", "multi": "Multi-product",
                "telecom_mobile": "Telecom", "telecom_net": "Telecom", "utility": "Utilities", "rent": "Landlord",
                "facility": "Facilities", "supplies": "Supplies", "equipment": "Hardware", "furniture": "Furniture",
                "audit": "Professional Services", "payroll_svc": "Payroll", "benefits": "Benefits",
                "benefits_direct": "Benefits", "insurance": "Insurance", "legal": "Legal", "recruiting": "Recruiting",
                "ads": "Marketing", "events": "Events", "agency": "Marketing", "training": "Training",
                "membership": "Membership", "rd": "Electronics", "shipping": "Logistics",
                "travel_agency": "Travel", "catering": "Catering", "govt": "Government", "consulting": "Consulting",
                "subcontractor": "Contractor", "it_services": "IT Services"}
STEPS = ["master data", "timesheets", "AP bills", "projects & hires", "travel & cards", "payroll", "revenue",
         "month-end", "intercompany", "cash & bank", "anomalies", "postings"]

Progress = Callable[[str], None]


@dataclass
class DemoCompany:
    company: Company
    postings: list[Posting]
    tables: dict[str, list[dict]]  # extras/<name>.csv
    extra_objects: dict[str, list[dict]]  # written as intacct/<OBJECT> pages
    manifest: dict
    ctx: Ctx = field(repr=False)


def generate_demo(seed: int = 7, months: int = 24, start: date | None = None,
                  progress: Progress | None = None) -> DemoCompany:
    """Build the demo company in memory. ``months`` of history from ``start`` (default 2023-01-01)."""
    if months < 1 or months > 120:
        raise InputError("months must be between 1 and 120", field="months")
    # Hundreds of thousands of small acyclic objects: full GC passes would walk them again and again.
    with bulk_load():
        return _generate(seed, months, start, progress)


def _generate(seed: int, months: int, start: date | None, progress: Progress | None) -> DemoCompany:
    start = (start or DEFAULT_START).replace(day=1)
    step = progress or (lambda _name: None)
    mlist = month_starts(start, months)

    step("master data")
    emps = build_employees(_rng(seed, "employees"), mlist)
    custs = build_customers(_rng(seed, "customers"), mlist)
    projs = build_projects(_rng(seed, "projects"), mlist, custs)
    vends = build_vendors(_rng(seed, "vendors"), mlist)
    step("timesheets")
    ts = build_timesheets(_rng(seed, "timesheets"), mlist, emps, projs)
    ctx = Ctx(seed=seed, months=mlist, book=Book(), fx=FxRates(seed, mlist), emps=emps, custs=custs, projs=projs,
              vends=vends, ts=ts, noise=Noise())
    docs = spend.DocNumbers()

    def post(v, entity, on, lines, description):
        return ctx.post_bill(v, entity, on, lines, docs.next(v, on), description)

    step("AP bills")
    spend.run_ap(ctx, docs)
    step("projects & hires")
    products.new_hire_orders(ctx, post)
    services.run_subcontractors(ctx, post)
    services.run_recruiting(ctx, post)
    step("travel & cards")
    travel.run_travel_and_cards(ctx, post)
    step("payroll")
    payroll.run_payroll(ctx)
    payroll.run_benefit_carriers(ctx, post)
    payroll.run_labor_reclass(ctx)
    step("revenue")
    by_class = revenue.run_revenue(ctx)
    closing.opening_balances(ctx)
    injector = Injector(ctx)
    injector.duplicates()
    injector.outliers()
    step("month-end")
    closing.run_depreciation(ctx)
    closing.run_amortization(ctx)
    closing.run_accruals(ctx)
    closing.run_allocations(ctx, by_class)
    step("intercompany")
    intercompany.run_intercompany(ctx)
    step("cash & bank")
    payments.run_ap_payments(ctx)
    payments.run_ar_receipts(ctx)
    payments.run_card_and_reimbursements(ctx)
    payments.run_payroll_cash(ctx)
    payments.run_bank_coded(ctx)
    payments.run_treasury(ctx)
    step("anomalies")
    injector.manual_entries()
    injector.line_anomalies()
    _respect_close(ctx)
    step("postings")
    ctx.book.number()
    postings = ctx.book.postings()
    company = build_company(ctx)
    bills, bill_lines, apbill_rows = extras.bill_tables(ctx)
    invoices, arinvoice_rows = extras.invoice_tables(ctx)
    labels = extras.anomaly_table(injector.labels)
    truth = extras.truth_table(ctx, injector.labels)
    tables = {"ap_bills": bills, "ap_bill_lines": bill_lines, "ar_invoices": invoices,
              "bank_feed": extras.bank_table(ctx), "intercompany_pairs": extras.ic_table(ctx),
              "timesheets": extras.timesheet_table(ctx), "employees": extras.employee_table(ctx),
              "anomaly_labels": labels, "coding_truth": truth, "fx_rates": extras.fx_table(ctx),
              "close_calendar": extras.close_table(ctx)}
    noisy = sum(1 for r in truth if r["noise"])
    manifest = {
        "company": COMPANY_NAME, "seed": seed, "months": months, "start": start.isoformat(),
        "end": month_end(mlist[-1]).isoformat(), "entities": list(ENTITIES),
        "counts": {"postings": len(postings), "entries": len(ctx.book.entries), "accounts": len(company.accounts),
                   "vendors": len(company.vendors), "customers": len(company.customers),
                   "employees": len(company.employees), "projects": len(company.projects),
                   **{name: len(rows) for name, rows in tables.items()}},
        "noise_rate": round(noisy / max(1, len(truth)), 4),
        "anomaly_rate": round(len(labels) / max(1, len(postings)), 4),
    }
    return DemoCompany(company=company, postings=postings, tables=tables,
                       extra_objects={"APBILL": apbill_rows, "ARINVOICE": arinvoice_rows}, manifest=manifest, ctx=ctx)


def _rng(seed: int, name: str):
    import random
    return random.Random(f"{seed}-{name}")


def _respect_close(ctx: Ctx) -> None:
    """PC-1.3: nothing is posted into a closed period, except the labelled after-close entries."""
    for e in ctx.book.entries:
        if e.meta.get("anomaly") == "after_close":
            continue
        limit = close_date(e.date.replace(day=1)) - timedelta(hours=2)
        if e.created > limit:
            e.created = max(limit, datetime.combine(e.date, time(8, 0)))


def build_company(ctx: Ctx) -> Company:
    last = month_end(ctx.months[-1])
    company = Company(name=COMPANY_NAME, entities=dict(ENTITIES), accounts=build_accounts(),
                      dimensions=build_dimensions())
    for v in ctx.vends:
        company.vendors[v.vendor_id] = Vendor(
            vendor_id=v.vendor_id, name=v.name, status="inactive" if v.offboard and v.offboard <= last else "active",
            vendor_type=VENDOR_TYPES[v.kind.split(":")[0]], entities=v.entities,
            extra={"WHENCREATED": f"{min(v.onboard, last):%m/%d/%Y}"})
    for c in ctx.custs:
        company.customers[c.cust_id] = Customer(customer_id=c.cust_id, name=c.name,
                                                status="inactive" if c.last and c.last < last.replace(day=1) else "active",
                                                entities=(c.entity,))
    for e in ctx.emps:
        company.employees[e.emp_id] = Employee(employee_id=e.emp_id, name=e.name, department=e.dept, location=e.loc,
                                               status="inactive" if e.left and e.left <= last else "active")
    for p in ctx.projs:
        company.projects[p.proj_id] = Project(
            project_id=p.proj_id, name=p.name, status="active" if p.end >= last else "inactive",
            customer_id=p.cust.cust_id if p.cust else None, department=p.dept, location=p.loc, budget=p.budget,
            currency=ctx.currency(p.entity), start_date=p.start, end_date=p.end, entities=(p.entity,))
    return company


_STAMP = re.compile(rb"<sessiontimestamp>[^<]*</sessiontimestamp><sessiontimeout>[^<]*</sessiontimeout>")


def _pin_session_times(base: Path, day: date) -> None:
    """Response pages carry the session time of the export; pin it to the day after the history ends
    so the same seed gives the same bytes (an export taken that morning)."""
    stamp = (f"<sessiontimestamp>{day:%Y-%m-%d}T06:00:00+00:00</sessiontimestamp>"
             f"<sessiontimeout>{day + timedelta(days=1):%Y-%m-%d}T06:00:00+00:00</sessiontimeout>").encode()
    for page in sorted(base.rglob("page-*.xml")):
        data = page.read_bytes()
        head, tail = data[:4096], data[4096:]
        pinned = _STAMP.sub(stamp, head, count=1)
        if pinned != head:
            page.write_bytes(pinned + tail)


def write_demo(demo: DemoCompany, out_dir: Path | str, progress: Callable[[int], None] | None = None) -> Path:
    """Write the company directory: intacct/ pages (GLDETAIL and master data, APBILL, ARINVOICE) and
    extras/ CSVs with README.md and manifest.json. ``progress`` gets the number of postings written."""
    from copilot.formats.company_dir import write_company_dir

    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)

    def counted(rows: Iterable[Posting]) -> Iterator[Posting]:
        for n, p in enumerate(rows, 1):
            if progress and n % 2000 == 0:
                progress(2000)
            yield p

    write_company_dir(root, demo.company, counted(demo.postings), extra_objects=demo.extra_objects)
    _pin_session_times(root / "intacct", month_end(demo.ctx.months[-1]) + timedelta(days=1))
    if progress:
        progress(len(demo.postings) % 2000)
    ex = root / "extras"
    ex.mkdir(exist_ok=True)
    for name, rows in demo.tables.items():
        (ex / f"{name}.csv").write_text(extras.to_csv(rows), encoding="utf-8")
    (ex / "README.md").write_text(extras.README, encoding="utf-8")
    (ex / "manifest.json").write_text(json.dumps(demo.manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return root
