"""What drives a confident suggestion is cited: the employee's own history and the memo-word model,
not only the similar postings (a 95 % suggestion backed by "1 of 50 similar postings" reads as a guess)."""

import pytest

from copilot.domain import SuggestionRequest
from copilot.domain.master import Employee
from copilot.engine.engine import EMPLOYEE_CITE, TEXT_MODEL_CITE, Engine
from copilot.engine.model import build_company_model, posting_text
from copilot.engine.neighbours import ArrayNeighbours
from copilot.llm.explain import Explainer
from copilot.llm.grounding import allowances, check_grounding
from copilot.settings import Settings
from tests.support.acme import make_company, make_postings


@pytest.fixture(scope="module")
def staffed(embedder):
    """Acme's books where employee E7 files the sales team's travel and E9 the engineers'."""
    base = make_company()
    company = base.model_copy(update={"employees": {**base.employees, "E7": Employee(
        employee_id="E7", name="Pat Lee", department="SALES", location="NYC")}})
    postings = []
    for p in make_postings(1200, seed=5):
        if p.account_no == "6100" and p.dims.get("department") in ("SALES", "ENG"):
            who = "E7" if p.dims["department"] == "SALES" else "E9"
            p = p.model_copy(update={"dims": {**p.dims, "employee": who}})
        postings.append(p)
    model = build_company_model("staffed", company, postings, embedder.embed)
    texts = [posting_text(company, p) for p in postings]
    unique = list(dict.fromkeys(texts))
    return Engine(model, embedder, ArrayNeighbours(postings, texts, dict(zip(unique, embedder.embed(unique)))))


def _explained(engine, req):
    """The suggestion with the deterministic reasoning the service attaches (no LLM configured)."""
    s = engine.suggest(req)
    ex = Explainer(Settings(llm_model=None)).explain(req, s.codings, s.evidence, engine.model.company)
    codings = [c.model_copy(update={"reasoning": ex.coding_reasons[c.combination.key]}) for c in s.codings]
    return s.model_copy(update={"codings": codings})


def _check_grounded(engine, req, s):
    allowed = allowances(req, s.codings, s.evidence, engine.model.company, materiality=0, review_threshold=0.5)
    for c in s.codings:
        assert allowed.check(c.reasoning) == [], c.reasoning


def test_employee_history_is_cited_with_its_share(staffed):
    req = SuggestionRequest(entity="US", vendor="V1", memo="airfare", amount="300.00", employee="E7")
    s = _explained(staffed, req)
    [emp] = [e for e in s.evidence if e.kind == "employee_history"]
    h = staffed.model.history.entity("US").employee_combo["E7"]
    total = sum(h.values())
    top = s.codings[0]
    # Every cited share is the employee's real share, and only codings holding a real share are cited.
    for key, share in emp.data["by_combo"].items():
        assert share == pytest.approx(h[key] / total, abs=1e-4) and share >= EMPLOYEE_CITE
    assert top.combination.dims["department"] == "SALES"
    assert emp.id in top.evidence_ids
    assert "E7" in top.reasoning and "of their past lines" in top.reasoning
    _check_grounded(staffed, req, s)


def test_no_employee_evidence_without_an_employee(staffed):
    s = _explained(staffed, SuggestionRequest(entity="US", vendor="V1", memo="airfare", amount="300.00"))
    assert not [e for e in s.evidence if e.kind == "employee_history"]
    assert "of their past lines" not in s.codings[0].reasoning


def test_the_word_model_is_cited_where_it_supports_a_coding(staffed):
    req = SuggestionRequest(entity="US", vendor="V2", memo="toner", amount="35.00")
    cands, _, _ = staffed.rank(req)
    s = _explained(staffed, req)
    lex = {c.key: c.features["lex_p"] for c in cands}
    cited = {e.ref: e for e in s.evidence if e.kind == "text_model"}
    assert cited, "the word model backs the top coding of a memo it has seen hundreds of times"
    for c in s.codings:
        key = c.combination.key
        # Codings carry the request's counterparty; the cited key is the scored candidate's.
        match = [k for k in cited if key.startswith(k.split("|")[0]) and cited[k].id in c.evidence_ids]
        if match:
            [k] = match
            assert cited[k].score == pytest.approx(lex[k], abs=1e-4) and lex[k] >= TEXT_MODEL_CITE
            assert f"gives this coding {round(lex[k] * 100)}%" in c.reasoning
    assert all(lex[k] >= TEXT_MODEL_CITE for k in cited)
    _check_grounded(staffed, req, s)


def test_an_invented_share_is_not_grounded(staffed):
    req = SuggestionRequest(entity="US", vendor="V1", memo="airfare", amount="300.00", employee="E7")
    s = _explained(staffed, req)
    allowed = allowances(req, s.codings, s.evidence, staffed.model.company, materiality=0, review_threshold=0.5)
    [emp] = [e for e in s.evidence if e.kind == "employee_history"]
    real = round(max(emp.data["by_combo"].values()) * 100)
    assert allowed.check(f"E7 put {real}% of their past lines to this coding") == []
    fake = next(n for n in range(3, 97) if all(abs(n - a) > 2 for a in allowed.numbers))
    assert allowed.check(f"E7 put {fake}% of their past lines to this coding") != []
    assert check_grounding(f"{fake}% of lines", allowed_codes=set(), allowed_amounts=set(), allowed_dates=set(),
                           allowed_numbers=allowed.numbers) != []


def test_the_employee_master_is_cited_when_it_gives_the_coding_s_department(staffed):
    req = SuggestionRequest(entity="US", vendor="V1", memo="airfare", amount="300.00", employee="E7")
    s = _explained(staffed, req)
    top = s.codings[0]
    assert top.combination.dims["department"] == "SALES" and top.combination.dims["location"] == "NYC"
    assert "the employee master gives Pat Lee (E7) department SALES and location NYC" in top.reasoning
    for c in s.codings[1:]:
        dims = c.combination.dims
        said = [part for part in ("department SALES", "location NYC")
                if f"{part.split()[0]}={part.split()[1]}" in c.combination.key]
        if said:
            assert f"the employee master gives Pat Lee (E7) {' and '.join(said)}" in c.reasoning
        else:
            assert "employee master" not in c.reasoning, dims
    _check_grounded(staffed, req, s)


def test_neighbours_agreeing_on_the_account_but_split_on_a_dimension_are_counted(staffed):
    req = SuggestionRequest(entity="US", vendor="V1", memo="airfare visit conference", amount="300.00")
    s = _explained(staffed, req)
    cands, _, signals = staffed.rank(req)
    total = len(signals.neighbours)
    for c in s.codings:
        same = sum(n.combo == c.combination.key.split("|vendor=")[0] for n in signals.neighbours)
        acct = sum(n.account_no == c.combination.account_no for n in signals.neighbours)
        if same and acct > same:
            assert f"{acct} of {total} similar postings ({round(100 * acct / total)}%) used account " \
                   f"{c.combination.account_no}" in c.reasoning
    # Neighbours split between SALES and ENG on account 6100: all 50 used the account.
    assert any(f"{total} of {total} similar postings (100%) used account 6100" in c.reasoning for c in s.codings)
    _check_grounded(staffed, req, s)
