"""Monitoring the suggestions through what reviewers decide.

Definitions (a *decision* is approved, edited or rejected; the *top coding* is suggestion #1):
- acceptance rate: decisions whose final coding equals the top coding / decisions (a reject counts
  as not accepted; approving suggestion #2 counts as not accepted: the top one was wrong).
- edit rate of a dimension: among decisions with a final coding, how often that dimension (or
  ``account``) differs from the top coding, counted over decisions where it appears in either.
- calibration: top-coding confidence in ten bins against how often the top coding was accepted;
  ECE is the count-weighted mean gap. Calibration drift = recent ECE - baseline ECE.
- account drift: PSI of the final accounts in the recent window against the baseline window.
The recent window is the last ``monitor_window_days``; the baseline the ``monitor_baseline_days``
before it. Alerts need at least ``monitor_min_samples`` decisions in each window they compare.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from sqlalchemy import or_, select

from copilot.domain import DimensionCombination
from copilot.review.access import MONITORS, Principal, authorize, scoped_entities
from copilot.review.db import Database
from copilot.review.models import ReviewRow, Status

if TYPE_CHECKING:
    from copilot.settings import Settings

BINS = 10
PSI_EPSILON = 1e-4  # share given to an account absent from one window, so PSI stays finite


@dataclass(frozen=True)
class Observation:
    """What monitoring needs from one review item."""

    entity: str
    status: str
    submitted_at: datetime
    confidence: float | None = None
    top_key: str | None = None
    final_key: str | None = None
    changed: tuple[str, ...] = ()
    decided_at: datetime | None = None
    final_in_top3: bool = False

    @property
    def decided(self) -> bool:
        return self.status != Status.pending.value

    @property
    def accepted(self) -> bool:
        return self.decided and self.final_key is not None and self.final_key == self.top_key

    @property
    def final_account(self) -> str | None:
        return self.final_key.split("|", 1)[0] if self.final_key else None


@dataclass(frozen=True)
class Thresholds:
    min_acceptance_rate: float = 0.6
    max_edit_rate: float = 0.3
    max_calibration_drift: float = 0.1
    max_psi: float = 0.2
    min_samples: int = 30
    window_days: int = 7
    baseline_days: int = 90

    @classmethod
    def from_settings(cls, s: "Settings") -> "Thresholds":
        return cls(s.alert_min_acceptance_rate, s.alert_max_edit_rate, s.alert_max_calibration_drift,
                   s.alert_max_psi, s.monitor_min_samples, s.monitor_window_days, s.monitor_baseline_days)


# --- the measures, as plain functions -------------------------------------------------------------

def acceptance_rate(obs: Iterable[Observation]) -> float | None:
    decided = [o for o in obs if o.decided]
    return sum(o.accepted for o in decided) / len(decided) if decided else None


def edit_rates(obs: Iterable[Observation]) -> dict[str, dict[str, float | int]]:
    changed: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for o in obs:
        if not o.decided or o.final_key is None:
            continue
        present = {"account"}
        for key in (o.top_key, o.final_key):
            if key:
                present |= set(DimensionCombination.from_key(key).dims)
        seen.update(present)
        changed.update(set(o.changed) & present)
    return {d: {"rate": changed[d] / seen[d], "n": seen[d], "edited": changed[d]} for d in sorted(seen)}


def confidence_histogram(confidences: Sequence[float], bins: int = BINS) -> dict[str, list]:
    counts = [0] * bins
    for c in confidences:
        counts[min(int(max(c, 0.0) * bins), bins - 1)] += 1
    return {"edges": [round(i / bins, 4) for i in range(bins + 1)], "counts": counts}


def calibration(obs: Iterable[Observation], bins: int = BINS) -> dict[str, Any]:
    """Per confidence bin: n, mean confidence, accuracy of the top coding; and the ECE."""
    groups: dict[int, list[Observation]] = defaultdict(list)
    for o in obs:
        if o.decided and o.confidence is not None:
            groups[min(int(max(o.confidence, 0.0) * bins), bins - 1)].append(o)
    total = sum(len(g) for g in groups.values())
    rows, ece = [], 0.0
    for b in range(bins):
        g = groups.get(b, [])
        mean_conf = sum(o.confidence for o in g) / len(g) if g else None  # type: ignore[misc]
        acc = sum(o.accepted for o in g) / len(g) if g else None
        if g:
            ece += len(g) / total * abs(mean_conf - acc)  # type: ignore[operator]
        rows.append({"lo": b / bins, "hi": (b + 1) / bins, "n": len(g), "mean_confidence": mean_conf,
                     "accuracy": acc})
    return {"bins": rows, "ece": ece if total else None, "n": total}


def psi(baseline: Counter, recent: Counter, eps: float = PSI_EPSILON) -> float | None:
    """Population stability index over categories: sum (r - b) * ln(r / b) of their shares."""
    nb, nr = sum(baseline.values()), sum(recent.values())
    if not nb or not nr:
        return None
    value = 0.0
    for cat in set(baseline) | set(recent):
        b = max(baseline[cat] / nb, eps)
        r = max(recent[cat] / nr, eps)
        value += (r - b) * math.log(r / b)
    return value


# --- the summary ----------------------------------------------------------------------------------

@dataclass
class Windows:
    now: datetime
    thresholds: Thresholds
    recent: list[Observation] = field(default_factory=list)
    baseline: list[Observation] = field(default_factory=list)

    @classmethod
    def split(cls, obs: Iterable[Observation], now: datetime, t: Thresholds) -> "Windows":
        w = cls(now, t)
        cut = now - timedelta(days=t.window_days)
        start = cut - timedelta(days=t.baseline_days)
        for o in obs:
            if o.decided_at is None:
                continue
            if o.decided_at >= cut:
                w.recent.append(o)
            elif o.decided_at >= start:
                w.baseline.append(o)
        return w


def summarize(obs: Sequence[Observation], now: datetime, t: Thresholds) -> dict[str, Any]:
    w = Windows.split(obs, now, t)
    decided = [o for o in obs if o.decided]
    status = Counter(o.status for o in obs)
    cal_recent, cal_base = calibration(w.recent), calibration(w.baseline)
    drift = (cal_recent["ece"] - cal_base["ece"]
             if cal_recent["ece"] is not None and cal_base["ece"] is not None else None)
    acc_base = Counter(o.final_account for o in w.baseline if o.final_account)
    acc_recent = Counter(o.final_account for o in w.recent if o.final_account)
    psi_value = psi(acc_base, acc_recent)
    nb, nr = sum(acc_base.values()), sum(acc_recent.values())
    shifts = sorted(({"account": a, "baseline_share": acc_base[a] / nb if nb else 0.0,
                      "recent_share": acc_recent[a] / nr if nr else 0.0} for a in set(acc_base) | set(acc_recent)),
                    key=lambda r: -abs(r["recent_share"] - r["baseline_share"]))[:10]
    daily: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in decided:
        day = daily[o.decided_at.date().isoformat()]  # type: ignore[union-attr]
        day[0] += 1
        day[1] += o.accepted
    summary = {
        "generated_at": now.isoformat(timespec="seconds") + "Z",
        "window": {"recent_days": t.window_days, "baseline_days": t.baseline_days,
                   "recent_from": (now - timedelta(days=t.window_days)).isoformat(timespec="seconds") + "Z",
                   "recent_decisions": len(w.recent), "baseline_decisions": len(w.baseline)},
        "counts": {"submitted": len(obs), "decided": len(decided),
                   **{s.value: status.get(s.value, 0) for s in Status}},
        "acceptance_rate": acceptance_rate(obs),
        "acceptance_rate_recent": acceptance_rate(w.recent),
        "acceptance_rate_baseline": acceptance_rate(w.baseline),
        "top3_hit_rate": _top3_rate(decided),
        "edit_rate": edit_rates(obs),
        "edit_rate_recent": edit_rates(w.recent),
        "confidence_histogram": confidence_histogram([o.confidence for o in obs if o.confidence is not None]),
        "calibration": calibration(obs),
        "calibration_drift": {"recent_ece": cal_recent["ece"], "baseline_ece": cal_base["ece"], "delta": drift,
                              "recent_n": cal_recent["n"], "baseline_n": cal_base["n"]},
        "account_drift": {"psi": psi_value, "recent_n": nr, "baseline_n": nb, "top_shifts": shifts},
        "acceptance_over_time": [{"date": d, "decided": n, "accepted": a, "rate": a / n}
                                 for d, (n, a) in sorted(daily.items())],
    }
    summary["alerts"] = alerts(summary, t)
    return summary


def _top3_rate(decided: list[Observation]) -> float | None:
    return sum(o.final_in_top3 for o in decided) / len(decided) if decided else None


def alerts(summary: dict[str, Any], t: Thresholds) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    w = summary["window"]

    def add(name: str, value: float, threshold: float, message: str) -> None:
        out.append({"alert": name, "value": round(value, 4), "threshold": threshold, "message": message})

    rate = summary["acceptance_rate_recent"]
    if rate is not None and w["recent_decisions"] >= t.min_samples and rate < t.min_acceptance_rate:
        add("low_acceptance", rate, t.min_acceptance_rate,
            f"only {rate:.0%} of the last {t.window_days} days' suggestions were accepted unchanged")
    for dim, e in summary["edit_rate_recent"].items():
        if e["n"] >= t.min_samples and e["rate"] > t.max_edit_rate:
            add(f"high_edit_rate:{dim}", e["rate"], t.max_edit_rate,
                f"reviewers changed {dim} in {e['rate']:.0%} of {e['n']} recent decisions")
    cd = summary["calibration_drift"]
    if (cd["delta"] is not None and min(cd["recent_n"], cd["baseline_n"]) >= t.min_samples
            and cd["delta"] > t.max_calibration_drift):
        add("calibration_drift", cd["delta"], t.max_calibration_drift,
            f"calibration error rose from {cd['baseline_ece']:.3f} to {cd['recent_ece']:.3f}")
    ad = summary["account_drift"]
    if (ad["psi"] is not None and min(ad["recent_n"], ad["baseline_n"]) >= t.min_samples
            and ad["psi"] > t.max_psi):
        add("account_drift", ad["psi"], t.max_psi,
            f"the account distribution shifted (PSI {ad['psi']:.3f} against the baseline)")
    return out


# --- reading the database and exposing the numbers ------------------------------------------------

class Monitor:
    def __init__(self, db: Database, thresholds: Thresholds, clock: Any = None) -> None:
        from copilot.review.queue import utc_now

        self.db, self.thresholds, self.clock = db, thresholds, clock or utc_now

    def observations(self, entities: list[str] | None) -> list[Observation]:
        t = self.thresholds
        start = self.clock() - timedelta(days=t.window_days + t.baseline_days)
        stmt = select(ReviewRow.entity, ReviewRow.status, ReviewRow.submitted_at, ReviewRow.top_confidence,
                      ReviewRow.top_key, ReviewRow.final_key, ReviewRow.changed, ReviewRow.decided_at,
                      ReviewRow.top3_keys).where(or_(ReviewRow.submitted_at >= start, ReviewRow.decided_at >= start))
        if entities is not None:
            stmt = stmt.where(ReviewRow.entity.in_(entities))
        with self.db.session() as s:
            rows = s.execute(stmt).all()
        return [Observation(r.entity, r.status, r.submitted_at, r.top_confidence, r.top_key, r.final_key,
                            tuple(r.changed or ()), r.decided_at, r.final_key in (r.top3_keys or ()))
                for r in rows]

    def summary(self, principal: Principal, entity: str | None = None) -> dict[str, Any]:
        authorize(principal, *MONITORS)
        scope = scoped_entities(principal, entity)
        obs = self.observations(scope)
        out = summarize(obs, self.clock(), self.thresholds)
        out["entities"] = scope if scope is not None else "*"
        return out

    def prometheus(self, principal: Principal) -> bytes:
        """Prometheus text for the principal's entities, one label set per entity."""
        authorize(principal, *MONITORS)
        scope = principal.entity_scope()
        per_entity: dict[str, list[Observation]] = defaultdict(list)
        for o in self.observations(scope):
            per_entity[o.entity].append(o)
        now = self.clock()
        summaries = {e: summarize(obs, now, self.thresholds) for e, obs in sorted(per_entity.items())}
        registry = CollectorRegistry(auto_describe=False)  # dedicated: never mixes with process metrics
        registry.register(_SummaryCollector(summaries, {e: obs for e, obs in per_entity.items()}))
        return generate_latest(registry)


class _SummaryCollector:
    def __init__(self, summaries: dict[str, dict[str, Any]], obs: dict[str, list[Observation]]) -> None:
        self.summaries, self.obs = summaries, obs

    def collect(self):  # noqa: ANN201 - prometheus_client's collector protocol
        items = GaugeMetricFamily("copilot_review_items", "Review items by status", labels=["entity", "status"])
        decisions = CounterMetricFamily("copilot_review_decisions", "Decisions by outcome", labels=["entity", "decision"])
        accept = GaugeMetricFamily("copilot_acceptance_rate", "Share of decisions accepting the top coding unchanged",
                                   labels=["entity", "window"])
        edit = GaugeMetricFamily("copilot_edit_rate", "Share of decisions that changed this dimension",
                                 labels=["entity", "dimension"])
        ece = GaugeMetricFamily("copilot_calibration_error", "Expected calibration error of the top coding",
                                labels=["entity", "window"])
        drift = GaugeMetricFamily("copilot_calibration_drift", "Recent minus baseline calibration error", labels=["entity"])
        psi_g = GaugeMetricFamily("copilot_account_psi", "PSI of final accounts, recent vs baseline", labels=["entity"])
        alert_g = GaugeMetricFamily("copilot_alert", "1 while an alert fires", labels=["entity", "alert"])
        hist = HistogramMetricFamily("copilot_suggestion_confidence", "Confidence of the top coding", labels=["entity"])
        for entity, s in self.summaries.items():
            for st in Status:
                items.add_metric([entity, st.value], s["counts"][st.value])
                if st is not Status.pending:
                    decisions.add_metric([entity, st.value], s["counts"][st.value])
            for window, key in (("all", "acceptance_rate"), ("recent", "acceptance_rate_recent"),
                                ("baseline", "acceptance_rate_baseline")):
                if s[key] is not None:
                    accept.add_metric([entity, window], s[key])
            for dim, e in s["edit_rate"].items():
                edit.add_metric([entity, dim], e["rate"])
            cd = s["calibration_drift"]
            for window, key in (("recent", "recent_ece"), ("baseline", "baseline_ece")):
                if cd[key] is not None:
                    ece.add_metric([entity, window], cd[key])
            if cd["delta"] is not None:
                drift.add_metric([entity], cd["delta"])
            if s["account_drift"]["psi"] is not None:
                psi_g.add_metric([entity], s["account_drift"]["psi"])
            for a in s["alerts"]:
                alert_g.add_metric([entity, a["alert"]], 1)
            confs = sorted(o.confidence for o in self.obs[entity] if o.confidence is not None)
            buckets, i = [], 0
            for b in range(1, BINS + 1):
                while i < len(confs) and confs[i] <= b / BINS:
                    i += 1
                buckets.append((str(b / BINS), i))
            buckets.append(("+Inf", len(confs)))
            hist.add_metric([entity], buckets, sum_value=sum(confs))
        yield from (items, decisions, accept, edit, ece, drift, psi_g, alert_g, hist)
