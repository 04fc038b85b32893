"""People, customers, projects, vendors and timesheets of the demo company, over time.

Each record knows when it exists (hire/termination, first/last month, project dates, vendor
onboarding), so the flows only ever use what existed on the day, and the last months bring vendors
the history has never seen.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from copilot.demo import vocab
from copilot.demo.chart import BILL_RATE, ENTITIES, FLOOR_PLAN, HQ_LOCATION
from copilot.demo.ledger import dec, month_end

COUNTRY = {"US01": "US", "UK01": "GB", "DE01": "DE"}
FX_START = {"US01": Decimal("1"), "UK01": Decimal("0.82"), "DE01": Decimal("0.93")}  # local per USD

HEADCOUNT_START = {
    "US01": {"EXEC": 4, "FIN": 8, "HR": 5, "LEGAL": 2, "IT": 6, "FAC": 3, "SALES": 24, "MKTG": 12, "CS": 10,
             "PS": 14, "SUP": 8, "ENG": 32, "PROD": 8, "OPS": 6},
    "UK01": {"EXEC": 1, "FIN": 2, "SALES": 10, "MKTG": 3, "CS": 5, "PS": 8, "SUP": 4},
    "DE01": {"EXEC": 1, "FIN": 1, "ENG": 14, "PROD": 2, "SALES": 5, "PS": 4},
}
GROWTH = {"SALES": 1.35, "ENG": 1.3, "PS": 1.4, "CS": 1.3, "SUP": 1.2, "MKTG": 1.2}
SALARY_USD = {"EXEC": 260000, "FIN": 118000, "HR": 108000, "LEGAL": 190000, "IT": 125000, "FAC": 68000,
              "SALES": 112000, "MKTG": 118000, "CS": 96000, "PS": 122000, "SUP": 68000, "ENG": 168000,
              "PROD": 158000, "OPS": 152000}
ROLES = {"EXEC": ["VP Operations", "Chief of Staff"], "FIN": ["Senior Accountant", "FP&A Analyst", "Controller"],
         "HR": ["People Partner", "Recruiter"], "LEGAL": ["Corporate Counsel"], "IT": ["IT Support Engineer",
         "Security Engineer"], "FAC": ["Office Manager"], "SALES": ["Account Executive", "Sr. Account Executive",
         "SDR", "Sales Engineer"], "MKTG": ["Demand Gen Manager", "Content Marketer", "Product Marketing Manager"],
         "CS": ["Customer Success Manager"], "PS": ["Implementation Consultant", "Solutions Architect",
         "Engagement Manager"], "SUP": ["Support Engineer"], "ENG": ["Backend Engineer", "Sr. Backend Engineer",
         "Data Engineer", "Frontend Engineer", "Staff Engineer"], "PROD": ["Product Manager", "Product Designer"],
         "OPS": ["Site Reliability Engineer", "DevOps Engineer"]}
CARD_DEPTS = {"EXEC": 1.0, "SALES": 0.9, "PS": 0.9, "MKTG": 0.7, "CS": 0.6, "FAC": 1.0, "IT": 0.5, "HR": 0.5,
              "PROD": 0.3, "ENG": 0.15, "FIN": 0.3, "LEGAL": 0.5, "OPS": 0.2, "SUP": 0.1}


@dataclass
class Emp:
    emp_id: str
    name: str
    entity: str
    dept: str
    loc: str
    hired: date
    left: date | None
    salary: Decimal  # annual, local currency
    role: str
    cardholder: bool
    via_agency: bool = False

    def active(self, on: date) -> bool:
        return self.hired <= on and (self.left is None or on <= self.left)


@dataclass
class Cust:
    cust_id: str
    name: str
    entity: str
    loc: str
    channel: str
    billing: str  # monthly | annual
    mrr: Decimal  # local currency
    analytics: bool
    first: date
    last: date | None
    pay_days: int
    consolidates: bool
    short: str

    def active(self, m: date) -> bool:
        return self.first <= m and (self.last is None or m <= self.last)


@dataclass
class Proj:
    proj_id: str
    name: str
    entity: str
    kind: str  # client | rnd | internal
    start: date
    end: date
    budget: Decimal
    dept: str
    loc: str
    cust: Cust | None = None
    sow: str = ""
    short: str = ""
    staff: list[str] = field(default_factory=list)

    def active(self, on: date) -> bool:
        return self.start <= on <= self.end


@dataclass
class Vend:
    vendor_id: str
    name: str
    kind: str
    entities: tuple[str, ...]
    cadence: str | float
    amount: float
    params: dict
    onboard: date
    offboard: date | None = None
    day: int = 1  # bill day of month for recurring vendors
    home: str = ""  # generated vendors: the one entity they serve

    def live(self, on: date) -> bool:
        return self.onboard <= on and (self.offboard is None or on <= self.offboard)


def _locations_for(entity: str, dept: str) -> list[str]:
    locs = [loc for loc, plan in FLOOR_PLAN.items() if dept in plan and _loc_entity(loc) == entity]
    return locs or [HQ_LOCATION[entity]]


def _loc_entity(loc: str) -> str:
    return {"NYC": "US01", "SFO": "US01", "AUS": "US01", "USR": "US01", "LON": "UK01", "MAN": "UK01",
            "BER": "DE01", "MUC": "DE01"}[loc]


def build_employees(rng: random.Random, months: list[date]) -> list[Emp]:
    emps: list[Emp] = []
    counter = [1000]

    def hire(entity: str, dept: str, on: date, opening: bool) -> Emp:
        counter[0] += 1
        country = COUNTRY[entity]
        locs = _locations_for(entity, dept)
        plan_w = [FLOOR_PLAN.get(loc, {}).get(dept, 300) for loc in locs]
        loc = rng.choices(locs, weights=plan_w)[0]
        if entity == "US01" and dept in ("SALES", "ENG", "CS", "PS") and rng.random() < 0.18:
            loc = "USR"
        usd = SALARY_USD[dept] * rng.uniform(0.75, 1.3)
        salary = dec(round(usd * float(FX_START[entity]) * (0.86 if entity != "US01" else 1.0), -2))
        e = Emp(emp_id=f"E{counter[0]}", name=vocab.person_name(rng, country), entity=entity, dept=dept, loc=loc,
                hired=on, left=None, salary=salary, role=rng.choice(ROLES[dept]),
                cardholder=rng.random() < CARD_DEPTS.get(dept, 0.2),
                via_agency=(not opening) and rng.random() < (0.3 if entity == "US01" else 0.45))
        emps.append(e)
        return e

    start = months[0]
    for entity, table in HEADCOUNT_START.items():
        for dept, n in table.items():
            for _ in range(n):
                hire(entity, dept, start - timedelta(days=rng.randint(60, 2400)), True)
    horizon = max(len(months), 24)
    for i, m in enumerate(months):
        last_day = month_end(m)
        for entity, table in HEADCOUNT_START.items():
            for dept, n0 in table.items():
                current = [e for e in emps if e.entity == entity and e.dept == dept and e.active(m)]
                for e in current:
                    if rng.random() < 0.008 and i > 0:
                        e.left = m + timedelta(days=rng.randint(0, (last_day - m).days))
                target = n0 * (1 + (GROWTH.get(dept, 1.12) - 1) * (i + 1) / horizon)
                staying = sum(1 for e in current if e.left is None)
                for _ in range(max(0, math.floor(target + 0.5) - staying)):
                    hire(entity, dept, m + timedelta(days=rng.randint(0, 27)), False)
    return emps


def build_customers(rng: random.Random, months: list[date]) -> list[Cust]:
    custs: list[Cust] = []
    plan = {"US01": (95, 40), "UK01": (30, 14), "DE01": (22, 10)}  # at start, won over the horizon
    horizon = max(len(months), 24)
    n = 10000
    used: set[str] = set()
    for entity, (opening, won) in plan.items():
        country = COUNTRY[entity]
        total = opening + math.ceil(won * len(months) / horizon)
        for k in range(total):
            n += 1
            while True:
                word = rng.choice(vocab.WORDS)
                name = f"{word} {rng.choice(vocab.INDUSTRY[country])}"
                if name not in used:
                    used.add(name)
                    break
            first = months[0] if k < opening or len(months) < 2 else months[rng.randrange(1, len(months))]
            channel = rng.choices(["DIRECT", "PARTNER", "ONLINE"], weights=[65, 25, 10])[0]
            mrr_usd = 650 * rng.uniform(0.6, 1.6) if channel == "ONLINE" else math.exp(rng.gauss(9.25, 0.85))
            mrr = dec(round(min(mrr_usd, 150000) * float(FX_START[entity]), 0))
            locs = {"US01": (["NYC", "SFO", "AUS"], [6, 3, 1]), "UK01": (["LON"], [1]),
                    "DE01": (["BER", "MUC"], [6, 4])}[entity]
            churn = None
            if rng.random() < 0.12 and len(months) > 3:
                churn = months[rng.randrange(2, len(months))]
            custs.append(Cust(
                cust_id=f"C{n}", name=name, entity=entity, loc=rng.choices(locs[0], weights=locs[1])[0],
                channel=channel, billing="monthly" if channel == "ONLINE" or rng.random() < 0.5 else "annual",
                mrr=mrr, analytics=rng.random() < 0.35, first=first, last=churn,
                pay_days=int(rng.choice([15, 25, 30, 30, 35, 45, 60, 75])), consolidates=rng.random() < 0.15,
                short=word))
    return custs


PS_KINDS = ["Platform Implementation", "Data Migration", "Analytics Rollout", "Integration Build",
            "Dashboard Buildout", "Phase 2 Enhancements", "Health Check & Optimisation"]
INTERNAL = [("R&D: Edge Sensor Kit v2", "rnd", "US01", "ENG", 420000), ("R&D: Streaming Ingest", "rnd", "US01",
            "ENG", 650000), ("R&D: Forecasting Models", "rnd", "DE01", "ENG", 380000),
            ("R&D: Anomaly Detection API", "rnd", "DE01", "ENG", 300000),
            ("R&D: Mobile App 2.0", "rnd", "US01", "ENG", 500000),
            ("SOC 2 Type II Readiness", "internal", "US01", "IT", 120000),
            ("EU Data Residency", "internal", "DE01", "OPS", 210000),
            ("New York Office Refresh", "internal", "US01", "FAC", 260000),
            ("London Office Fit-out", "internal", "UK01", "FAC", 180000),
            ("Customer Onboarding Revamp", "internal", "UK01", "CS", 90000)]


def build_projects(rng: random.Random, months: list[date], custs: list[Cust]) -> list[Proj]:
    projs: list[Proj] = []
    n = 1000
    horizon_end = month_end(months[-1])
    # Internal projects: spread over the horizon, each 6-14 months.
    for i, (name, kind, entity, dept, budget_usd) in enumerate(INTERNAL):
        n += 1
        s = months[min(len(months) - 1, (i * 5) % max(1, len(months) - 3))] if i >= 2 else months[0]
        length = rng.randint(6, 14)
        end = month_end(_add_months(s, length - 1))
        short = name.split(": ")[-1]
        projs.append(Proj(proj_id=f"PRJ-{n}", name=name, entity=entity, kind=kind, start=s, end=end,
                          budget=dec(round(budget_usd * float(FX_START[entity]), -3)), dept=dept,
                          loc=HQ_LOCATION[entity] if entity != "US01" or dept != "ENG" else "SFO", short=short))
    # Client projects: for new customers (and some existing) an implementation of 2-8 months.
    sow = 0
    for c in custs:
        if c.channel == "ONLINE":
            continue
        starts = []
        if c.first > months[0] and rng.random() < 0.85:
            starts.append(c.first)
        if rng.random() < 0.22:
            starts.append(months[rng.randrange(0, len(months))])
        for s in starts:
            if c.last is not None and s > c.last:
                continue
            n += 1
            sow += 1
            length = rng.randint(2, 8)
            end = min(month_end(_add_months(s, length - 1)), horizon_end)
            hours = rng.randint(150, 1100)
            kind = rng.choice(PS_KINDS)
            sow_no = f"SOW-{s.year}-{sow:03d}"
            proj_loc = {"US01": "NYC", "UK01": "LON", "DE01": "MUC"}[c.entity]
            projs.append(Proj(proj_id=f"PRJ-{n}", name=f"{c.name} - {kind} ({sow_no})", entity=c.entity,
                              kind="client", start=s, end=end, budget=dec(hours * BILL_RATE[c.entity]),
                              dept="PS", loc=proj_loc, cust=c, sow=sow_no, short=c.short))
    projs.sort(key=lambda p: (p.start, p.proj_id))
    return projs


def _add_months(m: date, k: int) -> date:
    y, mo = divmod(m.month - 1 + k, 12)
    return date(m.year + y, mo + 1, 1)


def build_vendors(rng: random.Random, months: list[date]) -> list[Vend]:
    vends: list[Vend] = []
    n = 20000
    horizon = len(months)
    used_names: set[str] = set()
    for name, kind, ents, cadence, amount, params in vocab.CATALOG:
        n += 1
        onboard = months[0] - timedelta(days=400)
        if isinstance(cadence, float) and rng.random() < 0.12 and horizon > 2:
            onboard = months[rng.randrange(1, horizon)]
        if isinstance(cadence, float):
            cadence = cadence * 2.0
        vends.append(Vend(vendor_id=f"V{n}", name=name, kind=kind, entities=tuple(ents.split()),
                          cadence=cadence, amount=amount, params=dict(params), onboard=onboard,
                          day=rng.randint(1, 26)))
        used_names.add(name)
    for kind, (patterns, counts, rate, amount) in vocab.GENERATED.items():
        for entity, count in counts.items():
            country = COUNTRY[entity]
            for _ in range(count):
                for _try in range(50):
                    name = rng.choice(patterns[country]).format(
                        S=rng.choice(vocab.SURNAMES_FIRM[country]), S2=rng.choice(vocab.SURNAMES_FIRM[country]),
                        W=rng.choice(vocab.WORDS), F=rng.choice(vocab.FIRST[country]))
                    if name not in used_names and "{" not in name:
                        break
                used_names.add(name)
                n += 1
                # Half the local vendors already exist; the rest arrive evenly over the history,
                # so every late month has vendors the earlier months never saw.
                if rng.random() < 0.45 or horizon < 2:
                    onboard = months[0] - timedelta(days=300)
                else:
                    onboard = months[rng.randrange(1, horizon)] + timedelta(days=rng.randint(0, 20))
                off = None
                if rng.random() < 0.08 and horizon > 6:
                    off_m = months[rng.randrange(horizon // 2, horizon - 1)]
                    if off_m > onboard:
                        off = off_m - timedelta(days=1)
                vends.append(Vend(vendor_id=f"V{n}", name=name, kind=kind, entities=(entity,),
                                  cadence=rate * 2.5 * rng.uniform(0.5, 1.6), amount=amount * rng.uniform(0.5, 1.8),
                                  params={}, onboard=onboard, offboard=off, day=rng.randint(1, 26), home=entity))
    return vends


@dataclass
class Timesheets:
    """Daily hours by employee and project; ``week_project`` answers TE-3.2's question."""

    rows: list[tuple[str, str, date, str, Decimal, bool]] = field(default_factory=list)
    by_week: dict[tuple[str, date], dict[str, Decimal]] = field(default_factory=dict)
    by_month: dict[tuple[str, date], dict[str, Decimal]] = field(default_factory=dict)  # project -> emp hours

    def week_project(self, emp_id: str, on: date) -> str | None:
        week = on - timedelta(days=on.weekday())
        hours = self.by_week.get((emp_id, week))
        if not hours:
            return None
        return max(sorted(hours), key=lambda p: hours[p])


def build_timesheets(rng: random.Random, months: list[date], emps: list[Emp], projs: list[Proj]) -> Timesheets:
    ts = Timesheets()
    assignment: dict[str, list[str]] = {}  # project -> staff
    for m in months:
        end = month_end(m)
        for entity in ENTITIES:
            staff_pool = [e for e in emps if e.entity == entity and e.dept == "PS" and e.active(end)]
            eng_pool = [e for e in emps if e.entity == entity and e.dept == "ENG" and e.active(end)]
            load: dict[str, int] = {}
            for p in projs:
                if p.entity != entity or not (p.start <= end and m <= p.end) or p.kind == "internal":
                    continue
                pool = staff_pool if p.kind == "client" else eng_pool
                keep = [eid for eid in assignment.get(p.proj_id, []) if any(e.emp_id == eid for e in pool)]
                want = 1 + (p.budget > 100000) + (p.kind == "rnd")
                for eid in keep:
                    load[eid] = load.get(eid, 0) + 1
                free = sorted((e for e in pool if load.get(e.emp_id, 0) < 2 and e.emp_id not in keep),
                              key=lambda e: (load.get(e.emp_id, 0), e.emp_id))
                while len(keep) < want and free:
                    pick = free.pop(rng.randrange(min(3, len(free))))
                    keep.append(pick.emp_id)
                    load[pick.emp_id] = load.get(pick.emp_id, 0) + 1
                assignment[p.proj_id] = keep
                p.staff = sorted(set(p.staff) | set(keep))
        by_emp: dict[str, list[Proj]] = {}
        for p in projs:
            if p.start <= end and m <= p.end and p.kind != "internal":
                for eid in assignment.get(p.proj_id, []):
                    by_emp.setdefault(eid, []).append(p)
        emp_by_id = {e.emp_id: e for e in emps}
        for eid in sorted(by_emp):
            e = emp_by_id[eid]
            plist = by_emp[eid]
            weights = [rng.uniform(0.4, 1.0) for _ in plist]
            d = m
            while d <= end:
                if d.weekday() < 5 and e.active(d) and rng.random() > 0.06:
                    active = [(p, w) for p, w in zip(plist, weights) if p.active(d)]
                    total_h = 8.0 if e.dept == "PS" else 5.0
                    wsum = sum(w for _, w in active)
                    for p, w in active:
                        h = Decimal(str(round(total_h * w / wsum * 4) / 4))
                        if h <= 0:
                            continue
                        billable = p.kind == "client"
                        ts.rows.append((e.entity, eid, d, p.proj_id, h, billable))
                        week = d - timedelta(days=d.weekday())
                        if billable:
                            wk = ts.by_week.setdefault((eid, week), {})
                            wk[p.proj_id] = wk.get(p.proj_id, Decimal(0)) + h
                        mo = ts.by_month.setdefault((p.proj_id, m), {})
                        mo[eid] = mo.get(eid, Decimal(0)) + h
                d += timedelta(days=1)
    return ts
