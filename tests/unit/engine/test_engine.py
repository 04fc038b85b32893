from copilot.domain import SuggestionRequest
from copilot.engine.engine import Engine
from copilot.engine.model import posting_text
from copilot.engine.neighbours import ArrayNeighbours
from copilot.errors import NotFound

import pytest


@pytest.fixture(scope="module")
def engine(model, postings, embedder, company):
    texts = [posting_text(company, p) for p in postings]
    vecs = dict(zip(dict.fromkeys(texts), embedder.embed(list(dict.fromkeys(texts)))))
    return Engine(model, embedder, ArrayNeighbours(postings, texts, vecs))


def test_memo_decides_between_codings_of_one_vendor(engine):
    s1 = engine.suggest(SuggestionRequest(entity="US", vendor="V1", memo="airfare client visit Boston", amount="420.00"))
    s2 = engine.suggest(SuggestionRequest(entity="US", vendor="Delta Air Lines", memo="airfare conference engineering", amount="420.00"))
    assert s1.codings[0].combination.dims["department"] == "SALES"
    assert s2.codings[0].combination.dims["department"] == "ENG"
    assert s2.codings[0].combination.dims["vendor"] == "V1"  # typed name resolved to the vendor id


def test_top3_are_valid_complete_and_distinct(engine, company):
    s = engine.suggest(SuggestionRequest(entity="UK", vendor="V2", memo="toner", amount="35.00"))
    assert 1 <= len(s.codings) <= 3
    keys = [c.combination.key for c in s.codings]
    assert len(set(keys)) == len(keys)
    for c in s.codings:
        acct = company.accounts[c.combination.account_no]
        assert acct.active
        assert acct.required_dimensions <= set(c.combination.dims)
        for k, v in c.combination.dims.items():
            assert company.is_valid_code(k, v, "UK"), (k, v)
    confs = [c.confidence for c in s.codings]
    assert confs == sorted(confs, reverse=True) and all(0 <= x <= 1 for x in confs)


def test_known_dims_are_kept(engine):
    s = engine.suggest(SuggestionRequest(entity="US", vendor="V1", memo="airfare client visit",
                                         known_dims={"department": "G&A"}))
    assert all(c.combination.dims["department"] == "G&A" for c in s.codings)


def test_cold_start_vendor_gets_account_title_candidates(engine):
    req = SuggestionRequest(entity="US", vendor="Brand New Co", memo="office supplies")
    cands, _, signals = engine.rank(req)
    assert signals.vendor_total == 0
    by_account = {c.combo.account_no: c for c in cands}
    assert "account_match" in by_account["6500"].sources
    assert by_account["6500"].features["acct_sim"] > 0.5
    s = engine.suggest(req)
    assert s.codings, "a never-seen vendor still gets a coding"
    assert "vendor" not in s.codings[0].combination.dims  # an unknown vendor is never written as a code


def test_unknown_entity_is_a_clear_error(engine):
    with pytest.raises(NotFound):
        engine.suggest(SuggestionRequest(entity="FR", vendor="V1", memo="x"))


def test_scorer_was_trained_and_calibrated(model):
    assert model.scorer.calibrated
    assert model.scorer.report["candidate_recall"] > 0.9
