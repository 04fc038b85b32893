"""Payroll by department and location, the bonus accrual, benefit carriers, and the PS labour reclass.

US01 pays semi-monthly (15th and last business day), UK01 on the 25th, DE01 on the last business day.
Payroll journals are summarized per department x location, the way a payroll provider's GL file is.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from copilot.demo.chart import STANDARD_COST_RATE
from copilot.demo.context import Ctx
from copilot.demo.ledger import ZERO, Entry, Line, business_day, month_end, q

EMPLOYER_TAX = {"US01": Decimal("0.083"), "UK01": Decimal("0.138"), "DE01": Decimal("0.205")}
WITHHOLDING = {"US01": Decimal("0.29"), "UK01": Decimal("0.31"), "DE01": Decimal("0.36")}
BENEFITS_PER_HEAD = Decimal("430")  # US01 employer medical/dental per head per run
MATCH_401K = Decimal("0.04")
BONUS_RATE = Decimal("0.10")


def pay_dates(entity: str, m: date) -> list[date]:
    end = month_end(m)
    if entity == "US01":
        return [business_day(m.replace(day=15), back=True), business_day(end, back=True)]
    if entity == "UK01":
        return [business_day(m.replace(day=25), back=True)]
    return [business_day(end, back=True)]


def run_payroll(ctx: Ctx) -> None:
    rng = ctx.rng("payroll")
    bonus_accrued = {k: ZERO for k in ("US01", "UK01", "DE01")}
    for m in ctx.months:
        for entity in ("US01", "UK01", "DE01"):
            dates = pay_dates(entity, m)
            for k, on in enumerate(dates):
                staff = [e for e in ctx.staff(entity, on)]
                groups: dict[tuple[str, str], Decimal] = {}
                for e in staff:
                    gross = q(e.salary / (24 if entity == "US01" else 12))
                    groups[(e.dept, e.loc)] = groups.get((e.dept, e.loc), ZERO) + gross
                lines: list[Line] = []
                total_gross = ZERO
                benefits = ZERO
                heads = {}
                for e in staff:
                    heads[(e.dept, e.loc)] = heads.get((e.dept, e.loc), 0) + 1
                period = f"{on:%m/%d/%Y}"
                for (dept, loc), gross in sorted(groups.items()):
                    dims = {"department": dept, "location": loc}
                    lines.append(Line("6000", gross, f"Payroll {period} - salaries", dims))
                    if dept == "SALES" and k == len(dates) - 1:  # monthly commissions on the last run
                        comm = q(gross * Decimal(str(round(rng.uniform(0.12, 0.35), 3))))
                        lines.append(Line("6010", comm, f"Payroll {period} - commissions", dims))
                        gross += comm
                    total_gross += gross
                    lines.append(Line("6020", q(gross * EMPLOYER_TAX[entity]), f"Payroll {period} - employer taxes", dims))
                    if entity == "US01":
                        ben = BENEFITS_PER_HEAD * heads[(dept, loc)]
                        benefits += ben
                        lines.append(Line("6030", ben, f"Payroll {period} - employer benefits", dims))
                        match = q(gross * MATCH_401K)
                        benefits += match
                        lines.append(Line("6040", match, f"Payroll {period} - 401k match", dims))
                # March: the annual bonus accrued last year is paid out (PC-3.1 / CP-8.3).
                if m.month == 3 and k == len(dates) - 1 and bonus_accrued[entity] > 0:
                    payout = bonus_accrued[entity]
                    lines.append(Line("2100", payout, f"Annual bonus payout {m.year - 1}", {}))
                    total_gross += payout
                    bonus_accrued[entity] = ZERO
                withheld = q(total_gross * WITHHOLDING[entity])
                employee_benefits = q(Decimal(len(staff)) * Decimal("180")) if entity == "US01" else ZERO
                deferral = q(total_gross * Decimal("0.05")) if entity == "US01" else ZERO
                net = total_gross - withheld - employee_benefits - deferral
                employer_tax = sum((ln.amount for ln in lines if ln.account == "6020"), ZERO)
                lines.append(Line("1010", -net, f"Net pay {period}", {"location": ctx.hq(entity)}))
                lines.append(Line("2110", -(withheld + employer_tax), f"Payroll taxes {period}", {}))
                due_2120 = benefits + employee_benefits + deferral
                if due_2120:
                    lines.append(Line("2120", -due_2120, f"Benefits & 401k withholding {period}", {}))
                created = datetime(on.year, on.month, on.day, 9) - timedelta(days=2)
                entry = ctx.book.add(Entry(entity, on, "PYJ", f"Payroll {period}", lines, created=created,
                                           source="payroll", user="payroll.import"))
                key = (entity, m)
                k401 = deferral + sum((ln.amount for ln in lines if ln.account == "6040"), ZERO)
                ctx.benefits_due[key] = ctx.benefits_due.get(key, ZERO) + due_2120 - k401  # carriers' part
                ctx.payroll_runs.append((entity, on, net, withheld + employer_tax, k401, entry))
            # Bonus accrual at month end (CP-8.3): 10 % of the month's salaries, by department.
            end = month_end(m)
            acc_lines = []
            groups2: dict[tuple[str, str], Decimal] = {}
            for e in ctx.staff(entity, end):
                groups2[(e.dept, e.loc)] = groups2.get((e.dept, e.loc), ZERO) + q(e.salary / 12 * BONUS_RATE)
            total = ZERO
            for (dept, loc), amt in sorted(groups2.items()):
                acc_lines.append(Line("6010", amt, f"Bonus accrual {m:%b %Y}", {"department": dept, "location": loc}))
                total += amt
            acc_lines.append(Line("2100", -total, f"Bonus accrual {m:%b %Y}", {}))
            bonus_accrued[entity] += total
            ctx.book.add(Entry(entity, end, "GJ", f"Bonus accrual {m:%b %Y}", acc_lines, source="accrual",
                               created=datetime(end.year, end.month, end.day, 18) + timedelta(days=2),
                               user="controller"))


def run_benefit_carriers(ctx: Ctx, post) -> None:
    """CP-8.1: carrier invoices clear Benefits Payable (2120); their shares of it are fixed."""
    rng = ctx.rng("benefit-carriers")
    carriers = [v for v in ctx.vends if v.kind == "benefits"]
    last = month_end(ctx.months[-1])
    for m in ctx.months:
        due = ctx.benefits_due.get(("US01", m), ZERO)
        for v in carriers:
            on = business_day(m.replace(day=min(v.day, 20)))
            if on > last or not v.live(on):
                continue
            amt = q(due * Decimal(v.params["share"]))
            memo = f"{v.params['what']} {m:%B %Y} - group {int(v.vendor_id[1:]) * 7 % 100000:05d}"
            ln = ctx.coded("2120", amt, memo, {}, "CP-8.1", "US01", on, rng)
            post(v, "US01", on, [ln], f"{v.name} {m:%b %Y} premium")


def run_labor_reclass(ctx: Ctx) -> None:
    """CA-5.1: billable PS hours x standard cost rate move from salaries to cost of services by project."""
    for m in ctx.months:
        end = month_end(m)
        for entity in ("US01", "UK01", "DE01"):
            lines = []
            for p in ctx.projs:
                if p.entity != entity or p.kind != "client":
                    continue
                hours = ctx.ts.by_month.get((p.proj_id, m))
                if not hours:
                    continue
                by_loc: dict[str, Decimal] = {}
                for eid, h in sorted(hours.items()):
                    loc = ctx.emp_by_id[eid].loc
                    by_loc[loc] = by_loc.get(loc, ZERO) + h
                for loc, h in sorted(by_loc.items()):
                    amt = q(h * STANDARD_COST_RATE[entity])
                    memo = f"Labor reclass {m:%b %Y} - {h} hrs @ std rate"
                    lines.append(Line("5250", amt, memo, {"department": "PS", "location": loc, "project": p.proj_id,
                                                          "class": "SVCS"}))
                    lines.append(Line("6000", -amt, memo, {"department": "PS", "location": loc}))
            if lines:
                ctx.book.add(Entry(entity, end, "GJ", f"PS labor reclass {m:%b %Y}", lines, source="allocation",
                                   created=datetime(end.year, end.month, end.day, 18) + timedelta(days=3),
                                   user="controller"))
