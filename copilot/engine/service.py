"""SuggestionService: builds the engine's parts from settings and serves suggestions per company.

Companies' fitted models live in ``data_dir/companies/<name>/model.pkl`` (written by ``copilot ingest``
via ``train_company``); similar postings come from the vector store, so any replica of the API that
points at the same Qdrant and data directory answers the same way.
"""

from __future__ import annotations

import threading
from pathlib import Path

from copilot.domain import Evidence, Posting, Suggestion, SuggestionRequest
from copilot.engine.engine import Engine
from copilot.engine.model import CompanyModel, build_company_model
from copilot.engine.neighbours import StoreNeighbours
from copilot.errors import NotFound
from copilot.settings import Settings


# A policy chunk is cited only when the memo is about what it says; below this cosine it is noise.
POLICY_MIN_SIMILARITY = 0.35


def company_root(settings: Settings, name: str) -> Path:
    return settings.company_dir(name)


def model_path(settings: Settings, name: str) -> Path:
    return company_root(settings, name) / "model.pkl"


class SuggestionService:
    def __init__(self, settings: Settings, *, embedder=None, store=None, explainer=None) -> None:
        self.settings = settings
        self._embedder, self._store, self._explainer = embedder, store, explainer
        self._engines: dict[str, tuple[float, Engine]] = {}
        self._lock = threading.Lock()

    # Components are built on first use: the API starts fast and a CLI command that needs no model
    # never loads one.
    @property
    def embedder(self):
        if self._embedder is None:
            from copilot import components

            self._embedder = components.embedder(self.settings)
        return self._embedder

    @property
    def store(self):
        if self._store is None:
            from copilot import components

            self._store = components.vector_store(self.settings)
        return self._store

    @property
    def explainer(self):
        if self._explainer is None:
            from copilot.llm.explain import Explainer

            self._explainer = Explainer(self.settings)
        return self._explainer

    def engine(self, company: str) -> Engine:
        path = model_path(self.settings, company)
        if not path.exists():
            raise NotFound(f"company {company!r} has no trained model; run `copilot ingest --company {company}`",
                           field="company")
        mtime = path.stat().st_mtime
        with self._lock:
            cached = self._engines.get(company)
            if cached and cached[0] == mtime:
                return cached[1]
            model = CompanyModel.load(path)
            engine = Engine(model, self.embedder, StoreNeighbours(self.store, company),
                            explainer=self.explainer, policies=self._policy_evidence,
                            policies_many=self._policy_evidence_many,
                            k=self.settings.neighbours, top_k=self.settings.top_k)
            self._engines[company] = (mtime, engine)
            return engine

    def suggest(self, company: str, request: SuggestionRequest) -> Suggestion:
        return self.engine(company).suggest(request)

    def suggest_many(self, company: str, requests, *, llm: bool = False, return_errors: bool = False):
        """Many lines at once (batch import, bank feeds): see Engine.suggest_many."""
        return self.engine(company).suggest_many(requests, llm=llm, return_errors=return_errors)

    def learn(self, company: str, posting: Posting) -> None:
        """A human-approved coding: into the counts and the index at once (weighs more than history).

        The counts live in this process's copy of the model and are rebuilt from history plus the
        indexed corrections at the next training; the index point is shared by every replica.
        """
        from copilot.engine.history import correction_weight
        from copilot.engine.learning import fold_correction
        from copilot.index.ingest import Ingestor

        engine = self.engine(company)
        with self._lock:
            posting = fold_correction(engine.model, posting)
        Ingestor(self.store, self.embedder, progress=False).add_correction(
            company, posting.entity, posting, weight=correction_weight(posting))

    def _policy_evidence(self, company: str, vector, limit: int) -> list[Evidence]:
        try:
            hits = self.store.search("policies", vector, limit=limit, filters={"company": company})
        except Exception:  # no policies ingested for this company: policy evidence is optional
            return []
        return _policy_clauses(hits)

    def _policy_evidence_many(self, company: str, vectors, limit: int) -> list[list[Evidence]]:
        """_policy_evidence for many vectors: one batched query when the store has one (batch imports)."""
        batch = getattr(self.store, "search_batch", None)
        if batch is None:
            return [self._policy_evidence(company, v, limit) for v in vectors]
        try:
            found = batch("policies", vectors, limit=limit, filters={"company": company})
        except Exception:  # as in _policy_evidence
            return [[] for _ in vectors]
        return [_policy_clauses(hits) for hits in found]


def _policy_clauses(hits) -> list[Evidence]:
    return [Evidence(kind="policy", ref=str(h.payload.get("clause") or h.payload.get("heading") or h.id),
                     text=str(h.payload.get("text", ""))[:400], score=round(float(h.score), 4),
                     data={"file": h.payload.get("file"), "heading": h.payload.get("heading")})
            for h in hits if h.score >= POLICY_MIN_SIMILARITY]


def train_company(settings: Settings, name: str, company, postings, embedder, *, progress=None) -> CompanyModel:
    """Fit and save the company's model (called by ``copilot ingest`` after indexing)."""
    from copilot.engine.timesheets import load_timesheets

    model = build_company_model(name, company, postings, lambda texts: embedder.embed(texts),
                                k=settings.neighbours, timesheets=load_timesheets(company_root(settings, name)),
                                progress=progress)
    model.save(model_path(settings, name))
    return model

