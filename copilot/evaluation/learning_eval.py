"""Learning evaluation: replay the test period as a stream of reviewed lines (issue 5, "learning").

The engine is fitted on the training months exactly as `copilot eval` fits it. Then the test lines are
walked in time order: each is suggested and scored (top-1 / top-3 of the full coding), and then its
true coding is fed back the way an approved or edited review teaches the live system — the review's
LearnedCoding becomes a correction posting (copilot.engine.learning.correction_posting), is folded into
the counts (fold_correction, the step SuggestionService.learn takes) and becomes a point of the
neighbour index. Two engines meet the same stream: a static one that never learns, and one that learns
from every line. Vectors are computed once per distinct text and shared by both engines and the feedback.

``max_test`` scores a seeded sample of the stream, but every line is still fed back: in the live system
each line is reviewed, and the feedback costs almost nothing next to a suggestion.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Sequence

import numpy as np

from copilot.domain import Company, DimensionCombination, Posting
from copilot.domain.text import normalize, vendor_key
from copilot.engine.engine import Engine
from copilot.engine.history import posting_combination
from copilot.engine.learning import correction_posting, fold_correction
from copilot.engine.model import request_from_posting
from copilot.engine.neighbours import GrowingNeighbours
from copilot.evaluation.engine_eval import evaluation_lines, fit_engine, sample_indices, text_vectors
from copilot.review.models import LearnedCoding


@dataclass
class Tally:
    """Hits of both engines over some lines."""

    n: int = 0
    static1: int = 0
    static3: int = 0
    learn1: int = 0
    learn3: int = 0

    def add(self, static: list[str], learning: list[str], truth: str) -> None:
        self.n += 1
        self.static1 += static[:1] == [truth]
        self.static3 += truth in static[:3]
        self.learn1 += learning[:1] == [truth]
        self.learn3 += truth in learning[:3]

    def rate(self, hits: int) -> float | None:
        return hits / self.n if self.n else None


@dataclass
class LineResult:
    """One scored line: what each engine put first, and whether its vendor+memo had been fed back."""

    index: int
    record_no: str
    entry_date: date
    entity: str
    journal: str
    truth: str
    static: list[str]
    learning: list[str]
    repeat: bool


@dataclass
class ReplayReport:
    company: str
    split_date: date
    n_train: int
    n_stream: int
    window_days: int
    scope: str
    per_line: bool = False
    train_seconds: float = 0.0
    replay_seconds: float = 0.0
    total: Tally = field(default_factory=Tally)
    repeat: Tally = field(default_factory=Tally)  # vendor+memo fed back earlier in the stream
    repeat_same: int = 0  # ...of which the true coding is the one taught last for that vendor+memo
    fresh: Tally = field(default_factory=Tally)   # every other scored line
    windows: dict[int, Tally] = field(default_factory=dict)  # window number (0 = first) -> tally
    lines: list[LineResult] = field(default_factory=list)

    @property
    def n_scored(self) -> int:
        return self.total.n

    def by_journal(self) -> dict[str, Tally]:
        """Scored lines per journal (CCJ card, APJ payables, PYJ payroll, GJ manual...), largest first."""
        out: dict[str, Tally] = {}
        for ln in self.lines:
            out.setdefault(ln.journal or "-", Tally()).add(ln.static, ln.learning, ln.truth)
        return dict(sorted(out.items(), key=lambda kv: (-kv[1].n, kv[0])))

    def window_span(self, w: int) -> tuple[date, date]:
        start = self.split_date + timedelta(days=w * self.window_days)
        return start, start + timedelta(days=self.window_days - 1)


def entry_key(p: Posting) -> tuple[str, str]:
    """The journal entry a line belongs to (its batch), else the line itself."""
    return p.entity, p.batch_no or p.record_no


def repeat_key(p: Posting) -> tuple[str, str, str] | None:
    """What a correction is remembered by (copilot.engine.history: entity, vendor, normalized memo)."""
    vendor = p.dims.get("vendor")
    return (p.entity, vendor_key(vendor), normalize(p.memo)) if vendor else None


def replay(name: str, company: Company, postings: Sequence[Posting], embed: Callable[[list[str]], np.ndarray], *,
           split_date: date | None = None, test_months: int = 3, max_test: int | None = None, seed: int = 0,
           timesheets=None, scope: str = "pnl", window_days: int = 7, per_line: bool = False,
           progress: Callable[[str], None] = print) -> ReplayReport:
    """Replay the test period. Lines are reviewed entry by entry, as a queue is worked: every line of a
    journal entry is suggested before the entry's decisions are taught (a payroll entry's thirty lines
    share one memo and are coded to thirty departments; teaching them one by one would make each line
    look like the one before it). ``per_line`` teaches each line before the next is suggested."""
    train, stream, cut, _ = evaluation_lines(company, postings, split_date=split_date, test_months=test_months,
                                             scope=scope)
    scored = set(sample_indices(len(stream), max_test, seed))
    progress(f"{name}: {len(train):,} training lines before {cut}; replaying {len(stream):,} test lines, "
             f"scoring {len(scored):,}")
    static, train_seconds = fit_engine(name, company, train, embed, timesheets=timesheets, progress=progress)
    # The learning engine starts as an exact copy: only the counts (its own copy) and the index it
    # searches (the training index plus what it is taught) change as the stream goes by.
    model = replace(static.model, history=copy.deepcopy(static.model.history), info=dict(static.model.info))
    neighbours = GrowingNeighbours(static.neighbours)
    learning = Engine(model, static.embedder, neighbours, k=static.k, top_k=static.top_k)
    texts, vectors = text_vectors(company, stream, embed)

    report = ReplayReport(company=name, split_date=cut, n_train=len(train), n_stream=len(stream),
                          window_days=window_days, scope=scope, train_seconds=train_seconds, per_line=per_line)
    fed: dict[tuple[str, str, str], str] = {}  # vendor+memo -> the coding taught last for it
    started = time.perf_counter()
    pending: list[tuple[int, tuple]] = []  # (line index, (posting, request, vector, engine was wrong))

    def teach() -> None:
        for j, (q, req, vec, was_wrong) in pending:
            decided = LearnedCoding(review_id=j + 1, action="edit" if was_wrong else "approve", company=name,
                                    entity=q.entity, request=req,
                                    final=DimensionCombination(account_no=q.account_no, dims=q.dims),
                                    suggested=None, changed=[], decided_by="replay",
                                    decided_at=datetime.combine(q.entry_date, datetime.min.time(), timezone.utc),
                                    audit_seq=0)
            neighbours.add(fold_correction(model, correction_posting(decided)), vec)
            if (k := repeat_key(q)) is not None:
                fed[k] = posting_combination(q).key
        pending.clear()

    for i, (p, text) in enumerate(zip(stream, texts)):
        if pending and (per_line or entry_key(pending[-1][1][0]) != entry_key(p)):
            teach()
        request, vector = request_from_posting(p), vectors[text]
        key = repeat_key(p)
        learning_top: list[str] | None = None
        if i in scored:
            truth = posting_combination(p).key
            static_top = [c.key for c in static.rank(request, vector)[0][:3]]
            learning_top = [c.key for c in learning.rank(request, vector)[0][:3]]
            repeat = key is not None and key in fed
            report.repeat_same += repeat and fed[key] == truth  # type: ignore[index]
            for tally in (report.total, report.repeat if repeat else report.fresh,
                          report.windows.setdefault((p.entry_date - cut).days // window_days, Tally())):
                tally.add(static_top, learning_top, truth)
            report.lines.append(LineResult(i, p.record_no, p.entry_date, p.entity, p.journal, truth, static_top,
                                           learning_top, repeat))
        # The reviewer's decision is the line's true coding, taught as the live system is taught.
        wrong = learning_top is not None and learning_top[:1] != [posting_combination(p).key]
        pending.append((i, (p, request, vector, wrong)))
        if (i + 1) % 500 == 0:
            progress(f"replayed {i + 1:,} of {len(stream):,} lines ({report.total.n:,} scored)")
    teach()
    report.replay_seconds = time.perf_counter() - started
    return report


# --- the RESULTS.md section ---------------------------------------------------------------------------

def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def _bar(x: float | None, width: int = 40) -> str:
    if x is None:
        return ""
    full = round(x * width)
    return "█" * full + "░" * (width - full)


def _gain(t: Tally) -> str:
    if not t.n:
        return "n/a"
    return f"{(t.learn1 - t.static1) / t.n * 100:+.1f} pt"


def render(r: ReplayReport) -> str:
    sampled = r.n_scored < r.n_stream
    lines = [f"## Learning from corrections — company `{r.company}`", "",
             f"Replay of the test period from **{r.split_date}** as a stream of reviewed lines: the engine is "
             f"fitted on the {r.n_train:,} training lines exactly as `copilot eval` fits it; then the "
             f"{r.n_stream:,} test lines "
             f"({'income-statement accounts' if r.scope == 'pnl' else 'every line'}) are walked in time order. "
             + ("Each line is suggested and scored, then its true coding is fed back "
                if r.per_line else
                "Entry by entry, as a review queue is worked: every line of a journal entry is suggested and "
                "scored, then the entry's true codings are fed back ")
             + "as approved or edited reviews teach the live system (correction posting → counts, an edit "
             "weighted as a correction + a point in the neighbour index). *Static* never learns; *learning* "
             "learns from every line. "
             + (f"{r.n_scored:,} of the lines (a seeded sample) are scored; every line is fed back."
                if sampled else "Every line is scored and fed back."),
             "", "| lines | n | static top-1 | learning top-1 | static top-3 | learning top-3 | top-1 gain |",
             "|---|---|---|---|---|---|---|"]
    for label, t in (("all scored lines", r.total),
                     ("vendor + memo fed back earlier in the stream", r.repeat),
                     ("all other lines", r.fresh)):
        lines.append(f"| {label} | {t.n:,} | {_pct(t.rate(t.static1))} | **{_pct(t.rate(t.learn1))}** | "
                     f"{_pct(t.rate(t.static3))} | {_pct(t.rate(t.learn3))} | {_gain(t)} |")
    if r.repeat.n:
        lines += ["", f"Of the {r.repeat.n:,} lines whose vendor + memo had been fed back earlier, {r.repeat_same:,} "
                      f"({r.repeat_same / r.repeat.n:.0%}) carry the coding taught last for that vendor + memo; the "
                      "others are coded differently (another line of a split bill, another project or location), "
                      "and there the taught coding, which the engine puts first, cannot be right."]
    lines += ["", "Per journal (where teaching every line helps, and where it does not):", "",
              "| journal | n | static top-1 | learning top-1 | static top-3 | learning top-3 | top-1 gain |",
              "|---|---|---|---|---|---|---|"]
    for journal, t in r.by_journal().items():
        lines.append(f"| {journal} | {t.n:,} | {_pct(t.rate(t.static1))} | {_pct(t.rate(t.learn1))} | "
                     f"{_pct(t.rate(t.static3))} | {_pct(t.rate(t.learn3))} | {_gain(t)} |")
    lines += ["", f"Per {r.window_days}-day window of the test period:", "",
              "| window | dates | n | static top-1 | learning top-1 | static top-3 | learning top-3 | top-1 gain |",
              "|---|---|---|---|---|---|---|---|"]
    for w in sorted(r.windows):
        t = r.windows[w]
        a, b = r.window_span(w)
        lines.append(f"| {w + 1} | {a:%m-%d}–{b:%m-%d} | {t.n:,} | {_pct(t.rate(t.static1))} | "
                     f"{_pct(t.rate(t.learn1))} | {_pct(t.rate(t.static3))} | {_pct(t.rate(t.learn3))} | {_gain(t)} |")
    lines += ["", "Top-1 per window (each bar 0–100 %):", "", "```"]
    for w in sorted(r.windows):
        t = r.windows[w]
        lines.append(f"{w + 1:>3} static   {_bar(t.rate(t.static1))} {_pct(t.rate(t.static1)):>6}")
        lines.append(f"    learning {_bar(t.rate(t.learn1))} {_pct(t.rate(t.learn1)):>6}")
    lines += ["```", "",
              f"- Training time on the training split: {r.train_seconds:.1f} s; replay (two engines ranking "
              f"{r.n_scored:,} lines, {r.n_stream:,} lines fed back): {r.replay_seconds:.1f} s"]
    return "\n".join(lines)
