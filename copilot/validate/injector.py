"""A seeded, labelled anomaly injector for any company's GL history (Schreyer et al., 2017 protocol).

``inject(postings, seed=...)`` returns a *copy* of the postings with new anomalous lines added (the
originals are never changed) and one label per injected line. Each anomaly copies a randomly chosen
real line (its date, entity, memo, amount...) and changes one thing:

global anomalies (``kind="global"``): a rare or never-seen single attribute value
- ``rare_<attribute>``: the account, department, location, vendor or project is replaced by a value
  the company (almost) never uses: a master-data code with no history first, else one of the least
  used codes (used at most ``rare_max_count`` times), else a new code. No value is used so often by
  the injection that it stops being rare: at most ``rare_max_count`` uses in all (history included);
- ``extreme_amount``: the amount becomes 3-20x the largest amount the account has ever carried.

local anomalies (``kind="local"``): every value common, the combination never seen
- ``account_<dimension>``: a common account with a common department / location / project it has
  never carried;
- ``vendor_account``: a common vendor posted to a common account it has never used.
"Common" means used at least ``common_min_count`` times and at least as often as the median value
of that attribute. Each combination is injected once; a history with fewer unseen combinations of
common values than requested gets fewer local anomalies (the labels say how many).

Default rates follow the benchmark's 70/30 split of global to local anomalies at 0.5 % of lines in
all: ``global_rate=0.0035`` and ``local_rate=0.0015`` (anomalies per original line). Injected lines get
record numbers ``INJ-<seed>-<n>`` and their own batch, so they never pass as part of a real entry.
"""

from __future__ import annotations

import csv
import random
import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Literal

from copilot.domain import Company, Posting
from copilot.domain.money import money

GLOBAL_ATTRIBUTES = ("account", "department", "location", "vendor", "project")
LOCAL_PAIRS = (("account", "department"), ("account", "location"), ("account", "project"), ("vendor", "account"))
LABEL_FIELDS = ("record_no", "kind", "subtype", "attribute", "original", "injected", "base_record")


@dataclass(frozen=True)
class InjectedLabel:
    record_no: str
    kind: Literal["global", "local"]
    subtype: str
    attribute: str
    original: str
    injected: str
    base_record: str


@dataclass
class Injection:
    postings: list[Posting]
    labels: list[InjectedLabel]
    seed: int
    global_rate: float
    local_rate: float

    @property
    def label_by_record(self) -> dict[str, InjectedLabel]:
        return {lab.record_no: lab for lab in self.labels}

    def write_labels(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=LABEL_FIELDS)
            writer.writeheader()
            for lab in self.labels:
                writer.writerow(asdict(lab))


def _value(p: Posting, attribute: str) -> str | None:
    return p.account_no if attribute == "account" else p.dims.get(attribute)


def _with(p: Posting, attribute: str, value: str) -> dict:
    data = {"account_no": p.account_no, "dims": dict(p.dims)}
    if attribute == "account":
        data["account_no"] = value
    else:
        data["dims"][attribute] = value
    return data


class _Stats:
    """Value counts and combination sets of the original history."""

    def __init__(self, postings: list[Posting], common_min_count: int) -> None:
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.pairs: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        self.max_amount: dict[str, Decimal] = {}
        for p in postings:
            values = {"account": p.account_no, **p.dims}
            for attr, v in values.items():
                self.counts[attr][v] += 1
            for a, b in LOCAL_PAIRS:
                if a in values and b in values:
                    self.pairs[(a, b)].add((values[a], values[b]))
            if p.amount > self.max_amount.get(p.account_no, Decimal("0")):
                self.max_amount[p.account_no] = p.amount
        self.common: dict[str, list[str]] = {}
        for attr, counter in self.counts.items():
            if not counter:
                continue
            median = statistics.median(counter.values())
            self.common[attr] = sorted(v for v, c in counter.items() if c >= max(common_min_count, median))


def _rare_candidates(attribute: str, stats: _Stats, company: Company | None, rare_max_count: int) -> list[str]:
    used = stats.counts.get(attribute, Counter())
    if company is not None:
        if attribute == "account":
            master = [a.account_no for a in company.accounts.values() if a.active]
        elif attribute == "vendor":
            master = [v.vendor_id for v in company.vendors.values() if v.status.lower() == "active"]
        elif attribute == "project":
            master = [p.project_id for p in company.projects.values() if p.status.lower() == "active"]
        else:
            master = [v.code for v in company.dimensions.get(attribute, {}).values() if v.active]
        never = sorted(set(master) - set(used))
        if never:
            return never
    rare = sorted(v for v, c in used.items() if c <= rare_max_count)
    return rare


def inject(postings: Iterable[Posting], *, seed: int = 0, global_rate: float = 0.0035,
           local_rate: float = 0.0015, company: Company | None = None, rare_max_count: int = 2,
           common_min_count: int = 20) -> Injection:
    """Copy ``postings`` and add labelled anomalies (see the module docstring for kinds and rates)."""
    original = list(postings)
    rng = random.Random(seed)
    stats = _Stats(original, common_min_count)
    n_global = round(len(original) * global_rate)
    n_local = round(len(original) * local_rate)
    out: list[Posting] = []
    labels: list[InjectedLabel] = []
    counter = 0

    def add(base: Posting, kind, subtype, attribute, before, after, **changes) -> None:
        nonlocal counter
        counter += 1
        record_no = f"INJ-{seed}-{counter:06d}"
        data = base.model_dump()
        data.update(record_no=record_no, batch_no=record_no, source="injected", **changes)
        out.append(Posting(**data))
        labels.append(InjectedLabel(record_no, kind, subtype, attribute, before, after, base.record_no))

    global_kinds = [a for a in GLOBAL_ATTRIBUTES if stats.counts.get(a)] + ["extreme_amount"]
    used: Counter = Counter()
    fresh: Counter = Counter()
    tries = 0
    while sum(1 for lab in labels if lab.kind == "global") < n_global and tries < n_global * 50:
        tries += 1
        kind = rng.choice(global_kinds)
        base = rng.choice(original)
        if kind == "extreme_amount":
            top = stats.max_amount.get(base.account_no, base.amount)
            amount = money(top * Decimal(str(round(rng.uniform(3, 20), 3))))
            if amount <= 0:
                continue
            add(base, "global", "extreme_amount", "amount", str(base.amount), str(amount), amount=amount)
            continue
        if _value(base, kind) is None:
            continue
        # A rare value must stay rare after injection: each candidate is used until it has been seen
        # rare_max_count times in all, then a new, never-seen code takes over.
        candidates = [v for v in _rare_candidates(kind, stats, company, rare_max_count)
                      if stats.counts[kind][v] + used[(kind, v)] < max(rare_max_count, 1)]
        if candidates:
            value = rng.choice(candidates)
        else:
            fresh[kind] += 1
            value = f"NEW-{kind.upper()}-{seed}-{fresh[kind]:04d}"
        used[(kind, value)] += 1
        add(base, "global", f"rare_{kind}", kind, _value(base, kind) or "", value, **_with(base, kind, value))

    tries = 0
    while sum(1 for lab in labels if lab.kind == "local") < n_local and tries < n_local * 200:
        tries += 1
        context, target = rng.choice(LOCAL_PAIRS)
        base = rng.choice(original)
        ctx_value, current = _value(base, context), _value(base, target)
        if ctx_value is None or current is None or ctx_value not in stats.common.get(context, ()):
            continue
        seen = stats.pairs[(context, target)]
        options = [v for v in stats.common.get(target, ()) if v != current and (ctx_value, v) not in seen]
        if not options:
            continue
        value = rng.choice(options)
        seen.add((ctx_value, value))  # each injected combination stays unseen apart from this line
        subtype = f"{context}_{target}"
        add(base, "local", subtype, target, current, value, **_with(base, target, value))

    combined = original + out
    combined.sort(key=lambda p: p.entry_date)  # stable: originals keep their order within a day
    return Injection(postings=combined, labels=labels, seed=seed, global_rate=global_rate, local_rate=local_rate)
