"""The VectorStore contract, run against every embedded backend (edge, local path, memory)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid

import numpy as np
import pytest

from copilot.errors import ConfigurationError, InputError
from copilot.index.edge import EdgeStore
from copilot.index.qdrant_client_store import QdrantClientStore
from copilot.index.store import Hit, Point, VectorStore, build_vector_store, matches
from copilot.settings import Settings

DIM = 8


def pid(n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_OID, str(n)))


def unit(*xs: float) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[: len(xs)] = xs
    return v / np.linalg.norm(v)


def make(kind: str, tmp_path) -> VectorStore:
    if kind == "edge":
        return EdgeStore(tmp_path / "edge")
    if kind == "local":
        return QdrantClientStore(path=tmp_path / "local")
    return QdrantClientStore(location=":memory:")


@pytest.fixture(params=["edge", "local", "memory"])
def kind(request):
    return request.param


@pytest.fixture
def store(kind, tmp_path):
    s = make(kind, tmp_path)
    s.ensure_collection("postings", DIM)
    yield s
    s.close()


def sample_points() -> list[Point]:
    rows = [
        # n, vector, company, entity, account, vendor, department
        (1, unit(1, 0), "acme", "US01", "6000", "V1", "SALES"),
        (2, unit(1, 0.1), "acme", "US01", "6100", "V2", "OPS"),
        (3, unit(1, 0.2), "acme", "UK01", "6000", "V1", "SALES"),
        (4, unit(0, 1), "acme", "US01", "7000", "V3", "OPS"),
        (5, unit(1, 0), "globex", "US01", "6000", "V1", "SALES"),
    ]
    return [Point(pid(n), v, {"company": c, "entity": e, "account_no": a, "vendor": vd, "n": n,
                              "dims": {"department": d}, "source": "history"})
            for n, v, c, e, a, vd, d in rows]


def ns(hits: list[Hit]) -> list[int]:
    return [h.payload["n"] for h in hits]


def test_search_orders_by_cosine_and_filters_by_company_and_entity(store):
    store.upsert("postings", sample_points())
    hits = store.search("postings", unit(1, 0), limit=10, filters={"company": "acme", "entity": "US01"})
    assert ns(hits) == [1, 2, 4]  # UK01 and globex never appear
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert hits[0].score > hits[1].score > hits[2].score
    assert isinstance(hits[0].id, str) and hits[0].id == pid(1)


def test_entity_isolation_holds_even_for_an_identical_vector(store):
    store.upsert("postings", sample_points())
    hits = store.search("postings", unit(1, 0.2), limit=1, filters={"company": "acme", "entity": "US01"})
    assert ns(hits) != [3]  # point 3 is the exact match but lives in UK01
    hits = store.search("postings", unit(1, 0), limit=5, filters={"company": "globex", "entity": "US01"})
    assert ns(hits) == [5]


def test_list_filter_is_any_of_and_nested_keys_work(store):
    store.upsert("postings", sample_points())
    hits = store.search("postings", unit(1, 0), limit=10,
                        filters={"company": "acme", "account_no": ["6000", "7000"]})
    assert sorted(ns(hits)) == [1, 3, 4]
    assert store.count("postings", {"dims.department": "OPS"}) == 2
    assert store.count("postings", {"entity": []}) == 0


def test_filters_agree_with_reference_semantics(store):
    points = sample_points()
    store.upsert("postings", points)
    for flt in ({"company": "acme"}, {"vendor": "V1", "entity": "US01"}, {"account_no": ["6100", "7000"]},
                {"company": "acme", "dims.department": ["SALES"]}, {"n": 3}):
        want = sorted(p.payload["n"] for p in points if matches(p.payload, flt))
        assert sorted(ns(store.search("postings", unit(1, 1), limit=10, filters=flt))) == want, flt
        assert store.count("postings", flt) == len(want), flt


def test_upsert_is_idempotent_and_replaces_payload(store):
    points = sample_points()
    store.upsert("postings", points)
    store.upsert("postings", points)
    assert store.count("postings") == 5
    changed = Point(points[0].id, points[0].vector, {**points[0].payload, "account_no": "6999"})
    store.upsert("postings", [changed])
    assert store.count("postings") == 5
    assert store.retrieve("postings", [points[0].id])[0].payload["account_no"] == "6999"


def test_retrieve_scroll_with_fields_and_unknown_ids(store):
    store.upsert("postings", sample_points())
    got = store.retrieve("postings", [pid(1), pid(4), pid(99)])
    assert sorted(ns(got)) == [1, 4]
    slim = store.retrieve("postings", [pid(1)], fields=["n"])
    assert slim[0].payload == {"n": 1}
    assert sorted(ns(store.scroll("postings", {"company": "acme", "entity": "US01"}))) == [1, 2, 4]
    assert len(store.scroll("postings", limit=2)) == 2


def test_delete_by_filter_and_count(store):
    store.upsert("postings", sample_points())
    store.delete("postings", {"company": "acme", "entity": "UK01"})
    assert store.count("postings") == 4
    assert store.count("postings", {"company": "acme"}) == 3
    with pytest.raises(InputError):
        store.delete("postings", {})


def test_missing_collection_is_empty_not_an_error(store):
    assert store.count("nothing") == 0
    assert store.search("nothing", unit(1), limit=3) == []
    assert store.retrieve("nothing", [pid(1)]) == []
    assert not store.has_collection("nothing") and store.has_collection("postings")


def test_dimension_mismatch_and_bad_input_are_clear_errors(store):
    with pytest.raises(ConfigurationError, match="dimension"):
        store.ensure_collection("postings", DIM + 1)
    with pytest.raises(InputError, match="dimension"):
        store.upsert("postings", [Point(pid(1), [1.0, 0.0], {})])
    with pytest.raises(InputError, match="UUID"):
        store.upsert("postings", [Point("GL-1", unit(1), {})])
    with pytest.raises(InputError, match="filter"):
        store.search("postings", unit(1), limit=1, filters={"company": {"a": 1}})


def test_drop_collection(store):
    store.upsert("postings", sample_points())
    store.drop_collection("postings")
    assert not store.has_collection("postings") and store.count("postings") == 0


@pytest.mark.parametrize("kind", ["edge", "local"])
def test_persists_and_reopens(kind, tmp_path):
    s = make(kind, tmp_path)
    s.ensure_collection("postings", DIM)
    s.upsert("postings", sample_points())
    s.close()
    again = make(kind, tmp_path)
    assert again.count("postings", {"company": "acme"}) == 4
    assert ns(again.search("postings", unit(1, 0), limit=1, filters={"company": "globex"})) == [5]
    again.ensure_collection("postings", DIM)  # reopening an existing collection is fine
    again.close()


def test_edge_store_reopens_in_another_process(tmp_path):
    s = EdgeStore(tmp_path / "edge")
    s.ensure_collection("postings", DIM)
    s.upsert("postings", sample_points())
    s.close()
    code = textwrap.dedent(f"""
        from copilot.index.edge import EdgeStore
        s = EdgeStore({str(tmp_path / 'edge')!r})
        print(s.count("postings", {{"company": "acme"}}))
        s.upsert("postings", [])
        s.close()
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "4"


def test_edge_store_is_one_process_at_a_time_with_a_clear_message(tmp_path):
    s = EdgeStore(tmp_path / "edge")
    s.ensure_collection("postings", DIM)
    code = textwrap.dedent(f"""
        import sys
        from copilot.errors import ConfigurationError
        from copilot.index.edge import EdgeStore
        try:
            EdgeStore({str(tmp_path / 'edge')!r}).count("postings")
        except ConfigurationError as exc:
            print(exc.message); sys.exit(3)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    s.close()
    assert out.returncode == 3, out.stderr
    assert "another process" in out.stdout


def test_edge_stores_in_one_process_share_the_shard(tmp_path):
    a, b = EdgeStore(tmp_path / "edge"), EdgeStore(tmp_path / "edge")
    a.ensure_collection("postings", DIM)
    a.upsert("postings", sample_points())
    assert b.count("postings") == 5  # b sees a's writes immediately
    a.close()
    assert b.count("postings") == 5  # closing a does not close b's shard
    b.close()


def test_edge_concurrent_reads_and_writes(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    s = EdgeStore(tmp_path / "edge")
    s.ensure_collection("postings", DIM)
    rng = np.random.default_rng(0)

    def write(chunk: int) -> None:
        s.upsert("postings", [Point(pid(chunk * 100 + i), rng.normal(size=DIM).astype(np.float32) + 0.01,
                                    {"company": "acme", "entity": "US01"}) for i in range(100)])

    def read(_: int) -> int:
        return len(s.search("postings", unit(1, 1), limit=5, filters={"company": "acme"}))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(10)))
        results = list(pool.map(read, range(20)))
    assert s.count("postings") == 1000 and all(r == 5 for r in results)
    s.close()


def test_factory_follows_settings(tmp_path):
    edge = build_vector_store(Settings(data_dir=tmp_path))
    assert isinstance(edge, EdgeStore) and edge.root == tmp_path / "qdrant" / "edge"
    edge.close()
    mem = build_vector_store(Settings(data_dir=tmp_path, vector_backend="memory"))
    assert isinstance(mem, QdrantClientStore) and mem.mode == "memory"
    mem.close()
    with pytest.raises(ConfigurationError, match="qdrant_url"):
        build_vector_store(Settings(data_dir=tmp_path, vector_backend="server"))
