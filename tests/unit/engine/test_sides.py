"""A bill's memo is on both of its lines (expense debit, payable credit): the side decides the coding."""

import pytest

from copilot.domain import SuggestionRequest
from copilot.domain.master import Account
from copilot.engine.engine import Engine
from copilot.engine.model import build_company_model, posting_text
from copilot.engine.neighbours import ArrayNeighbours
from tests.support.acme import make_company, make_postings


@pytest.fixture(scope="module")
def bills(embedder):
    base = make_company()
    company = base.model_copy(update={"accounts": {**base.accounts, "2000": Account(
        account_no="2000", title="Accounts Payable", account_type="balancesheet")}})
    postings = []
    for p in make_postings(1200, seed=3):
        postings.append(p)
        postings.append(p.model_copy(update={"record_no": p.record_no + "-AP", "account_no": "2000",
                                             "tr_type": -1, "dims": {"vendor": p.dims["vendor"]}}))
    model = build_company_model("bills", company, postings, embedder.embed)
    texts = [posting_text(company, p) for p in postings]
    unique = list(dict.fromkeys(texts))
    return Engine(model, embedder, ArrayNeighbours(postings, texts, dict(zip(unique, embedder.embed(unique)))))


@pytest.mark.parametrize("memo", ["airfare client visit", "jira confluence licences", "toner"])
def test_a_debit_is_coded_to_an_expense_and_a_credit_to_the_payable(bills, memo):
    debit = bills.suggest(SuggestionRequest(entity="US", vendor="V1" if "air" in memo else None, memo=memo,
                                            amount="300.00", tr_type=1))
    credit = bills.suggest(SuggestionRequest(entity="US", vendor="V1" if "air" in memo else None, memo=memo,
                                             amount="300.00", tr_type=-1))
    assert debit.codings[0].combination.account_no != "2000"
    assert credit.codings[0].combination.account_no == "2000"
    # Every similar posting cited for the debit is a debit.
    assert all(e.data.get("combo", "").split("|")[0] != "2000" for e in debit.evidence if e.kind == "posting")


def test_vendor_history_is_counted_on_the_line_s_side(bills):
    from copilot.domain.text import vendor_key

    h, v = bills.model.history.entity("US"), vendor_key("V1")
    debit = bills.suggest(SuggestionRequest(entity="US", vendor="V1", memo="airfare", amount="300.00", tr_type=1))
    [vendor] = [e for e in debit.evidence if e.kind == "vendor_history"]
    # Half of V1's lines are its payables (credits): a debit line cites only its debits.
    assert vendor.data["total"] == h.side_n[(v, 1)] == h.vendor_n[v] - h.side_n[(v, -1)] > 0
    assert h.side_n[(v, -1)] > 0 and not any(k.startswith("2000") for k in vendor.data["by_combo"])
