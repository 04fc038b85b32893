"""Ingestion: a company's history, chart of accounts and policies into the vector store.

Three collections, every point tagged with ``company`` and ``entity`` (``"*"`` = all entities, used by
company-wide points such as accounts and policies), so a search filtered to one company + entity can
never see another tenant's or entity's data:

* ``postings``: one point per GL detail line. Vector = embedding of ``query_text(vendor name, memo)``,
  the same text the engine embeds for a draft line. Id = uuid5(company, entity, record_no), so
  re-ingesting never duplicates; a content hash in the payload lets a re-ingest skip unchanged lines
  without re-embedding or re-writing them.
* ``posting_texts``: what similar-posting search reads. One point per distinct text of one company +
  entity (id = uuid5(company, entity, text)), carrying its most recent postings (at most
  TEXT_POSTINGS_CAP, newest first). The demo's 117k postings have 48k distinct texts: an exact search
  scans 2.5x fewer vectors, and the answer is the one training sees (copilot.engine.neighbours:
  similar texts, each expanded to its postings by recency). Derived from ``postings``: rebuilt for a
  company whenever an ingest changed its postings, and updated in place by each correction.
* ``accounts``: one point per GL account (title + description), for "which account is this about".
* ``policies``: chunks of ``policies/*.md``, split by heading and by clause (``TE-2.1``), so that a
  reason can cite a clause id.

Many postings share a text (a vendor's monthly invoice), so texts are embedded once per batch, and the
embedder's own caches make a re-ingest embed nothing at all.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

from copilot.domain import Company, DimensionCombination, Posting
from copilot.domain.text import query_text
from copilot.errors import InputError
from copilot.index.embeddings import Embedder
from copilot.index.policies import PolicyChunk, chunk_policies
from copilot.index.store import Filters, Hit, Point, VectorStore

POSTINGS, TEXTS, ACCOUNTS, POLICIES = "postings", "posting_texts", "accounts", "policies"
COLLECTIONS = (POSTINGS, TEXTS, ACCOUNTS, POLICIES)
# Postings kept per text point: a search needs at most k (50) postings, newest first, from one text.
TEXT_POSTINGS_CAP = 100
# Posting payload fields a text point carries per posting (what a Neighbour is made of).
_TEXT_FIELDS = ("record_no", "date", "account_no", "combo", "vendor", "memo", "amount", "source", "tr_type")
# Bumped when what a text point carries changes: an ingest rebuilds points of an older format.
TEXT_FORMAT = 2
ALL_ENTITIES = "*"  # the entity of company-wide points (accounts, policies)
_NAMESPACE = uuid.UUID("7d1c1b0e-5a53-4c55-9d0c-6c0a3b4f2e11")  # fixed: ids must be stable forever
_BATCH = 10_000


def point_id(*parts: str) -> str:
    """Deterministic UUID for a tuple of strings (unit separator so ("a|b", "c") != ("a", "b|c"))."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def posting_point_id(company: str, entity: str, record_no: str, source: str = "history") -> str:
    """History postings are keyed by (company, entity, record_no); a correction never overwrites the
    history line it may share a record number with, so its source is part of its key."""
    if source == "history":
        return point_id(company, entity, record_no)
    return point_id(company, entity, f"{source}:{record_no}")


def _content_hash(payload: dict[str, Any], text: str, embedder_name: str) -> str:
    blob = json.dumps([{k: v for k, v in payload.items() if k != "hash"}, text, embedder_name],
                      sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()


@lru_cache(maxsize=65536)
def _combo_key(account_no: str, dims: tuple[tuple[str, str], ...]) -> str:
    return DimensionCombination(account_no=account_no, dims=dict(dims)).key


@dataclass
class CollectionReport:
    added: int = 0  # new or changed points written
    skipped: int = 0  # already present and unchanged
    deleted: int = 0  # stale points removed (policies always, postings with prune=True)


@dataclass
class IngestReport:
    company: str
    collections: dict[str, CollectionReport] = field(default_factory=lambda: {c: CollectionReport() for c in COLLECTIONS})
    postings: int = 0
    unique_texts: int = 0  # distinct posting texts among the postings written
    texts_embedded: int | None = None  # texts the model actually embedded (cache misses), if known
    seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def postings_per_s(self) -> float:
        return self.postings / self.seconds if self.seconds > 0 else 0.0

    @property
    def postings_per_s_excluding_embedding(self) -> float:
        rest = self.seconds - self.embed_seconds
        return self.postings / rest if rest > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"company": self.company, "postings": self.postings, "unique_texts": self.unique_texts,
                "texts_embedded": self.texts_embedded, "seconds": round(self.seconds, 3),
                "embed_seconds": round(self.embed_seconds, 3), "postings_per_s": round(self.postings_per_s, 1),
                "postings_per_s_excluding_embedding": round(self.postings_per_s_excluding_embedding, 1),
                "collections": {k: vars(v) for k, v in self.collections.items()}}

    def summary(self) -> str:
        lines = [f"company {self.company}: {self.postings:,} postings in {self.seconds:.1f} s "
                 f"({self.postings_per_s:,.0f}/s; {self.postings_per_s_excluding_embedding:,.0f}/s excluding "
                 f"{self.embed_seconds:.1f} s of embedding)"]
        if self.texts_embedded is not None:
            lines.append(f"  texts embedded by the model: {self.texts_embedded:,} "
                         f"(of {self.unique_texts:,} distinct posting texts written)")
        for name, c in self.collections.items():
            lines.append(f"  {name:9s} added {c.added:,}  unchanged {c.skipped:,}  deleted {c.deleted:,}")
        return "\n".join(lines)


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


class _Progress:
    """A rich progress bar when asked for, else nothing (tests, library use)."""

    def __init__(self, enabled: bool, total: int | None) -> None:
        self._bar = None
        if enabled:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TimeRemainingColumn(), transient=False)
            self._bar.start()
            self._task = self._bar.add_task("postings", total=total)

    def update(self, n: int, description: str | None = None) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=n, **({"description": description} if description else {}))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


class Ingestor:
    """Writes companies into a VectorStore with an Embedder. Also the review loop's learning hook."""

    def __init__(self, store: VectorStore, embedder: Embedder, *, progress: bool = True) -> None:
        self.store, self.embedder, self.progress = store, embedder, progress
        self._embedder_name = str(getattr(embedder, "name", type(embedder).__name__))
        self._vendor_names: dict[str, dict[str, str]] = {}  # company -> vendor id -> name
        self._ready: set[str] = set()

    def _ensure(self, name: str) -> None:
        if name not in self._ready:
            self.store.ensure_collection(name, self.embedder.dim)
            self._ready.add(name)

    def _embed_timed(self, texts: Sequence[str], report: IngestReport | None) -> Any:
        t0 = time.perf_counter()
        vectors = self.embedder.embed(texts)
        if report is not None:
            report.embed_seconds += time.perf_counter() - t0
        return vectors

    # -- postings ----------------------------------------------------------------------------
    def posting_text(self, company: str, posting: Posting) -> str:
        vendor_id = posting.vendor
        name = self._vendor_names.get(company, {}).get(vendor_id or "", vendor_id) if vendor_id else None
        return query_text(name, posting.memo)

    def posting_point(self, company: str, posting: Posting, text: str,
                      weight: float = 1.0) -> tuple[str, dict[str, Any]]:
        """(point id, payload) for one posting; the payload carries its content hash."""
        payload: dict[str, Any] = {
            "company": company, "entity": posting.entity, "record_no": posting.record_no,
            "date": posting.entry_date.isoformat(), "account_no": posting.account_no, "dims": dict(posting.dims),
            "combo": _combo_key(posting.account_no, tuple(sorted(posting.dims.items()))),
            "vendor": posting.vendor, "memo": posting.memo, "amount": str(posting.amount),
            "tr_type": posting.tr_type, "source": posting.source, "weight": float(weight),
        }
        if posting.document:
            payload["document"] = posting.document
        if posting.currency:
            payload["currency"] = posting.currency
        # Hash the values directly (not the dict): this runs for every posting on every ingest.
        payload["hash"] = hashlib.sha1(repr((
            company, posting.entity, posting.record_no, payload["date"], posting.account_no,
            sorted(posting.dims.items()), posting.memo, payload["amount"], posting.tr_type, posting.source,
            payload["weight"], posting.document, posting.currency, text, self._embedder_name,
        )).encode("utf-8")).hexdigest()
        return posting_point_id(company, posting.entity, posting.record_no, posting.source), payload

    def _existing_hashes(self, ids: list[str]) -> dict[str, str]:
        return {h.id: str(h.payload.get("hash")) for h in self.store.retrieve(POSTINGS, ids, fields=["hash"])}

    def ingest_postings(self, company_name: str, postings: Iterable[Posting], report: IngestReport, *,
                        prune: bool = False, vectors_out: dict[str, Any] | None = None) -> None:
        """Write new or changed postings; ``vectors_out`` collects the vectors computed (text -> vector)."""
        self._ensure(POSTINGS)
        total = len(postings) if isinstance(postings, Sequence) else None
        # First load of a company: nothing can be unchanged, so skip the per-batch lookups.
        fresh = self.store.count(POSTINGS, {"company": company_name}) == 0
        seen: dict[str, set[str]] = {}  # entity -> record_nos (for prune)
        written_texts: set[str] = set()  # distinct texts over all batches (a batch de-duplicates its own)
        bar = _Progress(self.progress, total)
        try:
            for batch in _batches(postings, _BATCH):
                rows = []
                for p in batch:
                    if p.source == "history":
                        seen.setdefault(p.entity, set()).add(p.record_no)
                    text = self.posting_text(company_name, p)
                    pid, payload = self.posting_point(company_name, p, text)
                    rows.append((pid, payload, text))
                report.postings += len(rows)
                if not fresh:
                    existing = self._existing_hashes([r[0] for r in rows])
                    todo = [r for r in rows if existing.get(r[0]) != r[1]["hash"]]
                else:
                    todo = rows
                report.collections[POSTINGS].skipped += len(rows) - len(todo)
                if todo:
                    unique = list(dict.fromkeys(r[2] for r in todo))
                    written_texts.update(unique)
                    report.unique_texts = len(written_texts)
                    bar.update(0, f"embedding {len(unique):,} texts")
                    vectors = self._embed_timed(unique, report)
                    index = {t: i for i, t in enumerate(unique)}
                    if vectors_out is not None:
                        vectors_out.update(zip(unique, vectors))
                    bar.update(0, "writing")
                    self.store.upsert(POSTINGS, [Point(pid, vectors[index[text]], payload)
                                                 for pid, payload, text in todo])
                    report.collections[POSTINGS].added += len(todo)
                bar.update(len(rows), "postings")
        finally:
            bar.close()
        if prune and not fresh:
            report.collections[POSTINGS].deleted += self._prune_postings(company_name, seen)

    def _prune_postings(self, company: str, seen: dict[str, set[str]]) -> int:
        """Delete history points of this company that the source no longer has (corrections stay)."""
        stale: dict[str, list[str]] = {}
        for hit in self.store.scroll(POSTINGS, {"company": company, "source": "history"},
                                     fields=["entity", "record_no"]):
            entity, rec = str(hit.payload.get("entity")), str(hit.payload.get("record_no"))
            if rec not in seen.get(entity, ()):
                stale.setdefault(entity, []).append(rec)
        for entity, recs in stale.items():
            for start in range(0, len(recs), 1000):
                self.store.delete(POSTINGS, {"company": company, "entity": entity, "source": "history",
                                             "record_no": recs[start:start + 1000]})
        return sum(len(v) for v in stale.values())

    # -- the search index of distinct texts -----------------------------------------------------
    def _text_of(self, company: str, vendor: str | None, memo: str) -> str:
        name = self._vendor_names.get(company, {}).get(vendor or "", vendor) if vendor else None
        return query_text(name, memo)

    @staticmethod
    def text_point_id(company: str, entity: str, text: str) -> str:
        return point_id(company, entity, "text", text)

    def rebuild_texts(self, company_name: str, report: IngestReport | None = None, *,
                      known: dict[str, Any] | None = None) -> int:
        """Regroup the company's postings by (entity, text) into ``posting_texts``; returns points written.

        New points are written before stale ones are deleted, so a search never finds the index empty.
        Vectors: ``known`` (text -> vector, those this ingest just computed), else the embedder, whose
        cache already holds every posting text.
        """
        known = known if known is not None else {}
        self._ensure(TEXTS)
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for hit in self.store.scroll(POSTINGS, {"company": company_name}, fields=[*_TEXT_FIELDS, "entity", "dims"]):
            pl = hit.payload
            text = self._text_of(company_name, pl.get("vendor"), str(pl.get("memo") or ""))
            groups.setdefault((str(pl["entity"]), text), []).append(_posting_summary(pl))
        keys = list(groups)
        bar = _Progress(self.progress, len(keys))
        bar.update(0, "similar-text index")
        written = 0
        try:
            for batch in _batches(keys, _BATCH):
                missing = list(dict.fromkeys(t for _e, t in batch if t not in known))
                vectors = dict(zip(missing, self._embed_timed(missing, report))) if missing else {}
                points = []
                for entity, text in batch:
                    rows = groups[(entity, text)]
                    rows.sort(key=lambda r: (r["date"], r["record_no"]), reverse=True)
                    vector = known[text] if text in known else vectors[text]
                    points.append(Point(self.text_point_id(company_name, entity, text), vector,
                                        _text_payload(company_name, entity, text, rows)))
                self.store.upsert(TEXTS, points)
                written += len(points)
                bar.update(len(batch))
        finally:
            bar.close()
        keep = {self.text_point_id(company_name, e, t) for e, t in keys}
        stale = [h.id for h in self.store.scroll(TEXTS, {"company": company_name}, fields=["entity"])
                 if h.id not in keep]
        for start in range(0, len(stale), 1000):
            self.store.delete(TEXTS, {"company": company_name, "text_id": stale[start:start + 1000]})
        if report is not None:
            report.collections[TEXTS].added += written
            report.collections[TEXTS].deleted += len(stale)
        return written

    def _add_to_text(self, company: str, entity: str, text: str, vector: Any, payload: dict[str, Any]) -> None:
        """Put one new posting at the front of its text's point (read-modify-write: two replicas adding to
        the same text at the same instant can lose one of the two here; ``postings`` keeps both and the
        next ingest's rebuild restores it)."""
        self._ensure(TEXTS)
        pid = self.text_point_id(company, entity, text)
        found = self.store.retrieve(TEXTS, [pid])
        rows = list(found[0].payload.get("postings", [])) if found else []
        summary = _posting_summary(payload)
        rows = [r for r in rows if not (r["record_no"] == summary["record_no"] and r["source"] == summary["source"])]
        rows.append(summary)
        rows.sort(key=lambda r: (r["date"], r["record_no"]), reverse=True)
        total = (int(found[0].payload.get("n", len(rows))) if found else 0) + 1
        self.store.upsert(TEXTS, [Point(pid, vector, _text_payload(company, entity, text, rows, total=total))])

    # -- accounts ----------------------------------------------------------------------------
    def ingest_accounts(self, company_name: str, company: Company, report: IngestReport) -> None:
        self._ensure(ACCOUNTS)
        rows = []
        for acct in company.accounts.values():
            text = " ".join(t for t in (acct.title, acct.description) if t).strip() or acct.account_no
            payload: dict[str, Any] = {
                "company": company_name, "entity": ALL_ENTITIES, "account_no": acct.account_no,
                "title": acct.title, "description": acct.description, "category": acct.category,
                "account_type": acct.account_type, "status": acct.status,
                "required_dimensions": sorted(acct.required_dimensions), "source": "account", "text": text,
            }
            payload["hash"] = _content_hash(payload, text, self._embedder_name)
            rows.append((point_id(company_name, "account", acct.account_no), payload, text))
        self._write_documents(ACCOUNTS, rows, report)

    # -- policies ----------------------------------------------------------------------------
    def ingest_policies(self, company_name: str, policies_dir: Path, report: IngestReport) -> None:
        self._ensure(POLICIES)
        chunks = chunk_policies(policies_dir)
        rows = []
        for chunk in chunks:
            payload = self._policy_payload(company_name, chunk)
            rows.append((point_id(company_name, "policy", chunk.chunk_id), payload, chunk.embed_text))
        self._write_documents(POLICIES, rows, report)
        # Edited policy files change their chunks: remove the chunks that no longer exist.
        keep = {r[0] for r in rows}
        stale = [h.payload["chunk_id"] for h in self.store.scroll(POLICIES, {"company": company_name},
                                                                  fields=["chunk_id"]) if h.id not in keep]
        if stale:
            self.store.delete(POLICIES, {"company": company_name, "chunk_id": stale})
            report.collections[POLICIES].deleted += len(stale)

    @staticmethod
    def _policy_payload(company_name: str, chunk: PolicyChunk) -> dict[str, Any]:
        return {"company": company_name, "entity": ALL_ENTITIES, "source": "policy", "file": chunk.file,
                "heading": chunk.heading, "clause": chunk.clause, "clause_ids": list(chunk.clause_ids),
                "chunk_id": chunk.chunk_id, "text": chunk.text}

    def _write_documents(self, collection: str, rows: list[tuple[str, dict[str, Any], str]],
                         report: IngestReport) -> None:
        """Upsert (id, payload, text) rows whose content hash changed; small collections, one batch."""
        for _pid, payload, text in rows:
            payload.setdefault("hash", _content_hash(payload, text, self._embedder_name))
        existing = {h.id: h.payload.get("hash")
                    for h in self.store.retrieve(collection, [r[0] for r in rows], fields=["hash"])} if rows else {}
        todo = [r for r in rows if existing.get(r[0]) != r[1]["hash"]]
        report.collections[collection].skipped += len(rows) - len(todo)
        if todo:
            vectors = self._embed_timed([r[2] for r in todo], report)
            self.store.upsert(collection, [Point(pid, vectors[i], payload) for i, (pid, payload, _t) in enumerate(todo)])
            report.collections[collection].added += len(todo)

    # -- the whole company -------------------------------------------------------------------
    def ingest_company(self, company_name: str, company: Company, postings: Iterable[Posting],
                       policies_dir: Path | None = None, *, prune: bool = False) -> IngestReport:
        """Ingest (or re-ingest, incrementally) one company. ``prune`` also deletes history points
        that are no longer in ``postings`` (use it only when ``postings`` is the full history)."""
        if not company_name:
            raise InputError("company name is required")
        report = IngestReport(company=company_name)
        model_before = getattr(self.embedder, "texts_embedded", None)
        t0 = time.perf_counter()
        self._vendor_names[company_name] = {vid: v.name for vid, v in company.vendors.items()}
        self.ingest_accounts(company_name, company, report)
        known: dict[str, Any] = {}
        self.ingest_postings(company_name, postings, report, prune=prune, vectors_out=known)
        changed = report.collections[POSTINGS].added or report.collections[POSTINGS].deleted
        if changed or self.store.count(TEXTS, {"company": company_name, "format": TEXT_FORMAT}) < \
                self.store.count(TEXTS, {"company": company_name}) or not self.store.count(TEXTS, {"company": company_name}):
            self.rebuild_texts(company_name, report, known=known)
        else:
            report.collections[TEXTS].skipped = self.store.count(TEXTS, {"company": company_name})
        if policies_dir is not None:
            self.ingest_policies(company_name, Path(policies_dir), report)
        report.seconds = time.perf_counter() - t0
        model_after = getattr(self.embedder, "texts_embedded", None)
        if model_before is not None and model_after is not None:
            report.texts_embedded = model_after - model_before
        return report

    # -- the review loop's learning hook and search helpers -----------------------------------
    def add_correction(self, company: str | Company, entity: str, posting: Posting, weight: float) -> str:
        """Make a human-approved coding retrievable at once. Returns the point id.

        ``posting.source`` is forced to "correction" so that it never overwrites history and the
        engine can weigh it (``weight``) above ordinary postings.
        """
        name = company.name if isinstance(company, Company) else company
        if isinstance(company, Company):
            self._vendor_names[name] = {vid: v.name for vid, v in company.vendors.items()}
        if posting.entity != entity:
            raise InputError(f"correction posting is for entity {posting.entity!r}, not {entity!r}", field="entity")
        if posting.source != "correction":
            posting = posting.model_copy(update={"source": "correction"})
        self._ensure(POSTINGS)
        text = self.posting_text(name, posting)
        pid, payload = self.posting_point(name, posting, text, weight=weight)
        vector = self.embedder.embed([text])[0]
        self.store.upsert(POSTINGS, [Point(pid, vector, payload)])
        # Only a company whose text index exists: a first text point would hide its history from
        # search, which reads ``postings`` until an ingest builds the index.
        if self.store.count(TEXTS, {"company": name}):
            self._add_to_text(name, entity, text, vector, payload)
        return pid

    def search_postings(self, company: str, entity: str, vector: Any, limit: int,
                        extra_filters: Filters | None = None) -> list[Hit]:
        """Nearest postings of one company + entity; extra filters can narrow, never widen."""
        filters = {**(extra_filters or {}), "company": company, "entity": entity}
        return self.store.search(POSTINGS, vector, limit=limit, filters=filters)

    def search_policies(self, company: str, vector: Any, limit: int) -> list[Hit]:
        return self.store.search(POLICIES, vector, limit=limit, filters={"company": company})

    def search_accounts(self, company: str, vector: Any, limit: int) -> list[Hit]:
        return self.store.search(ACCOUNTS, vector, limit=limit, filters={"company": company})


def _posting_summary(payload: dict[str, Any]) -> dict[str, Any]:
    """One posting as a text point carries it; ``combo`` is the coding the engine predicts (no counterparties)."""
    from copilot.engine.neighbours import posting_combination_from_payload

    row = {k: payload.get(k) for k in _TEXT_FIELDS}
    row["combo"] = posting_combination_from_payload(payload)
    row["source"] = row.get("source") or "history"
    return row


def _text_payload(company: str, entity: str, text: str, rows: list[dict[str, Any]], *,
                  total: int | None = None) -> dict[str, Any]:
    return {"company": company, "entity": entity, "text": text, "format": TEXT_FORMAT,
            "text_id": Ingestor.text_point_id(company, entity, text),
            "n": len(rows) if total is None else total, "postings": rows[:TEXT_POSTINGS_CAP]}
