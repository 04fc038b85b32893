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
    features: dict[str, float] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.combo.key


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
    knn_weight: Counter = Counter()
    for n in signals.neighbours:
        knn_weight[n.combo] += max(n.score, 0.0)
    for key, _ in knn_weight.most_common(12):
        raw[key].add("knn")
    for key, _ in sorted(signals.vendor_shares.items(), key=lambda kv: -kv[1])[:6]:
        raw[key].add("vendor")
    for key, _ in signals.lexical[:10]:
        raw[key].add("lexical")
    for key in signals.corrections:
        raw[key].add("correction")
    if request.employee and request.employee in h.employee_combo:
        for key, _ in h.employee_combo[request.employee].most_common(3):
            raw[key].add("employee")
    if request.timesheet_project and request.timesheet_project in h.project_combo:
        for key, _ in h.project_combo[request.timesheet_project].most_common(3):
            raw[key].add("timesheet")
    for acct, _ in signals.account_sims[:4]:
        usual = h.account_combo.get(acct)
        if usual:
            for key, _ in usual.most_common(2):
                raw[key].add("account_match")
        else:
            raw[DimensionCombination(account_no=acct).key].add("account_match")
    if request.account_no:
        usual = h.account_combo.get(request.account_no, Counter())
        for key, _ in usual.most_common(5):
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
    knn_total = sum(max(n.score, 0.0) for n in signals.neighbours) or 1.0
    knn_combo: Counter = Counter()
    knn_acct: Counter = Counter()
    knn_max: dict[str, float] = {}
    knn_n: Counter = Counter()
    for n in signals.neighbours:
        s = max(n.score, 0.0)
        knn_combo[n.combo] += s
        knn_acct[n.account_no] += s
        knn_max[n.combo] = max(knn_max.get(n.combo, 0.0), n.score)
        knn_n[n.combo] += 1
    top1 = signals.neighbours[0].combo if signals.neighbours else None
    top_sim = signals.neighbours[0].score if signals.neighbours else 0.0
    vendor_acct: Counter = Counter()
    for key, share in signals.vendor_shares.items():
        vendor_acct[key.split("|", 1)[0]] += share
    lex = {k: (p, i) for i, (k, p) in enumerate(signals.lexical)}
    lex_acct: Counter = Counter()
    for k, p in signals.lexical:
        lex_acct[k.split("|", 1)[0]] += p
    acct_sim = {a: (s, i) for i, (a, s) in enumerate(signals.account_sims)}
    emp = h.employee_combo.get(request.employee or "", Counter())
    emp_total = sum(emp.values()) or 1.0
    rows = []
    for c in cands:
        key, acct = c.key, c.combo.account_no
        stats = h.amount.get(key)
        lp, lr = lex.get(key, (0.0, None))
        sim, srank = acct_sim.get(acct, (0.0, None))
        last = h.combo_last.get(key)
        proj = c.combo.dims.get("project")
        f = {
            "knn_share": knn_combo[key] / knn_total,
            "knn_max": knn_max.get(key, 0.0),
            "knn_top1": float(key == top1),
            "knn_acct_share": knn_acct[acct] / knn_total,
            "knn_count": math.log1p(knn_n[key]),
            "vendor_share": signals.vendor_shares.get(key, 0.0),
            "vendor_acct_share": vendor_acct[acct],
            "vendor_log_n": math.log1p(signals.vendor_total),
            "vendor_known": float(signals.vendor_total > 0),
            "lex_p": lp,
            "lex_inv_rank": 1.0 / (lr + 1) if lr is not None else 0.0,
            "lex_acct_p": lex_acct[acct],
            "prior": math.log((h.combo_count.get(key, 0.0) + 0.1) / (h.total + 1.0)),
            "acct_sim": sim,
            "acct_sim_rank": 1.0 / (srank + 1) if srank is not None else 0.0,
            "ts_match": float(bool(request.timesheet_project) and proj == request.timesheet_project),
            "ts_conflict": float(bool(request.timesheet_project) and proj is not None
                                 and proj != request.timesheet_project),
            "emp_share": emp.get(key, 0.0) / emp_total,
            "correction": math.log1p(signals.corrections.get(key, 0)),
            "amount_z": min(abs(stats.z(request.amount)), 10.0) if stats and request.amount is not None else 0.0,
            "amount_known": float(bool(stats) and stats.n >= 3 and request.amount is not None),
            "n_sources": float(len(c.sources)),
            "filled": float(c.filled),
            "recency_years": ((history.as_of - last).days / 365.0) if last else 5.0,
            "top_sim": top_sim,
        }
        c.features = f
        rows.append([f[name] for name in FEATURES])
    return np.asarray(rows, dtype=np.float64).reshape(len(cands), len(FEATURES))
