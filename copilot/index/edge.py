"""EdgeStore: Qdrant's engine embedded in this process (qdrant-edge-py), one shard per collection.

Layout: ``<root>/<collection>/`` holds one EdgeShard (edge_config.json, segments/, wal/). Writes go
through the shard's write-ahead log, so an upsert that returned survives a crash; ``close()`` flushes.

Concurrency (why it is shaped like this):
* A shard's WAL is locked by the process that opens it. A second *process* cannot open the same
  collection while the first has it open; that is reported as a ConfigurationError that says so.
  So: one process owns an embedded store (e.g. stop ``copilot serve`` while ``copilot ingest`` runs,
  or run both against a Qdrant server with ``vector_backend: server``).
* Within a process, every EdgeStore pointing at the same directory shares one open shard (a
  ref-counted registry), so the API, the review loop and ingestion can each hold a store.
* Reads run concurrently (the engine releases the GIL); writes are serialized by a per-shard lock.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from copilot.errors import ConfigurationError, InputError
from copilot.index.store import (INDEXED_KEYS, Filters, Hit, Point, as_vector, as_vectors, check_filters,
                                 check_point_id, stored_vector)

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_UPSERT_BATCH = 2048


def _edge() -> Any:
    import qdrant_edge

    return qdrant_edge


class _Shard:
    def __init__(self, shard: Any, dim: int) -> None:
        self.shard, self.dim = shard, dim
        self.refs = 0
        self.closed = False
        self.write_lock = threading.Lock()


_REGISTRY: dict[Path, _Shard] = {}
_REGISTRY_LOCK = threading.Lock()


def _to_filter(filters: Filters | None) -> Any:
    checked = check_filters(filters)
    if not checked:
        return None
    q = _edge()
    must = []
    for key, value in checked.items():
        match = q.MatchAny(list(value)) if isinstance(value, list) else q.MatchValue(value)
        must.append(q.FieldCondition(key, match=match))
    return q.Filter(must=must)


def _uuid(point_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(point_id) if isinstance(point_id, str) else uuid.UUID(str(point_id))
    except ValueError:
        raise InputError(f"point id must be a UUID string, got {point_id!r}") from None


def _with_payload(fields: Sequence[str] | None) -> Any:
    return True if fields is None else _edge().PayloadSelector.Include(list(fields))


def _hit(record: Any, score: float | None = None, *, vector: bool = False) -> Hit:
    return Hit(id=str(record.id), score=float(record.score if score is None else score),
               payload=dict(record.payload or {}), vector=stored_vector(record.vector) if vector else None)


class EdgeStore:
    """VectorStore over qdrant-edge shards under ``root`` (see module docstring for concurrency)."""

    def __init__(self, root: str | Path, *, exact: bool = True) -> None:
        self.root = Path(root)
        # Exact (brute-force over the filtered set) by default: the engine cites neighbours as evidence,
        # and HNSW under a company+entity filter measured recall@10 of only ~0.7-0.9 at 50k points
        # (eval/RESULTS.md) for a 2-3x gain on queries that already take a few ms.
        self.exact = exact
        self.root.mkdir(parents=True, exist_ok=True)
        self._held: dict[str, _Shard] = {}
        self._closed = False

    # -- collections -------------------------------------------------------------------------
    def _path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise InputError(f"invalid collection name {name!r}")
        return (self.root / name).resolve()

    def _open(self, name: str, dim: int | None = None) -> _Shard | None:
        """The shared open shard for ``name``; creates it when ``dim`` is given, else None if absent."""
        if self._closed:
            raise ConfigurationError("vector store is closed")
        held = self._held.get(name)
        if held is not None and not held.closed:
            return held
        self._held.pop(name, None)  # dropped by another store in this process: open afresh
        path = self._path(name)
        q = _edge()
        with _REGISTRY_LOCK:
            held = self._held.get(name)  # another thread of this store may have opened it meanwhile
            if held is not None and not held.closed:
                return held
            entry = _REGISTRY.get(path)
            if entry is None:
                exists = (path / "edge_config.json").exists()
                if not exists and dim is None:
                    return None
                try:
                    if exists:
                        shard = q.EdgeShard.load(str(path))
                        stored = json.loads((path / "edge_config.json").read_text())["vectors"][""]["size"]
                    else:
                        config = q.EdgeConfig(
                            vectors=q.EdgeVectorParams(size=dim, distance=q.Distance.Cosine),
                            # Payload is read for every hit: keep it in RAM rather than the Cold (disk) default.
                            payload_memory=q.Memory.Cached)
                        shard = q.EdgeShard.create(str(path), config)
                        stored = dim
                except Exception as exc:
                    if "WouldBlock" in str(exc) or "lock" in str(exc).lower():
                        raise ConfigurationError(
                            f"vector collection {path} is open in another process; the embedded store "
                            "allows one process at a time (stop the other, or use a Qdrant server)") from exc
                    raise ConfigurationError(f"cannot open vector collection {path}: {exc}") from exc
                entry = _Shard(shard, int(stored))
                _REGISTRY[path] = entry
                if not exists:
                    self._create_indexes(entry)
            entry.refs += 1
            self._held[name] = entry
        return entry

    @staticmethod
    def _create_indexes(entry: _Shard) -> None:
        q = _edge()
        with entry.write_lock:
            for key in INDEXED_KEYS:
                # company is the tenant key: Qdrant co-locates each tenant's points for filtered search.
                schema = q.KeywordIndexParams(is_tenant=True) if key == "company" else q.PayloadSchemaType.Keyword
                entry.shard.update(q.UpdateOperation.create_field_index(key, schema))

    def ensure_collection(self, name: str, dim: int) -> None:
        entry = self._open(name, dim)
        assert entry is not None
        if entry.dim != dim:
            raise ConfigurationError(
                f"collection {name!r} holds vectors of dimension {entry.dim}, not {dim}; "
                "re-ingest into a fresh data dir after changing the embedding model")

    def has_collection(self, name: str) -> bool:
        return name in self._held or (self._path(name) / "edge_config.json").exists()

    def drop_collection(self, name: str) -> None:
        path = self._path(name)
        with _REGISTRY_LOCK:
            entry = _REGISTRY.pop(path, None)
            self._held.pop(name, None)
            if entry is not None:
                with entry.write_lock:
                    entry.closed = True
                    entry.shard.close()
        shutil.rmtree(path, ignore_errors=True)

    # -- points ------------------------------------------------------------------------------
    def _require(self, name: str) -> _Shard:
        entry = self._open(name)
        if entry is None:
            raise ConfigurationError(f"collection {name!r} does not exist; call ensure_collection first")
        return entry

    def upsert(self, name: str, points: Sequence[Point]) -> None:
        if not points:
            return
        entry = self._require(name)
        q = _edge()
        # UUID objects cross into the engine faster than strings.
        converted = [q.Point(_uuid(p.id), v, p.payload) for p, v in zip(points, as_vectors(points, entry.dim))]
        with entry.write_lock:
            for start in range(0, len(converted), _UPSERT_BATCH):
                entry.shard.update(q.UpdateOperation.upsert_points(converted[start:start + _UPSERT_BATCH]))

    def search(self, name: str, vector: np.ndarray | Sequence[float], *, limit: int,
               filters: Filters | None = None) -> list[Hit]:
        entry = self._open(name)
        if entry is None or limit <= 0:
            return []
        q = _edge()
        request = q.QueryRequest(limit=limit, query=q.Query.Nearest(as_vector(vector, entry.dim)),
                                 filter=_to_filter(filters), with_payload=True, with_vector=False,
                                 params=q.SearchParams(exact=self.exact))
        return [_hit(p) for p in entry.shard.query(request)]

    def search_batch(self, name: str, vectors: np.ndarray | Sequence[Sequence[float]], *, limit: int,
                     filters: Filters | None = None) -> list[list[Hit]]:
        """Several queries with the same filters, planned as one pass (used by evaluation)."""
        entry = self._open(name)
        if entry is None or limit <= 0:
            return [[] for _ in vectors]
        q = _edge()
        flt = _to_filter(filters)
        params = q.SearchParams(exact=self.exact)
        requests = [q.QueryRequest(limit=limit, query=q.Query.Nearest(as_vector(v, entry.dim)), filter=flt,
                                   with_payload=True, with_vector=False, params=params) for v in vectors]
        return [[_hit(p) for p in res] for res in entry.shard.query_batch(q.QueryBatchRequest(requests))]

    def retrieve(self, name: str, ids: Sequence[str], *, fields: Sequence[str] | None = None) -> list[Hit]:
        entry = self._open(name)
        if entry is None or not ids:
            return []
        records = entry.shard.retrieve([check_point_id(i) for i in ids], _with_payload(fields), False)
        return [_hit(r, 0.0) for r in records]

    def scroll(self, name: str, filters: Filters | None = None, *, limit: int | None = None,
               fields: Sequence[str] | None = None, with_vectors: bool = False) -> list[Hit]:
        entry = self._open(name)
        if entry is None:
            return []
        q = _edge()
        flt = _to_filter(filters)
        out: list[Hit] = []
        offset = None
        while limit is None or len(out) < limit:
            page = 1000 if limit is None else min(1000, limit - len(out))
            records, offset = entry.shard.scroll(q.ScrollRequest(offset=offset, limit=page, filter=flt,
                                                                 with_payload=_with_payload(fields),
                                                                 with_vector=with_vectors))
            out.extend(_hit(r, 0.0, vector=with_vectors) for r in records)
            if offset is None or not records:
                break
        return out

    def delete(self, name: str, filters: Filters) -> None:
        flt = _to_filter(filters)
        if flt is None:
            raise InputError("delete needs at least one filter; use drop_collection to empty a collection")
        entry = self._open(name)
        if entry is None:
            return
        with entry.write_lock:
            entry.shard.update(_edge().UpdateOperation.delete_points_by_filter(flt))

    def count(self, name: str, filters: Filters | None = None) -> int:
        entry = self._open(name)
        if entry is None:
            return 0
        return int(entry.shard.count(_edge().CountRequest(exact=True, filter=_to_filter(filters))))

    def optimize(self, name: str) -> bool:
        """Merge segments, drop deleted versions and build the HNSW index. Blocks (tens of seconds at
        50k points on 2 cores). Not needed for exact search; worth it before approximate search."""
        entry = self._open(name)
        if entry is None:
            return False
        with entry.write_lock:
            return bool(entry.shard.optimize())

    def flush(self) -> None:
        for entry in self._held.values():
            if entry.closed:
                continue
            with entry.write_lock:
                entry.shard.flush()

    def close(self) -> None:
        """Release this store's shards; the last holder of a shard flushes and closes it."""
        if self._closed:
            return
        with _REGISTRY_LOCK:
            for name, entry in self._held.items():
                entry.refs -= 1
                if entry.refs <= 0 and not entry.closed:
                    entry.closed = True
                    with entry.write_lock:
                        entry.shard.flush()
                        entry.shard.close()
                    if _REGISTRY.get(self._path(name)) is entry:
                        del _REGISTRY[self._path(name)]
            self._held.clear()
            self._closed = True

    def __enter__(self) -> "EdgeStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
