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
"""

from __future__ import annotations

import math
from decimal import Decimal

from copilot.validate.findings import LineScore
from copilot.validate.policy import ScoringPolicy
from copilot.validate.profile import HistoryProfile, line_pairs

# Entity is a context, not a value worth flagging on its own: small entities are not anomalies.
SKIP_VALUE_ATTRS = frozenset({"entity"})
P_FLOOR = 1e-300


def amount_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


class LineScorer:
    def __init__(self, profile: HistoryProfile, params: ScoringPolicy | None = None) -> None:
        self.profile = profile
        self.params = params or ScoringPolicy()

    def components(self, account_no: str, dims: dict[str, str], entity: str | None, amount: Decimal,
                   *, exclude_self: bool = False) -> dict[str, float]:
        """Component name -> p-value (smaller = more unusual)."""
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
        if amount > 0:
            vendor = dims.get("vendor")
            groups = [("account", f"account:{account_no}")]
            if vendor:
                groups += [("vendor", f"vendor:{vendor}"), ("vendor_account", f"vendor_account:{vendor}|{account_no}")]
            for name, group in groups:
                stats = prof.amount_stats(group)
                if stats is not None and stats.n >= self.params.amount_min_samples:
                    out[f"amount:{name}"] = amount_p(stats.z(amount, self.params.mad_floor))
        return out

    def score(self, account_no: str, dims: dict[str, str], entity: str | None, amount: Decimal, *,
              exclude_self: bool = False, entry_index: int | None = None, line_index: int | None = None
              ) -> LineScore:
        comps = self.components(account_no, dims, entity, amount, exclude_self=exclude_self)
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
