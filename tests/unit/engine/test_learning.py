import copy
from datetime import date, datetime, timezone
from decimal import Decimal

from copilot.domain import DimensionCombination, SuggestionRequest
from copilot.engine.engine import Engine
from copilot.engine.learning import build_learner, correction_posting
from copilot.engine.model import posting_text
from copilot.engine.neighbours import ArrayNeighbours


class _Learned:
    """The fields copilot.review.models.LearnedCoding carries."""

    def __init__(self, request, final):
        self.review_id, self.action, self.entity, self.company = 41, "edit", request.entity, None
        self.request, self.final = request, final
        self.decided_by, self.decided_at, self.audit_seq = "ann", datetime(2025, 8, 1, tzinfo=timezone.utc), 7


class _Service:
    def __init__(self, engine):
        self.engine_ = engine

    def learn(self, company, posting):
        self.engine_.model.history.add(posting)


def test_a_correction_is_first_next_time_for_the_same_vendor_and_memo(model, postings, embedder, company):
    model = copy.deepcopy(model)
    texts = [posting_text(company, p) for p in postings]
    u = list(dict.fromkeys(texts))
    engine = Engine(model, embedder, ArrayNeighbours(postings, texts, dict(zip(u, embedder.embed(u)))))
    req = SuggestionRequest(entity="US", vendor="V1", memo="airfare client visit", amount=Decimal("300.00"),
                            entry_date=date(2025, 8, 1))
    before = engine.suggest(req).codings[0].combination
    assert before.dims["department"] == "SALES"
    final = DimensionCombination(account_no="6100", dims={"department": "G&A", "location": "NYC", "vendor": "V1"})

    learn = build_learner(settings=type("S", (), {"default_company": "acme"})(), service=_Service(engine))
    learn(_Learned(req, final))

    after = engine.suggest(req).codings[0]
    assert after.combination.dims["department"] == "G&A"
    # ...only for that vendor and memo: another memo of the same vendor keeps its own coding.
    other = engine.suggest(req.model_copy(update={"memo": "airfare conference engineering"})).codings[0]
    assert other.combination.dims["department"] == "ENG"


def test_correction_posting_keeps_the_human_decision():
    req = SuggestionRequest(entity="UK", vendor="V9", memo="m", amount=Decimal("-12.50"), tr_type=-1)
    p = correction_posting(_Learned(req, DimensionCombination(account_no="6500", dims={"department": "ENG"})))
    assert p.source == "correction" and p.account_no == "6500" and p.dims == {"department": "ENG", "vendor": "V9"}
    assert p.amount == Decimal("12.50") and p.tr_type == -1 and p.record_no == "review-41"


def _signals(combos, corrections):
    from collections import Counter
    from datetime import date

    from copilot.engine.candidates import Signals
    from copilot.engine.neighbours import Neighbour

    hits = [Neighbour(record_no=str(i), score=1.0, combo=c, account_no=c.split("|")[0], vendor="V1",
                      entry_date=date(2024, 1, 1), amount="10", memo="m") for i, c in enumerate(combos)]
    return Signals(neighbours=hits, vendor_shares={}, vendor_total=0.0, lexical=[], account_sims=[],
                   corrections=Counter(corrections), vendor_id="V1")


def test_a_correction_decides_only_when_reviewers_agree_and_the_text_is_not_split():
    from copilot.engine.engine import correction_decides

    assert correction_decides(_signals(["6100"] * 9 + ["6200"], {"6200": 1}))      # policy change
    assert correction_decides(_signals([], {"6200": 2}))                            # a new text
    assert not correction_decides(_signals(["6100", "6200"] * 5, {"6200": 1}))      # a split bill
    assert not correction_decides(_signals(["6100"] * 10, {"6100": 1, "6200": 1}))  # reviewers disagree
    assert not correction_decides(_signals(["6100"] * 10, {}))


def test_batch_workers_load_the_models_own_file_until_it_learns_something(model, tmp_path):
    from copilot.batch.parallel import _model_file
    from copilot.engine.learning import fold_correction
    from copilot.engine.model import CompanyModel

    model.save(tmp_path / "model.pkl")
    loaded = CompanyModel.load(tmp_path / "model.pkl")
    assert _model_file(loaded, tmp_path / "work") == tmp_path / "model.pkl"
    posting = correction_posting(_Learned(
        SuggestionRequest(entity="US", vendor="V1", memo="airfare client visit", amount=Decimal("300.00"),
                          entry_date=date(2025, 8, 1)),
        DimensionCombination(account_no="6100", dims={"department": "G&A", "location": "NYC"})))
    fold_correction(loaded, posting)
    (tmp_path / "work").mkdir()
    copy_file = _model_file(loaded, tmp_path / "work")  # what this process holds now, not the stale file
    assert copy_file == tmp_path / "work" / "model.pkl"
    again = CompanyModel.load(copy_file)
    assert again.history.correction_for("US", "V1", "airfare client visit", 1) == \
        loaded.history.correction_for("US", "V1", "airfare client visit", 1) != {}
