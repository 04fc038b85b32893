"""The suggestion flow a newcomer should read first: retrieve -> candidates -> score -> calibrate -> explain.

    request ──embed──▶ similar postings (Qdrant)      ┐
            ├──────▶ vendor history, corrections      ├─▶ candidate codings ─▶ complete + validate
            ├──────▶ lexical classifier               │        │
            └──────▶ memo ↔ account titles (cold start)┘        ▼
                                                   features ─▶ scorer ─▶ calibrated confidence
                                                                 │
                                         top-3 + evidence ──▶ explainer (templates | LLM re-rank)
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from typing import Callable, Mapping, Protocol, Sequence

import numpy as np

from copilot.domain import Evidence, RankedCoding, Suggestion, SuggestionRequest
from copilot.domain.suggestions import DimensionCombination
from copilot.domain.text import clean, query_text
from copilot.engine.candidates import FEATURES, Candidate, Signals, featurize, generate
from copilot.engine.model import CompanyModel, signals_for
from copilot.engine.neighbours import NeighbourSource
from copilot.errors import CopilotError, InputError, NotFound


class Embedder(Protocol):
    def embed(self, texts: list[str]) -> np.ndarray: ...


# A memo-to-account-title similarity is cited as evidence only above this cosine.
ACCOUNT_MATCH_CITE = 0.3
# The memo-word classifier is cited for a coding when it gives it at least this probability: the
# scorer leans on it, so a confident suggestion must say so (not only "1 of 50 similar postings").
TEXT_MODEL_CITE = 0.2
# An employee's past lines are cited for a coding holding at least this share of them.
EMPLOYEE_CITE = 0.1

PolicySource = Callable[[str, np.ndarray, int], list[Evidence]]
# The same for a stack of vectors at once: (company, vectors, limit) -> one list per vector.
PolicyBatchSource = Callable[[str, np.ndarray, int], list[list[Evidence]]]


class Engine:
    def __init__(self, model: CompanyModel, embedder: Embedder, neighbours: NeighbourSource, *,
                 explainer=None, policies: PolicySource | None = None, k: int = 50, top_k: int = 3,
                 policies_many: PolicyBatchSource | None = None) -> None:
        self.model, self.embedder, self.neighbours = model, embedder, neighbours
        self.explainer, self.policies, self.k, self.top_k = explainer, policies, k, top_k
        self.policies_many = policies_many

    def with_neighbours(self, neighbours: NeighbourSource) -> "Engine":
        """The same engine reading similar postings from another source (a bulk job's in-memory copy)."""
        other = copy.copy(self)
        other.neighbours = neighbours
        return other

    # -- ranking (used by the evaluation too) -------------------------------------------------------
    def rank(self, request: SuggestionRequest, vector: np.ndarray | None = None, *,
             signals: Signals | None = None) -> tuple[list[Candidate], np.ndarray, Signals]:
        company = self.model.company
        self._check(request)
        request = self.model.enrich(request)
        if vector is None:
            vendor_name = self.model.vendor_name(self.model.resolve_vendor(request.vendor))
            vector = self.embedder.embed([query_text(vendor_name, request.memo)])[0]
        if signals is None:
            signals = signals_for(self.model, request, vector, self.neighbours, self.k)
        cands = generate(request, signals, company, self.model.history)
        if not cands:
            return [], np.zeros(0), signals
        x = featurize(cands, request, signals, self.model.history)
        ordered, conf = self._order(cands, x, signals)
        return ordered, conf, signals

    def _check(self, request: SuggestionRequest) -> None:
        if request.entity not in self.model.company.entities:
            raise NotFound(f"entity {request.entity!r} is not in company {self.model.name!r}",
                           field="entity")
        if request.account_no and request.account_no not in self.model.company.accounts:
            raise InputError(f"account {request.account_no!r} does not exist", field="account_no")

    def _order(self, cands: list[Candidate], x: np.ndarray, signals: Signals) -> tuple[list[Candidate], np.ndarray]:
        """Score, calibrate and sort candidates (corrections first)."""
        raw = self.model.scorer.raw(x)
        return self._sorted(cands, raw, self.model.scorer.calibrate_line(raw), signals)

    def _sorted(self, cands: list[Candidate], raw: np.ndarray, conf: np.ndarray,
                signals: Signals) -> tuple[list[Candidate], np.ndarray]:
        # A reviewer's decision for this very vendor and memo is authoritative: it goes first, at
        # least as confident as what it displaces. (History never contains corrections when the
        # scorer is fitted, so the scorer cannot learn this weight; it is a rule, stated in the reasoning.)
        corrected = np.array([signals.corrections.get(c.key, 0) for c in cands], dtype=float)
        if not correction_decides(signals):
            corrected[:] = 0
        if corrected.any():
            conf = np.where(corrected > 0, np.maximum(conf, conf.max()), conf)
        order = np.lexsort((-raw, -conf, -corrected))
        return [cands[i] for i in order], conf[order]

    # -- the full answer -----------------------------------------------------------------------------
    def suggest(self, request: SuggestionRequest) -> Suggestion:
        started = time.perf_counter()
        request = request.model_copy(update={"memo": clean(request.memo), "vendor": clean(request.vendor) or None})
        request = self.model.enrich(request)  # the answer shows the timesheet hint it used
        vendor_name = self.model.vendor_name(self.model.resolve_vendor(request.vendor))
        vector = self.embedder.embed([query_text(vendor_name, request.memo)])[0]
        cands, conf, signals = self.rank(request, vector)
        return self._answer(request, vector, cands, conf, signals, started)

    def _answer(self, request: SuggestionRequest, vector: np.ndarray, cands: list[Candidate], conf: np.ndarray,
                signals: Signals, started: float, *, policies: list[Evidence] | None = None,
                explain: Callable | None | bool = None) -> Suggestion:
        """Top-k codings with their evidence and explanation (the second half of suggest()).

        ``explain``: the explainer's function to use (None: its default; False: leave the text to
        ``explain()``, as a batch import does once it knows which lines anybody reads in full)."""
        top = cands[: self.top_k]
        evidence = self._evidence(request, top, signals, vector, policies=policies)
        cited = [(e, e.id) for e in evidence]
        codings = [RankedCoding(combination=self._with_counterparties(c.combo, request, signals),
                                confidence=round(float(p), 4), score=round(float(p), 4),
                                evidence_ids=[i for e, i in cited if _supports(e, c)])
                   for c, p in zip(top, conf)]
        suggestion = Suggestion(request=request, codings=codings, evidence=evidence)
        if explain is None and self.explainer is not None:
            explain = self.explainer.explain
        if not codings:
            suggestion.reasoning = NO_CODING
        elif explain:
            suggestion = _explained(suggestion, explain(request, codings, evidence, self.model.company))
        suggestion.latency_ms = round((time.perf_counter() - started) * 1000, 2)
        return suggestion

    def explain(self, suggestion: Suggestion, keys: set[str] | None = None) -> Suggestion:
        """The deterministic explanation of a suggestion made with ``suggest_many(explain=False)``.

        With ``keys``, only those codings get their reason (and the answer its prompt version): a batch
        import writes one coding's reason for a line nobody reviews; the line's overall reasoning and
        narrative are then left empty rather than written for nobody."""
        if not suggestion.codings or self.explainer is None:
            return suggestion
        explainer = self.explainer
        if keys is None:
            fn = getattr(explainer, "deterministic", explainer.explain)
            return _explained(suggestion, fn(suggestion.request, suggestion.codings, suggestion.evidence,
                                             self.model.company))
        chosen = [c for c in suggestion.codings if c.combination.key in keys]
        if not chosen:
            return suggestion
        exp = explainer.reasons(suggestion.request, chosen, suggestion.evidence, self.model.company)
        for c in chosen:
            c.reasoning = exp.coding_reasons.get(c.combination.key, "")
        return suggestion.model_copy(update={"generated_by": exp.generated_by, "prompt_version": exp.prompt_version,
                                             "prompt_hash": exp.prompt_hash})

    # -- many lines at once (batch import, bank feeds) ---------------------------------------------
    def text_for(self, request: SuggestionRequest) -> str:
        """The text embedded for a request: the vendor's name and the memo, as postings are indexed."""
        return self.query_text(request.vendor, request.memo)

    def query_text(self, vendor: str | None, memo: str) -> str:
        """text_for of a request with this vendor (as typed) and memo."""
        vendor = clean(vendor) or None
        return query_text(self.model.vendor_name(self.model.resolve_vendor(vendor)), clean(memo))

    def suggest_many(self, requests: Sequence[SuggestionRequest], *, llm: bool = False,
                     return_errors: bool = False, vectors: Mapping[str, np.ndarray] | None = None,
                     policies: Mapping[str, list[Evidence]] | None = None,
                     explain: bool = True) -> list[Suggestion | CopilotError]:
        """suggest() for many lines: the same answers, a fraction of the work per line.

        Identical requests are answered once. Retrieval (neighbours, vendor history, lexical scores,
        account matches, policy clauses) depends only on entity, vendor, memo, employee, timesheet
        project and side, so it is done once per distinct combination of those. Distinct texts are
        embedded in one call and searched in one batched query per entity. Candidates, features and
        confidence are still computed per line (the amount is a feature).

        Explanations use the deterministic templates unless ``llm`` is set: one LLM call per line
        would cost more than everything else together. With ``return_errors`` a line that cannot be
        answered (unknown entity or account) gets its CopilotError in place instead of raising.
        ``vectors`` and ``policies`` (by ``text_for``) are used instead of embedding and searching
        for the texts they hold: a batch worker gets them from the process that owns the model and store.
        With ``explain=False`` the text is left to ``explain()``.
        """
        out: list[Suggestion | CopilotError | None] = [None] * len(requests)
        cleaned = [self.model.enrich(r.model_copy(update={"memo": clean(r.memo), "vendor": clean(r.vendor) or None}))
                   for r in requests]
        first: dict[str, int] = {}
        same: list[int] = []
        for i, r in enumerate(cleaned):
            same.append(first.setdefault(r.model_dump_json(), i))
        unique = sorted(set(same))
        text_of = {i: query_text(self.model.vendor_name(self.model.resolve_vendor(cleaned[i].vendor)),
                                 cleaned[i].memo) for i in unique}
        texts = list(dict.fromkeys(text_of.values()))
        given = vectors or {}
        missing = [t for t in texts if t not in given]
        vectors = {t: given[t] for t in texts if t in given}
        if missing:
            vectors.update(zip(missing, self.embedder.embed(missing)))

        # One batched neighbour query per entity and side over its distinct texts.
        wanted: dict[tuple[str, int], dict[str, None]] = {}
        for i in unique:
            if cleaned[i].entity in self.model.company.entities:
                wanted.setdefault((cleaned[i].entity, cleaned[i].tr_type), {})[text_of[i]] = None
        found: dict[tuple[str, int, str], list] = {}
        for (entity, side), ts in wanted.items():
            vecs = np.stack([vectors[t] for t in ts])
            for t, hits in zip(ts, _search_many(self.neighbours, entity, vecs, self.k, side)):
                found[(entity, side, t)] = hits
        policies = dict(policies or {})
        signals: dict[tuple, Signals] = {}
        # Lines that differ only in amount, date or document share candidates and features: only the
        # amount features change (the date and document play no part in ranking).
        shapes: dict[str, tuple[list[Candidate], np.ndarray | None]] = {}
        completed: dict = {}  # complete() per (coding key, completion context): many lines share them
        explain_fn: Callable | None | bool = None if explain else False
        if explain and not llm and self.explainer is not None:
            explain_fn = getattr(self.explainer, "deterministic", None)
        prepared: list[tuple] = []  # (i, request, text, signals, candidates, features)
        for i in unique:
            r, t = cleaned[i], text_of[i]
            try:
                self._check(r)
                sig_key = (r.entity, r.vendor, r.memo, r.employee, r.timesheet_project, r.tr_type)
                sig = signals.get(sig_key)
                if sig is None:
                    sig = signals[sig_key] = signals_for(self.model, r, vectors[t], _Fixed(found[(r.entity, r.tr_type, t)]),
                                                         self.k)
                shape = r.model_dump_json(exclude={"amount", "entry_date", "document"})
                if shape in shapes:
                    found_cands, x = shapes[shape]
                    x = _with_amount(x, found_cands, r, self.model.history) if found_cands else None
                else:
                    found_cands = generate(r, sig, self.model.company, self.model.history, completed=completed)
                    x = featurize(found_cands, r, sig, self.model.history) if found_cands else None
                    shapes[shape] = (found_cands, x)
                prepared.append((i, r, t, sig, found_cands, x))
            except CopilotError as exc:
                if not return_errors:
                    raise
                out[i] = exc
        # All lines' candidates are scored together (sklearn's compiled predictor from 64 rows up, see
        # Scorer.raw); blocks of 8,192 rows bound the size of the temporary arrays.
        blocks = [x for *_, x in prepared if x is not None]
        matrix = np.vstack(blocks) if blocks else np.zeros((0, len(FEATURES)))
        raw_all = np.concatenate([self.model.scorer.raw(matrix[a:a + 8192]) for a in range(0, len(matrix), 8192)]) \
            if len(matrix) else np.zeros(0)
        conf_all = self.model.scorer.calibrate_lines(raw_all, [len(x) for *_, x in prepared if x is not None])
        if self.policies is not None and self.policies_many is not None:
            # Policy clauses depend only on the text: one batched query for the distinct texts.
            texts_now = list(dict.fromkeys(t for _, _, t, *_ in prepared if t not in policies))
            if texts_now:
                policies.update(zip(texts_now, self.policies_many(
                    self.model.name, np.stack([vectors[t] for t in texts_now]), 2)))
        at = 0
        for i, r, t, sig, found_cands, x in prepared:
            started = time.perf_counter()
            n = 0 if x is None else len(x)
            cands, conf = (self._sorted(found_cands, raw_all[at:at + n], conf_all[at:at + n], sig)
                           if n else ([], np.zeros(0)))
            at += n
            if t not in policies and self.policies is not None:
                policies[t] = self.policies(self.model.name, vectors[t], 2)
            out[i] = self._answer(r, vectors[t], cands, conf, sig, started, policies=policies.get(t),
                                  explain=explain_fn)
        return [out[j] if j == i else _copy(out[j]) for i, j in enumerate(same)]


    def _with_counterparties(self, combo: DimensionCombination, request: SuggestionRequest,
                             signals: Signals) -> DimensionCombination:
        """The final line carries the counterparties the preparer typed (vendor, employee, customer).

        A vendor the master does not know is not written as a code: it would fail validation in Intacct.
        """
        dims = dict(combo.dims)
        if signals.vendor_id and signals.vendor_id in self.model.company.vendors:
            dims["vendor"] = signals.vendor_id
        if request.employee:
            dims["employee"] = request.employee
        for k in ("customer",):
            if request.known_dims.get(k):
                dims[k] = request.known_dims[k]
        # Built from a valid combination and the request's own (validated) strings: nothing to check.
        return DimensionCombination.model_construct(account_no=combo.account_no, dims=dims)

    def _evidence(self, request: SuggestionRequest, top: list[Candidate], signals: Signals,
                  vector: np.ndarray, *, policies: list[Evidence] | None = None) -> list[Evidence]:
        company, h = self.model.company, self.model.history.entity(request.entity)
        keys = {c.key for c in top}
        ev: list[Evidence] = []
        per_combo: Counter = Counter()
        similar, similar_account = signals.combo_counts, signals.account_counts
        for n in signals.neighbours:
            if n.combo in keys and per_combo[n.combo] < 3:
                per_combo[n.combo] += 1
                # model_construct: every value comes from the index as the types below (no coercion to do),
                # and a line cites up to nine postings.
                ev.append(Evidence.model_construct(
                    kind="posting" if n.source != "correction" else "correction", ref=n.record_no, text=n.memo,
                    score=round(n.score, 4),
                    data={"date": n.entry_date.isoformat(), "amount": n.amount, "combo": n.combo, "vendor": n.vendor,
                          "similar_count": similar[n.combo], "account_count": similar_account[n.account_no],
                          "neighbours": len(signals.neighbours)}))
        counts, n_vendor = self.model.history.vendor_counts(request.entity, signals.vendor_id, request.tr_type)
        if n_vendor:
            ev.append(Evidence(kind="vendor_history", ref=signals.vendor_id or "", text="",
                               data={"vendor_name": self.model.vendor_name(signals.vendor_id), "total": n_vendor,
                                     "by_combo": {k: int(counts[k]) for k in keys if counts.get(k)},
                                     "top_share": round(max(counts.values()) / n_vendor, 4)}))
        for c in top:
            acct = c.combo.account_no
            sim = c.features.get("acct_sim", 0.0)
            if ("account_match" in c.sources and sim >= ACCOUNT_MATCH_CITE
                    and not any(e.kind == "account_match" and e.ref == acct for e in ev)):
                ev.append(Evidence(kind="account_match", ref=acct, text=company.accounts[acct].title,
                                   score=round(sim, 4)))
            stats = h.amount.get(c.key)
            if stats and stats.n >= 3 and request.amount is not None:
                ev.append(Evidence(kind="amount", ref=c.key, text="", data={
                    "n": int(stats.n), "typical_log10_mean": round(stats.mean, 3), "z": round(stats.z(request.amount), 2)}))
        employee = request.employee or request.known_dims.get("employee")
        emp = h.employee_combo.get(employee or "")
        if emp:
            emp_total = sum(emp.values())
            shares = {k: round(emp[k] / emp_total, 4) for k in keys if emp.get(k, 0.0) / emp_total >= EMPLOYEE_CITE}
            if shares:
                person = company.employees.get(employee)
                ev.append(Evidence(kind="employee_history", ref=employee, text="",
                                   data={"employee_name": person.name if person else "",
                                         "by_combo": shares, "codings": len(emp)}))
        for c in top:
            p = c.features.get("lex_p", 0.0)
            if p >= TEXT_MODEL_CITE:
                ev.append(Evidence(kind="text_model", ref=c.key, text="", score=round(p, 4),
                                   data={"combo": c.key, "p": round(p, 4)}))
        if request.timesheet_project:
            ev.append(Evidence(kind="timesheet", ref=request.timesheet_project, text="",
                               data={"employee": request.employee}))
        if policies is not None:
            ev.extend(policies)
        elif self.policies is not None:
            ev.extend(self.policies(self.model.name, vector, 2))
        return ev


NO_CODING = ("No valid coding could be formed: no similar postings, vendor history or account match produced "
             "an active, complete combination for this entity.")


def _explained(suggestion: Suggestion, exp) -> Suggestion:
    """A suggestion with its explanation: codings in the explainer's order, each with its reason."""
    codings = suggestion.codings
    by_key = {c.combination.key: c for c in codings}
    ordered = [by_key[k] for k in exp.order if k in by_key]
    ordered += [c for c in codings if c.combination.key not in exp.order]
    for c in ordered:
        c.reasoning = exp.coding_reasons.get(c.combination.key, "")
    return suggestion.model_copy(update={
        "codings": ordered, "reasoning": exp.reasoning, "narrative": exp.narrative,
        "generated_by": exp.generated_by, "fallback_reason": exp.fallback_reason, "model": exp.model,
        "prompt_version": exp.prompt_version, "prompt_hash": exp.prompt_hash})


# Postings whose text is this close to the request's are "the same vendor and memo".
SAME_TEXT = 0.995


def correction_decides(signals: Signals) -> bool:
    """Whether a reviewer's coding of this vendor + memo goes first, whatever the scorer says.

    Only when the reviewers agree (one coding for it) and the books do not split this very text
    between codings (a bill coded half to one project and half to another, an accrual and its
    reversal): there, teaching one line says nothing about the next, and the replay of the demo's
    test period measured the rule costing accuracy. The correction still counts as history then.
    """
    if len(signals.corrections) != 1:
        return False
    same = Counter(n.combo for n in signals.neighbours if n.score >= SAME_TEXT and n.source != "correction")
    total = sum(same.values())
    return total < 2 or max(same.values()) / total >= 0.8


def _supports(e: Evidence, c: Candidate) -> bool:
    if e.kind in ("posting", "correction"):
        return e.data.get("combo") == c.key
    if e.kind == "vendor_history":
        return c.key in e.data.get("by_combo", {})
    if e.kind == "account_match":
        return e.ref == c.combo.account_no
    if e.kind == "amount":
        return e.ref == c.key
    if e.kind == "timesheet":
        return c.combo.dims.get("project") == e.ref
    if e.kind == "employee_history":
        return c.key in e.data.get("by_combo", {})
    if e.kind == "text_model":
        return e.ref == c.key
    return e.kind == "policy"


class _Fixed:
    """A neighbour source that answers with neighbours already fetched (suggest_many)."""

    def __init__(self, hits: list) -> None:
        self.hits = hits

    def search(self, entity: str, vector: np.ndarray, k: int, side: int | None = None) -> list:
        return self.hits[:k]


def _search_many(source: NeighbourSource, entity: str, vectors: np.ndarray, k: int,
                 side: int | None = None) -> list[list]:
    """One batched query when the source has one (StoreNeighbours.search_many), else one per vector."""
    many = getattr(source, "search_many", None)
    if many is not None:
        return many(entity, vectors, k, side)
    return [source.search(entity, v, k, side) for v in vectors]


def _copy(answer: Suggestion | CopilotError | None) -> Suggestion | CopilotError | None:
    """The answer of an identical earlier line, as its own object."""
    if isinstance(answer, Suggestion):
        return answer.model_copy(deep=True)
    return answer


_AMOUNT_Z, _AMOUNT_KNOWN = FEATURES.index("amount_z"), FEATURES.index("amount_known")


def _with_amount(x: np.ndarray, cands: list[Candidate], request: SuggestionRequest, history) -> np.ndarray:
    """``featurize``'s matrix for another amount: only amount_z and amount_known depend on it."""
    out = x.copy()
    h = history.entity(request.entity)
    for row, c in enumerate(cands):
        stats = h.amount.get(c.key)
        z = min(abs(stats.z(request.amount)), 10.0) if stats and request.amount is not None else 0.0
        known = float(bool(stats) and stats.n >= 3 and request.amount is not None)
        out[row, _AMOUNT_Z], out[row, _AMOUNT_KNOWN] = z, known
    return out
