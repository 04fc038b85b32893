"""What the books say: counts and patterns learned from historical postings, per entity.

Everything here is counting, so it is built in one pass over 100k+ postings in about a second and can
be updated one posting at a time when a reviewer approves or corrects a coding.

The *coding* of a line is its account plus its target dimensions. Counterparty dimensions (vendor,
customer, employee) are inputs, not predictions: the preparer already typed them, so they are carried
through to the final line but are not part of the combination we rank.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Iterable

from copilot.domain import DimensionCombination, Posting
from copilot.domain.text import normalize, vendor_key

COUNTERPARTY_DIMS = frozenset({"vendor", "customer", "employee"})
# Corrections a human approved weigh more than ordinary history (issue 5: learning).
CORRECTION_WEIGHT = 5.0
# Half-life of the recency weight, in days: a coding used last month counts more than one from last year.
HALF_LIFE_DAYS = 240.0


def target_combination(account_no: str, dims: dict[str, str]) -> DimensionCombination:
    return DimensionCombination(account_no=account_no,
                                dims={k: v for k, v in dims.items() if k not in COUNTERPARTY_DIMS})


def posting_combination(p: Posting) -> DimensionCombination:
    return target_combination(p.account_no, p.dims)


def correction_weight(p: Posting) -> float:
    """How much a reviewed line counts against history: an edit (the reviewer changed the coding) is a
    correction; an approval confirms a coding the books already favoured and counts as one more line
    (weighing approvals up too was measured to cost accuracy in the learning replay)."""
    return 1.0 if p.extra.get("action") == "approve" else CORRECTION_WEIGHT


def recency_weight(when: date, as_of: date) -> float:
    age = max((as_of - when).days, 0)
    return 0.5 ** (age / HALF_LIFE_DAYS)


@dataclass
class AmountStats:
    """Running mean/variance of log10(amount) (Welford), for 'is this amount typical for this coding'."""

    n: float = 0.0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, amount: Decimal, weight: float = 1.0) -> None:
        x = math.log10(float(abs(amount)) + 1.0)
        self.n += weight
        delta = x - self.mean
        self.mean += weight * delta / self.n
        self.m2 += weight * delta * (x - self.mean)

    def z(self, amount: Decimal) -> float:
        if self.n < 3:
            return 0.0
        sd = math.sqrt(self.m2 / self.n) or 0.05
        return (math.log10(float(abs(amount)) + 1.0) - self.mean) / max(sd, 0.05)


@dataclass
class EntityHistory:
    """Counts for one entity."""

    combo_count: Counter = field(default_factory=Counter)            # combo key -> weighted count
    combo_last: dict[str, date] = field(default_factory=dict)
    vendor_combo: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    vendor_total: Counter = field(default_factory=Counter)
    # Unweighted counts, for evidence a person can check ("37 of 41 bills"); features use the weighted ones.
    vendor_combo_n: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    vendor_n: Counter = field(default_factory=Counter)
    vendor_names: dict[str, str] = field(default_factory=dict)       # vendor key -> vendor id
    # The same per side of the ledger, keyed (vendor key, tr_type): a vendor's bills put the same memo
    # on an expense debit and a payable credit, and a debit line is coded from the vendor's debits.
    side_combo: dict[tuple[str, int], Counter] = field(default_factory=lambda: defaultdict(Counter))
    side_total: Counter = field(default_factory=Counter)
    side_combo_n: dict[tuple[str, int], Counter] = field(default_factory=lambda: defaultdict(Counter))
    side_n: Counter = field(default_factory=Counter)
    account_combo: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    employee_combo: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    project_combo: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    amount: dict[str, AmountStats] = field(default_factory=lambda: defaultdict(AmountStats))
    corrections: dict[tuple[str, str, int], Counter] = field(default_factory=lambda: defaultdict(Counter))
    total: float = 0.0

    def top(self, table: str, key: str, n: int) -> list[str]:
        """The ``n`` codings most used under ``key`` in one of the tables above (``account_combo``, ...).

        Cached until the next posting is added: every line asks for the same few accounts' codings."""
        cache = self.__dict__.setdefault("_top", {})
        found = cache.get((table, key, n))
        if found is None:
            counts = getattr(self, table).get(key)
            found = cache[(table, key, n)] = [k for k, _ in counts.most_common(n)] if counts else []
        return found

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_top"}


class History:
    """Per-entity statistics over postings; ``as_of`` anchors the recency weights."""

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of
        self.entities: dict[str, EntityHistory] = defaultdict(EntityHistory)

    @classmethod
    def build(cls, postings: Iterable[Posting], as_of: date | None = None) -> "History":
        postings = list(postings)
        as_of = as_of or max((p.entry_date for p in postings), default=date.today())
        hist = cls(as_of)
        for p in postings:
            hist.add(p)
        return hist

    def add(self, p: Posting, weight: float | None = None) -> None:
        h = self.entities[p.entity]
        h.__dict__.pop("_top", None)
        combo = posting_combination(p).key
        w = weight if weight is not None else recency_weight(p.entry_date, self.as_of)
        if p.source == "correction":
            w *= correction_weight(p)
        h.combo_count[combo] += w
        h.total += w
        if p.entry_date > h.combo_last.get(combo, date.min):
            h.combo_last[combo] = p.entry_date
        h.account_combo[p.account_no][combo] += w
        h.amount[combo].add(p.amount, 1.0)
        vendor = p.dims.get("vendor")
        if vendor:
            vkey = vendor_key(vendor)
            h.vendor_combo[vkey][combo] += w
            h.vendor_total[vkey] += w
            h.vendor_combo_n[vkey][combo] += 1
            h.vendor_n[vkey] += 1
            h.vendor_names.setdefault(vkey, vendor)
            side = (vkey, p.tr_type)
            h.side_combo[side][combo] += w
            h.side_total[side] += w
            h.side_combo_n[side][combo] += 1
            h.side_n[side] += 1
            if p.source == "correction":
                h.corrections[(vkey, _memo_key(p.memo), p.tr_type)][combo] += 1
        if employee := p.dims.get("employee"):
            h.employee_combo[employee][combo] += w
        if project := p.dims.get("project"):
            h.project_combo[project][combo] += w

    def entity(self, entity: str) -> EntityHistory:
        return self.entities.get(entity) or EntityHistory()

    def vendor_shares(self, entity: str, vendor: str | None, side: int | None = None) -> tuple[dict[str, float], float]:
        """combo -> share of the vendor's (weighted) history, and the vendor's weighted total.

        With ``side`` (1 debit, -1 credit): the vendor's history on that side, when it has any there.
        """
        if not vendor:
            return {}, 0.0
        h = self.entity(entity)
        vkey = vendor_key(vendor)
        if side and h.side_total.get((vkey, side)):
            total = h.side_total[(vkey, side)]
            return {k: c / total for k, c in h.side_combo[(vkey, side)].items()}, total
        total = h.vendor_total.get(vkey, 0.0)
        if not total:
            return {}, 0.0
        return {k: c / total for k, c in h.vendor_combo[vkey].items()}, total

    def vendor_counts(self, entity: str, vendor: str | None, side: int | None = None) -> tuple[Counter, int]:
        """combo -> number of the vendor's postings with it (on ``side``, as vendor_shares), and their number."""
        if not vendor:
            return Counter(), 0
        h = self.entity(entity)
        vkey = vendor_key(vendor)
        if side and h.side_n.get((vkey, side)):
            return h.side_combo_n[(vkey, side)], int(h.side_n[(vkey, side)])
        return h.vendor_combo_n.get(vkey, Counter()), int(h.vendor_n.get(vkey, 0))

    def correction_for(self, entity: str, vendor: str | None, memo: str, side: int = 1) -> Counter:
        """Reviewed codings of this vendor + memo on this side of the ledger (combo -> times)."""
        if not vendor:
            return Counter()
        return self.entity(entity).corrections.get((vendor_key(vendor), _memo_key(memo), side), Counter())


def _memo_key(memo: str) -> str:
    return normalize(memo)
