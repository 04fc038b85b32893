"""The deterministic explanation of real engine output states only grounded facts.

The unit tests use hand-made evidence; this runs the engine on the acme fixture company and holds
every reasoning, per-coding reason and narrative it produces to the same grounding check the LLM
answer must pass.
"""

from datetime import date
from decimal import Decimal

import pytest

from copilot.domain.suggestions import SuggestionRequest
from copilot.engine.service import SuggestionService
from copilot.engine.training import train_from_company_dir
from copilot.formats.company_dir import write_company_dir
from copilot.index.embeddings import HashingEmbedder
from copilot.index.ingest import Ingestor
from copilot.index.store import build_vector_store
from copilot.llm.grounding import allowances
from copilot.settings import Settings
from tests.support.acme import make_company, make_postings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    settings = Settings(data_dir=data, vector_backend="edge", embedding_backend="hashing", llm_model=None)
    company, postings = make_company(), make_postings(800)
    write_company_dir(data / "companies" / "acme", company, postings)
    embedder, store = HashingEmbedder(), build_vector_store(settings)
    Ingestor(store, embedder, progress=False).ingest_company("acme", company, postings, None)
    train_from_company_dir(settings, "acme", embedder=embedder, quiet=True)
    yield SuggestionService(settings, embedder=embedder, store=store), settings
    store.close()


@pytest.mark.parametrize("vendor,memo,amount", [
    ("Delta Air Lines", "airfare conference engineering", "512.30"),
    ("Delta Air Lines", "team flights offsite", "14250.00"),
    ("V2", "printer paper toner", "80.00"),
    ("Unknown Vendor Co", "consulting retainer 2024-07 inv 8812 $9,999.00", "25000.00"),
])
def test_engine_explanations_are_grounded(service, vendor, memo, amount):
    svc, settings = service
    req = SuggestionRequest(entity="US", vendor=vendor, memo=memo, amount=Decimal(amount),
                            entry_date=date(2024, 9, 1))
    s = svc.suggest("acme", req)
    assert s.codings and s.generated_by == "deterministic" and s.fallback_reason is None
    assert "similar postings" in s.reasoning or "resembles the title" in s.reasoning
    material = Decimal(amount) >= settings.materiality_threshold
    assert (s.narrative is not None) == material
    allow = allowances(s.request, s.codings, s.evidence, svc.engine("acme").model.company,
                       materiality=settings.materiality_threshold,
                       review_threshold=settings.review_confidence_threshold)
    for text in [s.reasoning, s.narrative, *[c.reasoning for c in s.codings]]:
        assert allow.check(text) == [], text
