"""Bills that follow people and projects: subcontractors on client projects, agency placement fees."""

from __future__ import annotations

from datetime import timedelta

from copilot.demo.context import Ctx
from copilot.demo.ledger import business_day, dec, month_end
from copilot.demo.vocab import roughen

MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def run_subcontractors(ctx: Ctx, post) -> None:
    """CP-2.1: subcontractor invoices are cost of services on the client project they worked on.

    A subcontractor is placed on one project (sometimes two) and moves on when it ends, so the
    vendor's history alone points at the wrong project after each move; the memo names the SOW,
    the customer or only a PO number.
    """
    rng = ctx.rng("subcontractors")
    subs = [v for v in ctx.vends if v.kind == "subcontractor"]
    placed: dict[str, list] = {}  # vendor -> projects
    last = month_end(ctx.months[-1])
    for m in ctx.months:
        end = month_end(m)
        for v in subs:
            entity = v.home
            current = [p for p in placed.get(v.vendor_id, []) if p.start <= end and m <= p.end]
            if not current and v.live(m) and rng.random() < 0.75:
                options = [p for p in ctx.projs if p.kind == "client" and p.entity == entity
                           and p.start <= end and m <= p.end]
                if options:
                    current = [rng.choice(options)]
                    if rng.random() < 0.2 and len(options) > 1:
                        current.append(rng.choice([p for p in options if p is not current[0]]))
            placed[v.vendor_id] = current
            if not current:
                continue
            on = business_day(end + timedelta(days=rng.randint(1, 6)))
            if on > last or not v.live(on):
                continue
            rate = [95, 110, 125, 140, 155][int(v.vendor_id[1:]) % 5]  # each contractor has its day rate
            lines = []
            po = f"PO-{4000 + int(v.vendor_id[1:]) % 900}"
            for p in current:
                hours = rng.choice([24, 32, 40, 56, 64, 72, 80, 96, 120, 136]) + rng.choice([0, 0.5, 4, 7.5])
                amt = ctx.local(rate * hours, entity)
                memo = rng.choice([f"Consulting services {MON[m.month - 1]} {m.year} - {hours} hrs - {p.sow}",
                                   f"{p.cust.short} implementation support {MON[m.month - 1]}-{m.year % 100}",
                                   f"Services rendered {MON[m.month - 1]} {m.year} per {po}",
                                   f"{hours}h {p.sow} {MON[m.month - 1].lower()}"])
                lines.append(ctx.coded("5200", amt, roughen(rng, memo),
                                       {"department": "PS", "location": p.loc, "project": p.proj_id,
                                        "class": "SVCS"}, "CP-2.1", entity, on, rng))
            post(v, entity, on, lines, f"{v.name} {MON[m.month - 1]} {m.year} services")


def run_recruiting(ctx: Ctx, post) -> None:
    """CP-10.1: agency placement fees go to the hiring department and location."""
    rng = ctx.rng("recruiting")
    first, last = ctx.months[0], month_end(ctx.months[-1])
    for e in ctx.emps:
        if not e.via_agency or e.hired < first:
            continue
        on = business_day(e.hired + timedelta(days=rng.randint(5, 25)))
        if on > last:
            continue
        agencies = [v for v in ctx.vends if v.kind == "recruiting" and e.entity in v.entities and v.live(on)]
        if not agencies:
            continue
        v = agencies[int(e.emp_id[1:]) % len(agencies)] if rng.random() < 0.6 else rng.choice(agencies)
        fee = dec(e.salary * dec(rng.choice([0.18, 0.2, 0.2, 0.22, 0.25])))
        memo = rng.choice([f"Placement fee - {e.role} - {e.name}", f"Perm placement: {e.name}, start {e.hired:%m/%d/%Y}",
                           f"Search fee - {e.role} ({e.name})", f"Candidate {e.name} placement"])
        line = ctx.coded("6530", fee, roughen(rng, memo), {"department": e.dept, "location": e.loc}, "CP-10.1",
                         e.entity, on, rng)
        post(v, e.entity, on, [line], f"{v.name} placement {e.name}")
