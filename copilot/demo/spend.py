"""Accounts payable: every vendor's bills, coded the way the policies say (CP-*, FA-*, TE-*).

One function per vendor kind returns the coded expense lines of one bill; ``run_ap`` decides when
each vendor bills and posts the bill. Multi-product vendors and equipment live in products.py.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from decimal import Decimal

from copilot.demo import products
from copilot.demo.chart import PREPAID_THRESHOLD_USD, saas_account
from copilot.demo.context import Ctx
from copilot.demo.ledger import business_day, dec, month_end
from copilot.demo.masters import Vend
from copilot.demo.vocab import roughen

MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DEPT_NAME = {"EXEC": "Executive", "FIN": "Finance", "HR": "People", "LEGAL": "Legal", "IT": "IT", "FAC": "Facilities",
             "SALES": "Sales", "MKTG": "Marketing", "CS": "Customer Success", "PS": "Prof Services",
             "SUP": "Support", "ENG": "Engineering", "PROD": "Product", "OPS": "Cloud Ops"}


def period(rng: random.Random, on: date) -> str:
    style = rng.randrange(4)
    return [f"{MON[on.month - 1]} {on.year}", f"{on.month:02d}/{on.year % 100:02d}", f"{MON[on.month - 1]}-{on.year % 100}",
            f"{MON[on.month - 1].upper()} {on.year}"][style]


class DocNumbers:
    """Each vendor numbers its invoices its own way."""

    STYLES = ["INV-{n:06d}", "{n}", "{y}-{n:05d}", "{p}{n:07d}", "INV{y}{n:04d}", "{p}-{y}-{n:04d}"]

    def __init__(self) -> None:
        self.state: dict[str, list] = {}

    def next(self, v: Vend, on: date) -> str:
        if v.vendor_id not in self.state:
            r = random.Random(f"doc-{v.vendor_id}")
            prefix = "".join(c for c in v.name.upper() if c.isalpha())[:3]
            self.state[v.vendor_id] = [r.choice(self.STYLES), r.randint(1000, 90000), prefix]
        st = self.state[v.vendor_id]
        st[1] += 1
        return st[0].format(n=st[1], y=on.year, p=st[2])


def bill_dates(rng: random.Random, v: Vend, m: date) -> list[date]:
    cad = v.cadence
    end = month_end(m)
    day = min(v.day, end.day)
    if cad == "M":
        return [business_day(m.replace(day=day))]
    if cad == "Q":
        return [business_day(m.replace(day=day))] if (m.month - 1) % 3 == v.day % 3 else []
    if cad == "A":
        month = v.params.get("month") or (v.day % 12) + 1
        return [business_day(m.replace(day=day))] if m.month == month else []
    lam = float(cad)
    if lam <= 0:
        return []
    # Poisson draws by inversion keep the stream deterministic and cheap.
    n, p, u = 0, math.exp(-lam), rng.random()
    s = p
    while u > s:
        n += 1
        p *= lam / n
        s += p
    return sorted(business_day(m + timedelta(days=rng.randint(0, end.day - 1))) for _ in range(n))


def _growth(ctx: Ctx, on: date, rate: float = 0.3) -> float:
    i = (on.year - ctx.months[0].year) * 12 + on.month - ctx.months[0].month
    return 1 + rate * i / 24


# --- one function per kind: (ctx, rng, vendor, entity, date, doc) -> (lines, description) -----------

def k_saas(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    p = v.params
    annual = v.cadence == "A"
    account = "6400" if v.kind == "license" else saas_account(on)
    rule = "CP-4.4" if v.kind == "license" else ("CP-4.3" if account == "6410" else "CP-4.2")
    scope = None if entity == "US01" and v.entities == ("US01",) else entity  # global tools: all staff
    seats = p.get("seats")
    lines_spec: list[tuple[str, Decimal, str]] = []
    if seats == "ALL":
        n = ctx.headcount(scope, on)
        lines_spec.append((p["owner"], dec(v.amount * n) if entity == "US01" else ctx.local(v.amount * n, entity),
                           f"{p['plan']} - {n} users"))
    elif seats:
        for d in seats.split():
            n = ctx.headcount(scope, on, d)
            if n:
                amt = ctx.local(v.amount * n, entity)
                lines_spec.append((d, amt, f"{p['plan']} - {DEPT_NAME[d]} ({n} seats)"))
    else:
        step = 1 + 0.07 * ((on - ctx.months[0]).days // 365)
        lines_spec.append((p["owner"], ctx.local(v.amount * step, entity), f"{p['plan']}"))
    out = []
    term = f"annual renewal {MON[on.month - 1]} {on.year}-{MON[(on.month - 2) % 12]} {on.year + 1}" if annual \
        else period(rng, on)
    total_usd = sum(float(a) for _, a, _ in lines_spec) / float(ctx.local(1, entity))
    prepaid = annual and total_usd >= float(PREPAID_THRESHOLD_USD)
    for dept, amt, text in lines_spec:
        memo = roughen(rng, f"{text} subscription {term}" if v.kind == "saas" else f"{text} {term}")
        dims = {"department": dept, "location": ctx.hq(entity)}
        if prepaid:
            # CP-5.1: annual prepayments at or above the threshold go to 1200 and amortize monthly.
            ln = ctx.coded("1200", amt, memo, dims, "CP-5.1", entity, on, rng)
            ctx.prepaids.append(("1200", on, amt, 12, entity, dict(dims, vendor=v.vendor_id),
                                 "license" if v.kind == "license" else "saas", f"{v.name} {text}"))
        else:
            ln = ctx.coded(account, amt, memo, dims, rule, entity, on, rng)
        out.append(ln)
    return out, f"{v.name.split(',')[0]} {'annual' if annual else period(rng, on)}"


def k_hosting(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    usage_month = (on.replace(day=1) - timedelta(days=1)).replace(day=1)
    total = v.amount * _growth(ctx, on, 0.45) * rng.uniform(0.9, 1.1)
    if entity != "US01":
        total *= 0.6 if entity == "UK01" else 0.4
    out = []
    specs = _rejoin(v.params["accounts"])
    for alias, env, cls, share in specs:
        amt = ctx.local(total * share / 100 * rng.uniform(0.85, 1.15), entity)
        prod = env == "prod"
        memo = roughen(rng, rng.choice([
            f"{v.name.split(',')[0].split(' (')[0]} usage {MON[usage_month.month - 1]} {usage_month.year} - {alias}",
            f"Usage charges {period(rng, usage_month)} acct {alias}",
            f"{alias} {'production' if prod else 'development'} usage {MON[usage_month.month - 1]}-{usage_month.year % 100}"]))
        dims = {"department": "OPS" if prod else "ENG", "location": ctx.hq(entity), "class": cls}
        out.append(ctx.coded("5000" if prod else "6420", amt, memo, dims, "CP-3.1" if prod else "CP-3.2",
                             entity, on, rng))
    return out, f"{v.name.split(',')[0]} usage {MON[usage_month.month - 1]} {usage_month.year}"


def _rejoin(spec: str) -> list[tuple[str, str, str, float]]:
    """'alias words:env:CLS:share alias2:...' -> tuples (aliases may contain spaces)."""
    out, buf = [], []
    for token in spec.split(" "):
        buf.append(token)
        if " ".join(buf).count(":") == 3:
            alias, env, cls, share = " ".join(buf).rsplit(":", 3)
            out.append((alias, env, cls, float(share)))
            buf = []
    return out


def k_data(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    amt = ctx.local(v.amount * _growth(ctx, on, 0.25) * rng.uniform(0.92, 1.08), entity)
    memo = roughen(rng, f"{v.params['plan']} {period(rng, on)}")
    dims = {"department": "OPS", "location": ctx.hq(entity), "class": v.params["cls"]}
    return [ctx.coded("5100", amt, memo, dims, "CP-3.3", entity, on, rng)], f"{v.name} {period(rng, on)}"


def k_telecom_mobile(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    out = []
    per_line = ctx.local(46, entity)
    for dept in sorted(DEPT_NAME):
        n = ctx.headcount(entity, on, dept)
        lines = int(n * 0.6 + 0.5) if dept in ("SALES", "PS", "EXEC", "CS", "FAC", "IT") else int(n * 0.15)
        if lines <= 0:
            continue
        amt = per_line * lines + dec(rng.uniform(-20, 60))
        memo = roughen(rng, rng.choice([f"Wireless svc {DEPT_NAME[dept]} ({lines} lines) {period(rng, on)}",
                                        f"Mobile - {DEPT_NAME[dept]} - {lines} lines"]))
        out.append(ctx.coded("6300", amt, memo, {"department": dept, "location": ctx.hq(entity)}, "CP-7.5",
                             entity, on, rng))
    return out, f"{v.name} {period(rng, on)}"


def k_telecom_net(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    locs = v.params.get("locs", ctx.hq(entity)).split()
    out = []
    for loc in locs:
        amt = ctx.local(v.amount / len(locs), entity) + dec(rng.uniform(-15, 15))
        memo = roughen(rng, rng.choice([f"Business internet {loc} office {period(rng, on)}",
                                        f"Dedicated fiber 1G - {loc}", f"Internet & voice {loc} {period(rng, on)}"]))
        out.append(ctx.coded("6300", amt, memo, {"department": "IT", "location": loc}, "CP-7.5", entity, on, rng))
    return out, f"{v.name} {period(rng, on)}"


def k_site(account: str, dept: str, rule: str, what: str):
    def f(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
        locs = v.params.get("locs", ctx.hq(entity)).split()
        out = []
        for loc in locs:
            base = v.amount / len(locs)
            if account == "6210":  # heating in winter, cooling in summer
                base *= 1 + 0.25 * math.cos((on.month - 1.5) * math.pi / 6) ** 2
            if account == "6200":
                base *= 1.03 ** ((on - ctx.months[0]).days // 365)  # annual escalation each anniversary
                amt = ctx.local(base, entity)
            else:
                amt = ctx.local(base * rng.uniform(0.85, 1.15), entity)
            text = v.params.get("what", what)
            memo = roughen(rng, rng.choice([f"{text} {loc} {period(rng, on)}", f"{text} - {period(rng, on)}",
                                            f"{loc} {text}"]))
            out.append(ctx.coded(account, amt, memo, {"department": dept, "location": loc}, rule, entity, on, rng))
        return out, f"{v.name} {period(rng, on)}"
    return f


def k_generated_facility(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    # A facility vendor working on an office fit-out project codes to leasehold improvements (FA-2.4).
    fit = [p for p in ctx.projs if p.entity == entity and p.dept == "FAC" and p.active(on)]
    if fit and rng.random() < 0.25:
        p = fit[0]
        amt = ctx.local(rng.uniform(4000, 22000), entity)
        memo = roughen(rng, f"{rng.choice(['Build-out works', 'Electrical fit-out', 'Partition walls', 'HVAC install'])}"
                            f" - {p.short} - progress bill {rng.randint(1, 6)}")
        return [ctx.coded("1520", amt, memo, {"location": p.loc, "department": "FAC", "project": p.proj_id},
                          "FA-2.4", entity, on, rng)], f"{v.name} progress billing"
    jobs = ["HVAC repair", "Plant maintenance", "Security guard services", "Electrical work", "Office moving services",
            "Lock replacement", "Carpet cleaning", "Furniture assembly", "Window cleaning", "Pest control visit"]
    loc = rng.choice([lc for lc in (ctx.hq(entity),) + tuple(_entity_offices(entity))])
    amt = ctx.local(v.amount * rng.uniform(0.3, 1.6), entity)
    memo = roughen(rng, f"{rng.choice(jobs)} - {loc} office")
    return [ctx.coded("6220", amt, memo, {"department": "FAC", "location": loc}, "CP-7.6", entity, on, rng)], \
        f"{v.name} service invoice"


def _entity_offices(entity: str) -> list[str]:
    return {"US01": ["NYC", "SFO", "AUS"], "UK01": ["LON", "MAN"], "DE01": ["BER", "MUC"]}[entity]


def k_audit(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    amt = ctx.local(v.amount * rng.uniform(0.9, 1.1), entity)
    memo = roughen(rng, f"{v.params['what']} - {period(rng, on)}" if v.cadence != "A" else
                   f"{v.params['what']} FY{on.year - 1} - progress billing")
    return [ctx.coded("6500", amt, memo, {"department": "FIN", "location": ctx.hq(entity)}, "CP-9.1", entity, on,
                      rng)], f"{v.name} {period(rng, on)}"


def k_payroll_svc(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    n = ctx.headcount(entity, on)
    amt = ctx.local(11.5 * n + 450, entity)
    memo = roughen(rng, f"Payroll processing fees {period(rng, on)} - {n} employees")
    return [ctx.coded("6500", amt, memo, {"department": "FIN", "location": ctx.hq(entity)}, "CP-9.1", entity, on,
                      rng)], f"{v.name} {period(rng, on)}"


def k_benefits_direct(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    out = []
    for dept in sorted(DEPT_NAME):
        n = ctx.headcount(entity, on, dept)
        if n:
            memo = roughen(rng, f"{v.params['what']} {period(rng, on)} - {DEPT_NAME[dept]} ({n})")
            out.append(ctx.coded("6030", ctx.local(v.amount * n, entity), memo,
                                 {"department": dept, "location": ctx.hq(entity)}, "CP-8.2", entity, on, rng))
    return out, f"{v.name} {period(rng, on)}"


def k_insurance(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    amt = ctx.local(v.amount * (1.06 ** ((on - ctx.months[0]).days // 365)), entity)
    memo = roughen(rng, f"{v.params['what']} policy premium {on.year}-{on.year + 1}")
    dims = {"department": "FIN", "location": ctx.hq(entity)}
    ctx.prepaids.append(("1210", on, amt, 12, entity, dict(dims, vendor=v.vendor_id), "insurance",
                         f"{v.params['what']} premium"))
    return [ctx.coded("1210", amt, memo, dims, "CP-5.3", entity, on, rng)], f"{v.name} premium"


MATTERS = {"LEGAL": ["General corporate matters", "Commercial contracts - customer MSAs", "DPA negotiations",
                     "Board minutes & governance", "Vendor contract review"],
           "HR": ["Employment matter - separation agreement", "Employee handbook update", "Visa / immigration"],
           "EXEC": ["Series C financing", "Acquisition due diligence"],
           "ENG": ["Patent application", "Open-source licence review"]}


def k_legal(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    focus = v.params.get("matters")
    n = rng.choice([1, 1, 2, 3])
    out = []
    for _ in range(n):
        if focus == "employment":
            dept = "HR"
        elif focus == "ip":
            dept = "ENG"
        else:
            dept = rng.choices(["LEGAL", "HR", "EXEC", "ENG"], weights=[70, 15, 8, 7])[0]
        matter = rng.choice(MATTERS[dept])
        dims = {"department": dept, "location": ctx.hq(entity)}
        if dept == "ENG":  # CP-9.3: patent work for an R&D project carries the project
            rnd = [p for p in ctx.projs if p.kind == "rnd" and p.entity == entity and p.active(on)]
            if rnd:
                p = rng.choice(rnd)
                dims["project"] = p.proj_id
                matter = f"{matter} - {p.short}"
        memo = roughen(rng, f"Prof services through {on:%m/%d/%y} - Matter {rng.randint(1000, 9999)}: {matter}")
        out.append(ctx.coded("6510", ctx.local(v.amount * rng.uniform(0.3, 1.4) / n, entity), memo, dims,
                             "CP-9.2", entity, on, rng))
    return out, f"{v.name} statement"


ENGAGEMENTS = {"SALES": ["Comp plan design", "CPQ configuration", "Territory planning"],
               "MKTG": ["Brand refresh", "Positioning workshop", "Website redesign"],
               "FIN": ["FP&A model build", "ASC 606 memo", "Transfer pricing study", "Sales tax nexus review"],
               "PROD": ["Pricing & packaging study", "UX research"], "EXEC": ["Board strategy offsite facilitation"],
               "HR": ["Compensation benchmarking", "Leadership coaching"], "IT": ["Security assessment", "Okta rollout"],
               "OPS": ["Cost optimisation review", "Kubernetes upgrade support"]}


def k_consulting(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    r = random.Random(f"dept-{v.vendor_id}")
    primary = r.choice(sorted(ENGAGEMENTS))
    dept = primary if rng.random() < 0.8 else rng.choice(sorted(ENGAGEMENTS))
    dims = {"department": dept, "location": ctx.hq(entity)}
    eng = rng.choice(ENGAGEMENTS[dept])
    proj = [p for p in ctx.projs if p.kind == "internal" and p.entity == entity and p.dept == dept and p.active(on)]
    if proj:  # CP-2.3: costs of an active internal project carry its project code
        dims["project"] = proj[0].proj_id
        eng = proj[0].short
    memo = roughen(rng, rng.choice([f"{eng} - phase {rng.randint(1, 3)}", f"Consulting services - {eng}",
                                    f"{eng} {period(rng, on)}"]))
    return [ctx.coded("6520", ctx.local(v.amount * rng.uniform(0.4, 1.5), entity), memo, dims, "CP-9.4", entity,
                      on, rng)], f"{v.name} {period(rng, on)}"


def k_it_services(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    dims = {"department": "IT", "location": ctx.hq(entity)}
    proj = [p for p in ctx.projs if p.kind == "internal" and p.entity == entity and p.dept in ("IT", "OPS")
            and p.active(on)]
    text = rng.choice(["Managed IT services", "Network support", "Laptop imaging & setup", "Helpdesk overflow"])
    if proj and rng.random() < 0.5:
        dims = {"department": proj[0].dept, "location": ctx.hq(entity), "project": proj[0].proj_id}
        text = f"{proj[0].short} implementation support"
    return [ctx.coded("6520", ctx.local(v.amount * rng.uniform(0.5, 1.4), entity), roughen(rng, f"{text} {period(rng, on)}"),
                      dims, "CP-9.4", entity, on, rng)], f"{v.name} {period(rng, on)}"


def k_ads(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    season = {10: 1.25, 11: 1.35, 12: 0.7, 1: 0.9, 8: 0.85}.get(on.month, 1.0)
    amt = ctx.local(v.amount * season * _growth(ctx, on, 0.2) * rng.uniform(0.85, 1.15), entity)
    memo = roughen(rng, f"{v.params['what']} {period(rng, on)}")
    dims = {"department": "MKTG", "location": ctx.hq(entity), "channel": "ONLINE"}
    return [ctx.coded("6600", amt, memo, dims, "CP-11.1", entity, on, rng)], f"{v.name} {period(rng, on)}"


def k_events(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    dims = {"department": "MKTG", "location": ctx.hq(entity), "channel": "DIRECT"}
    if not v.params and on.month == 1 and rng.random() < 0.7:
        # CP-7.4: the sales kickoff is an internal team event, whatever the venue usually hosts.
        dims = {"department": "SALES", "location": ctx.hq(entity)}
        memo = roughen(rng, f"Sales Kickoff {on.year} - venue & AV")
        return [ctx.coded("6140", ctx.local(v.amount * rng.uniform(1.0, 2.0), entity), memo, dims, "CP-7.4",
                          entity, on, rng)], f"{v.name} SKO {on.year}"
    text = v.params.get("what") or rng.choice(["Booth space", "Exhibit build & graphics", "Venue hire - customer event",
                                               "Partner summit venue", "Roundtable dinner venue"])
    if "Partner" in text:
        dims["channel"] = "PARTNER"
    memo = roughen(rng, f"{text} {on.year}")
    return [ctx.coded("6610", ctx.local(v.amount * rng.uniform(0.5, 1.5), entity), memo, dims, "CP-11.2", entity,
                      on, rng)], f"{v.name} {text}"[:60]


def k_agency(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    custs = [c for c in ctx.custs if c.entity == entity and c.active(on.replace(day=1))]
    work = rng.choice([("Monthly retainer", "DIRECT"), ("Paid social creative", "ONLINE"), ("SEO content - 4 articles", "ONLINE"),
                       (f"Case study video - {rng.choice(custs).short if custs else 'customer'}", "DIRECT"),
                       ("Partner co-marketing kit", "PARTNER"), ("PR retainer", "DIRECT")])
    dims = {"department": "MKTG", "location": ctx.hq(entity), "channel": work[1]}
    memo = roughen(rng, f"{work[0]} {period(rng, on)}")
    return [ctx.coded("6620", ctx.local(v.amount * rng.uniform(0.4, 1.4), entity), memo, dims, "CP-11.3", entity,
                      on, rng)], f"{v.name} {period(rng, on)}"


def k_training(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    p = v.params
    out = []
    if p.get("seats"):
        for d in p["seats"].split():
            n = ctx.headcount(entity, on, d)
            if n:
                memo = roughen(rng, f"{p['what']} - {DEPT_NAME[d]} {n} seats {on.year}")
                out.append(ctx.coded("6730", ctx.local(v.amount * n, entity), memo,
                                     {"department": d, "location": ctx.hq(entity)}, "CP-10.2", entity, on, rng))
        return out, f"{v.name} annual"
    staff = ctx.staff(entity, on, p.get("owner")) or ctx.staff(entity, on)
    e = rng.choice(staff)
    what = p.get("what") or rng.choice(["Leadership workshop", "Negotiation course", "Public speaking course",
                                        "Manager training cohort", "Excel modelling course"])
    memo = roughen(rng, f"{what} - {e.name}")
    return [ctx.coded("6730", ctx.local(v.amount * rng.uniform(0.5, 1.3), entity), memo,
                      {"department": e.dept, "location": e.loc}, "CP-10.2", entity, on, rng)], f"{v.name} {what}"


def k_membership(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    memo = roughen(rng, f"Annual membership {on.year}")
    return [ctx.coded("6720", ctx.local(v.amount, entity), memo,
                      {"department": v.params["owner"], "location": ctx.hq(entity)}, "CP-7.7", entity, on, rng)], \
        f"{v.name} membership {on.year}"


def k_rd(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    rnd = [p for p in ctx.projs if p.kind == "rnd" and p.entity == entity and p.active(on)]
    if not rnd:
        return [], ""
    out = []
    for _ in range(rng.choice([1, 1, 2])):
        p = rng.choice(rnd)
        parts = rng.choice(["ESP32 dev boards x20", "LoRa modules", "sensor breakout boards", "PCB prototypes rev C",
                            "enclosure prototypes", "LiPo batteries", "thermal sensors", "connectors & cable assy"])
        tag = rng.choice([p.short, p.proj_id, f"proj {p.short.split()[0].lower()}", ""])
        memo = roughen(rng, f"{parts} {('- ' + tag) if tag else ''}".strip())
        out.append(ctx.coded("6900", ctx.local(v.amount * rng.uniform(0.3, 1.8), entity), memo,
                             {"department": "ENG", "location": p.loc, "project": p.proj_id}, "CP-12.1", entity, on, rng))
    return out, f"{v.name} order"


def k_shipping(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    r = rng.random()
    amt = ctx.local(v.amount * rng.uniform(0.3, 1.8), entity)
    if r < 0.15:
        memo = roughen(rng, f"Booth freight - trade show {on.year}")
        return [ctx.coded("6610", amt, memo, {"department": "MKTG", "location": ctx.hq(entity), "channel": "DIRECT"},
                          "CP-11.2", entity, on, rng)], f"{v.name} freight"
    clients = [p for p in ctx.projs if p.kind == "client" and p.entity == entity and p.active(on)]
    if r < 0.27 and clients:
        p = rng.choice(clients)
        memo = roughen(rng, f"Shipment to {p.cust.short} - {p.sow}")
        return [ctx.coded("6240", amt, memo, {"department": "PS", "location": p.loc, "project": p.proj_id},
                          "CP-2.2", entity, on, rng)], f"{v.name} shipments"
    memo = roughen(rng, f"Shipping charges {period(rng, on)} acct {random.Random(v.vendor_id).randint(100000, 999999)}")
    return [ctx.coded("6240", amt, memo, {"department": "FAC", "location": ctx.hq(entity)}, "CP-7.6", entity, on,
                      rng)], f"{v.name} {period(rng, on)}"


def k_catering(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    r = rng.random()
    amt = ctx.local(v.amount * rng.uniform(0.4, 1.6), entity)
    if r < 0.3 or (on.month == 12 and r < 0.6):
        memo = roughen(rng, "Holiday party catering" if on.month == 12 else "All-hands lunch catering")
        return [ctx.coded("6140", amt, memo, {"department": "HR", "location": ctx.hq(entity)}, "CP-7.3", entity,
                          on, rng)], f"{v.name} order"
    clients = [p for p in ctx.projs if p.kind == "client" and p.entity == entity and p.active(on) and p.staff]
    if r < 0.45 and clients:
        p = rng.choice(clients)
        host = ctx.emp_by_id[p.staff[0]]
        memo = roughen(rng, f"Workshop catering - {p.cust.short} onsite")
        return [ctx.coded("6130", amt, memo, {"department": host.dept, "location": host.loc, "employee": host.emp_id,
                                              "project": p.proj_id}, "TE-4.1", entity, on, rng)], f"{v.name} order"
    dept = rng.choice(["SALES", "ENG", "CS", "PS", "MKTG", "FIN", "PROD", "SUP"])
    if not ctx.headcount(entity, on, dept):
        dept = "FAC"
    memo = roughen(rng, rng.choice([f"Team lunch - {DEPT_NAME[dept]}", f"{DEPT_NAME[dept]} offsite catering",
                                    f"Lunch order {DEPT_NAME[dept]} planning day"]))
    return [ctx.coded("6140", amt, memo, {"department": dept, "location": ctx.hq(entity)}, "CP-7.3", entity, on,
                      rng)], f"{v.name} order"


def k_supplies(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    out = []
    loc = rng.choice(_entity_offices(entity))
    base = v.amount * rng.uniform(0.4, 1.6)
    out.append(ctx.coded("6230", ctx.local(base, entity), roughen(rng, rng.choice([
        f"Office supplies order - {loc}", "Paper, toner, pens", "Breakroom & office supplies", "Supplies restock"])),
        {"department": "FAC", "location": loc}, "CP-7.1", entity, on, rng))
    if rng.random() < 0.25:
        staff = ctx.staff(entity, on)
        e = rng.choice(staff)
        out.append(ctx.coded("6230", ctx.local(rng.uniform(40, 160), entity),
                             roughen(rng, f"Business cards - {e.name}"), {"department": e.dept, "location": e.loc},
                             "CP-7.1", entity, on, rng))
    return out, f"{v.name} order"


def k_govt(ctx: Ctx, rng, v: Vend, entity: str, on: date, doc: str):
    memo = roughen(rng, f"{v.params['what']} {on.year}")
    return [ctx.coded("6740", ctx.local(v.amount, entity), memo, {"department": "FIN", "location": ctx.hq(entity)},
                      "CP-7.8", entity, on, rng)], f"{v.name} {on.year}"


KINDS = {
    "saas": k_saas, "license": k_saas, "hosting": k_hosting, "data": k_data,
    "telecom_mobile": k_telecom_mobile, "telecom_net": k_telecom_net,
    "utility": k_site("6210", "FAC", "CP-7.6", "Electricity"), "rent": k_site("6200", "FAC", "CP-7.6", "Rent"),
    "audit": k_audit, "payroll_svc": k_payroll_svc, "benefits_direct": k_benefits_direct, "insurance": k_insurance,
    "legal": k_legal, "consulting": k_consulting, "it_services": k_it_services, "ads": k_ads, "events": k_events,
    "agency": k_agency, "training": k_training, "membership": k_membership, "rd": k_rd, "shipping": k_shipping,
    "catering": k_catering, "supplies": k_supplies, "govt": k_govt,
}


def _facility(ctx, rng, v, entity, on, doc):
    if v.home:
        return k_generated_facility(ctx, rng, v, entity, on, doc)
    return k_site("6220", "FAC", "CP-7.6", "Facility services")(ctx, rng, v, entity, on, doc)


KINDS["facility"] = _facility


def run_ap(ctx: Ctx, docs: DocNumbers) -> None:
    """Post every vendor's bills, month by month (recruiting, subcontractors and benefits elsewhere)."""
    for v in ctx.vends:
        fn = KINDS.get(v.kind)
        if v.kind.startswith("multi:"):
            fn = products.multi
        elif v.kind == "equipment" or v.kind == "furniture":
            fn = products.equipment
        if fn is None:
            continue
        rng = ctx.rng(f"ap-{v.vendor_id}")
        for m in ctx.months:
            for entity in v.entities:
                for on in bill_dates(rng, v, m):
                    if not v.live(on):
                        continue
                    doc = docs.next(v, on)
                    lines, desc = fn(ctx, rng, v, entity, on, doc)
                    if lines:
                        ctx.post_bill(v, entity, on, lines, doc, desc, rng=rng,
                                      terms=rng.choice([30, 30, 30, 15, 45, 60]) if v.cadence not in ("M", "A") else 30)
