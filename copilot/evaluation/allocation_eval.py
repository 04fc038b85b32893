"""Cost allocation against the demo company's posted allocations (the controller's "Cost allocations"
entries, CA-2 floor space, CA-3 headcount, CA-4 revenue).

Every rule of policies/allocation_rules.yaml is run for every month of the books. Where the books hold
the controller's allocation for that rule and month (lines on the pool accounts, in the entity, at
month end, memos starting with the clause), the proposed entry is compared line by line: the same lines
(account, dimensions, side), the same totals, and how many lines agree to the cent. Rules the books have
no posted allocation for (the project example) are counted for their budget and history flags only.
``copilot eval-allocation --company demo``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from decimal import Decimal

from copilot.allocation.allocate import allocate
from copilot.allocation.books import Books
from copilot.allocation.rules import RuleBook
from copilot.errors import InputError
from copilot.evaluation.intercompany_eval import months


@dataclass
class RuleScore:
    rule: str
    clause: str
    runs: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # first words of the error -> count
    compared: int = 0
    same_lines: int = 0
    same_totals: int = 0
    lines: int = 0
    lines_to_the_cent: int = 0
    max_cents: Decimal = Decimal(0)
    off: int = 0  # compared months with a line off by more than rounding
    off_explained: int = 0  # ... where a labelled anomaly touches the pool in that month
    unbalanced: int = 0
    not_ready: int = 0
    history_flags: int = 0
    budget: dict[str, int] = field(default_factory=dict)


def _posted(books: Books, rule, period, keys) -> dict:
    out: dict = {}
    for p in books.between(period.end, period.end, rule.entity):
        if p.memo.startswith(rule.clause + " ") and p.account_no in rule.pool.accounts:
            key = (p.account_no, tuple(sorted(p.dims.items())), p.tr_type)
            if key in keys:
                out[key] = out.get(key, Decimal(0)) + p.amount
    return out


ROUNDING = Decimal("0.05")


def _anomalies(books: Books) -> list[dict[str, str]]:
    """The demo's labelled anomalies: some were injected after the controller posted the allocations."""
    import csv

    path = books.extras_file("anomaly_labels.csv")
    if path is None:
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def evaluate(books: Books, book: RuleBook, progress=None) -> tuple[list[RuleScore], float]:
    started = time.perf_counter()
    anomalies = _anomalies(books)
    scores = []
    periods = months(books)
    for rule in book.rules:
        s = RuleScore(rule.id, rule.clause)
        for period in periods:
            if progress:
                progress(f"{rule.id} {period}")
            try:
                r = allocate(rule, books, period, book.defaults)
            except InputError as exc:
                rest = exc.message.split(":", 1)[-1]
                kind = " ".join(re.split(r"[:(]| in \d{4}", rest)[0].split()[:6])
                s.errors[kind] = s.errors.get(kind, 0) + 1
                continue
            s.runs += 1
            s.unbalanced += not r.entry.is_balanced
            s.not_ready += not r.ready
            s.history_flags += sum(1 for h in r.history if h.flagged)
            for b in r.budget:
                s.budget[b.status] = s.budget.get(b.status, 0) + 1
            ours = {(ln.account_no, tuple(sorted(ln.dims.items())), ln.tr_type): ln.amount for ln in r.entry.lines}
            posted = _posted(books, rule, period, set(ours))
            if not posted:
                continue
            s.compared += 1
            s.same_lines += posted.keys() == ours.keys()
            s.same_totals += all(sum(a for k, a in posted.items() if k[2] == side) ==
                                 sum(a for k, a in ours.items() if k[2] == side) for side in (1, -1))
            worst = Decimal(0)
            for k, amount in ours.items():
                if k in posted:
                    s.lines += 1
                    s.lines_to_the_cent += posted[k] == amount
                    worst = max(worst, abs(posted[k] - amount))
            s.max_cents = max(s.max_cents, worst)
            if worst > ROUNDING or posted.keys() != ours.keys():
                s.off += 1
                s.off_explained += any(a["entity"] == rule.entity and a["date"][:7] == str(period)
                                       and a["account"] in rule.pool.accounts for a in anomalies)
        scores.append(s)
    return scores, time.perf_counter() - started


def render(scores: list[RuleScore], books: Books, seconds: float) -> str:
    out = ["## Cost allocation against the demo's posted allocations", "",
           f"Company `{books.name}`: {len(books.postings):,} GL lines, {len(months(books))} months; every rule of "
           "policies/allocation_rules.yaml run for every month. *Compared* = months where the books hold the "
           "controller's allocation for the rule. Lines keep account and dimensions; the generator gives the "
           "whole rounding remainder to the largest share while the copilot uses the largest-remainder method, "
           "so a line can differ by a few cents while the totals agree exactly.", "",
           "| rule | clause | entries | balanced | compared | same lines | same totals | lines to the cent | "
           "max diff | off by more than rounding (explained by a labelled anomaly) | history flags | budget checks "
           "| not run (reason: months) |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for s in scores:
        cent = f"{s.lines_to_the_cent}/{s.lines}" if s.lines else "-"
        budget = ", ".join(f"{k} {v}" for k, v in sorted(s.budget.items())) or "-"
        errors = "; ".join(f"{k}: {v}" for k, v in sorted(s.errors.items())) or "-"
        out.append(f"| {s.rule} | {s.clause} | {s.runs} | {s.runs - s.unbalanced}/{s.runs} | {s.compared} | "
                   f"{s.same_lines}/{s.compared} | {s.same_totals}/{s.compared} | {cent} | {s.max_cents} | "
                   f"{s.off} ({s.off_explained}) | {s.history_flags} | {budget} | {errors} |")
    total = sum(s.runs for s in scores)
    lines = sum(s.lines for s in scores)
    cent = sum(s.lines_to_the_cent for s in scores)
    out += ["", f"{total} entries proposed, {sum(s.runs - s.unbalanced for s in scores)} balanced to the cent; "
            f"{cent}/{lines} compared lines ({cent / lines:.1%}) equal to the posted line to the cent; "
            f"{seconds:.1f} s." if lines else f"{total} entries proposed; {seconds:.1f} s."]
    return "\n".join(out)


def run(settings, company: str = "demo", *, write: bool = True, progress=None) -> str:
    from copilot.allocation.books import load_books
    from copilot.allocation.service import rulebook_for
    from copilot.evaluation.results import write_section

    books = load_books(settings, company)
    scores, seconds = evaluate(books, rulebook_for(settings, company), progress)
    md = render(scores, books, seconds)
    if write:
        write_section("allocation", md, command=f"copilot eval-allocation --company {company}")
    return md
