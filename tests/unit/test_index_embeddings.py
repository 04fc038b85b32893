"""Embedders: the hashing one, the caching and de-duplication around the sentence-transformers one,
and (once per module) the real bundled model."""

from __future__ import annotations

import time

import numpy as np
import pytest

from copilot.index.embeddings import (Embedder, HashingEmbedder, SentenceTransformerEmbedder, build_embedder,
                                      normalize_text)
from copilot.settings import Settings


class CountingModel:
    """Stands in for SentenceTransformer: records every encode call and the texts it got."""

    def __init__(self, dim: int = 384) -> None:
        self.inner = HashingEmbedder(dim)
        self.calls: list[list[str]] = []

    def encode(self, texts, **kwargs):
        self.calls.append(list(texts))
        return self.inner.embed(texts) * 3.0  # not unit length: the embedder must normalize


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


# -- HashingEmbedder -----------------------------------------------------------------------------

def test_hashing_embedder_shape_norm_and_determinism():
    a, b = HashingEmbedder(), HashingEmbedder()
    texts = ["Delta Air Lines | airfare client visit", "Staples | printer paper", ""]
    va, vb = a.embed(texts), b.embed(texts)
    assert va.shape == (3, 384) and va.dtype == np.float32
    assert np.allclose(np.linalg.norm(va, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(va, vb)  # same vectors in another instance (and another process: crc32, not hash())
    assert isinstance(a, Embedder)


def test_hashing_embedder_is_lexically_sensible():
    e = HashingEmbedder()
    q, near, far = e.embed(["airfare to client visit", "Delta | airfare client visit NYC", "printer toner"])
    assert cosine(q, near) > cosine(q, far) + 0.2


# -- SentenceTransformerEmbedder caching ---------------------------------------------------------

def test_deduplicates_within_a_call_and_keeps_order():
    model = CountingModel()
    e = SentenceTransformerEmbedder(model=model)
    out = e.embed(["b", "a", "b", "  a ", "c"])
    assert len(model.calls) == 1 and sorted(model.calls[0]) == ["a", "b", "c"]  # each text once
    assert np.array_equal(out[0], out[2]) and np.array_equal(out[1], out[3])
    assert not np.array_equal(out[0], out[1])
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert e.texts_embedded == 3 and e.model_calls == 1


def test_lru_means_a_repeated_text_is_never_re_embedded():
    model = CountingModel()
    e = SentenceTransformerEmbedder(model=model)
    first = e.embed(["AWS | hosting"])
    again = e.embed(["AWS | hosting", "AWS |   hosting"])
    assert len(model.calls) == 1
    assert np.array_equal(first[0], again[0]) and np.array_equal(again[0], again[1])
    e.embed(["AWS | hosting", "new text"])
    assert model.calls[-1] == ["new text"]  # only the miss goes to the model


def test_persistent_cache_is_shared_across_instances(tmp_path):
    m1 = CountingModel()
    e1 = SentenceTransformerEmbedder(cache_dir=tmp_path, model=m1)
    v1 = e1.embed(["Staples | toner", "Atlassian | jira"])
    e1.close()
    m2 = CountingModel()
    e2 = SentenceTransformerEmbedder(cache_dir=tmp_path, model=m2)
    v2 = e2.embed(["Atlassian | jira", "Staples | toner", "fresh"])
    assert m2.calls == [["fresh"]]
    assert np.array_equal(v2[0], v1[1]) and np.array_equal(v2[1], v1[0])
    assert e2.cached_count() == 3
    e2.close()


def test_empty_input_and_empty_text():
    e = SentenceTransformerEmbedder(model=CountingModel())
    assert e.embed([]).shape == (0, 384)
    v = e.embed([""])
    assert np.isclose(np.linalg.norm(v[0]), 1.0)


def test_normalize_text():
    assert normalize_text("  AWS \t|\n hosting ") == "AWS | hosting"


def test_factory(tmp_path):
    assert isinstance(build_embedder(Settings(data_dir=tmp_path, embedding_backend="hashing")), HashingEmbedder)
    e = build_embedder(Settings(data_dir=tmp_path))
    assert isinstance(e, SentenceTransformerEmbedder) and e.dim == 384
    assert e._model is None  # nothing loaded until a text misses the caches
    e.close()


# -- the real bundled model (loaded once for the module) -------------------------------------------

@pytest.fixture(scope="module")
def real(tmp_path_factory):
    e = SentenceTransformerEmbedder(cache_dir=tmp_path_factory.mktemp("cache"))
    e.embed(["warm up"])
    yield e
    e.close()


@pytest.mark.slow
def test_real_model_orders_by_meaning(real):
    q, near, mid, far = real.embed([
        "Amazon Web Services | cloud hosting for March",
        "AWS | EC2 and S3 server usage",
        "Microsoft Azure | virtual machines",
        "Pret A Manger | team lunch sandwiches",
    ])
    assert cosine(q, near) > cosine(q, far) + 0.15
    assert cosine(q, mid) > cosine(q, far)
    assert np.allclose(np.linalg.norm(np.stack([q, near, mid, far]), axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_real_model_single_query_latency(real):
    real.embed(["Delta Air Lines | flight to Boston"])
    t0 = time.perf_counter()
    for _ in range(100):
        real.embed(["Delta Air Lines | flight to Boston"])
    cached_ms = (time.perf_counter() - t0) * 10
    assert cached_ms < 2.0  # a cached query costs well under a millisecond
    calls = real.model_calls
    real.embed(["Lufthansa | flight to Munich, never seen before"])
    assert real.model_calls == calls + 1


# -- short queries on onnxruntime --------------------------------------------------------------------

@pytest.mark.slow
def test_short_queries_run_on_the_exported_model_with_torch_vectors(tmp_path):
    texts = ["Lufthansa | flight to Munich", "AWS | hosting March", "toner"]
    torch_only = SentenceTransformerEmbedder(cache_dir=tmp_path / "a", query_runtime="torch")
    want = torch_only.embed(texts)
    fast = SentenceTransformerEmbedder(cache_dir=tmp_path / "b")
    got = fast.embed(texts)  # exports the model to <cache>/<name>.onnx, checks it, then uses it
    assert fast.query_encoder() is not None and (tmp_path / "b" / f"{fast.name}.onnx").exists()
    np.testing.assert_allclose(got, want, atol=1e-5)
    # Another process (here: another embedder) opens the exported file without loading torch's model.
    again = SentenceTransformerEmbedder(cache_dir=tmp_path / "b")
    np.testing.assert_allclose(again.embed(["Lufthansa | flight to Berlin"]),
                               torch_only.embed(["Lufthansa | flight to Berlin"]), atol=1e-5)
    assert again._model is None
    many = [f"text number {i}" for i in range(40)]  # a large batch stays on torch
    np.testing.assert_allclose(again.embed(many), torch_only.embed(many), atol=1e-5)
    assert again._model is not None
    for e in (torch_only, fast, again):
        e.close()


@pytest.mark.slow
def test_a_model_that_cannot_be_exported_stays_on_torch(tmp_path, monkeypatch):
    from copilot.index import onnx_query

    def broken(model, path):
        path.write_bytes(b"half a file")
        raise RuntimeError("exporter says no")

    monkeypatch.setattr(onnx_query, "_export", broken)
    e = SentenceTransformerEmbedder(cache_dir=tmp_path)
    vec = e.embed(["Lufthansa | flight to Munich"])
    assert e.query_encoder() is None and vec.shape == (1, 384)
    assert not (tmp_path / f"{e.name}.onnx").exists()  # nothing half-written is left to load later
    e.close()


@pytest.mark.slow
def test_a_damaged_exported_file_is_dropped_and_torch_serves(tmp_path):
    e = SentenceTransformerEmbedder(cache_dir=tmp_path)
    (tmp_path / f"{e.name}.onnx").write_bytes(b"not an onnx model")  # e.g. a disk filled mid-copy
    vec = e.embed(["Lufthansa | flight to Munich"])
    assert e.query_encoder() is None and vec.shape == (1, 384)
    assert not (tmp_path / f"{e.name}.onnx").exists()  # exported afresh by the next process
    e.close()


def test_only_mean_pooled_sentence_transformers_models_are_exported(tmp_path):
    from copilot.index.onnx_query import _supported

    with pytest.raises(ValueError, match="not a sentence-transformers model"):
        _supported(tmp_path)
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text('[{"type": "sentence_transformers.models.Transformer"},'
                                           ' {"type": "sentence_transformers.models.Pooling"}]')
    (tmp_path / "sentence_bert_config.json").write_text('{"max_seq_length": 128}')
    (tmp_path / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    with pytest.raises(ValueError, match="only mean pooling"):
        _supported(tmp_path)
    (tmp_path / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}')
    assert _supported(tmp_path) == 128
