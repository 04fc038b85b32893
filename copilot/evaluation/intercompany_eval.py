"""Intercompany reconciliation against the demo company's labelled pairs (extras/intercompany_pairs.csv).

Every month of the books is reconciled as a close would do it. A labelled pair is judged by the finding
that holds its seller side in the run of the seller's own period:

- pairing: the predicted pairs (deduplicated over the runs) that touch a labelled entry, against the
  labelled (seller batch, buyer batch) pairs that have both sides; settlements and other pairs the labels
  do not cover are counted apart, not scored;
- reasons: the finding's status (matched, fx_difference, timing_difference, missing_side, wrong_account,
  amount_difference) against the label, one class against the rest, plus the confusion matrix.

Run twice: with references (IC-1.2 document field) and without (amount, date and counterparty only).
``python -m copilot.evaluation.intercompany_eval --company demo`` or ``copilot eval-intercompany``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

from copilot.allocation.books import Books, Period
from copilot.errors import NotFound
from copilot.intercompany.config import IntercompanyRules
from copilot.intercompany.fx import RateTable
from copilot.intercompany.service import reconcile

STATUSES = ("matched", "fx_difference", "timing_difference", "missing_side", "wrong_account", "amount_difference")


@dataclass
class RunResult:
    label: str
    periods: int
    labelled: int
    gold_pairs: int
    predicted_pairs: int  # touching a labelled entry
    correct_pairs: int
    unlabelled_pairs: int
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)  # (gold, predicted) -> n
    misses: list[tuple[str, str, str, str]] = field(default_factory=list)  # pair, gold, predicted, our reason
    eliminations: int = 0
    unbalanced: int = 0
    seconds: float = 0.0

    @property
    def pair_precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 0.0

    @property
    def pair_recall(self) -> float:
        return self.correct_pairs / self.gold_pairs if self.gold_pairs else 0.0

    def per_class(self, cls: str) -> tuple[int, int, int, float, float]:
        tp = self.confusion.get((cls, cls), 0)
        gold = sum(n for (g, _), n in self.confusion.items() if g == cls)
        pred = sum(n for (_, p), n in self.confusion.items() if p == cls)
        return gold, pred, tp, (tp / pred if pred else 0.0), (tp / gold if gold else 0.0)

    @property
    def accuracy(self) -> float:
        total = sum(self.confusion.values())
        return sum(n for (g, p), n in self.confusion.items() if g == p) / total if total else 0.0


def read_labels(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise NotFound(f"no labelled pairs at {path}: run `copilot demo init` (it writes extras/intercompany_pairs.csv)")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def months(books: Books) -> list[Period]:
    if not books.postings:
        return []
    first, last = Period.of(books.first_day), Period.of(books.last_day)
    out, p = [], first
    while p <= last:
        out.append(p)
        p = p.shift(1)
    return out


def evaluate(books: Books, labels: list[dict[str, str]], rules: IntercompanyRules, rates: RateTable, *,
             label: str, progress: Callable[[str], None] | None = None) -> RunResult:
    import time

    started = time.perf_counter()
    labelled_batches = {r["seller_batch"] for r in labels} | {r["buyer_batch"] for r in labels if r["buyer_batch"]}
    by_primary: dict[tuple[str, str], tuple[str, str]] = {}  # (period, batch) -> (status, first reason)
    predicted: set[tuple[str, ...]] = set()
    unlabelled: set[tuple[str, ...]] = set()
    elims = unbalanced = 0
    periods = months(books)
    for period in periods:
        if progress:
            progress(f"{label}: {period}")
        rec = reconcile(books, period, rules, rates)
        elims += len(rec.eliminations)
        unbalanced += sum(1 for e in rec.eliminations if not e.entry.is_balanced)
        for f in rec.findings:
            if f.b is not None:
                key = f.pair_key
                (predicted if set(key) & labelled_batches else unlabelled).add(key)
            for side, other in ((f.a, f.b), (f.b, f.a)):
                if side is not None and side.period == str(period):
                    by_primary[(str(period), side.batch)] = (f.status, f.reasons[0].detail if f.reasons else "")
    gold = {tuple(sorted((r["seller_batch"], r["buyer_batch"]))) for r in labels if r["buyer_batch"]}
    confusion: dict[tuple[str, str], int] = {}
    misses = []
    for r in labels:
        seller_period = r["seller_date"][:7]
        status, why = by_primary.get((seller_period, r["seller_batch"]), ("not_found", ""))
        key = (r["status"], status)
        confusion[key] = confusion.get(key, 0) + 1
        if status != r["status"]:
            if not why:
                usd = Decimal(r["usd_difference"] or "0")
                inside = abs(usd) <= rules.matching.tolerance
                why = (f"no reason found; the labelled USD difference is {usd}"
                       + (f", inside the {rules.matching.base_currency} {rules.matching.tolerance} tolerance" if inside else ""))
            misses.append((r["pair_id"], r["status"], status, why))
    return RunResult(label=label, periods=len(periods), labelled=len(labels), gold_pairs=len(gold),
                     predicted_pairs=len(predicted), correct_pairs=len(predicted & gold),
                     unlabelled_pairs=len(unlabelled), confusion=confusion, misses=misses, eliminations=elims,
                     unbalanced=unbalanced, seconds=time.perf_counter() - started)


def render(results: list[RunResult], books: Books, rules: IntercompanyRules) -> str:
    r0 = results[0]
    gold_counts = {s: r0.per_class(s)[0] for s in STATUSES}
    m = rules.matching
    out = ["## Intercompany reconciliation on the demo's labelled pairs", "",
           f"Company `{books.name}`: {len(books.postings):,} GL lines, {r0.periods} months, {r0.labelled} labelled "
           f"intercompany charges ({', '.join(f'{k} {v}' for k, v in gold_counts.items() if v)}). Each month "
           f"reconciled on its own; tolerance {m.base_currency} {m.tolerance}, FX band {m.fx_band:.0%}, other side "
           f"sought within {m.date_window_days} days.", "",
           "| run | pair precision | pair recall | pairs scored | unlabelled pairs (settlements) | status accuracy | "
           "eliminations | unbalanced | seconds |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        out.append(f"| {r.label} | {r.pair_precision:.3f} | {r.pair_recall:.3f} | {r.correct_pairs}/{r.predicted_pairs} "
                   f"pred, {r.gold_pairs} gold | {r.unlabelled_pairs} | {r.accuracy:.3f} | {r.eliminations} | "
                   f"{r.unbalanced} | {r.seconds:.1f} |")
    for r in results:
        out += ["", f"**Reasons, {r.label}** (one class against the rest; gold = labelled, predicted = status of the "
                "finding holding the seller side)", "",
                "| status | gold | predicted | correct | precision | recall |", "|---|---:|---:|---:|---:|---:|"]
        for s in STATUSES:
            gold, pred, tp, p, rc = r.per_class(s)
            if gold or pred:
                out.append(f"| {s} | {gold} | {pred} | {tp} | {p:.3f} | {rc:.3f} |")
        if r.misses:
            out += ["", "Disagreements with the labels:", ""]
            for pair, gold, pred, why in r.misses:
                out.append(f"- {pair}: labelled {gold}, found {pred}: {why}")
    out += ["", "A labelled `timing_difference` whose second side falls after the last month of the books has no "
            "second side to find: it is reported as `missing_side` with the note that the books end first. "
            "Settlement pairs (quarterly cash settlements, IC-6.1) are found and reported but carry no label."]
    return "\n".join(out)


def run(settings, company: str = "demo", *, write: bool = True, progress=None) -> str:
    from copilot.allocation.books import load_books
    from copilot.evaluation.results import write_section
    from copilot.intercompany.service import rates_for, rules_for

    books = load_books(settings, company)
    labels = read_labels(books.root / "extras" / "intercompany_pairs.csv")
    rules = rules_for(settings, company)
    rates = rates_for(books, rules)
    results = [evaluate(books, labels, rules, rates, label="with references", progress=progress),
               evaluate(books, labels, rules.with_overrides(use_reference=False), rates,
                        label="without references", progress=progress)]
    md = render(results, books, rules)
    if write:
        write_section("intercompany", md, command=f"copilot eval-intercompany --company {company}")
    return md


def main() -> None:  # pragma: no cover - thin wrapper
    import argparse

    from copilot.settings import get_settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--company", default="demo")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    print(run(get_settings(), args.company, write=not args.no_write, progress=lambda m: print(m, flush=True)))


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["RunResult", "evaluate", "read_labels", "render", "run"]
