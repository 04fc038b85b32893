"""Travel and expenses: trips, corporate-card charges, travel-agency statements, expense reports.

A trip drives its costs: airfare and hotel (booked through the travel agency or on the card), rides
and meals on the card. TE-3.2: an employee's travel in a week with billable timesheet hours carries the
project with the most hours that week; pre-sales travel carries none (TE-3.3).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from copilot.demo import vocab
from copilot.demo.chart import MILEAGE_RATE, saas_account
from copilot.demo.context import Ctx
from copilot.demo.ledger import Entry, Line, business_day, dec, month_end
from copilot.demo.masters import Emp
from copilot.demo.vocab import roughen

TRIPS_PER_MONTH = {"PS": 1.3, "SALES": 0.9, "EXEC": 0.8, "CS": 0.4, "MKTG": 0.3, "PROD": 0.12, "ENG": 0.05,
                   "FIN": 0.06, "HR": 0.08, "LEGAL": 0.1, "IT": 0.05, "OPS": 0.04, "SUP": 0.03, "FAC": 0.03}
CARD_SPEND = {"SALES": 5, "EXEC": 6, "PS": 3, "MKTG": 5, "CS": 3, "FAC": 7, "IT": 4, "HR": 3, "PROD": 2, "ENG": 1.5,
              "FIN": 2, "LEGAL": 2, "OPS": 1.5, "SUP": 1}
LOCAL_CATEGORIES = [("meal", 30), ("saas", 10), ("amazon", 12), ("tech", 5), ("office", 8), ("ship", 5),
                    ("learn", 6), ("gift", 3), ("stock", 2), ("ads", 2), ("ground", 17)]


@dataclass
class Trip:
    emp: Emp
    start: date
    nights: int
    city: str
    purpose: str  # client | presales | internal | conference
    project: str | None
    customer: str


_BY_CATEGORY: dict[tuple[str, str], list[str]] = {}
for _ent, _rows in vocab.MERCHANTS.items():
    for _t, _c in _rows:
        _BY_CATEGORY.setdefault((_ent, _c), []).append(_t)


def _merchant(rng: random.Random, entity: str, category: str) -> str:
    options = _BY_CATEGORY.get((entity, category)) or _BY_CATEGORY[("US01", category)]
    return vocab.descriptor(rng, rng.choice(options), entity)


def _price(ctx: Ctx, entity: str, usd: float) -> Decimal:
    return ctx.local(usd, entity)


class Spender:
    """Posts card charges and expense-report lines; both are coded by the employee (codable)."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.card_totals: dict[tuple[str, date], Decimal] = {}  # (entity, month) -> charges
        self.reports: list[Entry] = []

    def card(self, rng, e: Emp, on: date, account: str, usd: float, descriptor: str, note: str, rule: str,
             project: str | None = None, channel: str = "") -> None:
        ctx = self.ctx
        dims = {"department": e.dept, "location": e.loc}
        if account in ("6100", "6110", "6120", "6130"):
            dims["employee"] = e.emp_id
        if project:
            dims["project"] = project
        if channel:
            dims["channel"] = channel
        amt = _price(ctx, e.entity, usd)
        memo = f"{descriptor} - {note}" if note else descriptor
        ln = ctx.coded(account, amt, memo, dims, rule, e.entity, on, rng)
        created = datetime(on.year, on.month, on.day, 12) + timedelta(days=rng.randint(2, 12))
        ctx.book.add(Entry(e.entity, on, "CCJ", f"Card charge {e.name}", [ln, Line("2150", -amt, descriptor)],
                           created=created, source="card", user="card.feed"))
        key = (e.entity, on.replace(day=1))
        self.card_totals[key] = self.card_totals.get(key, Decimal(0)) + amt


def _trips(ctx: Ctx, rng: random.Random, m: date) -> list[Trip]:
    trips = []
    end = month_end(m)
    for e in ctx.staff(None, m):
        rate = TRIPS_PER_MONTH.get(e.dept, 0.05)
        n = int(rate) + (1 if rng.random() < rate - int(rate) else 0)
        for _ in range(n):
            start = business_day(m + timedelta(days=rng.randint(0, end.day - 3)))
            if not e.active(start) or start > end:
                continue
            proj = ctx.ts.week_project(e.emp_id, start) if e.dept == "PS" else None
            if proj:
                p = next(p for p in ctx.projs if p.proj_id == proj)
                purpose, cust = "client", p.cust.short if p.cust else ""
            elif e.dept in ("SALES", "CS", "EXEC"):
                custs = [c for c in ctx.custs if c.entity == e.entity]
                purpose, cust = "presales", rng.choice(custs).short
            else:
                purpose, cust = rng.choice(["internal", "conference"]), ""
            trips.append(Trip(e, start, rng.choice([1, 1, 2, 2, 3, 4]), rng.choice(vocab.CITIES[e.entity]),
                              purpose, proj, cust))
    return trips


def run_travel_and_cards(ctx: Ctx, post_bill) -> None:
    rng = ctx.rng("travel")
    sp = Spender(ctx)
    agency = {ent: [v for v in ctx.vends if v.kind == "travel_agency" and ent in v.entities]
              for ent in ("US01", "UK01", "DE01")}
    for i, m in enumerate(ctx.months):
        agency_lines: dict[str, list[Line]] = {}
        for t in _trips(ctx, rng, m):
            e = t.emp
            via_agency = bool(agency[e.entity]) and rng.random() < 0.7
            note = {"client": f"onsite {t.customer}", "presales": f"{t.customer} meetings",
                    "internal": rng.choice(["offsite", "team planning", "office visit"]),
                    "conference": rng.choice(["conference", "summit", "meetup"])}[t.purpose]
            project = t.project  # TE-3.2 / TE-3.3
            fare = rng.uniform(220, 950) if e.entity == "US01" else rng.uniform(90, 420)
            hotel = t.nights * (rng.uniform(170, 420) if e.entity == "US01" else rng.uniform(110, 260))
            if via_agency:
                tid = f"T{rng.randint(100000, 999999)}"
                for acct, usd, kind in (("6100", fare, "air" if rng.random() < 0.7 else "rail"), ("6110", hotel, "hotel")):
                    dims = {"department": e.dept, "location": e.loc, "employee": e.emp_id}
                    if project:
                        dims["project"] = project
                    memo = roughen(rng, f"Trip {tid} {e.name} {t.city.title()} {t.start:%m/%d} {kind}")
                    agency_lines.setdefault(e.entity, []).append(
                        ctx.coded(acct, _price(ctx, e.entity, usd), memo, dims, "TE-2.1", e.entity, t.start, rng))
            elif e.cardholder:
                sp.card(rng, e, t.start - timedelta(days=rng.randint(3, 20)), "6100", fare,
                        _merchant(rng, e.entity, "air"), note if rng.random() < 0.5 else "", "TE-2.1", project)
                sp.card(rng, e, t.start + timedelta(days=t.nights), "6110", hotel, _merchant(rng, e.entity, "hotel"),
                        note if rng.random() < 0.4 else "", "TE-2.1", project)
            if not e.cardholder:
                continue  # TE-1.2: non-cardholders claim ground costs and meals through an expense report
            for k in range(rng.randint(1, 3)):
                d = t.start + timedelta(days=min(k, t.nights))
                sp.card(rng, e, d, "6120", rng.uniform(14, 85), _merchant(rng, e.entity, "ground"),
                        note if rng.random() < 0.3 else "", "TE-2.2", project)
            for k in range(rng.randint(1, 3)):
                d = t.start + timedelta(days=min(k, t.nights))
                client = t.purpose in ("client", "presales") and rng.random() < 0.5
                usd = rng.uniform(120, 650) if client else rng.uniform(12, 70)
                text = rng.choice(vocab.CLIENT_NOTES).format(cust=t.customer) if client else ""
                sp.card(rng, e, d, "6130", usd, _merchant(rng, e.entity, "meal"), text, "TE-4.1", project)
            if e.entity == "US01" and rng.random() < 0.15:  # TE-5.2: in-flight wifi is telecom
                sp.card(rng, e, t.start, "6300", rng.uniform(8, 30), "GOGOAIR.COM", "", "TE-5.2")
        for ent, lines in sorted(agency_lines.items()):
            v = agency[ent][0]
            on = business_day(month_end(m) + timedelta(days=3))
            if on <= month_end(ctx.months[-1]):
                post_bill(v, ent, on, lines, f"{v.name} statement {m:%b %Y}")
        _local_card_spend(ctx, rng, sp, m)
        _expense_reports(ctx, rng, m)
    ctx.card_totals = sp.card_totals


def _local_card_spend(ctx: Ctx, rng: random.Random, sp: Spender, m: date) -> None:
    end = month_end(m)
    cats = [c for c, _ in LOCAL_CATEGORIES]
    weights = [w for _, w in LOCAL_CATEGORIES]
    for e in ctx.staff(None, m):
        if not e.cardholder:
            continue
        lam = CARD_SPEND.get(e.dept, 1.5)
        n = max(0, int(rng.gauss(lam, lam / 2)))
        for _ in range(n):
            on = m + timedelta(days=rng.randint(0, end.day - 1))
            if not e.active(on):
                continue
            cat = rng.choices(cats, weights=weights)[0]
            if cat in ("stock", "ads") and e.dept != "MKTG":
                cat = "meal"
            desc = _merchant(rng, e.entity, cat)
            if cat == "meal":
                if rng.random() < 0.45:  # TE-4.2: meals with only colleagues are staff meals
                    sp.card(rng, e, on, "6140", rng.uniform(40, 420), desc, rng.choice(vocab.TEAM_NOTES), "TE-4.2")
                else:
                    custs = [c for c in ctx.custs if c.entity == e.entity]
                    note = rng.choice(vocab.CLIENT_NOTES).format(cust=rng.choice(custs).short)
                    sp.card(rng, e, on, "6130", rng.uniform(45, 380), desc, note if rng.random() < 0.8 else "",
                            "TE-4.1")
            elif cat == "ground":
                sp.card(rng, e, on, "6120", rng.uniform(12, 60), desc, "", "TE-2.2")
            elif cat == "saas":  # CP-4.5: a SaaS tool on a card is the cardholder department's subscription
                acct = saas_account(on)
                sp.card(rng, e, on, acct, rng.choice([20, 20, 12.99, 30, 15, 49]), desc, "",
                        "CP-4.3" if acct == "6410" else "CP-4.2")
            elif cat == "amazon":
                if rng.random() < 0.6:
                    sp.card(rng, e, on, "6230", rng.uniform(15, 160), desc, rng.choice(["", "office supplies", ""]),
                            "CP-7.1")
                else:
                    sp.card(rng, e, on, "6450", rng.uniform(25, 300), desc, rng.choice(["keyboard", "monitor cable",
                                                                                        "headset", ""]), "FA-2.2")
            elif cat == "tech":
                sp.card(rng, e, on, "6450", rng.uniform(30, 900), desc, "", "FA-2.2")
            elif cat == "office":
                sp.card(rng, e, on, "6230", rng.uniform(10, 120), desc, "", "CP-7.1")
            elif cat == "ship":
                sp.card(rng, e, on, "6240", rng.uniform(8, 90), desc, "", "CP-7.6")
            elif cat == "learn":
                sp.card(rng, e, on, "6730", rng.uniform(15, 450), desc, "", "CP-10.2")
            elif cat == "gift":
                sp.card(rng, e, on, "6140", rng.uniform(45, 140), desc, rng.choice(["", "get well gift", "baby gift"]),
                        "CP-7.3")
            elif cat == "stock":
                sp.card(rng, e, on, "6620", rng.uniform(29, 199), desc, "", "CP-11.3", channel="DIRECT")
            elif cat == "ads":
                sp.card(rng, e, on, "6600", rng.uniform(100, 900), desc, "", "CP-11.1", channel="ONLINE")


def _expense_reports(ctx: Ctx, rng: random.Random, m: date) -> None:
    end = month_end(m)
    for e in ctx.staff(None, m):
        p = 0.06 if e.cardholder else 0.16
        if e.dept in ("PS", "SALES", "CS"):
            p *= 1.8
        if rng.random() > p:
            continue
        on = business_day(m + timedelta(days=rng.randint(5, end.day - 1)))
        if on > end or not e.active(on):
            continue
        lines: list[Line] = []
        cur = ctx.currency(e.entity)
        base = {"department": e.dept, "location": e.loc}
        proj = ctx.ts.week_project(e.emp_id, on) if e.dept == "PS" else None
        for _ in range(rng.randint(1, 4)):
            kind = rng.choices(["mileage", "parking", "meal", "internet", "book", "perdiem"],
                               weights=[25, 20, 25, 15, 10, 10 if e.entity == "DE01" else 0])[0]
            if kind == "mileage":
                miles = rng.randint(12, 260)
                unit = "mi" if e.entity != "DE01" else "km"
                amt = dec(MILEAGE_RATE[e.entity] * miles)
                sym = {"USD": "$", "GBP": "£", "EUR": "€"}[cur]
                custs = [c for c in ctx.custs if c.entity == e.entity]
                memo = roughen(rng, f"Mileage {miles} {unit} @ {sym}{MILEAGE_RATE[e.entity]} - "
                                    f"{rng.choice(['client visit ' + rng.choice(custs).short, 'offsite', 'airport'])}")
                lines.append(ctx.coded("6120", amt, memo, dict(base, employee=e.emp_id, project=proj or ""),
                                       "TE-6.1", e.entity, on, rng))
            elif kind == "parking":
                lines.append(ctx.coded("6120", _price(ctx, e.entity, rng.uniform(6, 45)),
                                       roughen(rng, rng.choice(["Parking - client site", "Taxi to airport", "Train fare",
                                                                "Tolls + parking"])),
                                       dict(base, employee=e.emp_id, project=proj or ""), "TE-2.2", e.entity, on, rng))
            elif kind == "meal":
                lines.append(ctx.coded("6130", _price(ctx, e.entity, rng.uniform(15, 140)),
                                       roughen(rng, rng.choice(["Lunch during travel", "Dinner - business trip",
                                                                "Client coffee meeting"])),
                                       dict(base, employee=e.emp_id, project=proj or ""), "TE-4.1", e.entity, on, rng))
            elif kind == "internet":  # TE-5.1 home internet stipend
                lines.append(ctx.coded("6300", _price(ctx, e.entity, 50), roughen(rng, f"Home internet {m:%b %Y}"),
                                       dict(base), "TE-5.1", e.entity, on, rng))
            elif kind == "book":
                lines.append(ctx.coded("6730", _price(ctx, e.entity, rng.uniform(20, 90)),
                                       roughen(rng, rng.choice(["Book purchase", "Online course", "Certification exam fee"])),
                                       dict(base), "CP-10.2", e.entity, on, rng))
            else:
                days = rng.randint(1, 3)
                lines.append(ctx.coded("6130", dec(28 * days), f"Verpflegungspauschale {days} Tage",
                                       dict(base, employee=e.emp_id), "TE-4.4", e.entity, on, rng))
        total = sum((ln.amount for ln in lines), Decimal(0))
        lines.append(Line("2400", -total, f"Expense report {e.name} {m:%b %Y}", {"employee": e.emp_id}))
        created = datetime(on.year, on.month, on.day, 16) + timedelta(days=rng.randint(1, 6))
        entry = ctx.book.add(Entry(e.entity, on, "EXP", f"Expense report {e.name}", lines, created=created,
                                   source="expense", user="expense.feed", document=f"ER-{e.emp_id}-{on:%y%m%d}"))
        entry.meta["employee"] = e.emp_id
