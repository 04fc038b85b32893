"""Anomaly-detection evaluation on any company: its own labels, and the injection benchmark.

1. Labelled anomalies (the demo company's ``extras/anomaly_labels.csv``, or any CSV naming records or
   batches and a type): every rule runs over the whole history, leave-one-out; per anomaly type we
   report recall (labelled lines flagged by the rules meant for that type, and by any rule) and
   precision (flagged lines of those rules that carry that label).
2. Injection (Schreyer et al. protocol, copilot.validate.injector): anomalies are injected into a copy
   of the history at documented rates; every line gets the per-line anomaly score (leave-one-out) and
   we report AUC-ROC, AUC-PR and recall when the top 1 % of lines are flagged, per kind (global /
   local), next to Isolation Forest on the same features (the score's components) and on one-hot
   attributes + log amount, averaged over seeds.
"""

from __future__ import annotations

import csv
import math
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from copilot.domain import Company, Posting
from copilot.validate.injector import inject
from copilot.validate.policy import CloseCalendar, RulesPolicy, ScoringPolicy
from copilot.validate.profile import HistoryProfile
from copilot.validate.scoring import P_FLOOR, Calibration, LineScorer

Progress = Callable[[str], None]

# Which rules are meant to catch which labelled anomaly type: the first entry whose words occur in the
# type's name wins (the demo company's kinds are duplicate, amount_outlier, round_amount, suspense,
# weekend_posting, after_close, unusual_combination, wrong_entity, inactive_code).
TYPE_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("duplicate", "double"), ("duplicate.vendor_amount", "duplicate.document", "duplicate.near")),
    (("round",), ("amount.round",)),
    (("weekend", "holiday"), ("date.weekend",)),
    (("suspense", "clearing"), ("account.suspense",)),
    (("capital",), ("policy.capitalization",)),
    (("after_close", "late", "closed", "period", "backdated", "back_dated"),
     ("period.after_close", "period.closed", "period.future")),
    (("outlier", "extreme", "fat_finger", "magnitude", "decimal"), ("anomaly.amount_outlier",)),
    (("entity", "intercompany"), ("code.wrong_entity",)),
    (("inactive", "retired"), ("code.inactive_account", "code.inactive_dimension")),
    (("missing", "required"), ("dimension.required_missing",)),
    (("unbalanced", "imbalance"), ("entry.unbalanced",)),
    (("benford",), ("batch.benford",)),
    (("allocation", "split", "project"), ("project.unusual_account", "project.allocation_split",
                                          "project.over_budget")),
    (("combination", "local", "unusual_coding", "miscod", "wrong_department", "wrong_account", "unseen"),
     ("anomaly.rare_combination", "project.unusual_account")),
    (("rare", "global", "new_vendor", "never"), ("anomaly.rare_value",)),
)


def rules_for_type(anomaly_type: str) -> tuple[str, ...]:
    name = anomaly_type.lower()
    for words, rules in TYPE_RULES:
        if any(w in name for w in words):
            return rules
    return ()


# --- metrics -----------------------------------------------------------------------------------------


def recall_at_fraction(scores: np.ndarray, y: np.ndarray, fraction: float = 0.01) -> float:
    k = max(1, int(math.ceil(len(scores) * fraction)))
    top = np.argsort(-scores, kind="stable")[:k]
    positives = y.sum()
    return float(y[top].sum() / positives) if positives else float("nan")


def ranking_metrics(scores: np.ndarray, y: np.ndarray, *, flagged: np.ndarray | None = None) -> dict[str, float]:
    """AUC-ROC and AUC-PR on (normal + this kind); recall@1% from the flags over *all* lines."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    return {"auc_roc": float(roc_auc_score(y, scores)), "auc_pr": float(average_precision_score(y, scores)),
            "recall_at_1pct": float(flagged[y == 1].mean()) if flagged is not None and y.sum() else float("nan")}


def top_fraction_flags(scores: np.ndarray, fraction: float = 0.01) -> np.ndarray:
    k = max(1, int(math.ceil(len(scores) * fraction)))
    flags = np.zeros(len(scores), dtype=bool)
    flags[np.argsort(-scores, kind="stable")[:k]] = True
    return flags


# --- features ----------------------------------------------------------------------------------------


def score_lines(postings: Sequence[Posting], profile: HistoryProfile, params: ScoringPolicy,
                progress: Progress | None = None) -> tuple[np.ndarray, list[dict[str, float]]]:
    """Per-line surprise (-log10 of the smallest calibrated component p-value), leave-one-out, and the
    calibrated components. Calibration is fitted on all the lines (no labels are used)."""
    scorer = LineScorer(profile, params)
    raw: list[dict[str, float]] = []
    for i, p in enumerate(postings):
        raw.append(scorer.components(p.account_no, p.dims, p.entity, p.amount, exclude_self=True,
                                     tr_type=p.tr_type))
        if progress is not None and i % 20000 == 0 and i:
            progress(f"scored {i:,} / {len(postings):,} lines")
    calibration = Calibration.fit(raw)
    comps = [{k: calibration.p(k, v) for k, v in c.items()} for c in raw]
    surprise = np.array([-math.log10(max(min(c.values()), P_FLOOR)) if c else 0.0 for c in comps])
    return surprise, comps


def component_matrix(comps: list[dict[str, float]]) -> tuple[np.ndarray, list[str]]:
    """One column per component, value -log10 p (0 when the component does not apply)."""
    names = sorted({k for c in comps for k in c})
    index = {n: j for j, n in enumerate(names)}
    X = np.zeros((len(comps), len(names)), dtype=np.float32)
    for i, c in enumerate(comps):
        for k, p in c.items():
            X[i, index[k]] = -math.log10(max(p, P_FLOOR))
    return X, names


def onehot_matrix(postings: Sequence[Posting], attributes: Iterable[str] = ("account", "department", "location",
                                                                          "vendor", "project", "class")):
    """Schreyer-style raw features: one-hot categorical attributes plus log10 amount."""
    from scipy.sparse import csr_matrix

    attrs = list(attributes)
    vocab: dict[tuple[str, str], int] = {}
    rows, cols = [], []
    for i, p in enumerate(postings):
        values = {"account": p.account_no, **p.dims}
        for a in attrs:
            v = values.get(a)
            if v is None:
                continue
            j = vocab.setdefault((a, v), len(vocab))
            rows.append(i)
            cols.append(j)
    amount_col = len(vocab)
    data = np.ones(len(rows) + len(postings), dtype=np.float32)
    logs = np.array([math.log10(max(float(p.amount), 0.01)) for p in postings], dtype=np.float32)
    data[len(rows):] = logs
    rows += list(range(len(postings)))
    cols += [amount_col] * len(postings)
    return csr_matrix((data, (rows, cols)), shape=(len(postings), amount_col + 1))


def isolation_forest(X, seed: int) -> np.ndarray:
    from sklearn.ensemble import IsolationForest

    forest = IsolationForest(n_estimators=200, max_samples=256, random_state=seed, n_jobs=1)
    forest.fit(X)
    return -forest.score_samples(X)


# --- injection benchmark ------------------------------------------------------------------------------


@dataclass
class InjectionResult:
    seeds: list[int]
    lines: int
    anomalies: dict[str, int]
    # method -> kind -> metric -> values over seeds
    metrics: dict[str, dict[str, dict[str, list[float]]]] = field(default_factory=dict)
    subtype_recall: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    rates: tuple[float, float] = (0.0035, 0.0015)


def injection_benchmark(postings: Sequence[Posting], *, company: Company | None = None, seeds: Sequence[int] = (1, 2, 3),
                        params: ScoringPolicy | None = None, global_rate: float = 0.0035,
                        local_rate: float = 0.0015, progress: Progress | None = None) -> InjectionResult:
    params = params or ScoringPolicy()
    started = time.perf_counter()
    result = InjectionResult(seeds=list(seeds), lines=len(postings), anomalies={}, rates=(global_rate, local_rate))
    methods = ("copilot score", "Isolation Forest (same features)", "Isolation Forest (one-hot + amount)")
    for seed in seeds:
        if progress:
            progress(f"seed {seed}: injecting")
        inj = inject(postings, seed=seed, global_rate=global_rate, local_rate=local_rate, company=company)
        labels = inj.label_by_record
        kinds = np.array([labels[p.record_no].kind if p.record_no in labels else "" for p in inj.postings])
        subtypes = [labels[p.record_no].subtype if p.record_no in labels else "" for p in inj.postings]
        for k in ("global", "local"):
            result.anomalies[k] = int((kinds == k).sum())
        if progress:
            progress(f"seed {seed}: building the profile of {len(inj.postings):,} lines")
        profile = HistoryProfile.build(inj.postings)
        if progress:
            progress(f"seed {seed}: scoring")
        surprise, comps = score_lines(inj.postings, profile, params, progress)
        X, _names = component_matrix(comps)
        if progress:
            progress(f"seed {seed}: isolation forests")
        scores = {methods[0]: surprise, methods[1]: isolation_forest(X, seed),
                  methods[2]: isolation_forest(onehot_matrix(inj.postings), seed)}
        for method, s in scores.items():
            flags = top_fraction_flags(s, 0.01)
            for kind in ("global", "local", "all"):
                keep = (kinds != ("local" if kind == "global" else "global")) if kind != "all" else np.ones(len(s), bool)
                y = (kinds[keep] != "").astype(int)
                m = ranking_metrics(s[keep], y, flagged=flags[keep])
                slot = result.metrics.setdefault(method, {}).setdefault(kind, defaultdict(list))
                for name, value in m.items():
                    slot[name].append(value)
            if method == methods[0]:
                by_sub: dict[str, list[bool]] = defaultdict(list)
                for flag, sub in zip(flags, subtypes):
                    if sub:
                        by_sub[sub].append(bool(flag))
                for sub, fl in by_sub.items():
                    result.subtype_recall.setdefault(sub, []).append(sum(fl) / len(fl))
    result.seconds = time.perf_counter() - started
    return result


# --- labelled anomalies (the demo company's extras) ---------------------------------------------------


def read_labels(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(record_no -> type, batch_no -> type) from a CSV with a record or batch column and a type column."""
    by_record: dict[str, str] = {}
    by_batch: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = {f.lower(): f for f in reader.fieldnames or []}
        rec = next((fields[f] for f in ("record_no", "recordno", "record", "line_record_no") if f in fields), None)
        bat = next((fields[f] for f in ("batch_no", "batchno", "batch", "batch_key") if f in fields), None)
        typ = next((fields[f] for f in ("anomaly_type", "type", "kind", "label", "anomaly") if f in fields), None)
        if typ is None or (rec is None and bat is None):
            raise ValueError(f"{path}: need a record_no or batch_no column and an anomaly_type column "
                             f"(found {reader.fieldnames})")
        for row in reader:
            t = (row.get(typ) or "").strip()
            if not t:
                continue
            if rec and (row.get(rec) or "").strip():
                by_record[row[rec].strip()] = t
            elif bat and (row.get(bat) or "").strip():
                by_batch[row[bat].strip()] = t
    return by_record, by_batch


@dataclass
class TypeResult:
    anomaly_type: str
    labelled: int
    rules: tuple[str, ...]
    caught_by_rules: int
    caught_by_any: int
    flagged_by_rules: int
    true_flags: int

    @property
    def recall(self) -> float:
        return self.caught_by_rules / self.labelled if self.labelled else float("nan")

    @property
    def recall_any(self) -> float:
        return self.caught_by_any / self.labelled if self.labelled else float("nan")

    @property
    def precision(self) -> float:
        return self.true_flags / self.flagged_by_rules if self.flagged_by_rules else float("nan")


@dataclass
class LabelledResult:
    lines: int
    labelled_lines: int
    flagged_lines: int
    types: list[TypeResult]
    rule_counts: Counter
    seconds: float


def labelled_evaluation(postings: Sequence[Posting], labels: tuple[dict[str, str], dict[str, str]], *,
                        company: Company, policy: RulesPolicy, calendar: CloseCalendar,
                        min_severity: str = "warning", progress: Progress | None = None) -> LabelledResult:
    from copilot.validate.findings import SEVERITY_RANK
    from copilot.validate.service import Validator

    started = time.perf_counter()
    by_record, by_batch = labels
    truth = {p.record_no: by_record.get(p.record_no) or by_batch.get(p.batch_no or "") for p in postings}
    profile = HistoryProfile.build(postings)
    validator = Validator(policy, calendar, company=company, profile=profile)
    floor = SEVERITY_RANK[min_severity]
    flagged: dict[str, set[str]] = {}
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress and done // 20000 != (done - n) // 20000:
            progress(f"validated {done:,} / {len(postings):,} lines")

    rule_counts: Counter = Counter()
    fired: dict[str, set[str]] = {}  # every rule that fired, any severity (a type's own rules may be info)
    for p, findings, _score in validator.validate_history(postings, progress=tick):
        fired[p.record_no] = {f.rule_id for f in findings}
        flagged[p.record_no] = {f.rule_id for f in findings if SEVERITY_RANK[f.severity] >= floor}
        rule_counts.update(fired[p.record_no])
    types = sorted({t for t in truth.values() if t})
    out = []
    for t in types:
        rules = rules_for_type(t)
        of_type = [r for r, lab in truth.items() if lab == t]
        by_rules = [r for r, rs in fired.items() if rs & set(rules)]
        out.append(TypeResult(
            anomaly_type=t, labelled=len(of_type), rules=rules,
            caught_by_rules=sum(1 for r in of_type if fired.get(r, set()) & set(rules)),
            caught_by_any=sum(1 for r in of_type if flagged.get(r)),
            flagged_by_rules=len(by_rules), true_flags=sum(1 for r in by_rules if truth.get(r) == t)))
    return LabelledResult(lines=len(postings), labelled_lines=sum(1 for t in truth.values() if t),
                          flagged_lines=sum(1 for rs in flagged.values() if rs), types=out,
                          rule_counts=rule_counts, seconds=time.perf_counter() - started)


# --- rendering ------------------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.1f} %"


def _mean_sd(values: list[float]) -> str:
    vals = [v for v in values if v == v]
    if not vals:
        return "n/a"
    if len(vals) == 1:
        return f"{vals[0]:.3f}"
    return f"{statistics.mean(vals):.3f} ± {statistics.stdev(vals):.3f}"


def render_labelled(name: str, res: LabelledResult) -> str:
    lines = [f"**Labelled anomalies of company `{name}`**: {res.lines:,} lines, {res.labelled_lines:,} labelled; "
             f"{res.flagged_lines:,} lines flagged at warning or above ({res.seconds:.0f} s).", "",
             "| anomaly type | labelled lines | rules meant for it | recall (those rules) "
             "| recall (any warning/error) | precision (those rules) |", "|---|---:|---|---:|---:|---:|"]
    for t in res.types:
        rules = ", ".join(t.rules) or "(no rule maps to this type)"
        lines.append(f"| {t.anomaly_type} | {t.labelled:,} | {rules} | {_pct(t.recall)} | {_pct(t.recall_any)} "
                     f"| {_pct(t.precision)} |")
    lines += ["", "Recall and precision of a type's own rules count their findings at any severity (some, like "
              "weekend and round amounts, are notes by policy); lines fired per rule, any severity: " +
              ", ".join(f"{r} {n:,}" for r, n in res.rule_counts.most_common())]
    return "\n".join(lines)


def render_injection(name: str, res: InjectionResult) -> str:
    lines = [f"**Injected anomalies on company `{name}`** (Schreyer et al. protocol, copilot.validate.injector): "
             f"{res.lines:,} original lines, per seed {res.anomalies.get('global', 0)} global + "
             f"{res.anomalies.get('local', 0)} local anomalies (rates {100 * res.rates[0]:.2f} % / "
             f"{100 * res.rates[1]:.2f} % of lines), seeds "
             f"{', '.join(map(str, res.seeds))}; mean ± sd over seeds ({res.seconds:.0f} s).", "",
             "| method | kind | AUC-ROC | AUC-PR | recall @ 1 % flagged |", "|---|---|---:|---:|---:|"]
    for method, kinds in res.metrics.items():
        for kind in ("global", "local", "all"):
            m = kinds.get(kind, {})
            lines.append(f"| {method} | {kind} | {_mean_sd(m.get('auc_roc', []))} | {_mean_sd(m.get('auc_pr', []))} "
                         f"| {_mean_sd(m.get('recall_at_1pct', []))} |")
    if res.subtype_recall:
        lines += ["", "Recall @ 1 % of the copilot score per injected subtype: " +
                  ", ".join(f"{s} {statistics.mean(v):.2f}" for s, v in sorted(res.subtype_recall.items()))]
    return "\n".join(lines)
