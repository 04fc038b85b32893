"""Intercompany: management fees (IC-2), R&D services (IC-3), software recharges (IC-4), settlement (IC-6).

Every charge is booked twice, once in each entity; ``ctx.ic_pairs`` records both sides and what went
wrong, if anything: most pairs match; some differ by FX (the receiver used a spot rate), by timing
(booked next month), miss a side, or use the wrong due-to account (labelled, extras/intercompany_pairs.csv).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from copilot.demo.chart import CURRENCY, GA_DEPARTMENTS, MGMT_FEE_MARKUP, MGMT_FEE_SHARE
from copilot.demo.context import BankLine, Ctx
from copilot.demo.ledger import ZERO, Entry, Line, business_day, month_end, q

DUE_FROM = {"US01": "1310", "UK01": "1320", "DE01": "1330"}
DUE_TO = {"US01": "2310", "UK01": "2320", "DE01": "2330"}
RND_MARKUP = Decimal("0.08")  # IC-3.1
STATUSES = ["matched"] * 80 + ["fx_difference"] * 6 + ["timing_difference"] * 6 + ["missing_side"] * 3 + \
    ["wrong_account"] * 5


def _created(d: date, days: int) -> datetime:
    return datetime(d.year, d.month, d.day, 15) + timedelta(days=days)


class IcBook:
    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("intercompany")
        self.n = 0
        self.last = month_end(ctx.months[-1])

    def pair(self, kind: str, seller: str, buyer: str, on: date, doc_currency: str, doc_amount: Decimal,
             seller_lines, buyer_lines, memo: str) -> None:
        """Book the seller side as issued and the buyer side with whatever defect the draw gives."""
        ctx, rng = self.ctx, self.rng
        self.n += 1
        pair_id = f"ICP-{self.n:04d}"
        status = rng.choice(STATUSES)
        fx = ctx.fx
        rate_seller = fx.rate(doc_currency, on) / fx.rate(CURRENCY[seller], on)
        seller_amt = q(doc_amount * rate_seller)
        s_entry = ctx.book.add(Entry(seller, on, "ICJ", f"{memo} ({pair_id})", seller_lines(seller_amt),
                                     document=pair_id, source="ic", created=_created(on, 3), user="ic.accountant"))
        b_on = on
        rate_buyer = fx.rate(doc_currency, on) / fx.rate(CURRENCY[buyer], on)
        if status == "fx_difference":  # the receiver took a spot rate instead of the monthly rate (IC-5.1)
            rate_buyer = fx.daily(doc_currency, on) / fx.daily(CURRENCY[buyer], on)
        if status == "timing_difference":
            b_on = business_day(month_end(on) + timedelta(days=rng.randint(4, 12)))
        buyer_amt = q(doc_amount * rate_buyer)
        due_to = DUE_TO[seller]
        if status == "wrong_account":
            due_to = rng.choice([a for a in DUE_TO.values() if a not in (DUE_TO[seller], DUE_TO[buyer])] + ["2050"])
        b_entry = None
        if status != "missing_side" and b_on <= self.last:
            b_entry = ctx.book.add(Entry(buyer, b_on, "ICJ", f"{memo} ({pair_id})", buyer_lines(buyer_amt, due_to),
                                         document=pair_id, source="ic", created=_created(b_on, 5),
                                         user="ic.accountant"))
        elif status != "missing_side":
            status = "timing_difference"  # the other side falls after the history ends
        usd_seller = q(seller_amt * fx.rate(CURRENCY[seller], on))
        usd_buyer = q(buyer_amt * fx.rate(CURRENCY[buyer], b_on)) if b_entry else ZERO
        ctx.ic_pairs.append({
            "pair_id": pair_id, "kind": kind, "status": status, "seller": seller, "buyer": buyer,
            "document_currency": doc_currency, "document_amount": str(doc_amount),
            "seller_date": on.isoformat(), "seller_amount": str(seller_amt), "seller_currency": CURRENCY[seller],
            "buyer_date": b_on.isoformat() if b_entry else "", "buyer_amount": str(buyer_amt) if b_entry else "",
            "buyer_currency": CURRENCY[buyer], "buyer_account": due_to if b_entry else "",
            "usd_difference": str(usd_seller - usd_buyer), "_seller_entry": s_entry, "_buyer_entry": b_entry})


def run_intercompany(ctx: Ctx) -> None:
    ic = IcBook(ctx)
    pools = _ga_pools(ctx)
    for m in ctx.months:
        end = month_end(m)
        # IC-2: management fee = US01 G&A pool x fixed share x (1 + 5 % markup), invoiced in USD.
        for sub, share in sorted(MGMT_FEE_SHARE.items()):
            fee = q(pools.get(m, ZERO) * share * (1 + MGMT_FEE_MARKUP))
            if fee <= 0:
                continue
            memo = f"Mgmt fee {m:%b %Y} {sub}"
            ic.pair("management_fee", "US01", sub, end, "USD", fee,
                    lambda a, s=sub, t=memo: [Line(DUE_FROM[s], a, t, {}), Line("4300", -a, t, {"location": "NYC"})],
                    lambda a, due, s=sub, t=memo: [Line("6950", a, t, {"department": "EXEC", "location": ctx.hq(s)}),
                                                   Line(due, -a, t, {})], memo)
        # IC-3: DE01 engineering works for US01 at cost + 8 %, invoiced monthly in EUR.
        de_eng = sum((q(e.salary / 12) for e in ctx.staff("DE01", end, "ENG")), ZERO)
        if de_eng > 0:
            fee = q(de_eng * (1 + RND_MARKUP))
            memo = f"R&D services {m:%b %Y} DE01"
            ic.pair("rnd_services", "DE01", "US01", end, "EUR", fee,
                    lambda a, t=memo: [Line(DUE_FROM["US01"], a, t, {}), Line("4300", -a, t, {"location": "BER"})],
                    lambda a, due, t=memo: [Line("6950", a, t, {"department": "ENG", "location": "SFO"}),
                                            Line(due, -a, t, {})], memo)
        # IC-4: each quarter, the parent recharges shared software to the subsidiaries by headcount, at cost.
        if m.month % 3 == 0:
            quarter = [mm for mm in ctx.months if mm <= m and (m.year, (m.month - 1) // 3) == (mm.year, (mm.month - 1) // 3)]
            for acct in ("6400", "6410"):
                base = sum((ctx.recharge_base.get((mm, acct), ZERO) for mm in quarter), ZERO)
                non_us = ctx.headcount("UK01", end) + ctx.headcount("DE01", end)
                if base <= 0 or not non_us:
                    continue
                for sub in ("UK01", "DE01"):
                    amt = q(base * ctx.headcount(sub, end) / non_us)
                    if amt <= 0:
                        continue
                    memo = f"IC recharge Q{(m.month - 1) // 3 + 1}-{m.year % 100} shared software {sub}"
                    ic.pair("software_recharge", "US01", sub, end, "USD", amt,
                            lambda a, s=sub, t=memo, ac=acct: [Line(DUE_FROM[s], a, t, {}),
                                                               Line(ac, -a, t, {"department": "IT", "location": "NYC"})],
                            lambda a, due, s=sub, t=memo, ac=acct: [Line(ac, a, t, {"department": "IT",
                                                                                    "location": ctx.hq(s)}),
                                                                    Line(due, -a, t, {})], memo)
    settle(ctx)


def settle(ctx: Ctx) -> None:
    """IC-6.1: balances of a quarter are settled in cash on the 15th after quarter end, in the invoice
    currency; the payer's difference against its booked amounts is FX (7200)."""
    rng = ctx.rng("ic-settlement")
    fx = ctx.fx
    by_quarter: dict[tuple[date, str, str], list[dict]] = {}
    for p in ctx.ic_pairs:
        d = date.fromisoformat(p["seller_date"])
        q_end = month_end(date(d.year, ((d.month - 1) // 3) * 3 + 3, 1))
        by_quarter.setdefault((q_end, p["seller"], p["buyer"]), []).append(p)
    last = month_end(ctx.months[-1])
    for (q_end, seller, buyer), pairs in sorted(by_quarter.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        on = business_day(q_end + timedelta(days=15))
        if on > last:
            continue
        doc_cur = pairs[0]["document_currency"]
        doc_total = sum((Decimal(p["document_amount"]) for p in pairs), ZERO)
        seller_book = sum((Decimal(p["seller_amount"]) for p in pairs), ZERO)
        booked = [p for p in pairs if p["_buyer_entry"] is not None and p["buyer_account"] == DUE_TO[seller]
                  and date.fromisoformat(p["buyer_date"]) <= on]
        buyer_book = sum((Decimal(p["buyer_amount"]) for p in booked), ZERO)
        pay_local = q(doc_total * fx.rate(doc_cur, on) / fx.rate(CURRENCY[buyer], on))
        receive_local = q(doc_total * fx.rate(doc_cur, on) / fx.rate(CURRENCY[seller], on))
        memo = f"IC settlement {q_end:%b %Y} quarter {buyer}->{seller}"
        b_lines = [Line(DUE_TO[seller], buyer_book, memo, {}),
                   Line("1000", -pay_local, memo, {"location": ctx.hq(buyer)})]
        diff = pay_local - buyer_book
        if diff:
            b_lines.append(Line("7200", diff, f"FX on {memo}", {"location": ctx.hq(buyer)}))
        s_lines = [Line("1000", receive_local, memo, {"location": ctx.hq(seller)}),
                   Line(DUE_FROM[buyer], -seller_book, memo, {})]
        if receive_local != seller_book:
            s_lines.append(Line("7200", seller_book - receive_local, f"FX on {memo}", {"location": ctx.hq(seller)}))
        be = ctx.book.add(Entry(buyer, on, "CDJ", memo, b_lines, source="ic_settlement", user="treasury",
                                created=_created(on, 0)))
        se = ctx.book.add(Entry(seller, on, "CRJ", memo, s_lines, source="ic_settlement", user="treasury",
                                created=_created(on, 1)))
        names = {"US01": "HARBORVIEW ANALYTICS INC", "UK01": "HARBORVIEW ANALYTICS LTD",
                 "DE01": "HARBORVIEW ANALYTICS GMBH"}
        ref = rng.randint(10**9, 10**10 - 1)
        ctx.bank.append(BankLine(buyer, on, -pay_local, f"WIRE OUT {ref} BNF:{names[seller]} IC SETTLEMENT",
                                 "intercompany", entry=be))
        ctx.bank.append(BankLine(seller, on + timedelta(days=1), receive_local,
                                 f"WIRE IN {ref} ORG:{names[buyer]} REF IC SETTLEMENT {q_end:%b%y}".upper(),
                                 "intercompany", entry=se))


def _ga_pools(ctx: Ctx) -> dict[date, Decimal]:
    """IC-2.1: US01 operating expenses in the G&A departments, before allocations."""
    pools: dict[date, Decimal] = {}
    for e in ctx.book.entries:
        if e.entity != "US01" or e.source in ("allocation", "ic", "opening"):
            continue
        m = e.date.replace(day=1)
        for ln in e.lines:
            if ln.account.startswith("6") and ln.account != "6950" and ln.dims.get("department") in GA_DEPARTMENTS:
                pools[m] = pools.get(m, ZERO) + ln.amount
    return pools
