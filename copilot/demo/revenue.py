"""Revenue and receivables: subscription invoices (monthly or annual in advance), deferred revenue
recognition, time-and-materials services invoices from timesheets, training invoices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from copilot.demo.chart import BILL_RATE, VAT_RATE
from copilot.demo.context import Ctx
from copilot.demo.ledger import ZERO, Entry, Line, business_day, month_end, q
from copilot.demo.masters import Cust

SALES_TAX_US = Decimal("0.08")


@dataclass
class Invoice:
    inv_id: str
    doc_no: str
    cust: Cust
    entity: str
    on: date
    due: date
    total: Decimal
    description: str
    entry: Entry
    payments: list[tuple[date, Decimal, str]] = field(default_factory=list)
    written_off: date | None = None


def anniversary(c: Cust, start: date) -> int:
    return c.first.month if c.first > start else int(c.cust_id[1:]) % 12 + 1


def _invoice(ctx: Ctx, c: Cust, on: date, revenue_lines: list[Line], description: str, counter: list[int],
             terms: int = 30) -> Invoice:
    net = sum((-ln.amount for ln in revenue_lines), ZERO)
    lines = list(revenue_lines)
    if c.entity != "US01":
        rate = VAT_RATE[c.entity]
        lines.append(Line("2210", -q(net * rate), f"Output VAT {int(rate * 100)}%", {}))
    elif int(c.cust_id[1:]) % 10 < 3:  # customers in states that tax SaaS
        lines.append(Line("2200", -q(net * SALES_TAX_US), "Sales tax", {}))
    total = -sum((ln.amount for ln in lines), ZERO)
    counter[0] += 1
    doc = f"INV-{c.entity[:2]}-{counter[0]:06d}"
    lines.append(Line("1100", total, description, {"customer": c.cust_id}))
    entry = ctx.book.add(Entry(c.entity, on, "ARJ", f"AR invoice {doc} - {c.name}", lines, document=doc,
                               created=datetime(on.year, on.month, on.day, 7, 30), source="ar_invoice",
                               user="billing.system"))
    inv = Invoice(inv_id=str(90000 + counter[0]), doc_no=doc, cust=c, entity=c.entity, on=on,
                  due=on + timedelta(days=terms), total=total, description=description, entry=entry)
    entry.meta["invoice"] = inv
    ctx.invoices.append(inv)
    return inv


def run_revenue(ctx: Ctx) -> dict[tuple[str, date], dict[str, Decimal]]:
    """Post invoices and recognition; return subscription revenue by (entity, month) and class (CA-4)."""
    rng = ctx.rng("revenue")
    counter = [0]
    start = ctx.months[0]
    mrr = {c.cust_id: c.mrr for c in ctx.custs}
    by_class: dict[tuple[str, date], dict[str, Decimal]] = {}
    deferred: dict[tuple[str, str], list[Decimal]] = {}  # (customer, class) -> remaining monthly amounts
    for c in ctx.custs:  # annual customers mid-term on day one carry deferred revenue from before
        if c.billing == "annual" and c.first <= start:
            ann = anniversary(c, start)
            remaining = (ann - start.month) % 12 or 12
            if ann == start.month:
                continue
            for cls, share in _classes(c):
                amt = q(mrr[c.cust_id] * share)
                deferred[(c.cust_id, cls)] = [amt] * remaining
                ctx.opening_deferred[(c.cust_id, cls)] = amt * remaining
    for m in ctx.months:
        end = month_end(m)
        first_bd = business_day(m)
        for c in ctx.custs:
            if not c.active(m):
                continue
            r = rng.random()
            if m > c.first and r < 0.012:
                mrr[c.cust_id] = q(mrr[c.cust_id] * Decimal("1.2"))
            elif m > c.first and r < 0.018:
                mrr[c.cust_id] = q(mrr[c.cust_id] * Decimal("0.85"))
            base = {"customer": c.cust_id, "location": c.loc, "channel": c.channel}
            if c.billing == "monthly":
                lines = [Line("4000", -q(mrr[c.cust_id] * share), f"{_plan(cls)} subscription {m:%b %Y}",
                              dict(base, **{"class": cls})) for cls, share in _classes(c)]
                _invoice(ctx, c, first_bd, lines, f"Subscription {m:%b %Y}", counter,
                         terms=0 if c.channel == "ONLINE" else 30)
                for ln in lines:
                    _add(by_class, c.entity, m, ln.dims["class"], -ln.amount)
            elif anniversary(c, start) == m.month:
                lines = []
                for cls, share in _classes(c):
                    monthly = q(mrr[c.cust_id] * share)
                    lines.append(Line("2300", -monthly * 12,
                                      f"{_plan(cls)} annual subscription {m:%b %Y}-{_prev_month(m):%b} {m.year + 1}",
                                      {"customer": c.cust_id, "class": cls}))
                    deferred[(c.cust_id, cls)] = deferred.get((c.cust_id, cls), []) + [monthly] * 12
                _invoice(ctx, c, first_bd, lines, f"Annual subscription {m:%b %Y}", counter)
            if rng.random() < 0.025 and c.channel != "ONLINE":
                amt = ctx.local(rng.choice([1500, 2400, 3200, 4800, 6000]), c.entity)
                _invoice(ctx, c, business_day(m + timedelta(days=rng.randint(3, 20))),
                         [Line("4200", -amt, rng.choice(["Admin training - 2 day workshop", "End-user training sessions",
                                                         "Analytics certification course"]),
                               dict(base, **{"class": "SVCS"}))], "Training services", counter)
        # Recognition of annual subscriptions (CP-13.2), one entry per entity.
        rec: dict[str, list[Line]] = {}
        cust_by_id = {c.cust_id: c for c in ctx.custs}
        for (cid, cls), queue in sorted(deferred.items()):
            if not queue:
                continue
            c = cust_by_id[cid]
            amt = queue.pop(0)
            memo = f"Revenue recognition {m:%b %Y}"
            rec.setdefault(c.entity, []).extend([
                Line("2300", amt, memo, {"customer": cid, "class": cls}),
                Line("4000", -amt, memo, {"customer": cid, "location": c.loc, "class": cls, "channel": c.channel})])
            _add(by_class, c.entity, m, cls, amt)
        for entity, lines in sorted(rec.items()):
            ctx.book.add(Entry(entity, end, "GJ", f"Deferred revenue release {m:%b %Y}", lines, source="revenue",
                               created=datetime(end.year, end.month, end.day, 20), user="billing.system"))
        # Time-and-materials services billed at month end from approved timesheets (CP-13.3).
        for p in ctx.projs:
            hours = ctx.ts.by_month.get((p.proj_id, m))
            if p.kind != "client" or not hours:
                continue
            c = p.cust
            h = sum(hours.values(), Decimal(0))
            amt = q(h * BILL_RATE[p.entity])
            ln = Line("4100", -amt, f"Professional services {m:%b %Y} - {h} hrs - {p.sow}",
                      {"customer": c.cust_id, "project": p.proj_id, "location": c.loc, "class": "SVCS",
                       "channel": c.channel, "department": "PS"})
            _invoice(ctx, c, end, [ln], f"Services {m:%b %Y} {p.sow}", counter)
    return by_class


def _classes(c: Cust) -> list[tuple[str, Decimal]]:
    return [("PLAT", Decimal("1"))] + ([("ANLY", Decimal("0.25"))] if c.analytics else [])


def _plan(cls: str) -> str:
    return "Harborview Platform" if cls == "PLAT" else "Analytics add-on"


def _prev_month(m: date) -> date:
    return m - timedelta(days=1)


def _add(acc, entity, m, cls, amt) -> None:
    d = acc.setdefault((entity, m), {})
    d[cls] = d.get(cls, ZERO) + amt
