"""Bank-feed matching evaluated on a company's labelled feed (the demo's extras/bank_feed.csv).

The feed is matched exactly as ``copilot bankfeed match`` does (labels are read only to score). A
(line, document) pair is a true match when the label lists that bill or invoice for the line.
  precision  correct pairs / pairs proposed     recall  correct pairs / labelled pairs
reported for auto-matched lines (what would be posted without a human) and for every proposal
(auto + the best candidate of ambiguous lines sent to review). Share auto-matched is over all lines;
per match kind, a line counts as right when its proposed set equals the labelled set (no documents
for kinds that settle none). Recurring groups are scored against the kinds that recur.
"""

from __future__ import annotations

import csv
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from copilot.bankfeed.cleanse import cleanse
from copilot.bankfeed.feed import open_items, read_feed
from copilot.bankfeed.match import Matcher, MatchConfig, match_feed
from copilot.bankfeed.recurring import find_recurring
from copilot.errors import NotFound

RECURRING_KINDS = {"payroll", "tax", "benefits", "card_payment", "interest", "bank_fee"}


def _labels(path: Path) -> dict[str, dict]:
    out = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            docs = set()
            for col in ("ap_bills", "ar_invoices"):
                for part in filter(None, (row.get(col) or "").split(";")):
                    docs.add(part.split(":")[0])
            out[row["line_id"]] = {"kind": row["match_kind"], "docs": docs}
    return out


@dataclass
class Report:
    lines: int
    seconds: float
    pairs_true: int
    auto_pairs: int
    auto_correct: int
    all_pairs: int
    all_correct: int
    auto_lines: int
    status: Counter
    by_kind: dict[str, dict] = field(default_factory=dict)
    recurring: dict = field(default_factory=dict)

    def ratio(self, a: int, b: int) -> float:
        return a / b if b else 0.0


def evaluate(root: Path, config: MatchConfig | None = None) -> Report:
    feed_path = root / "extras" / "bank_feed.csv"
    if not feed_path.exists():
        raise NotFound(f"no labelled bank feed at {feed_path} (run `copilot demo init`)")
    started = time.perf_counter()
    lines = read_feed(feed_path)
    labels = _labels(feed_path)
    items = open_items(root, start=min(ln.on for ln in lines), end=max(ln.on for ln in lines))
    cleansed = {ln.line_id: cleanse(ln.description) for ln in lines}
    results = match_feed(lines, cleansed, Matcher(items, config))
    recurring = find_recurring(lines, cleansed)
    seconds = time.perf_counter() - started

    pairs_true = sum(len(lb["docs"]) for lb in labels.values())
    auto_pairs = auto_correct = all_pairs = all_correct = auto_lines = 0
    status: Counter = Counter()
    kinds: dict[str, Counter] = defaultdict(Counter)
    for ln in lines:
        r, lb = results[ln.line_id], labels[ln.line_id]
        status[r.status] += 1
        proposed = {a.item.item_id for a in r.items} or (set(r.candidates[0]) if r.candidates else set())
        if r.status == "currency_mismatch":
            proposed = set()
        hit = len(proposed & lb["docs"])
        all_pairs += len(proposed)
        all_correct += hit
        if r.auto:
            auto_lines += 1
            auto_pairs += len(proposed)
            auto_correct += hit
        k = kinds[lb["kind"]]
        k["lines"] += 1
        k["auto"] += r.auto
        k["exact"] += proposed == lb["docs"]
        k["auto_exact"] += r.auto and proposed == lb["docs"]
        k[f"status:{r.status}"] += 1
    by_kind = {}
    for kind, k in sorted(kinds.items(), key=lambda kv: -kv[1]["lines"]):
        by_kind[kind] = {"lines": k["lines"], "auto": k["auto"], "exact": k["exact"], "auto_exact": k["auto_exact"],
                         "review": k["lines"] - k["auto"]}
    rec_lines = [ln for ln in lines if ln.line_id in recurring]
    rec_kind = Counter(labels[ln.line_id]["kind"] for ln in rec_lines)
    should = [ln for ln in lines if labels[ln.line_id]["kind"] in RECURRING_KINDS]
    rec = {"groups": len({r.group_id for r in recurring.values()}), "lines": len(rec_lines),
           "precision": sum(v for k, v in rec_kind.items() if k in RECURRING_KINDS) / len(rec_lines) if rec_lines else 0.0,
           "recall": sum(1 for ln in should if ln.line_id in recurring) / len(should) if should else 0.0,
           "kinds": dict(rec_kind.most_common())}
    return Report(lines=len(lines), seconds=seconds, pairs_true=pairs_true, auto_pairs=auto_pairs,
                  auto_correct=auto_correct, all_pairs=all_pairs, all_correct=all_correct, auto_lines=auto_lines,
                  status=status, by_kind=by_kind, recurring=rec)


def render(rep: Report, company: str) -> str:
    r = rep.ratio
    out = [f"## Bank-feed matching: {company}", "",
           f"{rep.lines:,} bank lines matched against open AP bills and AR invoices in {rep.seconds:.1f} s "
           f"({rep.lines / rep.seconds:,.0f} lines/s); {rep.pairs_true:,} labelled (line, document) pairs.", "",
           "| proposals | pairs | precision | recall |", "|---|---:|---:|---:|",
           f"| auto-matched (no human) | {rep.auto_pairs:,} | {r(rep.auto_correct, rep.auto_pairs):.3f} | "
           f"{r(rep.auto_correct, rep.pairs_true):.3f} |",
           f"| auto + best candidate of lines sent to review | {rep.all_pairs:,} | "
           f"{r(rep.all_correct, rep.all_pairs):.3f} | {r(rep.all_correct, rep.pairs_true):.3f} |", "",
           f"Share auto-matched: {r(rep.auto_lines, rep.lines):.1%} of all lines "
           f"({rep.auto_lines:,}); statuses: " + ", ".join(f"{k} {v:,}" for k, v in rep.status.most_common()) + ".", "",
           "| match kind (label) | lines | auto-matched | auto and exactly right | proposal exactly right | to review |",
           "|---|---:|---:|---:|---:|---:|"]
    for kind, k in rep.by_kind.items():
        out.append(f"| {kind} | {k['lines']:,} | {r(k['auto'], k['lines']):.1%} | {r(k['auto_exact'], k['lines']):.1%} "
                   f"| {r(k['exact'], k['lines']):.1%} | {k['review']:,} |")
    rc = rep.recurring
    out += ["", f"Recurring groups (same payee, similar amount, regular interval): {rc['groups']} groups, "
                f"{rc['lines']:,} lines. Recall on the kinds that recur by construction (payroll, tax, benefits, "
                f"card payments, interest, bank fees): {rc['recall']:.3f}. Grouped lines by kind: "
                + ", ".join(f"{k} {v}" for k, v in rc["kinds"].items()) + " (AP and AR lines grouped are "
                "subscriptions and retainers paid monthly: recurring too, just not labelled as such).",
            "", "Kinds that settle no document (payroll, tax, card payments, fees...) are right when nothing is "
                "matched; they go to review with a suggested coding."]
    return "\n".join(out)
