"""The vector store interface: a few collections of (id, unit vector, payload) points.

One protocol, several backends, chosen by ``settings.resolved_vector_backend``:

* ``edge``   : ``EdgeStore``, Qdrant's engine embedded in-process (qdrant-edge-py). The default: it is
               the fastest measured (eval/RESULTS.md, section vectorstore) and persists under
               data_dir/qdrant/edge/. One process owns the files at a time (see copilot.index.edge).
* ``local``  : ``QdrantClientStore(path=data_dir/qdrant/local)``, qdrant-client's pure-Python local mode.
* ``memory`` : ``QdrantClientStore(":memory:")``, nothing persisted (tests, demos).
* ``server`` : ``QdrantClientStore(url=settings.qdrant_url, api_key=...)``, a Qdrant server: the shape
               for several API workers or several machines.

Filters are a plain dict: every key must match (AND); a list value matches any of its items. Keys may
be dotted paths into nested payload (``dims.department``). Scores are cosine similarities (higher is
closer). Point ids are UUID strings. Callers never see a backend's own types.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, Union, runtime_checkable

import numpy as np

from copilot.errors import ConfigurationError, InputError

if TYPE_CHECKING:
    from copilot.settings import Settings

FilterValue = Union[str, int, bool, list[str], list[int]]
Filters = Mapping[str, FilterValue]

# Payload keys that get a keyword index in every collection: they are what retrieval filters on.
INDEXED_KEYS: tuple[str, ...] = ("company", "entity", "account_no", "vendor", "source")


@dataclass(frozen=True)
class Point:
    id: str  # a UUID string (Qdrant accepts UUIDs or unsigned ints; we always use UUIDs)
    vector: np.ndarray | list[float]
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    id: str
    score: float  # cosine similarity for search(); 0.0 for retrieve() and scroll()
    payload: dict[str, Any] = field(default_factory=dict)
    vector: np.ndarray | None = None  # only from scroll(with_vectors=True)


@runtime_checkable
class VectorStore(Protocol):
    """What the engine and ingestion need from a vector database. Every method is synchronous."""

    def ensure_collection(self, name: str, dim: int) -> None:
        """Create the collection (cosine distance, payload indexes on INDEXED_KEYS) if it is missing.
        Raises ConfigurationError if it exists with another dimension."""
        ...

    def has_collection(self, name: str) -> bool: ...

    def upsert(self, name: str, points: Sequence[Point]) -> None:
        """Insert or replace points by id (idempotent). Visible to search() when it returns."""
        ...

    def search(self, name: str, vector: np.ndarray | Sequence[float], *, limit: int,
               filters: Filters | None = None) -> list[Hit]:
        """Nearest points matching every filter, best first. A missing collection gives []."""
        ...

    def retrieve(self, name: str, ids: Sequence[str], *, fields: Sequence[str] | None = None) -> list[Hit]:
        """Points by id; unknown ids are skipped; order not guaranteed. ``fields`` limits the payload
        returned (payload conversion is most of the cost of a large retrieve)."""
        ...

    def scroll(self, name: str, filters: Filters | None = None, *, limit: int | None = None,
               fields: Sequence[str] | None = None, with_vectors: bool = False) -> list[Hit]:
        """All points matching the filters, up to ``limit``; ``fields`` as in retrieve(); with
        ``with_vectors`` each hit carries its vector (float32), for an in-memory copy of a collection."""
        ...

    def delete(self, name: str, filters: Filters) -> None:
        """Delete every point matching the filters. Empty filters are refused (use drop_collection)."""
        ...

    def drop_collection(self, name: str) -> None: ...

    def count(self, name: str, filters: Filters | None = None) -> int:
        """Exact count of points matching the filters (0 for a missing collection)."""
        ...

    def close(self) -> None: ...


def check_filters(filters: Filters | None) -> dict[str, FilterValue]:
    """Validate a filter dict early, with a message naming the key, rather than deep in a backend."""
    out: dict[str, FilterValue] = {}
    for key, value in (filters or {}).items():
        if not isinstance(key, str) or not key:
            raise InputError(f"filter keys must be non-empty strings, got {key!r}")
        if isinstance(value, (list, tuple, set, frozenset)):
            items = list(value)
            if not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in items):
                raise InputError(f"filter {key!r}: a list may hold only strings or integers")
            out[key] = items
        elif isinstance(value, (str, int, bool)):
            out[key] = value
        else:
            raise InputError(f"filter {key!r}: unsupported value {value!r} (str, int or list)")
    return out


def matches(payload: Mapping[str, Any], filters: Filters | None) -> bool:
    """The filter semantics in plain Python (the reference the backends are tested against)."""
    for key, want in check_filters(filters).items():
        have: Any = payload
        for part in key.split("."):
            have = have.get(part) if isinstance(have, Mapping) else None
        values = have if isinstance(have, list) else [have]
        wanted = want if isinstance(want, list) else [want]
        if not any(v in wanted for v in values if v is not None):
            return False
    return True


def as_vector(vector: np.ndarray | Sequence[float], dim: int | None = None) -> list[float]:
    """A flat list of floats of the expected dimension (backends take lists)."""
    arr = np.asarray(vector, dtype=np.float32).reshape(-1)
    if dim is not None and arr.shape[0] != dim:
        raise InputError(f"vector has dimension {arr.shape[0]}, the collection expects {dim}")
    if not np.isfinite(arr).all():
        raise InputError("vector contains NaN or infinity")
    return arr.tolist()


def stored_vector(value: Any) -> np.ndarray:
    """A vector as a store returns it (a list, or a dict of named vectors: ours is the only one)."""
    if isinstance(value, dict):
        value = next(iter(value.values()))
    return np.asarray(value, dtype=np.float32)


def as_vectors(points: Sequence[Point], dim: int) -> list[list[float]]:
    """All the points' vectors as lists, validated once for the whole batch (much faster than per row)."""
    rows = [np.asarray(p.vector, dtype=np.float32).reshape(-1) for p in points]
    bad = next((r.shape[0] for r in rows if r.shape[0] != dim), None)
    if bad is not None:
        raise InputError(f"vector has dimension {bad}, the collection expects {dim}")
    matrix = np.stack(rows) if rows else np.zeros((0, dim), dtype=np.float32)
    if not np.isfinite(matrix).all():
        raise InputError("a vector contains NaN or infinity")
    return matrix.tolist()


def check_point_id(point_id: str) -> str:
    try:
        return str(uuid.UUID(str(point_id)))
    except ValueError:
        raise InputError(f"point id must be a UUID string, got {point_id!r}") from None


def build_vector_store(settings: "Settings") -> VectorStore:
    """The store the settings ask for. Embedded stores persist under data_dir/qdrant/<backend>/."""
    backend = settings.resolved_vector_backend
    root = settings.data_dir / "qdrant"
    if backend == "edge":
        from copilot.index.edge import EdgeStore

        return EdgeStore(root / "edge")
    from copilot.index.qdrant_client_store import QdrantClientStore

    if backend == "local":
        return QdrantClientStore(path=root / "local")
    if backend == "memory":
        return QdrantClientStore(location=":memory:")
    if backend == "server":
        if not settings.qdrant_url:
            raise ConfigurationError("vector_backend is 'server' but qdrant_url is not set")
        return QdrantClientStore(url=settings.qdrant_url, api_key=settings.qdrant_api_key)
    raise ConfigurationError(f"unknown vector backend {backend!r}")
