"""QdrantClientStore: the VectorStore over qdrant-client, in any of its three modes.

* ``path=...``        local mode: pure Python, persisted with pickles; one process (file lock).
                      Much slower than EdgeStore at tens of thousands of points (eval/RESULTS.md).
* ``location=":memory:"`` the same engine, nothing persisted (tests).
* ``url=..., api_key=...`` a Qdrant server: the choice for several API workers or machines. Upserts
                      are chunked and waited for, so a returned upsert is searchable.

Local mode ignores payload indexes (qdrant-client warns and scans); creating them anyway keeps one
code path and makes the same collection fast when pointed at a server.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from copilot.errors import ConfigurationError, InputError, UpstreamError
from copilot.index.store import (INDEXED_KEYS, Filters, Hit, Point, as_vector, as_vectors, check_filters,
                                 check_point_id, stored_vector)

_UPSERT_BATCH = 512


def _to_filter(filters: Filters | None) -> Any:
    from qdrant_client import models

    checked = check_filters(filters)
    if not checked:
        return None
    must = []
    for key, value in checked.items():
        match = models.MatchAny(any=list(value)) if isinstance(value, list) else models.MatchValue(value=value)
        must.append(models.FieldCondition(key=key, match=match))
    return models.Filter(must=must)


class QdrantClientStore:
    """VectorStore over ``qdrant_client.QdrantClient`` (local path, in-memory or server)."""

    def __init__(self, *, path: str | Path | None = None, location: str | None = None,
                 url: str | None = None, api_key: str | None = None, timeout: int = 30) -> None:
        from qdrant_client import QdrantClient

        if sum(x is not None for x in (path, location, url)) != 1:
            raise ConfigurationError("QdrantClientStore needs exactly one of path=, location= or url=")
        self.mode = "local" if path is not None else ("server" if url else "memory")
        try:
            if path is not None:
                Path(path).mkdir(parents=True, exist_ok=True)
                self.client = QdrantClient(path=str(path))
            elif url is not None:
                self.client = QdrantClient(url=url, api_key=api_key, timeout=timeout)
            else:
                self.client = QdrantClient(location=location)
        except RuntimeError as exc:  # local mode: "Storage folder ... is already accessed by another instance"
            raise ConfigurationError(f"cannot open Qdrant local storage {path}: {exc}") from exc
        self._dims: dict[str, int] = {}
        # Local mode is not thread-safe (plain dicts and numpy arrays); a server client is.
        self._lock = threading.RLock()

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            with self._lock, warnings.catch_warnings():
                warnings.simplefilter("ignore")  # local mode warns that payload indexes are no-ops
                return fn(*args, **kwargs)
        except (ConfigurationError, InputError):
            raise
        except Exception as exc:
            if self.mode == "server":
                raise UpstreamError(f"Qdrant server error: {exc}") from exc
            raise

    def _dim(self, name: str) -> int | None:
        if name not in self._dims:
            if not self.has_collection(name):
                return None
            info = self._call(self.client.get_collection, name)
            vectors = info.config.params.vectors
            self._dims[name] = int(vectors.size if hasattr(vectors, "size") else next(iter(vectors.values())).size)
        return self._dims[name]

    def ensure_collection(self, name: str, dim: int) -> None:
        from qdrant_client import models

        existing = self._dim(name)
        if existing is None:
            self._call(self.client.create_collection, name,
                       vectors_config=models.VectorParams(size=dim, distance=models.Distance.COSINE))
            for key in INDEXED_KEYS:
                schema = (models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True)
                          if key == "company" else models.PayloadSchemaType.KEYWORD)
                self._call(self.client.create_payload_index, name, key, field_schema=schema)
            self._dims[name] = dim
        elif existing != dim:
            raise ConfigurationError(
                f"collection {name!r} holds vectors of dimension {existing}, not {dim}; "
                "re-ingest into a fresh data dir after changing the embedding model")

    def has_collection(self, name: str) -> bool:
        return bool(self._call(self.client.collection_exists, name))

    def drop_collection(self, name: str) -> None:
        if self.has_collection(name):
            self._call(self.client.delete_collection, name)
        self._dims.pop(name, None)

    def upsert(self, name: str, points: Sequence[Point]) -> None:
        from qdrant_client import models

        if not points:
            return
        dim = self._dim(name)
        if dim is None:
            raise ConfigurationError(f"collection {name!r} does not exist; call ensure_collection first")
        structs = [models.PointStruct(id=check_point_id(p.id), vector=v, payload=dict(p.payload))
                   for p, v in zip(points, as_vectors(points, dim))]
        for start in range(0, len(structs), _UPSERT_BATCH):
            self._call(self.client.upsert, name, points=structs[start:start + _UPSERT_BATCH], wait=True)

    def search(self, name: str, vector: np.ndarray | Sequence[float], *, limit: int,
               filters: Filters | None = None) -> list[Hit]:
        dim = self._dim(name)
        if dim is None or limit <= 0:
            return []
        res = self._call(self.client.query_points, name, query=as_vector(vector, dim),
                         query_filter=_to_filter(filters), limit=limit, with_payload=True, with_vectors=False)
        return [Hit(id=str(p.id), score=float(p.score), payload=dict(p.payload or {})) for p in res.points]

    def search_batch(self, name: str, vectors: np.ndarray | Sequence[Sequence[float]], *, limit: int,
                     filters: Filters | None = None) -> list[list[Hit]]:
        return [self.search(name, v, limit=limit, filters=filters) for v in vectors]

    def retrieve(self, name: str, ids: Sequence[str], *, fields: Sequence[str] | None = None) -> list[Hit]:
        if not ids or self._dim(name) is None:
            return []
        records = self._call(self.client.retrieve, name, ids=[check_point_id(i) for i in ids],
                             with_payload=True if fields is None else list(fields), with_vectors=False)
        return [Hit(id=str(r.id), score=0.0, payload=dict(r.payload or {})) for r in records]

    def scroll(self, name: str, filters: Filters | None = None, *, limit: int | None = None,
               fields: Sequence[str] | None = None, with_vectors: bool = False) -> list[Hit]:
        if self._dim(name) is None:
            return []
        flt = _to_filter(filters)
        out: list[Hit] = []
        offset = None
        while limit is None or len(out) < limit:
            page = 1000 if limit is None else min(1000, limit - len(out))
            records, offset = self._call(self.client.scroll, name, scroll_filter=flt, limit=page, offset=offset,
                                         with_payload=True if fields is None else list(fields),
                                         with_vectors=with_vectors)
            out.extend(Hit(id=str(r.id), score=0.0, payload=dict(r.payload or {}),
                           vector=stored_vector(r.vector) if with_vectors else None) for r in records)
            if offset is None or not records:
                break
        return out

    def delete(self, name: str, filters: Filters) -> None:
        from qdrant_client import models

        flt = _to_filter(filters)
        if flt is None:
            raise InputError("delete needs at least one filter; use drop_collection to empty a collection")
        if self._dim(name) is None:
            return
        self._call(self.client.delete, name, points_selector=models.FilterSelector(filter=flt), wait=True)

    def count(self, name: str, filters: Filters | None = None) -> int:
        if self._dim(name) is None:
            return 0
        return int(self._call(self.client.count, name, count_filter=_to_filter(filters), exact=True).count)

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:  # closing twice, or a server that went away: nothing left to release
            pass

    def __enter__(self) -> "QdrantClientStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
