"""Ingestion: idempotent, incremental, entity-isolated, and the correction hook; policy chunking."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from copilot.domain import DimensionCombination, Posting
from copilot.domain.text import query_text
from copilot.errors import InputError
from copilot.index.edge import EdgeStore
from copilot.index.embeddings import HashingEmbedder
from copilot.engine.neighbours import ArrayNeighbours, SnapshotNeighbours, StoreNeighbours
from copilot.index.ingest import ACCOUNTS, POLICIES, POSTINGS, TEXT_POSTINGS_CAP, TEXTS, Ingestor, posting_point_id
from copilot.index.policies import chunk_markdown, chunk_policies
from copilot.index.qdrant_client_store import QdrantClientStore
from tests.support.acme import make_company, make_postings

POLICY = """# Travel and expense

All spend needs a receipt.

## TE-2 Meals
TE-2.1 Client meals are coded to 6110 Meals and Entertainment, department of the host.
TE-2.2 Team lunches are coded to 6110 with the team's department.

## TE-3 Air travel
- **TE-3.1** Airfare is coded to 6100 Travel with the traveller's department and location.
"""


class CountingHashing(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__(64)
        self.texts: list[str] = []

    def embed(self, texts):
        self.texts.extend(texts)
        return super().embed(texts)


@pytest.fixture(params=["memory", "edge"])
def store(request, tmp_path):
    s = QdrantClientStore(location=":memory:") if request.param == "memory" else EdgeStore(tmp_path / "edge")
    yield s
    s.close()


@pytest.fixture
def policies(tmp_path):
    d = tmp_path / "policies"
    d.mkdir()
    (d / "travel.md").write_text(POLICY, encoding="utf-8")
    return d


def test_first_ingest_writes_every_collection(store, policies):
    company, postings = make_company(), make_postings(300)
    emb = CountingHashing()
    report = Ingestor(store, emb, progress=False).ingest_company("acme", company, postings, policies)
    assert report.collections[POSTINGS].added == 300 and report.collections[POSTINGS].skipped == 0
    assert report.collections[ACCOUNTS].added == len(company.accounts)
    assert report.collections[POLICIES].added == len(chunk_policies(policies))
    assert store.count(POSTINGS, {"company": "acme"}) == 300
    texts = {query_text(company.vendors[p.vendor].name, p.memo) for p in postings}
    # Each distinct posting text was embedded exactly once.
    posting_texts = [t for t in emb.texts if t in texts]
    assert sorted(posting_texts) == sorted(texts) and report.unique_texts == len(texts)
    assert report.postings == 300 and report.seconds > 0 and report.postings_per_s > 0
    assert "postings" in report.summary()


def test_posting_payload(store):
    company = make_company()
    p = make_postings(5)[0]
    Ingestor(store, HashingEmbedder(64), progress=False).ingest_company("acme", company, [p])
    [hit] = store.retrieve(POSTINGS, [posting_point_id("acme", p.entity, p.record_no)])
    pl = hit.payload
    assert pl["company"] == "acme" and pl["entity"] == p.entity and pl["record_no"] == p.record_no
    assert pl["date"] == p.entry_date.isoformat() and pl["amount"] == str(p.amount)
    assert pl["combo"] == DimensionCombination(account_no=p.account_no, dims=p.dims).key
    assert pl["dims"] == p.dims and pl["vendor"] == p.vendor and pl["source"] == "history"
    assert pl["weight"] == 1.0 and pl["tr_type"] == p.tr_type and len(pl["hash"]) == 40


def test_reingest_is_idempotent_and_embeds_nothing(store, policies):
    company, postings = make_company(), make_postings(300)
    emb = CountingHashing()
    ing = Ingestor(store, emb, progress=False)
    ing.ingest_company("acme", company, postings, policies)
    emb.texts.clear()
    again = ing.ingest_company("acme", company, iter(postings), policies)  # any iterable
    assert emb.texts == []
    assert all(c.added == 0 for c in again.collections.values())
    assert again.collections[POSTINGS].skipped == 300
    assert store.count(POSTINGS) == 300


def test_incremental_reingest_rewrites_only_changed_lines(store):
    company, postings = make_company(), make_postings(200)
    ing = Ingestor(store, CountingHashing(), progress=False)
    ing.ingest_company("acme", company, postings)
    changed = postings[7].model_copy(update={"account_no": "6500"})
    new = Posting(record_no="NEW-1", entity="US", entry_date=date(2025, 6, 1), account_no="6400",
                  amount=Decimal("99.00"), memo="jira licences", dims={"vendor": "V3", "department": "ENG"})
    report = ing.ingest_company("acme", company, [*postings[:7], changed, *postings[8:], new])
    assert report.collections[POSTINGS].added == 2 and report.collections[POSTINGS].skipped == 199
    [hit] = store.retrieve(POSTINGS, [posting_point_id("acme", changed.entity, changed.record_no)])
    assert hit.payload["account_no"] == "6500"
    assert store.count(POSTINGS) == 201


def test_prune_removes_lines_the_source_no_longer_has(store):
    company, postings = make_company(), make_postings(100)
    ing = Ingestor(store, HashingEmbedder(64), progress=False)
    ing.ingest_company("acme", company, postings)
    report = ing.ingest_company("acme", company, postings[:90], prune=True)
    assert report.collections[POSTINGS].deleted == 10 and store.count(POSTINGS) == 90
    assert ing.ingest_company("acme", company, postings[:90]).collections[POSTINGS].deleted == 0


def test_entities_and_companies_are_isolated(store):
    company, postings = make_company(), make_postings(300)
    emb = HashingEmbedder(64)
    ing = Ingestor(store, emb, progress=False)
    ing.ingest_company("acme", company, postings)
    ing.ingest_company("other", company, postings[:50])
    vec = emb.embed(["Delta Air Lines | airfare client visit"])[0]
    for entity in ("US", "UK"):
        hits = ing.search_postings("acme", entity, vec, 50)
        assert hits and {h.payload["entity"] for h in hits} == {entity}
        assert {h.payload["company"] for h in hits} == {"acme"}
    narrowed = ing.search_postings("acme", "US", vec, 50, {"account_no": "6100", "entity": "UK"})
    assert narrowed and all(h.payload["entity"] == "US" and h.payload["account_no"] == "6100" for h in narrowed)
    assert store.count(POSTINGS, {"company": "other"}) == 50


def test_add_correction_is_searchable_at_once_and_never_overwrites_history(store):
    company, postings = make_company(), make_postings(50)
    emb = HashingEmbedder(64)
    ing = Ingestor(store, emb, progress=False)
    ing.ingest_company("acme", company, postings)
    base = postings[0]
    fixed = base.model_copy(update={"account_no": "6110", "memo": "client dinner with prospect"})
    pid = ing.add_correction("acme", base.entity, fixed, weight=5.0)
    assert store.count(POSTINGS) == 51  # history line kept, correction added
    vec = emb.embed([query_text(company.vendors[base.vendor].name, fixed.memo)])[0]
    top = ing.search_postings("acme", base.entity, vec, 1, {"source": "correction"})
    assert top[0].id == pid and top[0].payload["weight"] == 5.0 and top[0].payload["account_no"] == "6110"
    assert ing.add_correction(company, base.entity, fixed, weight=5.0) == pid  # idempotent
    assert store.count(POSTINGS) == 51
    with pytest.raises(InputError):
        ing.add_correction("acme", "XX", fixed, weight=5.0)


def test_policy_chunks_carry_clause_ids(policies):
    chunks = chunk_policies(policies)
    by_clause = {c.clause: c for c in chunks}
    assert {"TE-2.1", "TE-2.2", "TE-3.1"} <= set(by_clause)  # "## TE-2 Meals" has no text of its own
    assert "Client meals" in by_clause["TE-2.1"].text and "Team lunches" not in by_clause["TE-2.1"].text
    assert by_clause["TE-3.1"].heading == "TE-3 Air travel"
    assert by_clause["TE-2.2"].chunk_id == "travel.md#TE-2.2"
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_long_sections_are_split_and_keep_their_clause():
    body = " ".join(f"Sentence {i} about receipts and approvals for expenses." for i in range(200))
    chunks = chunk_markdown(f"## AP-4 Approvals\n{body}\n", "ap.md")
    assert len(chunks) > 1 and all(c.clause == "AP-4" for c in chunks)
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_policy_edits_replace_stale_chunks(store, policies):
    company = make_company()
    ing = Ingestor(store, HashingEmbedder(64), progress=False)
    ing.ingest_company("acme", company, [], policies)
    (policies / "travel.md").write_text(POLICY.replace(
        "TE-2.2 Team lunches are coded to 6110 with the team's department.\n", ""), encoding="utf-8")
    report = ing.ingest_company("acme", company, [], policies)
    assert report.collections[POLICIES].deleted == 1
    assert not store.scroll(POLICIES, {"company": "acme", "clause": "TE-2.2"})
    assert store.count(POLICIES, {"company": "acme"}) == len(chunk_policies(policies))
    vec = HashingEmbedder(64).embed(["airfare travel department location"])[0]
    assert ing.search_policies("acme", vec, 1)[0].payload["clause"] == "TE-3.1"


def test_missing_policies_dir_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="policies directory"):
        chunk_policies(tmp_path / "nope")


# -- the CLI, driven as a user would ---------------------------------------------------------------

def test_cli_ingest_then_reingest(tmp_path, monkeypatch, policies):
    import json

    import typer
    from typer.testing import CliRunner

    from copilot.errors import NotFound
    from copilot.formats.company_dir import write_company_dir
    from copilot.index import commands
    from copilot.settings import get_settings

    data = tmp_path / "data"
    write_company_dir(data / "companies" / "acme", make_company(), make_postings(120))
    monkeypatch.setenv("COPILOT_DATA_DIR", str(data))
    monkeypatch.setenv("COPILOT_EMBEDDING_BACKEND", "hashing")
    monkeypatch.setenv("COPILOT_VECTOR_BACKEND", "edge")
    get_settings.cache_clear()
    app = typer.Typer()
    commands.register(app)
    app.command("noop")(lambda: None)  # two commands, so typer keeps "ingest" as a subcommand
    try:
        args = ["ingest", "--company", "acme", "--policies", str(policies), "--no-train", "--no-progress"]
        first = CliRunner().invoke(app, args)
        assert first.exit_code == 0, first.output
        assert "120 postings" in first.output and "added 120" in first.output
        again = CliRunner().invoke(app, [*args, "--json"])
        assert again.exit_code == 0, again.output
        report = json.loads(again.stdout[again.stdout.index("{"):])
        assert report["collections"]["postings"] == {"added": 0, "skipped": 120, "deleted": 0}
        assert report["collections"]["policies"]["skipped"] == len(chunk_policies(policies))
        missing = CliRunner().invoke(app, ["ingest", "--company", "nope", "--no-train"])
        assert isinstance(missing.exception, NotFound) and "nope" in missing.exception.message
        store = EdgeStore(data / "qdrant" / "edge")
        assert store.count(POSTINGS, {"company": "acme"}) == 120
        store.close()
    finally:
        get_settings.cache_clear()


# -- the similar-text index (posting_texts) --------------------------------------------------------

def _texts_of(company, postings):
    return [query_text(company.vendors[p.vendor].name if p.vendor in company.vendors else p.vendor, p.memo)
            for p in postings]


def test_text_index_holds_each_distinct_text_once_with_its_postings_newest_first(store):
    company, postings = make_company(), make_postings(300)
    report = Ingestor(store, HashingEmbedder(64), progress=False).ingest_company("acme", company, postings)
    texts = _texts_of(company, postings)
    distinct = {(p.entity, t) for p, t in zip(postings, texts)}
    assert len(distinct) < len(postings)  # the test data repeats texts, or this proves nothing
    assert store.count(TEXTS, {"company": "acme"}) == len(distinct) == report.collections[TEXTS].added
    for hit in store.scroll(TEXTS, {"company": "acme"}):
        rows = hit.payload["postings"]
        expected = sorted((p for p, t in zip(postings, texts)
                           if p.entity == hit.payload["entity"] and t == hit.payload["text"]),
                          key=lambda p: (p.entry_date, p.record_no), reverse=True)
        assert [r["record_no"] for r in rows] == [p.record_no for p in expected][:TEXT_POSTINGS_CAP]
        assert hit.payload["n"] == len(expected)


def test_store_search_returns_what_training_sees(store):
    """StoreNeighbours (serving) and ArrayNeighbours (training) give the same neighbours."""
    company = make_company()
    # The hashing embedder ignores digits: spell invoice numbers as letters so that different texts
    # never share a vector (ties between texts may come back in either order); every other line
    # drops its number, so many postings share one text.
    postings = [p.model_copy(update={"memo": p.memo.split(" inv ")[0] if i % 2 else
                                     re.sub(r"\d", lambda m: "abcdefghij"[int(m.group())], p.memo)})
                for i, p in enumerate(make_postings(300))]
    emb = HashingEmbedder(64)
    Ingestor(store, emb, progress=False).ingest_company("acme", company, postings)
    texts = _texts_of(company, postings)
    unique = list(dict.fromkeys(texts))
    array = ArrayNeighbours(postings, texts, dict(zip(unique, emb.embed(unique))))
    served = StoreNeighbours(store, "acme")
    for query in ("Delta Air Lines | airfare client visit", "jira licences", "AWS | hosting"):
        vec = emb.embed([query])[0]
        for entity in ("US", "UK"):
            got, want = served.search(entity, vec, 20), array.search(entity, vec, 20)
            assert got and [round(n.score, 4) for n in got] == [round(n.score, 4) for n in want]
            # Texts of equal similarity may be cut differently at the k-th text; all others agree.
            last = round(got[-1].score, 4)
            assert ([(n.record_no, n.combo) for n in got if round(n.score, 4) != last]
                    == [(n.record_no, n.combo) for n in want if round(n.score, 4) != last])
            [batched] = served.search_many(entity, vec[None, :], 20)
            assert [n.record_no for n in batched] == [n.record_no for n in got]


def test_bulk_snapshot_search_returns_what_the_store_returns(store):
    """A batch import's in-memory copy of posting_texts ranks exactly as the store (both sides, k cuts)."""
    company = make_company()
    postings = [p.model_copy(update={"memo": p.memo.split(" inv ")[0] if i % 2 else
                                     re.sub(r"\d", lambda m: "abcdefghij"[int(m.group())], p.memo),
                                     "tr_type": -1 if i % 7 == 0 else 1})
                for i, p in enumerate(make_postings(300))]
    emb = HashingEmbedder(64)
    Ingestor(store, emb, progress=False).ingest_company("acme", company, postings)
    served, bulk = StoreNeighbours(store, "acme"), SnapshotNeighbours(store, "acme")
    queries = ["Delta Air Lines | airfare client visit", "jira licences", "AWS | hosting", "toner", "zzz unseen"]
    vecs = emb.embed(queries)
    for entity in ("US", "UK", "DE"):
        for side in (None, 1, -1):
            for k in (1, 5, 20):
                many = bulk.search_many(entity, vecs, k, side)
                for vec, got in zip(vecs, many):
                    want = served.search(entity, vec, k, side)
                    # Texts tied at the k-th text's similarity may be cut differently; all above agree.
                    cut = min([round(n.score, 5) for n in got + want], default=0.0)
                    assert [(n.record_no, round(n.score, 5), n.combo, n.tr_type, n.entry_date) for n in got
                            if round(n.score, 5) > cut] == \
                        [(n.record_no, round(n.score, 5), n.combo, n.tr_type, n.entry_date) for n in want
                         if round(n.score, 5) > cut]
                    assert bool(got) == bool(want)
                    one = bulk.search(entity, vec, k, side)  # alone: the same up to float rounding and ties
                    assert [(n.record_no, round(n.score, 5)) for n in one if round(n.score, 5) > cut] == \
                        [(n.record_no, round(n.score, 5)) for n in got if round(n.score, 5) > cut]
    assert bulk.search_many("DE", vecs, 5) == [[] for _ in queries]  # an entity with no history


def test_an_exported_snapshot_searches_like_the_one_it_was_written_from(store, tmp_path):
    company, postings = make_company(), make_postings(200)
    emb = HashingEmbedder(64)
    Ingestor(store, emb, progress=False).ingest_company("acme", company, postings)
    live = SnapshotNeighbours(store, "acme")
    live.export(tmp_path / "snap", ["US", "UK", "DE"])
    copy = SnapshotNeighbours.load(tmp_path / "snap")  # what a batch worker reads: no store at all
    assert copy.store is None and copy.available
    vecs = emb.embed(["Delta Air Lines | airfare client visit", "jira licences", "toner", "zzz unseen"])
    for entity in ("US", "UK", "DE", "FR"):
        for side in (None, 1, -1):
            assert copy.search_many(entity, vecs, 7, side) == live.search_many(entity, vecs, 7, side)
    assert copy.search_many("FR", vecs, 7) == [[] for _ in vecs]  # not exported: no neighbours


def test_bulk_snapshot_of_a_store_without_the_text_index_uses_the_store(store):
    company, postings = make_company(), make_postings(100)
    emb = HashingEmbedder(64)
    Ingestor(store, emb, progress=False).ingest_company("acme", company, postings)
    store.drop_collection(TEXTS)
    vec = emb.embed(["jira licences"])[0]
    got = SnapshotNeighbours(store, "acme").search("US", vec, 10)
    assert got and got == StoreNeighbours(store, "acme").search("US", vec, 10)


def test_scroll_with_vectors_returns_the_stored_vectors(store):
    company, postings = make_company(), make_postings(40)
    emb = HashingEmbedder(64)
    Ingestor(store, emb, progress=False).ingest_company("acme", company, postings)
    hits = store.scroll(TEXTS, {"company": "acme"}, with_vectors=True)
    assert hits and all(h.vector is not None and h.vector.shape == (64,) for h in hits)
    for h in hits[:5]:
        want = emb.embed([h.payload["text"]])[0]
        assert float(h.vector @ want) / float(np.linalg.norm(h.vector) * np.linalg.norm(want)) > 0.9999
    assert all(h.vector is None for h in store.scroll(TEXTS, {"company": "acme"}))


def test_correction_goes_to_the_front_of_its_text_and_prune_drops_empty_texts(store):
    company, postings = make_company(), make_postings(100)
    emb = HashingEmbedder(64)
    ing = Ingestor(store, emb, progress=False)
    ing.ingest_company("acme", company, postings)
    base = postings[0]
    fixed = base.model_copy(update={"account_no": "6110", "entry_date": date(2026, 1, 5)})
    ing.add_correction("acme", base.entity, fixed, weight=5.0)
    ing.add_correction("acme", base.entity, fixed, weight=5.0)  # the same decision again: no duplicate
    vec = emb.embed(_texts_of(company, [base]))[0]
    first = StoreNeighbours(store, "acme").search(base.entity, vec, 5)[0]
    assert first.source == "correction" and first.account_no == "6110" and first.record_no == base.record_no
    [point] = store.retrieve(TEXTS, [Ingestor.text_point_id("acme", base.entity, _texts_of(company, [base])[0])])
    assert sum(r["source"] == "correction" for r in point.payload["postings"]) == 1
    # Prune history down to the lines of one text: every other text point goes.
    keep_text = _texts_of(company, [base])[0]
    kept = [p for p, t in zip(postings, _texts_of(company, postings)) if t == keep_text and p.entity == base.entity]
    report = ing.ingest_company("acme", company, kept, prune=True)
    assert report.collections[TEXTS].deleted > 0
    left = store.scroll(TEXTS, {"company": "acme"})
    assert [(h.payload["entity"], h.payload["text"]) for h in left] == [(base.entity, keep_text)]
    assert any(r["source"] == "correction" for r in left[0].payload["postings"])  # corrections are kept


def test_a_store_without_the_text_index_is_searched_per_posting(store):
    company, postings = make_company(), make_postings(100)
    emb = HashingEmbedder(64)
    Ingestor(store, emb, progress=False).ingest_company("acme", company, postings)
    vec = emb.embed(["jira licences"])[0]
    with_texts = StoreNeighbours(store, "acme").search("US", vec, 10)
    store.drop_collection(TEXTS)
    fallback = StoreNeighbours(store, "acme")
    got = fallback.search("US", vec, 10)
    assert not fallback._use_texts() and got
    assert sorted(round(n.score, 4) for n in got) == sorted(round(n.score, 4) for n in with_texts)
