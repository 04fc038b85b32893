"""A company's learned model: history counts, lexical classifiers, account vectors and the scorer.

``build_company_model`` fits everything from postings in time order: the scorer is trained on the
most recent slice of history with features computed only from what came before it (no peeking), and
calibrated on the slice after that. Serving then uses counts over all history with the same scorer.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from copilot.domain import Company, Posting, SuggestionRequest
from copilot.domain.text import query_text
from copilot.engine.candidates import FEATURES, Signals, featurize, generate
from copilot.engine.history import History, posting_combination
from copilot.engine.lexical import LexicalModel, line_document
from copilot.engine.neighbours import ArrayNeighbours, NeighbourSource
from copilot.engine.scorer import Scorer
from copilot.engine.timesheets import Timesheets

log = logging.getLogger(__name__)
MODEL_VERSION = 3  # 2: per-side vendor history; 3: the best candidate of a line calibrated apart


@dataclass
class CompanyModel:
    name: str
    company: Company
    history: History
    lexical: dict[str, LexicalModel]
    account_ids: list[str]
    account_matrix: np.ndarray  # (n_accounts, dim), L2-normalized
    scorer: Scorer
    as_of: date
    version: int = MODEL_VERSION
    info: dict = field(default_factory=dict)
    timesheets: Timesheets | None = None

    def enrich(self, request: SuggestionRequest) -> SuggestionRequest:
        """Fill the timesheet project hint from the company's timesheets when the preparer gave none."""
        if request.timesheet_project or self.timesheets is None:
            return request
        project = self.timesheets.project_for(request.employee, request.entry_date)
        return request.model_copy(update={"timesheet_project": project}) if project else request

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)

    @staticmethod
    def load(path: Path) -> "CompanyModel":
        with open(path, "rb") as fh:
            model = pickle.load(fh)  # our own artifact, written by save()
        if getattr(model, "version", None) != MODEL_VERSION:
            from copilot.errors import ConfigurationError
            raise ConfigurationError(f"{path}: model version {getattr(model, 'version', '?')} is stale; "
                                     "re-run `copilot ingest`")
        # Which file this is, while it is unchanged (learning drops it): batch workers load the same one.
        model.info["_file"] = (str(path), path.stat().st_mtime)
        return model

    def vendor_name(self, vendor: str | None) -> str | None:
        if not vendor:
            return None
        v = self.company.vendors.get(vendor)
        return v.name if v else vendor

    def resolve_vendor(self, typed: str | None) -> str | None:
        """A vendor as typed (id or name) -> vendor id when the master knows it, else as typed."""
        if not typed:
            return None
        if typed in self.company.vendors:
            return typed
        from copilot.domain.text import vendor_key

        key = vendor_key(typed)
        index = self.info.setdefault("_vendor_index", {vendor_key(v.name): v.vendor_id
                                                        for v in self.company.vendors.values()})
        return index.get(key, typed)

    def account_sims(self, vector: np.ndarray, k: int = 6) -> list[tuple[str, float]]:
        if not len(self.account_ids):
            return []
        sims = self.account_matrix @ vector.astype(np.float32)
        idx = np.argsort(-sims)[:k]
        return [(self.account_ids[i], float(sims[i])) for i in idx]


def posting_text(company: Company, p: Posting) -> str:
    vendor = p.dims.get("vendor")
    name = company.vendors[vendor].name if vendor and vendor in company.vendors else vendor
    return query_text(name, p.memo)


def account_text(company: Company, account_no: str) -> str:
    a = company.accounts[account_no]
    return " ".join(x for x in (a.title, a.category, a.description) if x)


def request_from_posting(p: Posting) -> SuggestionRequest:
    """What a preparer would have typed for a historical line: vendor, memo, amount, date, employee."""
    return SuggestionRequest(entity=p.entity, vendor=p.dims.get("vendor"), memo=p.memo, amount=p.amount,
                             tr_type=p.tr_type, entry_date=p.entry_date, employee=p.dims.get("employee"),
                             known_dims={k: v for k, v in p.dims.items() if k in ("customer",)},
                             timesheet_project=p.extra.get("timesheet_project"), document=p.document)


def signals_for(model: CompanyModel, request: SuggestionRequest, vector: np.ndarray,
                neighbours: NeighbourSource, k: int) -> Signals:
    vendor_id = model.resolve_vendor(request.vendor)
    shares, total = model.history.vendor_shares(request.entity, vendor_id, request.tr_type)
    lex = model.lexical.get(request.entity)
    doc = line_document(request.memo, vendor_id, request.employee, request.timesheet_project, request.tr_type)
    lexical = lex.top([doc], k=10)[0] if lex else []
    return Signals(neighbours=neighbours.search(request.entity, vector, k, request.tr_type), vendor_shares=shares,
                   vendor_total=total, lexical=lexical, account_sims=model.account_sims(vector),
                   corrections=model.history.correction_for(request.entity, vendor_id, request.memo, request.tr_type),
                   vendor_id=vendor_id)


def _fit_lexical(postings: Sequence[Posting]) -> dict[str, LexicalModel]:
    by_entity: dict[str, tuple[list[str], list[str]]] = {}
    for p in postings:
        docs, labels = by_entity.setdefault(p.entity, ([], []))
        docs.append(line_document(p.memo, p.dims.get("vendor"), p.dims.get("employee"),
                                  p.extra.get("timesheet_project"), p.tr_type))
        labels.append(posting_combination(p).key)
    out = {}
    for entity, (docs, labels) in by_entity.items():
        m = LexicalModel.fit(docs, labels)
        if m is not None:
            out[entity] = m
    return out


def build_company_model(name: str, company: Company, postings: Sequence[Posting],
                        embed: Callable[[list[str]], np.ndarray], *, k: int = 50,
                        scorer_lines: int = 12000, cold_start_lines: int = 2000,
                        timesheets: Timesheets | None = None, seed: int = 0, progress: Callable[[str], None] | None = None) -> CompanyModel:
    """Fit a company model from its postings (any order). ``embed`` maps texts to normalized vectors."""
    say = progress or (lambda msg: log.info(msg))
    postings = sorted(postings, key=lambda p: (p.entry_date, p.record_no))
    if not postings:
        from copilot.errors import InputError
        raise InputError(f"company {name!r} has no postings to learn from")
    texts = [posting_text(company, p) for p in postings]
    unique = list(dict.fromkeys(texts))
    say(f"embedding {len(unique):,} unique texts of {len(postings):,} postings")
    vectors = dict(zip(unique, embed(unique)))
    account_ids = sorted(a for a, acct in company.accounts.items() if acct.active)
    account_matrix = (embed([account_text(company, a) for a in account_ids]) if account_ids
                      else np.zeros((0, 1), dtype=np.float32))

    # Scorer: the last `scorer_lines` postings (at most 30 % of history), features from what came before.
    n_slice = min(scorer_lines, int(len(postings) * 0.3))
    scorer = Scorer()
    if n_slice >= 200:
        cut = len(postings) - n_slice
        past, recent = postings[:cut], postings[cut:]
        say(f"training the scorer on {len(recent):,} recent lines against {len(past):,} earlier ones")
        past_model = CompanyModel(name, company, History.build(past, as_of=past[-1].entry_date),
                                  _fit_lexical(past), account_ids, account_matrix, Scorer(), past[-1].entry_date,
                                  timesheets=timesheets)
        source = ArrayNeighbours(past, texts[:cut], vectors)

        def sample(req: SuggestionRequest, vector: np.ndarray, truth: str):
            req = past_model.enrich(req)
            sig = signals_for(past_model, req, vector, source, k)
            cands = generate(req, sig, company, past_model.history)
            if not cands:
                return None
            return (featurize(cands, req, sig, past_model.history),
                    np.array([c.key == truth for c in cands], dtype=np.int8))

        samples = [sample(request_from_posting(p), vectors[t], posting_combination(p).key)
                   for p, t in zip(recent, texts[cut:])]
        kept = [s for s in samples if s is not None]
        split = int(len(kept) * 0.7)
        fit, cal = kept[:split], kept[split:]
        # Cold-start practice: a vendor's first bill must be judged on its memo alone. Some fit-slice
        # lines are replayed with the vendor withheld, so the scorer learns how far memo evidence
        # alone can be trusted (calibration stays on the real, unaugmented later slice).
        rng = np.random.default_rng(seed)
        fit_lines = [(p, t) for p, t, s in zip(recent, texts[cut:], samples) if s is not None][:split]
        pick = [i for i in range(len(fit_lines)) if fit_lines[i][0].dims.get("vendor")]
        pick = sorted(rng.choice(pick, size=min(len(pick), max(len(pick) // 6, 1), cold_start_lines),
                                 replace=False)) if pick else []
        if pick:
            memo_texts = [query_text(None, fit_lines[i][0].memo) for i in pick]
            uniq = list(dict.fromkeys(memo_texts))
            memo_vecs = dict(zip(uniq, embed(uniq)))
            for i, mt in zip(pick, memo_texts):
                p = fit_lines[i][0]
                req = request_from_posting(p).model_copy(update={"vendor": None})
                extra = sample(req, memo_vecs[mt], posting_combination(p).key)
                if extra is not None:
                    fit.append(extra)
        if fit and cal:
            scorer = Scorer.fit(np.vstack([x for x, _ in fit]), np.concatenate([y for _, y in fit]),
                                np.vstack([x for x, _ in cal]), np.concatenate([y for _, y in cal]),
                                cal_lines=np.array([len(y) for _, y in cal]))
            scorer.report["candidate_recall"] = float(np.mean([y.any() for _, y in kept]))
            scorer.report["cold_start_rows"] = len(pick)
    say("counting history and fitting lexical classifiers")
    as_of = postings[-1].entry_date
    model = CompanyModel(name=name, company=company, history=History.build(postings, as_of=as_of),
                         lexical=_fit_lexical(postings), account_ids=account_ids,
                         account_matrix=np.asarray(account_matrix, dtype=np.float32), scorer=scorer,
                         as_of=as_of, timesheets=timesheets, info={"postings": len(postings), "unique_texts": len(unique),
                                            "features": list(FEATURES), "scorer": scorer.report})
    return model
