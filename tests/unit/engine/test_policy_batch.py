"""Policy clauses for many lines in one batched store query: the same clauses as one query per line."""

from __future__ import annotations

import pytest

from copilot.engine.service import SuggestionService
from copilot.index.edge import EdgeStore
from copilot.index.embeddings import HashingEmbedder
from copilot.index.ingest import Ingestor
from copilot.index.qdrant_client_store import QdrantClientStore
from copilot.settings import Settings
from tests.support.acme import make_company

POLICY = """# Travel and expense

## TE-2 Meals
TE-2.1 Client meals are coded to 6110 Meals and Entertainment, department of the host.
TE-2.2 Team lunches are coded to 6110 with the team's department.

## TE-3 Air travel
TE-3.1 Airfare is coded to 6100 Travel with the traveller's department and location.
"""

TEXTS = ["client dinner meals", "airfare boston travel", "team lunch meals", "printer toner", "airfare"]


class SearchOnly:
    """A store without search_batch: the batched call falls back to one query per vector."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def search(self, *args, **kwargs):
        return self.inner.search(*args, **kwargs)


@pytest.fixture(params=["memory", "edge"])
def store(request, tmp_path):
    s = QdrantClientStore(location=":memory:") if request.param == "memory" else EdgeStore(tmp_path / "edge")
    yield s
    s.close()


def test_batched_policy_clauses_equal_one_query_each(store, tmp_path):
    embedder = HashingEmbedder(64)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "travel.md").write_text(POLICY, encoding="utf-8")
    Ingestor(store, embedder, progress=False).ingest_company("acme", make_company(), [], tmp_path / "policies")
    service = SuggestionService(Settings(data_dir=tmp_path), embedder=embedder, store=store)
    vectors = embedder.embed(TEXTS)
    one_by_one = [service._policy_evidence("acme", v, 2) for v in vectors]
    assert any(one_by_one)  # the test is not vacuous: some texts cite clauses
    assert service._policy_evidence_many("acme", vectors, 2) == one_by_one
    fallback = SuggestionService(Settings(data_dir=tmp_path), embedder=embedder, store=SearchOnly(store))
    assert fallback._policy_evidence_many("acme", vectors, 2) == one_by_one
    assert service._policy_evidence_many("other", vectors, 2) == [[] for _ in TEXTS]
