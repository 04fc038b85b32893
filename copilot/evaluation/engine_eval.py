"""Evaluate the suggestion engine and the baselines on a time split of any imported company.

Train on the older months, test on the latest ones, exactly as the engine would meet new lines:
top-1 / top-3 of the full coding (account + target dimensions) and per dimension, the slice of
vendors never seen in training, expected calibration error, coverage at 95 % precision, and
end-to-end latency of a suggestion (retrieval, scoring, explanation).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Sequence

import numpy as np

from copilot.domain import Company, DimensionCombination, Posting
from copilot.engine.engine import Engine
from copilot.engine.history import COUNTERPARTY_DIMS, posting_combination
from copilot.engine.model import build_company_model, posting_text, request_from_posting
from copilot.engine.neighbours import ArrayNeighbours
from copilot.evaluation.baselines import BASELINES
from copilot.errors import InputError


def month_start_back(last: date, months: int) -> date:
    y, m = last.year, last.month - months + 1
    while m <= 0:
        y, m = y - 1, m + 12
    return date(y, m, 1)


def time_split(postings: Sequence[Posting], *, split_date: date | None = None, test_months: int = 3
               ) -> tuple[list[Posting], list[Posting], date]:
    ordered = sorted(postings, key=lambda p: (p.entry_date, p.record_no))
    if not ordered:
        raise InputError("no postings to evaluate")
    cut = split_date or month_start_back(ordered[-1].entry_date, test_months)
    train = [p for p in ordered if p.entry_date < cut]
    test = [p for p in ordered if p.entry_date >= cut]
    if not train or not test:
        raise InputError(f"split at {cut} leaves an empty side ({len(train)} train / {len(test)} test)")
    return train, test, cut


@dataclass
class Scores:
    name: str
    top1: float
    top3: float
    per_dim: dict[str, float]
    unseen_top1: float | None
    unseen_top3: float | None
    seconds: float
    extra: dict = field(default_factory=dict)


def score_predictions(name: str, preds: list[list[str]], truth: list[str], unseen: list[bool],
                      seconds: float) -> Scores:
    hit1 = np.array([bool(p) and p[0] == t for p, t in zip(preds, truth)])
    hit3 = np.array([t in p[:3] for p, t in zip(preds, truth)])
    per_dim: dict[str, list[bool]] = {}
    for p, t in zip(preds, truth):
        tc = DimensionCombination.from_key(t)
        pc = DimensionCombination.from_key(p[0]) if p else DimensionCombination(account_no="")
        per_dim.setdefault("account", []).append(pc.account_no == tc.account_no)
        for k, v in tc.dims.items():
            per_dim.setdefault(k, []).append(pc.dims.get(k) == v)
    mask = np.array(unseen)
    return Scores(name=name, top1=float(hit1.mean()), top3=float(hit3.mean()),
                  per_dim={k: float(np.mean(v)) for k, v in per_dim.items()},
                  unseen_top1=float(hit1[mask].mean()) if mask.any() else None,
                  unseen_top3=float(hit3[mask].mean()) if mask.any() else None, seconds=seconds)


def expected_calibration_error(conf: np.ndarray, correct: np.ndarray, bins: int = 10) -> tuple[float, list[dict]]:
    edges = np.linspace(0, 1, bins + 1)
    ece, table = 0.0, []
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf >= lo) & ((conf < hi) if hi < 1 else (conf <= hi))
        if m.any():
            gap = abs(conf[m].mean() - correct[m].mean())
            ece += m.mean() * gap
            table.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(m.sum()), "confidence": float(conf[m].mean()),
                          "accuracy": float(correct[m].mean())})
    return float(ece), table


def coverage_at_precision(conf: np.ndarray, correct: np.ndarray, target: float = 0.95) -> tuple[float, float]:
    """Largest share of lines that can be auto-accepted (highest confidence first) at >= target precision."""
    order = np.argsort(-conf, kind="stable")
    hits = np.cumsum(correct[order])
    n = np.arange(1, len(order) + 1)
    ok = np.where(hits / n >= target)[0]
    if not len(ok):
        return 0.0, 1.0
    i = ok[-1]
    return float((i + 1) / len(order)), float(conf[order][i])


@dataclass
class EvalReport:
    company: str
    split_date: date
    n_train: int
    n_test: int
    n_unseen: int
    engine: Scores
    baselines: list[Scores]
    ece: float
    calibration: list[dict]
    coverage95: float
    coverage_threshold: float
    latency_p50_ms: float
    latency_p95_ms: float
    candidate_recall: float
    train_seconds: float
    scope: str = "pnl"
    notes: list[str] = field(default_factory=list)


def evaluation_lines(company: Company, postings: Sequence[Posting], *, split_date: date | None = None,
                     test_months: int = 3, scope: str = "pnl") -> tuple[list[Posting], list[Posting], date, set[str]]:
    """Training lines, the test lines in time order (in scope), the split date and the scope's accounts."""
    train, test, cut = time_split(postings, split_date=split_date, test_months=test_months)
    scope_accounts: set[str] = set()
    if scope == "pnl":
        # The lines a preparer codes: income-statement accounts. Balancing lines (payables, cash,
        # receivables) are generated by the subledgers and would flatter every method.
        scope_accounts = {a for a, acct in company.accounts.items() if acct.account_type.lower().startswith("income")}
        test = [p for p in test if p.account_no in scope_accounts]
        if not test:
            raise InputError("no income-statement lines in the test period; use scope 'all'")
    return train, test, cut, scope_accounts


def sample_indices(n: int, max_test: int | None, seed: int = 0) -> list[int]:
    """Which of ``n`` test lines are scored: all, or a seeded sample of ``max_test`` in time order."""
    if max_test and n > max_test:
        rng = np.random.default_rng(seed)
        return [int(i) for i in sorted(rng.choice(n, size=max_test, replace=False))]
    return list(range(n))


def text_vectors(company: Company, lines: Sequence[Posting], embed: Callable[[list[str]], np.ndarray]
                 ) -> tuple[list[str], dict[str, np.ndarray]]:
    """Each line's embedded text, and one vector per distinct text (memos repeat a lot)."""
    texts = [posting_text(company, p) for p in lines]
    unique = list(dict.fromkeys(texts))
    return texts, dict(zip(unique, embed(unique)))


def fit_engine(name: str, company: Company, train: Sequence[Posting], embed: Callable[[list[str]], np.ndarray], *,
               explainer=None, timesheets=None, progress: Callable[[str], None] = print) -> tuple[Engine, float]:
    """The engine as the evaluation meets it: model fitted on ``train``, neighbours from ``train`` only."""
    started = time.perf_counter()
    model = build_company_model(name, company, train, embed, progress=progress, timesheets=timesheets)
    train_seconds = time.perf_counter() - started
    texts, vectors = text_vectors(company, train, embed)
    return Engine(model, _Embed(embed), ArrayNeighbours(train, texts, vectors), explainer=explainer), train_seconds


def evaluate(name: str, company: Company, postings: Sequence[Posting], embed: Callable[[list[str]], np.ndarray], *,
             split_date: date | None = None, test_months: int = 3, max_test: int | None = None,
             latency_sample: int = 300, explainer=None, progress: Callable[[str], None] = print,
             seed: int = 0, timesheets=None, scope: str = "pnl",
             on_engine_done: Callable[["EvalReport"], None] | None = None) -> EvalReport:
    train, test, cut, scope_accounts = evaluation_lines(company, postings, split_date=split_date,
                                                        test_months=test_months, scope=scope)
    test = [test[i] for i in sample_indices(len(test), max_test, seed)]
    progress(f"{name}: {len(train):,} training lines before {cut}, {len(test):,} test lines")

    engine, train_seconds = fit_engine(name, company, train, embed, explainer=explainer, timesheets=timesheets,
                                       progress=progress)
    test_texts, tvec = text_vectors(company, test, embed)

    truth = [posting_combination(p).key for p in test]
    seen_vendors = {(p.entity, p.dims.get("vendor")) for p in train}
    unseen = [bool(p.dims.get("vendor")) and (p.entity, p.dims.get("vendor")) not in seen_vendors for p in test]

    progress("ranking test lines with the engine")
    t0 = time.perf_counter()
    preds, confs, recall = [], [], []
    for p, t, key in zip(test, test_texts, truth):
        cands, conf, _ = engine.rank(request_from_posting(p), tvec[t])
        preds.append([c.key for c in cands[:3]])
        confs.append(float(conf[0]) if len(conf) else 0.0)
        recall.append(any(c.key == key for c in cands))
    eng = score_predictions("engine", preds, truth, unseen, time.perf_counter() - t0 + train_seconds)
    conf = np.array(confs)
    correct = np.array([bool(p) and p[0] == t for p, t in zip(preds, truth)], dtype=float)
    ece, table = expected_calibration_error(conf, correct)
    cov, thr = coverage_at_precision(conf, correct)

    progress(f"timing {min(latency_sample, len(test))} full suggestions (retrieval + scoring + explanation)")
    lat = []
    for p in test[:latency_sample]:
        t1 = time.perf_counter()
        engine.suggest(request_from_posting(p))
        lat.append((time.perf_counter() - t1) * 1000)

    report = EvalReport(company=name, split_date=cut, n_train=len(train), n_test=len(test), n_unseen=int(sum(unseen)),
                        engine=eng, baselines=[], ece=ece, calibration=table, coverage95=cov,
                        coverage_threshold=thr, latency_p50_ms=statistics.median(lat),
                        latency_p95_ms=float(np.percentile(lat, 95)), candidate_recall=float(np.mean(recall)),
                        train_seconds=train_seconds, scope=scope)
    if on_engine_done is not None:
        on_engine_done(report)
    # Baselines learn from the lines of the evaluated kind only: codings that never appear in the test
    # scope (payables, cash...) would only add classes, cost and confusion to them.
    scoped_train = [p for p in train if p.account_no in scope_accounts] if scope_accounts else train
    for cls in BASELINES:
        progress(f"baseline: {cls.name}")
        t2 = time.perf_counter()
        b = cls().fit(company, scoped_train)
        report.baselines.append(score_predictions(cls.name, b.predict(company, test), truth, unseen,
                                                  time.perf_counter() - t2))
        if on_engine_done is not None:
            on_engine_done(report)
    return report


class _Embed:
    def __init__(self, fn):
        self.fn = fn

    def embed(self, texts):
        return self.fn(list(texts))


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def render(r: EvalReport) -> str:
    rows = [r.engine, *r.baselines]
    dims = [d for d in r.engine.per_dim if d not in COUNTERPARTY_DIMS]
    head = "| method | top-1 | top-3 | unseen-vendor top-1 | unseen top-3 | " + " | ".join(f"{d} top-1" for d in dims) + " | seconds |"
    sep = "|" + "---|" * (6 + len(dims))
    lines = [f"## Suggestion engine — company `{r.company}`", "",
             f"Time split at **{r.split_date}**: {r.n_train:,} training lines, {r.n_test:,} test lines "
             f"({r.n_unseen:,} with a vendor never seen in training; test lines: "
             f"{'income-statement accounts, the lines a preparer codes' if r.scope == 'pnl' else 'every line'}). "
             "Full coding = account + every target dimension (department, location, project, class, item, "
             "custom dimensions; the counterparty vendor/customer/employee is an input).",
             "", head, sep]
    for s in rows:
        lines.append(f"| {s.name} | {_pct(s.top1)} | {_pct(s.top3)} | {_pct(s.unseen_top1)} | {_pct(s.unseen_top3)} | "
                     + " | ".join(_pct(s.per_dim.get(d)) for d in dims) + f" | {s.seconds:.1f} |")
    lines += ["", f"- Expected calibration error of the top-1 confidence: **{r.ece:.3f}** (10 bins)",
              f"- Coverage at 95 % precision: **{r.coverage95:.1%}** of lines (confidence ≥ {r.coverage_threshold:.2f})",
              f"- Candidate recall (true coding among the engine's candidates): {r.candidate_recall:.1%}",
              f"- Latency of a full suggestion, in-process, no LLM: p50 {r.latency_p50_ms:.1f} ms, p95 {r.latency_p95_ms:.1f} ms",
              f"- Engine training time on the training split: {r.train_seconds:.1f} s", "",
              "| confidence bin | lines | mean confidence | accuracy |", "|---|---|---|---|"]
    lines += [f"| {b['bin']} | {b['n']} | {b['confidence']:.2f} | {b['accuracy']:.2f} |" for b in r.calibration]
    lines += [f"- {n}" for n in r.notes]
    return "\n".join(lines)
