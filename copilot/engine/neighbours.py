"""Similar past postings for a query vector, from Qdrant (serving) or from an array (training).

Both return the same thing: the k most similar postings of one entity, ties broken by recency, so the
scorer is trained on the same kind of evidence it sees when serving.
"""

from __future__ import annotations

import pickle
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Iterable, NamedTuple, Protocol, Sequence

import numpy as np

from copilot.domain import Posting
from copilot.engine.history import posting_combination


class Neighbour(NamedTuple):
    """A similar past posting. A tuple: a line reads 50 of them and a batch import millions, and a
    named tuple is built ~4x faster than a frozen dataclass."""

    record_no: str
    score: float
    combo: str
    account_no: str
    vendor: str | None
    entry_date: date
    amount: str
    memo: str
    source: str = "history"
    tr_type: int = 0  # 1 debit, -1 credit, 0 unknown


# Neighbours are of one side of the ledger: an expense bill's memo is also on its payable line, and a
# debit line's coding is learned from debits (the payable is the credit of the same bill).
class NeighbourSource(Protocol):
    def search(self, entity: str, vector: np.ndarray, k: int, side: int | None = None) -> list[Neighbour]: ...


def neighbour_from_posting(p: Posting, score: float) -> Neighbour:
    return Neighbour(record_no=p.record_no, score=score, combo=posting_combination(p).key,
                     account_no=p.account_no, vendor=p.dims.get("vendor"), entry_date=p.entry_date,
                     amount=str(p.amount), memo=p.memo, source=p.source, tr_type=p.tr_type)


class ArrayNeighbours:
    """Brute-force cosine search over unique texts per entity (vectors are L2-normalized)."""

    def __init__(self, postings: Sequence[Posting], texts: Sequence[str], vectors: dict[str, np.ndarray]) -> None:
        self._by_entity: dict[str, tuple[np.ndarray, list[list[Posting]]]] = {}
        groups: dict[str, dict[str, list[Posting]]] = {}
        for p, t in zip(postings, texts):
            groups.setdefault(p.entity, {}).setdefault(t, []).append(p)
        for entity, by_text in groups.items():
            keys = list(by_text)
            matrix = np.stack([vectors[t] for t in keys]).astype(np.float32)
            # Newest first (ties: higher record number first), the order posting_texts stores.
            plists = [sorted(by_text[t], key=lambda p: (p.entry_date, p.record_no), reverse=True) for t in keys]
            newest = np.array([pl[0].entry_date.toordinal() for pl in plists], dtype=np.int64)
            self._by_entity[entity] = (matrix, plists, newest)

    def search(self, entity: str, vector: np.ndarray, k: int, side: int | None = None) -> list[Neighbour]:
        if entity not in self._by_entity:
            return []
        matrix, plists, newest = self._by_entity[entity]
        sims = matrix @ vector.astype(np.float32)
        top = min(k, len(sims))
        idx = np.argpartition(-sims, top - 1)[:top]
        # Equal similarity: the text used most recently first (StoreNeighbours breaks ties the same way).
        idx = idx[np.lexsort((-newest[idx], -np.round(sims[idx], 6)))]
        out: list[Neighbour] = []
        for i in idx:
            for p in plists[i]:
                if side and p.tr_type != side:
                    continue
                out.append(neighbour_from_posting(p, float(sims[i])))
                if len(out) >= k:
                    return out
        return out


class GrowingNeighbours:
    """A fixed neighbour source plus postings added since (reviewed codings), searched as one index.

    The in-memory counterpart of a correction upserted into the vector store: the learning evaluation
    adds each reviewed line here, with the vector already computed for its suggestion. Additions live
    in a per-entity matrix grown by doubling, so adding thousands of lines never copies the base index.
    """

    def __init__(self, base: NeighbourSource) -> None:
        self.base = base
        self._added: dict[str, tuple[np.ndarray, list[Posting]]] = {}

    def add(self, posting: Posting, vector: np.ndarray) -> None:
        matrix, postings = self._added.get(posting.entity, (np.zeros((0, len(vector)), np.float32), []))
        if len(postings) == len(matrix):
            grown = np.zeros((max(16, 2 * len(matrix)), len(vector)), np.float32)
            grown[:len(matrix)] = matrix
            matrix = grown
        matrix[len(postings)] = vector
        postings.append(posting)
        self._added[posting.entity] = (matrix, postings)

    def search(self, entity: str, vector: np.ndarray, k: int, side: int | None = None) -> list[Neighbour]:
        found = self.base.search(entity, vector, k, side)
        if entity not in self._added:
            return found
        matrix, postings = self._added[entity]
        sims = matrix[:len(postings)] @ vector.astype(np.float32)
        if side:
            sims = np.where([p.tr_type == side for p in postings], sims, -np.inf)
        # Everything tied with the k-th best too: among equal scores the newest must win below.
        kth = np.partition(sims, len(sims) - k)[len(sims) - k] if len(sims) > k else -np.inf
        # (-inf marks the other side of the ledger: never a neighbour, however few the additions.)
        added = [neighbour_from_posting(postings[i], float(sims[i]))
                 for i in np.flatnonzero((sims >= kth - 1e-6) & np.isfinite(sims))[::-1]]
        # The index's tie-break: equal similarity -> most recent first, so a correction of the very same
        # text as old postings comes before them, and of two added the same day the later one first
        # (additions go first and the sort is stable).
        merged = sorted(added + found, key=lambda n: (-round(n.score, 6), -n.entry_date.toordinal()))
        return merged[:k]


class StoreNeighbours:
    """Neighbours from the vector store, filtered to one company + entity.

    Reads the ``posting_texts`` collection (one point per distinct text, carrying its postings newest
    first) and expands the most similar texts into postings, exactly like ArrayNeighbours. A store
    ingested before that collection existed is read from ``postings`` (one point per posting).
    """

    def __init__(self, store, company: str, collection: str = "postings",
                 texts_collection: str | None = "posting_texts") -> None:
        self.store, self.company, self.collection = store, company, collection
        self.texts_collection = texts_collection
        self._by_text: bool | None = None

    def _use_texts(self) -> bool:
        if self._by_text is None:
            self._by_text = bool(self.texts_collection) and self.store.count(
                self.texts_collection, {"company": self.company}) > 0
        return self._by_text

    def search(self, entity: str, vector: np.ndarray, k: int, side: int | None = None) -> list[Neighbour]:
        filters = {"company": self.company, "entity": entity}
        if self._use_texts():
            return _expand(self.store.search(self.texts_collection, vector, limit=k, filters=filters), k, side)
        if side:
            filters["tr_type"] = side
        return self._neighbours(self.store.search(self.collection, vector, limit=k, filters=filters))

    def search_many(self, entity: str, vectors: np.ndarray, k: int, side: int | None = None) -> list[list[Neighbour]]:
        """search() for several vectors; one batched store query when the store has search_batch."""
        filters = {"company": self.company, "entity": entity}
        batch = getattr(self.store, "search_batch", None)
        if batch is None:
            return [self.search(entity, v, k, side) for v in vectors]
        if self._use_texts():
            return [_expand(hits, k, side)
                    for hits in batch(self.texts_collection, vectors, limit=k, filters=filters)]
        if side:
            filters["tr_type"] = side
        return [self._neighbours(hits) for hits in batch(self.collection, vectors, limit=k, filters=filters)]

    @staticmethod
    def _neighbours(hits) -> list[Neighbour]:
        out = []
        for h in hits:
            pl = h.payload
            out.append(Neighbour(
                record_no=str(pl.get("record_no")), score=float(h.score), combo=pl.get("combo_target") or
                posting_combination_from_payload(pl), account_no=str(pl.get("account_no")),
                vendor=pl.get("vendor"), entry_date=date.fromisoformat(pl["date"]),
                amount=str(pl.get("amount", "0")), memo=pl.get("memo", ""), source=pl.get("source", "history"),
                tr_type=int(pl.get("tr_type") or 0)))
        # Same tie-break as ArrayNeighbours: equal similarity -> most recent first.
        out.sort(key=lambda n: (-round(n.score, 6), -n.entry_date.toordinal()))
        return out


class SnapshotNeighbours:
    """StoreNeighbours answered from an in-memory copy of the company's ``posting_texts``: for bulk jobs.

    A batch import searches tens of thousands of lines; per query, the store scans the entity's texts
    and converts every hit's payload (each text's postings) to Python objects. Here each entity's
    texts are read once (vectors and postings), and a block of queries is one matrix product: exact
    cosine search with the ranking and tie-breaks of StoreNeighbours, so the engine sees the same
    neighbours (texts tied at the k-th similarity may be cut differently, as between two stores).
    The copy is taken when an entity is first searched: corrections indexed after that are not seen
    by this batch (the next one reads them). A company indexed before ``posting_texts`` existed has
    nothing to copy, and is searched in the store.
    """

    BLOCK = 256  # queries per matrix product: 256 x 50k texts is a 50 MB score block

    def __init__(self, store, company: str, texts_collection: str = "posting_texts") -> None:
        self.store, self.company, self.texts_collection = store, company, texts_collection
        self.fallback = (StoreNeighbours(store, company, texts_collection=texts_collection)
                         if store is not None else None)  # None: a loaded copy, no store behind it
        self._entities: dict[str, tuple[np.ndarray, list[tuple], np.ndarray] | None] = {}

    @property
    def available(self) -> bool:
        """Whether the company's texts can be copied (a company indexed before posting_texts cannot)."""
        return self.fallback is None or self.fallback._use_texts()

    def export(self, directory: Path, entities: Iterable[str]) -> Path:
        """Write the copy of these entities for other processes (``SnapshotNeighbours.load``).

        Vectors go to .npy files that readers memory-map, so every worker of a batch shares one copy
        in the page cache; each text's postings are pickled."""
        directory.mkdir(parents=True, exist_ok=True)
        index: dict[str, int | None] = {}
        for n, entity in enumerate(sorted(set(entities))):
            loaded = self._entity(entity)
            index[entity] = None if loaded is None else n
            if loaded is not None:
                matrix, rows, newest = loaded
                np.save(directory / f"{n}.vectors.npy", matrix)
                np.save(directory / f"{n}.newest.npy", newest)
                with open(directory / f"{n}.rows.pkl", "wb") as fh:
                    pickle.dump(rows, fh, protocol=pickle.HIGHEST_PROTOCOL)
        with open(directory / "index.pkl", "wb") as fh:
            pickle.dump({"company": self.company, "entities": index}, fh)
        return directory

    @classmethod
    def load(cls, directory: Path) -> "SnapshotNeighbours":
        """A copy written by ``export``: it searches only the entities exported (others have no neighbours)."""
        with open(directory / "index.pkl", "rb") as fh:
            index = pickle.load(fh)  # our own file, written by export() for this batch
        snap = cls(None, index["company"])
        for entity, n in index["entities"].items():
            if n is None:
                snap._entities[entity] = None
                continue
            with open(directory / f"{n}.rows.pkl", "rb") as fh:
                rows = pickle.load(fh)
            snap._entities[entity] = (np.load(directory / f"{n}.vectors.npy", mmap_mode="r"), rows,
                                      np.load(directory / f"{n}.newest.npy"))
        return snap

    def _entity(self, entity: str):
        if entity not in self._entities and self.store is None:
            return None
        if entity not in self._entities:
            hits = self.store.scroll(self.texts_collection, {"company": self.company, "entity": entity},
                                     with_vectors=True)
            if not hits:
                self._entities[entity] = None
            else:
                matrix = np.stack([h.vector for h in hits]).astype(np.float32)
                norms = np.linalg.norm(matrix, axis=1, keepdims=True)
                matrix /= np.where(norms > 0, norms, 1.0)  # cosine, as the store scores
                rows = [tuple(_row(r) for r in h.payload.get("postings", ())) for h in hits]
                newest = np.array([-_newest(h) for h in hits], dtype=np.int64)
                self._entities[entity] = (matrix, rows, newest)
        return self._entities[entity]

    def search(self, entity: str, vector: np.ndarray, k: int, side: int | None = None) -> list[Neighbour]:
        return self.search_many(entity, np.asarray(vector, dtype=np.float32)[None, :], k, side)[0]

    def search_many(self, entity: str, vectors: np.ndarray, k: int, side: int | None = None) -> list[list[Neighbour]]:
        if not self.available:
            return self.fallback.search_many(entity, vectors, k, side)
        loaded = self._entity(entity)
        if loaded is None or k <= 0:
            return [[] for _ in vectors]
        matrix, rows, newest = loaded
        q = np.asarray(vectors, dtype=np.float32)
        q = q / np.where((n := np.linalg.norm(q, axis=1, keepdims=True)) > 0, n, 1.0)
        top = min(k, len(matrix))
        out: list[list[Neighbour]] = []
        for start in range(0, len(q), self.BLOCK):
            sims = q[start:start + self.BLOCK] @ matrix.T
            cand = _top_columns(sims, top)
            for srow, idx in zip(sims, cand):
                scores = srow[idx]
                # Most similar first; equal similarity: the text used most recently first (as the store).
                order = idx[np.lexsort((-newest[idx], -np.round(scores, 6)))]
                out.append(_expand_rows(rows, srow, order, k, side))
        return out


def _top_columns(sims: np.ndarray, top: int) -> np.ndarray:
    """Per row, the columns of the ``top`` largest values, in no order (the caller sorts them)."""
    n = sims.shape[1]
    if top >= n:
        return np.broadcast_to(np.arange(n), sims.shape)
    try:  # torch ships with sentence-transformers; its top-k is ~10x numpy's argpartition here
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return np.argpartition(sims, n - top, axis=1)[:, n - top:]
    return torch.topk(torch.from_numpy(sims), top, dim=1, sorted=False).indices.numpy()


def _row(r: dict) -> tuple:
    return (str(r["record_no"]), r["combo"], str(r["account_no"]), r.get("vendor"), _date(r["date"]),
            str(r.get("amount") or "0"), r.get("memo") or "", r.get("source") or "history", int(r.get("tr_type") or 0))


def _expand_rows(rows: list[tuple], sims: np.ndarray, order: np.ndarray, k: int, side: int | None) -> list[Neighbour]:
    out: list[Neighbour] = []
    new = tuple.__new__  # Neighbour(...) without the generated __new__'s Python frame (millions per batch)
    for i in order:
        score = float(sims[i])
        for rec, combo, acct, vendor, when, amount, memo, source, tr_type in rows[i]:
            if side and tr_type != side:
                continue
            out.append(new(Neighbour, (rec, score, combo, acct, vendor, when, amount, memo, source, tr_type)))
            if len(out) >= k:
                return out
    return out


def _expand(hits, k: int, side: int | None = None) -> list[Neighbour]:
    """Most similar texts first, each text's postings (of ``side``, if given) newest first, until k."""
    out: list[Neighbour] = []
    # Equal similarity: the text used most recently first (as ArrayNeighbours).
    for h in sorted(hits, key=lambda h: (-round(h.score, 6), _newest(h))):
        score = float(h.score)
        for r in h.payload.get("postings", ()):
            if side and r.get("tr_type") != side:
                continue
            out.append(Neighbour(record_no=str(r["record_no"]), score=score, combo=r["combo"],
                                 account_no=str(r["account_no"]), vendor=r.get("vendor"),
                                 entry_date=_date(r["date"]), amount=str(r.get("amount") or "0"),
                                 memo=r.get("memo") or "", source=r.get("source") or "history",
                                 tr_type=int(r.get("tr_type") or 0)))
            if len(out) >= k:
                return out
    return out


def _newest(hit) -> int:
    rows = hit.payload.get("postings") or ()
    return -_date(rows[0]["date"]).toordinal() if rows else 0


@lru_cache(maxsize=4096)
def _date(iso: str) -> date:
    return date.fromisoformat(iso)


def posting_combination_from_payload(payload: dict) -> str:
    dims = payload.get("dims") or {}
    return _combination_key(str(payload.get("account_no")), tuple(sorted(dims.items())))


@lru_cache(maxsize=65536)
def _combination_key(account_no: str, dims: tuple) -> str:
    """Memoized: every search returns k payloads and most codings repeat across searches."""
    from copilot.engine.history import target_combination

    return target_combination(account_no, dict(dims)).key
