"""Month-end work: opening balances, depreciation (FA-3), prepaid amortization (CP-5), accruals (CP-6)
and cost allocations (CA-2 floor space, CA-3 headcount, CA-4 revenue share).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from copilot.demo.chart import FLOOR_PLAN, USEFUL_LIFE_MONTHS, saas_account
from copilot.demo.context import Asset, Ctx
from copilot.demo.ledger import ZERO, Entry, Line, month_end, q, split

ASSET_NAME = {"1500": "Computer Equipment", "1510": "Furniture & Fixtures", "1520": "Leasehold Improvements"}
OPENING_CASH = {"US01": ("8450000", "620000"), "UK01": ("1180000", "140000"), "DE01": ("5400000", "95000")}
OPENING_ASSETS = {"US01": [("1500", 380000), ("1510", 520000), ("1520", 1400000)],
                  "UK01": [("1500", 60000), ("1510", 90000), ("1520", 240000)],
                  "DE01": [("1500", 70000), ("1510", 60000), ("1520", 150000)]}


def _gj_created(d: date, days: int = 3) -> datetime:
    return datetime(d.year, d.month, d.day, 18) + timedelta(days=days)


def months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def opening_balances(ctx: Ctx) -> None:
    rng = ctx.rng("opening")
    start = ctx.months[0]
    for entity in ("US01", "UK01", "DE01"):
        hq = ctx.hq(entity)
        cash, payroll_cash = OPENING_CASH[entity]
        lines = [Line("1000", Decimal(cash), "Opening balance", {"location": hq}),
                 Line("1010", Decimal(payroll_cash), "Opening balance", {"location": hq})]
        if entity == "US01":
            lines.append(Line("1020", Decimal("5000000"), "Opening balance", {}))
        offices = [loc for loc in FLOOR_PLAN if _entity_of(loc) == entity]
        for acct, total in OPENING_ASSETS[entity]:
            for loc, part in split(ctx.local(total, entity), [(loc, sum(FLOOR_PLAN[loc].values())) for loc in offices]):
                # Each opening pool is one asset bought 1-33 months earlier; its depreciation continues.
                acquired = start - timedelta(days=30 * rng.randint(1, 33))
                a = Asset(entity, acct, acquired, part, "FAC", loc, f"Opening {ASSET_NAME[acct]} {loc}")
                ctx.assets.append(a)
                life = USEFUL_LIFE_MONTHS[acct]
                used = min(life, max(0, months_between(acquired, start) - 1))
                lines.append(Line(acct, part, f"Opening balance {ASSET_NAME[acct]}", {"location": loc}))
                lines.append(Line("1590", -q(part * used / life), f"Opening accumulated depreciation", {"location": loc}))
            lines.append(Line("1600", ctx.local(60000, entity), "Opening security deposits", {"location": hq}))
        for (cid, cls), amt in sorted(ctx.opening_deferred.items()):
            cust = next(c for c in ctx.custs if c.cust_id == cid)
            if cust.entity == entity:
                lines.append(Line("2300", -amt, "Opening deferred revenue", {"customer": cid, "class": cls}))
        if entity == "US01":
            lines.append(Line("3000", Decimal("-12500"), "Opening balance", {}))
            lines.append(Line("3100", Decimal("-48750000"), "Opening balance", {}))
        else:
            lines.append(Line("3000", -ctx.local(100000, entity), "Opening balance share capital", {}))
        plug = -sum((ln.amount for ln in lines), ZERO)
        lines.append(Line("3200", plug, "Opening retained earnings", {}))
        ctx.book.add(Entry(entity, start, "GJ", "Opening balances", lines, source="opening", user="controller",
                           created=datetime(start.year, start.month, start.day, 6)))


def _entity_of(loc: str) -> str:
    return {"NYC": "US01", "SFO": "US01", "AUS": "US01", "LON": "UK01", "MAN": "UK01", "BER": "DE01",
            "MUC": "DE01"}.get(loc, "US01")


def run_depreciation(ctx: Ctx) -> None:
    """FA-3.1/3.2: straight line over the class life, from the month after acquisition."""
    for m in ctx.months:
        end = month_end(m)
        for entity in ("US01", "UK01", "DE01"):
            groups: dict[tuple[str, str, str], Decimal] = {}
            for a in ctx.assets:
                if a.entity != entity:
                    continue
                life = USEFUL_LIFE_MONTHS[a.account]
                k = months_between(a.acquired, m)  # 1 = first month of depreciation
                if k < 1 or k > life:
                    continue
                monthly = q(a.cost / life)
                amt = a.cost - monthly * (life - 1) if k == life else monthly
                key = (a.account, a.dept, a.loc)
                groups[key] = groups.get(key, ZERO) + amt
            lines = []
            for (acct, dept, loc), amt in sorted(groups.items()):
                memo = f"Depreciation {m:%b %Y} - {ASSET_NAME[acct]}"
                lines.append(Line("6800", amt, memo, {"department": dept, "location": loc}))
                lines.append(Line("1590", -amt, memo, {"location": loc}))
            if lines:
                ctx.book.add(Entry(entity, end, "GJ", f"Depreciation {m:%b %Y}", lines, source="depreciation",
                                   created=_gj_created(end), user="fa.system"))


def run_amortization(ctx: Ctx) -> None:
    """CP-5.1/5.3: prepaids amortize monthly from the invoice month; SaaS follows CP-4.3 on the date."""
    by_month: dict[tuple[str, date], list[Line]] = {}
    last = ctx.months[-1]
    for acct, on, amount, n, entity, dims, kind, text in ctx.prepaids:
        parts = [q(amount / n)] * (n - 1)
        parts.append(amount - sum(parts, ZERO))
        m = on.replace(day=1)
        for part in parts:
            if m > last:
                break
            expense = {"saas": saas_account(m), "license": "6400", "insurance": "6700"}[kind]
            memo = f"Amortize {text} {m:%b %Y}"
            by_month.setdefault((entity, m), []).extend([Line(expense, part, memo, dict(dims)),
                                                         Line(acct, -part, memo, {"vendor": dims.get("vendor", "")})])
            m = month_end(m) + timedelta(days=1)
    for (entity, m), lines in sorted(by_month.items()):
        end = month_end(m)
        ctx.book.add(Entry(entity, end, "GJ", f"Prepaid amortization {m:%b %Y}", lines, source="amortization",
                           created=_gj_created(end, 2), user="controller"))


def run_accruals(ctx: Ctx) -> None:
    """CP-6.1: usage and services billed after month end are accrued at month end and reversed on day 1."""
    rng = ctx.rng("accruals")
    first = ctx.months[0]
    for bill in list(ctx.bills):
        if bill.vendor.kind not in ("hosting", "subcontractor") or bill.on.day > 12:
            continue
        service_month = (bill.on.replace(day=1) - timedelta(days=1)).replace(day=1)
        if service_month < first:
            continue
        end = month_end(service_month)
        factor = Decimal(str(round(rng.uniform(0.93, 1.07), 3)))
        acc, rev = [], []
        total = ZERO
        for ln in bill.lines:
            amt = q(ln.amount * factor)
            memo = f"Accrue {bill.vendor.name.split(',')[0]} {service_month:%b %Y} est."
            acc.append(Line(ln.account, amt, memo, dict(ln.dims)))
            rev.append(Line(ln.account, -amt, f"Reverse: {memo}", dict(ln.dims)))
            total += amt
        acc.append(Line("2050", -total, f"Accrued {bill.vendor.name.split(',')[0]} {service_month:%b %Y}", {}))
        rev.append(Line("2050", total, f"Reverse accrual {bill.vendor.name.split(',')[0]}", {}))
        ctx.book.add(Entry(bill.entity, end, "GJ", f"Accrual {bill.vendor.name[:40]} {service_month:%b %Y}", acc,
                           source="accrual", created=_gj_created(end, 2), user="controller"))
        nxt = end + timedelta(days=1)
        ctx.book.add(Entry(bill.entity, nxt, "GJ", f"Reversal accrual {bill.vendor.name[:40]} {service_month:%b %Y}",
                           rev, source="accrual", created=_gj_created(end, 2), user="controller"))


def cost_index(ctx: Ctx, accounts: set[str]) -> dict[tuple, Decimal]:
    """Sum of posted lines by (entity, month, account, department, location, class) for some accounts."""
    idx: dict[tuple, Decimal] = {}
    for e in ctx.book.entries:
        if e.source in ("allocation", "ic", "opening"):
            continue
        m = e.date.replace(day=1)
        for ln in e.lines:
            if ln.account in accounts:
                key = (e.entity, m, ln.account, ln.dims.get("department"), ln.dims.get("location"), ln.dims.get("class"))
                idx[key] = idx.get(key, ZERO) + ln.amount
    return idx


def run_allocations(ctx: Ctx, revenue_by_class: dict) -> None:
    idx = cost_index(ctx, {"6200", "6210", "6400", "6410", "5100"})
    shared_data = sorted(((k, v) for k, v in idx.items() if k[2] == "5100" and k[5] == "CORP"), key=lambda kv: str(kv[0]))
    for m in ctx.months:
        end = month_end(m)
        for entity in ("US01", "UK01", "DE01"):
            lines: list[Line] = []
            # CA-2: rent and utilities at each office follow the floor plan.
            for loc, plan in FLOOR_PLAN.items():
                if _entity_of(loc) != entity:
                    continue
                for acct, what in (("6200", "rent"), ("6210", "utilities")):
                    total = idx.get((entity, m, acct, "FAC", loc, None), ZERO)
                    if total <= 0:
                        continue
                    memo = f"CA-2 {what} allocation {m:%b %Y} by sq ft"
                    lines.append(Line(acct, -total, memo, {"department": "FAC", "location": loc}))
                    for dept, amt in split(total, sorted(plan.items())):
                        lines.append(Line(acct, amt, memo, {"department": dept, "location": loc}))
            # CA-3: company-wide software in IT is shared by headcount; US01 keeps its own share only.
            if entity == "US01":
                group = ctx.headcount(None, end)
                us_staff = ctx.staff("US01", end)
                for acct in ("6400", "6410"):
                    total = idx.get(("US01", m, acct, "IT", "NYC", None), ZERO)
                    if total <= 0 or not group:
                        continue
                    us_share = q(total * len(us_staff) / group)
                    heads: dict[str, int] = {}
                    for e in us_staff:
                        heads[e.dept] = heads.get(e.dept, 0) + 1
                    memo = f"CA-3 shared software allocation {m:%b %Y} by headcount"
                    lines.append(Line(acct, -us_share, memo, {"department": "IT", "location": "NYC"}))
                    for dept, amt in split(us_share, sorted(heads.items())):
                        lines.append(Line(acct, amt, memo, {"department": dept, "location": "NYC"}))
                    ctx.recharge_base[(m, acct)] = total - us_share  # IC-4.1 recharges the rest
            # CA-4: shared data costs follow the month's subscription revenue by class.
            for (ent, mm, acct, dept, loc, cls), total in shared_data:
                if ent != entity or mm != m or total <= 0:
                    continue
                rev = revenue_by_class.get((entity, m), {})
                weights = [(c, rev.get(c, ZERO)) for c in ("PLAT", "ANLY")]
                if sum(w for _, w in weights) <= 0:
                    weights = [("PLAT", Decimal(1))]
                memo = f"CA-4 data cost allocation {m:%b %Y} by revenue"
                lines.append(Line("5100", -total, memo, {"department": dept, "location": loc, "class": "CORP"}))
                for cls2, amt in split(total, weights):
                    lines.append(Line("5100", amt, memo, {"department": dept, "location": loc, "class": cls2}))
            if lines:
                ctx.book.add(Entry(entity, end, "GJ", f"Cost allocations {m:%b %Y}", lines, source="allocation",
                                   created=_gj_created(end, 4), user="controller"))
