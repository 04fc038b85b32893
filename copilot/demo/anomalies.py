"""Human inconsistency (noise) and injected anomalies, both labelled.

Noise: a person codes a line plausibly but against policy (neighbouring department, a sibling
account, the pre-change SaaS account, another office, a forgotten optional project). Every noisy
line stays valid (active codes, required dimensions present) and remembers the policy coding.

Anomalies (extras/anomaly_labels.csv) are what a reviewer should catch: duplicate bills, decimal-
shift outliers, round-sum manual entries, suspense postings, account-department combinations never
seen, weekend entries, entries into closed periods, codes from another entity, retired codes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from copilot.demo.chart import LOCATIONS, POLICY_CHANGE, build_accounts, entity_locations
from copilot.demo.context import Bill, Ctx
from copilot.demo.ledger import Entry, Line, dec, month_end, nth_business_day

DEPT_CONFUSION = {"SALES": ["CS", "MKTG"], "CS": ["SALES", "SUP", "PS"], "MKTG": ["SALES"], "ENG": ["PROD", "OPS"],
                  "PROD": ["ENG"], "OPS": ["ENG", "IT"], "IT": ["OPS", "FAC"], "FIN": ["EXEC"], "HR": ["EXEC", "FIN"],
                  "EXEC": ["FIN"], "PS": ["CS"], "SUP": ["CS"], "FAC": ["EXEC", "IT"], "LEGAL": ["EXEC", "FIN"]}
ACCOUNT_CONFUSION = {"6130": ["6140"], "6140": ["6130"], "6110": ["6100"], "6120": ["6100", "6130"],
                     "6230": ["6450"], "6450": ["6230", "6230", "1500"], "6410": ["6400"], "6400": ["6410"], "6520": ["6500"],
                     "6500": ["6520"], "6610": ["6620"], "6620": ["6610"], "6600": ["6620"], "5200": ["6520"],
                     "5000": ["6420"], "6420": ["5000"], "6730": ["6720"], "6720": ["6730"], "1500": ["6450"],
                     "6300": ["6410"], "6240": ["6230"], "6530": ["6520"], "6220": ["6230"]}


class Noise:
    """Miscodes a share of human-coded lines; ``rate`` is the chance per line (some lines have no
    plausible alternative, so the realized rate is a little lower)."""

    def __init__(self, rate: float = 0.04) -> None:
        self.rate = rate
        self.accounts = build_accounts()
        self.locs = {e: entity_locations(e) for e in ("US01", "UK01", "DE01")}

    def apply(self, ln: Line, entity: str, on: date, rng: random.Random) -> None:
        # Right after the SaaS policy change people keep using the old account for a while.
        transition = ln.account == "6410" and on < POLICY_CHANGE + timedelta(days=75)
        if rng.random() >= (self.rate + (0.25 if transition else 0)):
            return
        if transition:
            self._set(ln, "6400", dict(ln.dims), "old_saas_account")
            return
        options = []
        if ln.dims.get("department") in DEPT_CONFUSION and ln.account[0] in "56":
            options += ["department"] * 4
        if ln.account in ACCOUNT_CONFUSION:
            options += ["account"] * 4
        if "location" in ln.dims and len(self.locs[entity]) > 1 and ln.account[0] in "56":
            options += ["location"]
        if "project" in ln.dims and "project" not in self.accounts[ln.account].required_dimensions:
            options += ["missing_project"] * 2
        if not options:
            return
        kind = rng.choice(options)
        dims = dict(ln.dims)
        if kind == "department":
            dims["department"] = rng.choice(DEPT_CONFUSION[dims["department"]])
            self._set(ln, ln.account, dims, "wrong_department")
        elif kind == "account":
            new = rng.choice(ACCOUNT_CONFUSION[ln.account])
            required = self.accounts[new].required_dimensions
            if new == "6450" and ln.account == "1500" and "department" not in dims:
                return
            if not all(dims.get(k) for k in required):
                return
            kind = "capitalization_error" if {new, ln.account} == {"1500", "6450"} else \
                "old_saas_account" if new == "6400" and ln.account == "6410" else "wrong_account"
            self._set(ln, new, dims, kind)
        elif kind == "location":
            dims["location"] = rng.choice([x for x in self.locs[entity] if x != dims["location"]])
            self._set(ln, ln.account, dims, "wrong_location")
        else:
            dims.pop("project")
            self._set(ln, ln.account, dims, "missing_project")

    @staticmethod
    def _set(ln: Line, account: str, dims: dict[str, str], kind: str) -> None:
        ln.truth = (ln.account, dict(ln.dims))
        ln.account, ln.dims, ln.noise = account, dims, kind


@dataclass
class Label:
    line: Line
    entry: Entry
    kind: str
    detail: str


@lru_cache(maxsize=None)
def close_date(m: date) -> datetime:
    """PC-1.1/1.2: a month closes on the 5th business day after it ends (December: the 15th)."""
    nxt = month_end(m) + timedelta(days=1)
    n = 15 if m.month == 12 else 5
    return datetime.combine(nth_business_day(nxt, n), time(18, 0))


class Injector:
    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("anomalies")
        self.labels: list[Label] = []
        self.scale = len(ctx.months)

    def label_entry(self, entry: Entry, kind: str, detail: str, only=None) -> None:
        for ln in entry.lines:
            if only is None or only(ln):
                self.labels.append(Label(ln, entry, kind, detail))
        entry.meta["anomaly"] = kind

    def _count(self, per_month: float) -> int:
        return max(1, int(round(per_month * self.scale)))

    def _bills(self, pred) -> list[Bill]:
        return [b for b in self.ctx.bills if b.duplicate_of is None and pred(b) and "anomaly" not in b.entry.meta]

    # --- before payments: these bills get paid like any other -------------------------------------
    def duplicates(self, per_month: float = 3.0) -> None:
        ctx, rng = self.ctx, self.rng
        last = month_end(ctx.months[-1])
        pool = self._bills(lambda b: b.vendor.kind not in ("hosting", "travel_agency"))
        for b in rng.sample(pool, min(len(pool), self._count(per_month))):
            on = b.on + timedelta(days=rng.randint(2, 25))
            if on > last:
                continue
            doc = rng.choice([b.doc_no, b.doc_no, f"{b.doc_no}-1", b.doc_no.replace("-", ""), f"{b.doc_no} "])
            lines = [Line(ln.account, ln.amount, ln.memo, dict(ln.dims), rule=ln.rule) for ln in b.lines]
            dup = ctx.post_bill(b.vendor, b.entity, on, lines, doc, b.description, rng=rng)
            dup.duplicate_of = b.bill_id
            self.label_entry(dup.entry, "duplicate", f"duplicate of AP bill {b.bill_id} ({b.doc_no})")

    def outliers(self, per_month: float = 2.0) -> None:
        rng = self.rng
        # Vendors whose amounts feed no allocation or accrual, so the slip stays in its own bill.
        kinds = {"telecom_mobile", "telecom_net", "facility", "audit", "payroll_svc", "benefits_direct", "ads", "govt",
                 "supplies", "catering", "legal", "consulting", "agency"}
        pool = self._bills(lambda b: b.vendor.kind in kinds and len(b.entry.lines) <= 5)
        for b in rng.sample(pool, min(len(pool), self._count(per_month))):
            factor = rng.choice([Decimal(10), Decimal(10), Decimal(100)])
            for ln in b.entry.lines:
                ln.amount = ln.amount * factor
            b.total = b.total * factor
            self.label_entry(b.entry, "amount_outlier", f"{factor}x the vendor's usual amount (decimal slip)")

    # --- after the flows -----------------------------------------------------------------------------
    def manual_entries(self) -> None:
        ctx, rng = self.ctx, self.rng
        months = ctx.months
        for _ in range(self._count(2.0)):  # round sums with vague memos
            m = rng.choice(months)
            entity = rng.choice(["US01", "US01", "UK01", "DE01"])
            on = nth_business_day(m, rng.randint(8, 18))
            amt = ctx.local(rng.choice([5000, 10000, 20000, 25000, 50000]), entity).quantize(Decimal("1000"))
            acct = rng.choice(["6520", "6500", "6620", "6720"])
            dept = rng.choice(["EXEC", "FIN", "MKTG"])
            memo = rng.choice(["adj", "per CFO", "true-up", "reclass", "misc adjustment", "accrual adj - see email"])
            e = ctx.book.add(Entry(entity, on, "GJ", memo, [
                Line(acct, amt, memo, {"department": dept, "location": ctx.hq(entity)}),
                Line("2050", -amt, memo, {})], source="manual", user=rng.choice(["controller", "cfo"]),
                created=datetime(on.year, on.month, on.day, 17, 40)))
            self.label_entry(e, "round_amount", f"round {amt} with no support")
        for _ in range(self._count(2.0)):  # suspense
            m = rng.choice(months)
            entity = rng.choice(["US01", "UK01", "DE01"])
            on = nth_business_day(m, rng.randint(2, 19))
            amt = dec(rng.uniform(150, 18000))
            if rng.random() < 0.5:
                lines = [Line("9999", amt, "Unidentified payment - investigate", {}),
                         Line("1000", -amt, "Unidentified payment", {"location": ctx.hq(entity)})]
            else:
                lines = [Line("1000", amt, "Unidentified receipt", {"location": ctx.hq(entity)}),
                         Line("9999", -amt, "Unidentified receipt - to be reclassed", {})]
            e = ctx.book.add(Entry(entity, on, "GJ", "Suspense", lines, source="manual", user="ap.clerk",
                                   created=datetime(on.year, on.month, on.day, 16)))
            self.label_entry(e, "suspense", "posted to suspense 9999 and never cleared",
                             only=lambda ln: ln.account == "9999")
        for _ in range(self._count(1.2)):  # weekend manual reclass
            m = rng.choice(months)
            d = m + timedelta(days=rng.randint(3, 24))
            while d.weekday() < 5:
                d += timedelta(days=1)
            entity = rng.choice(["US01", "UK01", "DE01"])
            amt = dec(rng.uniform(800, 30000))
            a, b = rng.sample(["6520", "6500", "6620", "6410", "6230"], 2)
            memo = rng.choice(["reclass", "fix coding", "move to correct acct"])
            e = ctx.book.add(Entry(entity, d, "GJ", memo, [
                Line(a, amt, memo, {"department": "FIN", "location": ctx.hq(entity)}),
                Line(b, -amt, memo, {"department": "FIN", "location": ctx.hq(entity)})], source="manual",
                user="temp.user", created=datetime(d.year, d.month, d.day, 23, rng.randint(0, 59))))
            self.label_entry(e, "weekend_posting", f"manual entry dated and created on a {d:%A}")
        closed = [m for m in months if close_date(m) < datetime.combine(month_end(months[-1]), time(0))]
        for _ in range(self._count(1.2) if closed else 0):  # after close
            m = rng.choice(closed)
            entity = rng.choice(["US01", "UK01", "DE01"])
            on = month_end(m)
            created = close_date(m) + timedelta(days=rng.randint(3, 40), hours=rng.randint(1, 5))
            amt = dec(rng.uniform(1200, 40000))
            acct = rng.choice(["6520", "6510", "6600", "5200"])
            dims = {"department": "FIN" if acct != "6600" else "MKTG", "location": ctx.hq(entity)}
            if acct == "6600":
                dims["channel"] = "ONLINE"
            if acct == "5200":
                projs = [p for p in ctx.projs if p.entity == entity and p.kind == "client" and p.active(on)]
                if not projs:
                    continue
                dims = {"department": "PS", "location": projs[0].loc, "project": projs[0].proj_id, "class": "SVCS"}
            e = ctx.book.add(Entry(entity, on, "GJ", f"Late accrual {m:%b %Y}", [
                Line(acct, amt, f"Late accrual {m:%b %Y}", dims), Line("2050", -amt, "Late accrual", {})],
                source="manual", user="controller", created=created))
            self.label_entry(e, "after_close", f"dated {on} in a period closed {close_date(m):%Y-%m-%d}, "
                                               f"created {created:%Y-%m-%d}")

    def line_anomalies(self) -> None:
        """Change single human-coded lines: never-seen combinations, other-entity codes, retired codes."""
        ctx, rng = self.ctx, self.rng
        seen = {(ln.account, ln.dims.get("department")) for e in ctx.book.entries for ln in e.lines}
        candidates = [(e, ln) for e in ctx.book.entries if e.source in ("ap_bill", "card") and "anomaly" not in e.meta
                      for ln in e.lines if ln.codable and not ln.noise and "department" in ln.dims]
        rng.shuffle(candidates)
        it = iter(candidates)
        depts = ["EXEC", "FIN", "HR", "LEGAL", "IT", "FAC", "SALES", "MKTG", "CS", "PS", "SUP", "ENG", "PROD", "OPS"]
        done = 0
        for e, ln in it:
            if done >= self._count(3.0):
                break
            fresh = [d for d in depts if (ln.account, d) not in seen]
            if not fresh:
                continue
            d = rng.choice(fresh)
            seen.add((ln.account, d))
            ln.dims = dict(ln.dims, department=d)
            self.labels.append(Label(ln, e, "unusual_combination", f"account {ln.account} never carries department {d}"))
            e.meta["anomaly"] = "unusual_combination"
            done += 1
        other_loc = {ent: [c for c, _n, en, st in LOCATIONS if en != ent and st == "active"] for ent in ("US01", "UK01", "DE01")}
        done = 0
        for e, ln in it:
            if done >= self._count(1.5):
                break
            if "anomaly" in e.meta or "location" not in ln.dims:
                continue
            bad = rng.choice(other_loc[e.entity])
            ln.dims = dict(ln.dims, location=bad)
            self.labels.append(Label(ln, e, "wrong_entity", f"location {bad} belongs to another entity"))
            e.meta["anomaly"] = "wrong_entity"
            done += 1
        done = 0
        for e, ln in it:
            if done >= self._count(0.8):
                break
            if "anomaly" in e.meta:
                continue
            r = rng.random()
            if r < 0.5 and ln.account.startswith("6"):
                ln.account, what = "6990", "retired account 6990"
            elif r < 0.75 and e.entity == "US01":
                ln.dims = dict(ln.dims, location="BOS")
                what = "closed location BOS"
            else:
                ln.dims = dict(ln.dims, department="BIZOPS")
                what = "inactive department BIZOPS"
            self.labels.append(Label(ln, e, "inactive_code", what))
            e.meta["anomaly"] = "inactive_code"
            done += 1
