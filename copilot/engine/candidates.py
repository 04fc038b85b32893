"""Candidate codings for one line, completed and validated, each with its features and evidence.

Sources: similar postings (kNN), the vendor's history, the lexical classifier, human corrections, the
timesheet project, the employee's usual codings, and a semantic match of the memo against account
titles (the only source that works for a vendor never seen before). Every candidate is made complete
(every dimension its account requires) and valid (active codes, valid for the entity) or dropped.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from copilot.domain import Company, DimensionCombination, SuggestionRequest
from copilot.domain.suggestions import parse_key
from copilot.engine.history import COUNTERPARTY_DIMS, History
from copilot.engine.neighbours import Neighbour

FEATURES: tuple[str, ...] = (
    "knn_share", "knn_max", "knn_top1", "knn_acct_share", "knn_count",
    "vendor_share", "vendor_acct_share", "vendor_log_n", "vendor_known",
    "lex_p", "lex_inv_rank", "lex_acct_p",
    "prior", "acct_sim", "acct_sim_rank",
    "ts_match", "ts_conflict", "emp_share", "correction",
    "amount_z", "amount_known", "n_sources", "filled", "recency_years", "top_sim",
)


@dataclass
class Candidate:
    combo: DimensionCombination
    sources: set[str] = field(default_factory=set)
    filled: int = 0
    row: tuple[float, ...] = ()  # the features, in FEATURES order (set by featurize)

    @property
    def key(self) -> str:
        return self.combo.key

    @property
    def features(self) -> dict[str, float]:
        return dict(zip(FEATURES, self.row))


@dataclass
class Signals:
    """Everything retrieved for one request, before candidates are formed."""

    neighbours: list[Neighbour]
    vendor_shares: dict[str, float]
    vendor_total: float
    lexical: list[tuple[str, float]]
    account_sims: list[tuple[str, float]]  # (account_no, cosine) best first
    corrections: Counter
    vendor_id: str | None

    # Lines that share their signals (a batch: the same vendor and memo) share these too.
    @cached_property
    def knn(self) -> "_Knn":
        return _Knn.of(self)

    @cached_property
    def combo_counts(self) -> Counter:
        """How many neighbours have each coding."""
        return Counter(n.combo for n in self.neighbours)

    @cached_property
    def account_counts(self) -> Counter:
        return Counter(n.account_no for n in self.neighbours)


@dataclass
class _Knn:
    """The per-line aggregates featurize reads: neighbour weights, vendor and word-model shares by account."""

    total: float
    combo: Counter
    acct: Counter
    max: dict[str, float]
    count: Counter
    top1: str | None
    top_sim: float
    vendor_acct: Counter
    lex: dict[str, tuple[float, int]]
    lex_acct: Counter
    acct_sim: dict[str, tuple[float, int]]
    top_combos: list[str]  # the 12 codings of most neighbour weight: candidates
    top_vendor: list[str]  # the vendor's 6 most used codings: candidates

    @classmethod
    def of(cls, signals: "Signals") -> "_Knn":
        neighbours = signals.neighbours
        knn_total = sum(max(n.score, 0.0) for n in neighbours) or 1.0
        # Plain dicts filled in neighbour order (a Counter's += costs a Python call per miss); the
        # Counters made of them below keep that order, so ties rank as they always did.
        combo_w: dict[str, float] = {}
        acct_w: dict[str, float] = {}
        knn_max: dict[str, float] = {}
        count: dict[str, int] = {}
        for n in neighbours:
            combo, score = n.combo, n.score
            s = 0.0 if 0.0 > score else score  # max(score, 0.0), exactly
            combo_w[combo] = combo_w.get(combo, 0) + s
            acct_w[n.account_no] = acct_w.get(n.account_no, 0) + s
            best = knn_max.get(combo, 0.0)
            knn_max[combo] = score if score > best else best
            count[combo] = count.get(combo, 0) + 1
        knn_combo, knn_acct, knn_n = Counter(combo_w), Counter(acct_w), Counter(count)
        vendor_acct: Counter = Counter()
        for key, share in signals.vendor_shares.items():
            vendor_acct[key.split("|", 1)[0]] += share
        lex_acct: Counter = Counter()
        for k, p in signals.lexical:
            lex_acct[k.split("|", 1)[0]] += p
        return cls(total=knn_total, combo=knn_combo, acct=knn_acct, max=knn_max, count=knn_n,
                   top1=neighbours[0].combo if neighbours else None,
                   top_sim=neighbours[0].score if neighbours else 0.0, vendor_acct=vendor_acct,
                   lex={k: (p, i) for i, (k, p) in enumerate(signals.lexical)}, lex_acct=lex_acct,
                   acct_sim={a: (s, i) for i, (a, s) in enumerate(signals.account_sims)},
                   top_combos=[k for k, _ in knn_combo.most_common(12)],
                   top_vendor=[k for k, _ in sorted(signals.vendor_shares.items(), key=lambda kv: -kv[1])[:6]])


def complete(combo: DimensionCombination, request: SuggestionRequest, company: Company,
             history: History) -> tuple[DimensionCombination, int] | None:
    """Apply what the preparer typed, fill required dimensions, drop if anything stays invalid."""
    entity = request.entity
    acct = company.accounts.get(combo.account_no)
    if acct is None or not acct.active:
        return None
    dims = dict(combo.dims)
    for k, v in request.known_dims.items():
        if k not in COUNTERPARTY_DIMS:
            dims[k] = v
    if request.timesheet_project and ("project" in dims or "project" in acct.required_dimensions):
        dims["project"] = request.timesheet_project
    filled = 0
    missing = [d for d in acct.required_dimensions if d not in dims and d not in COUNTERPARTY_DIMS]
    if missing:
        usual = history.entity(entity).account_combo.get(combo.account_no, Counter())
        for d in missing:
            value = _usual_value(d, usual) or _master_default(d, request, company)
            if value is None:
                return None
            dims[d] = value
            filled += 1
    for k, v in dims.items():
        if not company.is_valid_code(k, v, entity):
            return None
    for d in acct.required_dimensions & COUNTERPARTY_DIMS:
        if not (request.known_dims.get(d) or (d == "vendor" and request.vendor)
                or (d == "employee" and request.employee)):
            return None
    return DimensionCombination(account_no=combo.account_no, dims=dims), filled


def completion_context(request: SuggestionRequest) -> tuple:
    """Everything of a request that complete() reads: lines that agree on it complete a key alike.

    The typed dimensions keep their order: it is the order of the completed combination's dims.
    """
    return (request.entity, tuple(request.known_dims.items()), request.timesheet_project,
            request.employee, bool(request.vendor))


def _usual_value(dim: str, usual: Counter) -> str | None:
    votes: Counter = Counter()
    for key, w in usual.items():
        for part in key.split("|")[1:]:
            k, _, v = part.partition("=")
            if k == dim:
                votes[v] += w
    return votes.most_common(1)[0][0] if votes else None


def _master_default(dim: str, request: SuggestionRequest, company: Company) -> str | None:
    """Master data that implies a dimension: the employee's home department, the project's location."""
    emp = company.employees.get(request.employee or request.known_dims.get("employee", ""))
    proj = company.projects.get(request.timesheet_project or request.known_dims.get("project", ""))
    if dim == "department":
        return (proj.department if proj else None) or (emp.department if emp else None)
    if dim == "location":
        return (proj.location if proj else None) or (emp.location if emp else None)
    return None


def generate(request: SuggestionRequest, signals: Signals, company: Company, history: History,
             *, max_candidates: int = 30, completed: dict | None = None) -> list[Candidate]:
    """``completed``: a memo of complete() shared by the lines of one batch (see completion_context)."""
    h = history.entity(request.entity)
    raw: dict[str, set[str]] = defaultdict(set)
    knn = signals.knn
    for key in knn.top_combos:
        raw[key].add("knn")
    for key in knn.top_vendor:
        raw[key].add("vendor")
    for key, _ in signals.lexical[:10]:
        raw[key].add("lexical")
    for key in signals.corrections:
        raw[key].add("correction")
    if request.employee and request.employee in h.employee_combo:
        for key in h.top("employee_combo", request.employee, 3):
            raw[key].add("employee")
    if request.timesheet_project and request.timesheet_project in h.project_combo:
        for key in h.top("project_combo", request.timesheet_project, 3):
            raw[key].add("timesheet")
    for acct, _ in signals.account_sims[:4]:
        if h.account_combo.get(acct):
            for key in h.top("account_combo", acct, 2):
                raw[key].add("account_match")
        else:
            raw[DimensionCombination(account_no=acct).key].add("account_match")
    if request.account_no:
        for key in h.top("account_combo", request.account_no, 5):
            raw[key].add("typed_account")
        raw[DimensionCombination(account_no=request.account_no).key].add("typed_account")

    out: dict[str, Candidate] = {}
    context = completion_context(request) if completed is not None else None
    for key, sources in raw.items():
        if request.account_no and parse_key(key)[0] != request.account_no:
            continue
        if completed is None:
            done = complete(DimensionCombination.from_key(key), request, company, history)
        elif (key, context) in completed:
            done = completed[(key, context)]
        else:
            done = completed[(key, context)] = complete(DimensionCombination.from_key(key), request, company, history)
        if done is None:
            continue
        combo, filled = done
        cand = out.get(combo.key)
        if cand is None:
            cand = out[combo.key] = Candidate(combo=combo, filled=filled)
        cand.sources |= sources
        cand.filled = min(cand.filled, filled)
        if len(out) >= max_candidates:
            break
    return list(out.values())


def featurize(cands: list[Candidate], request: SuggestionRequest, signals: Signals,
              history: History) -> np.ndarray:
    h = history.entity(request.entity)
    knn = signals.knn
    knn_total, knn_combo, knn_acct, knn_max, knn_n = knn.total, knn.combo, knn.acct, knn.max, knn.count
    top1, top_sim, vendor_acct, lex, lex_acct, acct_sim = (knn.top1, knn.top_sim, knn.vendor_acct, knn.lex,
                                                           knn.lex_acct, knn.acct_sim)
    emp = h.employee_combo.get(request.employee or "", Counter())
    emp_total = sum(emp.values()) or 1.0
    # What is the same for every candidate of the line, worked out once.
    vendor_shares, corrections = signals.vendor_shares, signals.corrections
    vendor_log_n, vendor_known = math.log1p(signals.vendor_total), float(signals.vendor_total > 0)
    project, amount = request.timesheet_project, request.amount
    combo_count, combo_last, amounts, as_of = h.combo_count, h.combo_last, h.amount, history.as_of
    log_total = h.total + 1.0
    rows = []
    for c in cands:
        key, acct = c.key, c.combo.account_no
        stats = amounts.get(key)
        lp, lr = lex.get(key, (0.0, None))
        sim, srank = acct_sim.get(acct, (0.0, None))
        last = combo_last.get(key)
        proj = c.combo.dims.get("project")
        # FEATURES order.
        c.row = row = (
            knn_combo[key] / knn_total,
            knn_max.get(key, 0.0),
            float(key == top1),
            knn_acct[acct] / knn_total,
            math.log1p(knn_n[key]),
            vendor_shares.get(key, 0.0),
            vendor_acct[acct],
            vendor_log_n,
            vendor_known,
            lp,
            1.0 / (lr + 1) if lr is not None else 0.0,
            lex_acct[acct],
            math.log((combo_count.get(key, 0.0) + 0.1) / log_total),
            sim,
            1.0 / (srank + 1) if srank is not None else 0.0,
            float(bool(project) and proj == project),
            float(bool(project) and proj is not None and proj != project),
            emp.get(key, 0.0) / emp_total,
            math.log1p(corrections.get(key, 0)),
            min(abs(stats.z(amount)), 10.0) if stats and amount is not None else 0.0,
            float(bool(stats) and stats.n >= 3 and amount is not None),
            float(len(c.sources)),
            float(c.filled),
            ((as_of - last).days / 365.0) if last else 5.0,
            top_sim,
        )
        rows.append(row)
    return np.asarray(rows, dtype=np.float64).reshape(len(cands), len(FEATURES))
