"""Per-line anomaly score: how surprising is this line given the company's history?

Each *component* is a p-value, read as "the share of history at least this unusual":
- ``value:<attr>``: the single value (account, department, vendor...) is rare company-wide
  (a global anomaly);
- ``pair:<context>><attr>``: the value is rare *given* a context value: the department given the
  account, the account given the vendor or project, the account given the entity (a local anomaly:
  each value common, the combination rare or never seen);
- ``amount:<group>``: the amount's robust z-score (median / MAD of log10 amounts) for the account,
  the vendor and the vendor+account, as a two-sided normal p-value.

The line's score is 1 - min p and its ``surprise`` -log10(min p); the strongest component names the
reason. Categorical p-values are shrunk for contexts with little history (see Distribution.rarity), so
a brand-new vendor with two postings does not out-shout a never-seen combination on a busy account.

Components live on different scales (a Gaussian amount tail gets tiny far sooner than a count-based
rarity; a conditional rarity in a context of 200 lines cannot get as small as one over 100,000 lines),
so amount and combination components are *calibrated* against history: a ``Calibration`` holds, per
component, the distribution of its surprise over (a sample of) historical lines, and turns a raw
p-value into "the share of historical lines at least this unusual in this respect" (beyond the most
unusual one seen, the raw scale continues). Single-value rarities already are such a share over all
lines and stay as they are. On the demo company's injection benchmark (seed 1) calibrating amounts and
combinations only gave global AUC-PR 0.59 / local 0.08, against 0.28 / 0.07 calibrating every component
and 0.17 / 0.02 calibrating none; eval/RESULTS.md has the current figures.
"""

from __future__ import annotations

import bisect
import math
import random
from decimal import Decimal
from typing import Any, Iterable, Sequence

import numpy as np

from copilot.validate.findings import LineScore
from copilot.validate.policy import ScoringPolicy
from copilot.validate.profile import HistoryProfile, amount_group, line_pairs

# Entity is a context, not a value worth flagging on its own: small entities are not anomalies.
SKIP_VALUE_ATTRS = frozenset({"entity"})
P_FLOOR = 1e-300
# A single value's rarity is already "the share of all lines whose value is this rare": calibrating it
# again would let a cluster of lines sharing one rare value make each other look common.
UNCALIBRATED = ("value:",)


def amount_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def surprise_of(p: float) -> float:
    return -math.log10(max(p, P_FLOOR))


class Calibration:
    """Per component: distinct surprise values (rounded) of historical lines and how many reach each."""

    RESOLUTION = 100  # surprise rounded to 0.01 (log10 units): keeps the table small

    def __init__(self, n: int, tables: dict[str, tuple[list[float], list[int]]]) -> None:
        self.n = n
        self.tables = {k: (np.asarray(v, dtype=float), np.asarray(c, dtype=float)) for k, (v, c) in tables.items()}

    @classmethod
    def fit(cls, components: Sequence[dict[str, float]]) -> "Calibration":
        """From raw component p-values of historical lines (a component absent from a line counts as p=1)."""
        n = len(components)
        values: dict[str, list[float]] = {}
        for comp in components:
            for k, p in comp.items():
                if k.startswith(UNCALIBRATED):
                    continue
                values.setdefault(k, []).append(round(surprise_of(p) * cls.RESOLUTION) / cls.RESOLUTION)
        tables = {}
        for k, vals in values.items():
            uniq, counts = np.unique(np.asarray(vals), return_counts=True)
            at_least = np.cumsum(counts[::-1])[::-1]  # lines with surprise >= uniq[i]
            tables[k] = (uniq.tolist(), at_least.astype(int).tolist())
        return cls(n, tables)

    def p(self, name: str, raw_p: float) -> float:
        table = self.tables.get(name)
        if table is None or self.n == 0:
            return raw_p
        uniq, at_least = table
        s = round(surprise_of(raw_p) * self.RESOLUTION) / self.RESOLUTION  # on the table's grid
        i = bisect.bisect_left(self._grid(name), s - 1e-9)  # np.searchsorted(uniq, ..., "left") on a list
        if i >= len(uniq):  # more unusual than any historical line: continue on the raw scale
            return (1.0 / (self.n + 1)) * 10 ** -(s - float(uniq[-1]))
        return float(at_least[i]) / (self.n + 1) if s > 0 else 1.0

    def _grid(self, name: str) -> list[float]:
        # A scalar bisect on a list costs a fraction of numpy's searchsorted call.
        grids = self.__dict__.setdefault("_grids", {})
        if name not in grids:
            grids[name] = self.tables[name][0].tolist()
        return grids[name]

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "tables": {k: [v.tolist(), c.astype(int).tolist()] for k, (v, c) in self.tables.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Calibration":
        return cls(int(data["n"]), {k: (v, c) for k, (v, c) in data["tables"].items()})


class LineScorer:
    def __init__(self, profile: HistoryProfile, params: ScoringPolicy | None = None,
                 calibration: Calibration | None = None) -> None:
        self.profile = profile
        self.params = params or ScoringPolicy()
        self.calibration = calibration if calibration is not None else profile.calibration

    def fit_calibration(self, postings: Sequence, *, sample: int = 20000, seed: int = 0,
                        in_history: bool = True) -> Calibration:
        """Calibrate on (a seeded sample of) ``postings``; ``in_history``: they are in the profile."""
        chosen: Iterable = postings
        if len(postings) > sample:
            chosen = random.Random(seed).sample(list(postings), sample)
        comps = [self.components(p.account_no, p.dims, p.entity, p.amount, exclude_self=in_history,
                                 tr_type=p.tr_type) for p in chosen]
        self.calibration = self.profile.calibration = Calibration.fit(comps)
        return self.calibration

    def _calibrated_coding(self, account_no: str, dims: dict[str, str], entity: str | None,
                           exclude_self: bool) -> dict[str, float]:
        """The calibrated value and pair components: the same for every line with this coding, so they
        are kept until the profile counts another posting (a batch repeats a few hundred codings)."""
        generation = getattr(self.profile, "generation", 0)
        cache = self.__dict__.get("_coding_cache")
        if cache is None or self.__dict__.get("_generation") != generation or len(cache) > 100_000:
            cache = self.__dict__["_coding_cache"] = {}
            self.__dict__["_generation"] = generation
        key = (account_no, tuple(dims.items()), entity, exclude_self)
        found = cache.get(key)
        if found is None:
            found = cache[key] = self.calibrated(self._coding_components(account_no, dims, entity, exclude_self))
        return found

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("_coding_cache", "_generation")}

    def calibrated(self, comps: dict[str, float]) -> dict[str, float]:
        if self.calibration is None:
            return comps
        return {k: self.calibration.p(k, p) for k, p in comps.items()}

    def components(self, account_no: str, dims: dict[str, str], entity: str | None, amount: Decimal,
                   *, exclude_self: bool = False, tr_type: int = 1) -> dict[str, float]:
        """Component name -> p-value (smaller = more unusual)."""
        return {**self._coding_components(account_no, dims, entity, exclude_self),
                **self._amount_components(account_no, dims, amount, tr_type)}

    def _coding_components(self, account_no: str, dims: dict[str, str], entity: str | None,
                           exclude_self: bool) -> dict[str, float]:
        prof, m = self.profile, self.params.smoothing
        out: dict[str, float] = {}
        attrs = {"account": account_no, **dims}
        for attr, value in attrs.items():
            if attr in SKIP_VALUE_ATTRS:
                continue
            out[f"value:{attr}"] = prof.distribution(attr).rarity(value, exclude_self=exclude_self,
                                                                   smoothing=m)[0]
        for key, ctx, tgt in _pairs(account_no, dims, entity):
            context, target = key
            dist = prof.distribution(target, context, ctx)
            name = f"pair:{context}>{target}"
            p = dist.rarity(tgt, exclude_self=exclude_self, smoothing=m)[0]
            out[name] = min(p, out.get(name, 1.0))
        return out

    def _amount_components(self, account_no: str, dims: dict[str, str], amount: Decimal,
                           tr_type: int) -> dict[str, float]:
        prof = self.profile
        out: dict[str, float] = {}
        if amount > 0:
            vendor = dims.get("vendor")
            groups = [("account", amount_group("account", account=account_no, tr_type=tr_type))]
            if vendor:
                groups += [(kind, amount_group(kind, account=account_no, vendor=vendor, tr_type=tr_type))
                           for kind in ("vendor", "vendor_account")]
            for name, group in groups:
                stats = prof.amount_stats(group)
                if stats is not None and stats.n >= self.params.amount_min_samples:
                    out[f"amount:{name}"] = amount_p(stats.z(amount, self.params.mad_floor))
        return out

    def score(self, account_no: str, dims: dict[str, str], entity: str | None, amount: Decimal, *,
              exclude_self: bool = False, tr_type: int = 1, entry_index: int | None = None,
              line_index: int | None = None) -> LineScore:
        comps = {**self._calibrated_coding(account_no, dims, entity, exclude_self),
                 **self.calibrated(self._amount_components(account_no, dims, amount, tr_type))}
        if not comps:
            return LineScore(entry_index=entry_index, line_index=line_index, score=0.0, surprise=0.0)
        top = min(comps, key=comps.__getitem__)
        p = max(comps[top], P_FLOOR)
        return LineScore(entry_index=entry_index, line_index=line_index, score=1.0 - p,
                         surprise=-math.log10(p), top=top,
                         components={k: round(1.0 - v, 6) for k, v in comps.items()})


def _pairs(account_no: str, dims: dict[str, str], entity: str | None):
    for key, ctx, tgt in line_pairs(account_no, dims, entity):
        context, target = key.split(">", 1)
        yield (context, target), ctx, tgt
