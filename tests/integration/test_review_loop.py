"""The whole loop with the real engine: suggest -> review -> learn -> audit -> search, through the API.

A preparer asks for a suggestion and submits it; an approver corrects it; the next request for the
same vendor and memo returns the corrected coding first; the audit trail verifies; an auditor finds
the decision by meaning. On SQLite and PostgreSQL (one engine is trained once for both runs, so each
run corrects a different vendor and memo).
"""

from __future__ import annotations

import pytest

from copilot.engine.learning import build_learner
from copilot.engine.service import SuggestionService
from copilot.engine.training import train_from_company_dir
from copilot.formats.company_dir import write_company_dir
from copilot.index.embeddings import HashingEmbedder
from copilot.index.qdrant_client_store import QdrantClientStore
from copilot.settings import Settings
from copilot.validate.coding import master_data_check
from tests.review_support import backend, db_settings, open_api  # noqa: F401
from tests.support.acme import DEPTS, make_company, make_postings

pytestmark = pytest.mark.slow

CASES = {"sqlite": ("V1", "airfare client visit"), "postgres": ("V2", "printer paper toner")}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from copilot.index.ingest import Ingestor

    data = tmp_path_factory.mktemp("engine")
    settings = Settings(data_dir=data, vector_backend="memory", embedding_backend="hashing", default_company="acme")
    company, postings = make_company(), make_postings(600)
    write_company_dir(data / "companies" / "acme", company, postings)
    embedder, store = HashingEmbedder(), QdrantClientStore(location=":memory:")
    Ingestor(store, embedder, progress=False).ingest_company("acme", company, postings, None)
    train_from_company_dir(settings, "acme", embedder=embedder, quiet=True)
    service = SuggestionService(settings, embedder=embedder, store=store)
    yield settings, service
    store.close()


def test_suggest_review_learn_audit_search(engine, backend, tmp_path):
    engine_settings, service = engine
    vendor, memo = CASES[backend]
    settings = db_settings(backend, tmp_path, embedding_backend="hashing", vector_backend="memory")
    # The engine's company lives in the engine's data dir: edits are checked against its master data.
    with open_api(settings, on_learn=build_learner(engine_settings, service=service),
                  coding_check=master_data_check(engine_settings), app_state={"suggestions": service}) as api:
        ask = {"company": "acme", "entity": "US",
               "line": {"vendor": vendor, "memo": memo, "amount": "240.00", "date": "2024-11-04"}}

        # 1. The preparer asks for a suggestion and submits it for review.
        r = api.as_("preparer_us").post("/v1/suggestions", json=ask)
        assert r.status_code == 200, r.text
        suggestion = r.json()["suggestions"][0]
        before = suggestion["codings"][0]["combination"]
        item = api.as_("preparer_us").post("/v1/reviews", params={"company": "acme"}, json=suggestion).json()
        assert item["status"] == "pending" and item["company"] == "acme"

        # 2. The approver corrects the department.
        corrected = {**before, "dims": {**before["dims"],
                                        "department": next(d for d in DEPTS if d != before["dims"]["department"])}}
        r = api.as_("approver_us").post(f"/v1/reviews/{item['id']}/edit",
                                        json={"final": corrected, "reason": "cost centre moved this quarter"})
        assert r.status_code == 200, r.text
        assert r.json()["changed"] == ["department"]

        # 3. The engine learned it at once: the same vendor and memo now get the corrected coding first.
        again = api.as_("preparer_us").post("/v1/suggestions", json=ask).json()["suggestions"][0]
        top = again["codings"][0]
        assert top["combination"]["dims"]["department"] == corrected["dims"]["department"]
        assert top["combination"]["account_no"] == corrected["account_no"]
        assert api.context.reviews.hook_failures == 0

        # 4. The audit trail records the request, the top-3, the decision and its diff, and verifies.
        records = api.as_("auditor_us").get("/v1/audit", params={"review_id": item["id"]}).json()["records"]
        assert [r["action"] for r in records] == ["submit", "edit"]
        assert records[1]["diff"] == {"department": {"from": before["dims"]["department"],
                                                     "to": corrected["dims"]["department"]}}
        assert records[1]["suggested"][0]["confidence"] == suggestion["codings"][0]["confidence"]
        assert records[1]["prompt_hash"] == suggestion["prompt_hash"]
        assert api.as_("auditor_us").get("/v1/audit/verify").json()["ok"]

        # 5. The auditor finds it by meaning, with citations.
        hits = api.as_("auditor_us").get("/v1/audit/search", params={"q": "cost centre moved"}).json()["hits"]
        assert hits[0]["review_id"] == item["id"] and hits[0]["audit_seq"] == records[1]["seq"]
        assert hits[0]["audit_hash"] == records[1]["hash"]
