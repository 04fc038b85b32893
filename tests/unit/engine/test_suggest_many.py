"""Engine.suggest_many gives exactly suggest()'s answers, with less work per line."""

from decimal import Decimal

import pytest

from copilot.domain import SuggestionRequest
from copilot.engine.engine import Engine
from copilot.engine.model import posting_text
from copilot.engine.neighbours import ArrayNeighbours
from copilot.errors import NotFound
from copilot.llm.explain import Explainer
from copilot.settings import Settings


class CountingEmbedder:
    def __init__(self, inner):
        self.inner, self.calls, self.texts = inner, 0, 0
        self.dim = inner.dim

    def embed(self, texts):
        self.calls += 1
        self.texts += len(texts)
        return self.inner.embed(texts)


class CountingNeighbours:
    def __init__(self, inner):
        self.inner, self.searches, self.batches = inner, 0, 0

    def search(self, entity, vector, k, side=None):
        self.searches += 1
        return self.inner.search(entity, vector, k, side)

    def search_many(self, entity, vectors, k, side=None):
        self.batches += 1
        return [self.inner.search(entity, v, k, side) for v in vectors]


@pytest.fixture(scope="module")
def parts(model, postings, embedder, company, tmp_path_factory):
    texts = [posting_text(company, p) for p in postings]
    unique = list(dict.fromkeys(texts))
    neighbours = ArrayNeighbours(postings, texts, dict(zip(unique, embedder.embed(unique))))
    explainer = Explainer(Settings(data_dir=tmp_path_factory.mktemp("d")))
    return neighbours, explainer


def _engine(model, embedder, parts):
    neighbours, explainer = parts
    return Engine(model, CountingEmbedder(embedder), CountingNeighbours(neighbours), explainer=explainer)


REQUESTS = [
    SuggestionRequest(entity="US", vendor="V1", memo="airfare client visit Boston", amount=Decimal("420.00")),
    SuggestionRequest(entity="US", vendor="Delta Air Lines", memo="airfare conference engineering", amount=Decimal("95.00")),
    SuggestionRequest(entity="UK", vendor="V2", memo="printer paper toner", amount=Decimal("35.00")),
    SuggestionRequest(entity="US", vendor="V1", memo="airfare client visit Boston", amount=Decimal("420.00")),  # = line 0
    SuggestionRequest(entity="US", vendor="V1", memo="airfare client visit Boston", amount=Decimal("9000.00")),  # amount only
    SuggestionRequest(entity="US", vendor="V4", memo="client lunch", known_dims={"department": "G&A"}),
    SuggestionRequest(entity="US", vendor="Brand New Co", memo="office supplies"),
    SuggestionRequest(entity="US", vendor="V1", memo="airfare client visit Boston"),  # same shape, no amount
    SuggestionRequest(entity="US", vendor="V1", memo="airfare client visit Boston", amount=Decimal("3.10"),
                      document="INV-9", entry_date="2024-05-01"),  # date and document play no part in ranking
    # Same text as line 0, other typed dimensions (in either order): completion differs per line.
    SuggestionRequest(entity="US", vendor="V1", memo="airfare client visit Boston",
                      known_dims={"location": "NYC", "department": "ENG"}),
    SuggestionRequest(entity="US", vendor="V1", memo="airfare client visit Boston",
                      known_dims={"department": "ENG", "location": "NYC"}),
    SuggestionRequest(entity="US", vendor=None, memo="airfare client visit Boston", known_dims={"department": "ENG"}),
]


def _comparable(s):
    return s.model_dump(exclude={"latency_ms"})


def test_same_answers_as_one_at_a_time(model, embedder, parts):
    single = _engine(model, embedder, parts)
    expected = [single.suggest(r) for r in REQUESTS]
    many = _engine(model, embedder, parts)
    got = many.suggest_many(REQUESTS)
    assert [_comparable(s) for s in got] == [_comparable(s) for s in expected]
    # distinct texts embedded in one call; one batched neighbour query per entity (US, UK)
    assert many.embedder.calls == 1 and many.embedder.texts == 6
    assert many.neighbours.batches == 2 and many.neighbours.searches == 0
    assert got[0] is not got[3] and got[0].codings[0] is not got[3].codings[0]  # own objects


def test_errors_in_place_or_raised(model, embedder, parts):
    engine = _engine(model, embedder, parts)
    reqs = [REQUESTS[0], SuggestionRequest(entity="ZZ", memo="x"), REQUESTS[2]]
    got = engine.suggest_many(reqs, return_errors=True)
    assert got[0].codings and got[2].codings
    assert isinstance(got[1], NotFound) and "ZZ" in got[1].message
    with pytest.raises(NotFound):
        engine.suggest_many(reqs)


def test_empty(model, embedder, parts):
    assert _engine(model, embedder, parts).suggest_many([]) == []


def test_policy_clauses_are_fetched_in_one_batch_with_the_same_answers(model, embedder, parts):
    from copilot.domain import Evidence

    def clauses(company, vector, limit):  # a deterministic stand-in for the policy index
        score = round(float(abs(vector[:8]).sum()), 4)
        return [Evidence(kind="policy", ref=f"TE-{i}", text=f"Travel clause {i}: 6100 Travel", score=score)
                for i in range(limit)]

    batches = []

    def clauses_many(company, vectors, limit):
        batches.append(len(vectors))
        return [clauses(company, v, limit) for v in vectors]

    neighbours, explainer = parts
    single = Engine(model, embedder, neighbours, explainer=explainer, policies=clauses)
    many = Engine(model, embedder, neighbours, explainer=explainer, policies=clauses, policies_many=clauses_many)
    expected = [single.suggest(r) for r in REQUESTS]
    got = many.suggest_many(REQUESTS)
    assert [_comparable(s) for s in got] == [_comparable(s) for s in expected]
    assert any(e.kind == "policy" for s in got for e in s.evidence)
    assert batches == [6]  # one call for the six distinct texts


def test_given_vectors_and_policy_clauses_are_used_instead_of_embedding_and_searching(model, embedder, parts):
    from copilot.domain import Evidence

    engine = _engine(model, embedder, parts)
    expected = engine.suggest_many(REQUESTS)
    texts = list(dict.fromkeys(engine.text_for(r) for r in REQUESTS))
    vectors = dict(zip(texts, embedder.embed(texts)))
    clause = [Evidence(kind="policy", ref="TE-1", text="Travel clause: 6100 Travel", score=0.9)]
    worker = _engine(model, embedder, parts)  # what a batch worker holds: no use for its embedder
    got = worker.suggest_many(REQUESTS, vectors=vectors, policies={t: clause for t in texts})
    assert worker.embedder.calls == 0
    assert all(s.evidence[-1].ref == "TE-1" for s in got if s.codings)
    plain = worker.suggest_many(REQUESTS, vectors=vectors, policies={t: [] for t in texts})
    assert [_comparable(s) for s in plain] == [_comparable(s) for s in expected]


def test_explained_later_the_same_text_and_for_one_coding_its_reason_alone(model, embedder, parts):
    engine = _engine(model, embedder, parts)
    reqs = REQUESTS + [SuggestionRequest(entity="US", vendor="V1", memo="airfare client visit Boston",
                                         amount=Decimal("25000.00"))]  # material: a narrative
    full = engine.suggest_many(reqs)
    assert full[-1].narrative and "narrative" in full[-1].prompt_version
    bare = engine.suggest_many(reqs, explain=False)
    assert all(not c.reasoning for s in bare for c in s.codings) and not any(s.prompt_version for s in bare)
    later = [engine.explain(s) for s in engine.suggest_many(reqs, explain=False)]
    assert [_comparable(s) for s in later] == [_comparable(s) for s in full]
    for f, s in zip(full, bare):
        if not f.codings:
            continue
        top = s.codings[0].combination.key
        one = engine.explain(s, {top})
        # The row of an automatically coded line shows this reason: it is the full explanation's own.
        assert one.codings[0].reasoning == f.codings[0].reasoning != ""
        assert all(not c.reasoning for c in one.codings[1:])
        assert (one.prompt_version, one.prompt_hash, one.generated_by) == \
            (f.prompt_version, f.prompt_hash, f.generated_by)
        assert one.reasoning == "" and one.narrative is None  # not written for nobody
