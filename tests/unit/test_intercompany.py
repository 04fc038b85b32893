"""Intercompany: accounts from the chart, rates, pairing, every mismatch reason, eliminations to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from copilot.allocation.books import Period
from copilot.errors import ParseError
from copilot.intercompany.accounts import classify, counterparty_of
from copilot.intercompany.config import AccountRules, IntercompanyRules, load_rules
from copilot.intercompany.fx import MissingRate, RateTable, read_rates
from copilot.intercompany.service import attach_payloads, reconcile
from copilot.domain import Account, Posting
from tests.support.group import RATES, Ledger, books_of, make_group, write_rates

D = Decimal
MAR = Period(2025, 3)


def rates(drop: tuple[str, str] | None = None) -> RateTable:
    table = {(c, Period(int(m[:4]), int(m[5:]))): r for (c, m), r in RATES.items() if (c, m) != drop}
    return RateTable("USD", table, source="test rates")


def run(ledger: Ledger, period: Period = MAR, rules: IntercompanyRules | None = None, table: RateTable | None = None,
        company=None):
    company = company or make_group()
    rec = reconcile(books_of(company, ledger), period, rules or IntercompanyRules(), table or rates())
    attach_payloads(rec)
    return rec


def by_ref(rec):
    return {f.a.reference: f for f in rec.findings if f.a.reference}


# --- accounts --------------------------------------------------------------------------------------

def test_intercompany_accounts_come_from_titles_and_categories_not_numbers():
    company = make_group()
    found = classify(company, AccountRules())
    assert set(found) == {"1310", "1320", "1330", "2310", "2320", "2330"}
    assert found["1320"].side == "receivable" and found["1320"].counterparty == "GB1"
    assert found["2330"].side == "payable" and found["2330"].counterparty == "EU1"
    assert "2060" not in found  # "Amounts due to employees" names no entity: not intercompany
    assert "4300" not in found  # income statement: eliminated with its entry, not paired


def test_entity_names_explicit_accounts_and_counterparty_dimensions():
    company = make_group()
    company.accounts["1390"] = Account(account_no="1390", title="Receivable from Group Ltd", account_type="balancesheet")
    company.accounts["1400"] = Account(account_no="1400", title="Loan to subsidiary", account_type="balancesheet")
    company.accounts["1410"] = Account(account_no="1410", title="Group balances", account_type="balancesheet",
                                       category="Intercompany")
    rules = AccountRules(receivable_titles=["receivable from"],
                         explicit=[{"account": "1400", "side": "receivable", "counterparty": "EU1"}])
    found = classify(company, rules)
    assert found["1390"].counterparty == "GB1"
    assert found["1400"].counterparty == "EU1"
    assert found["1410"].side == "receivable" and found["1410"].counterparty is None
    line = Posting(record_no="1", entity="US1", entry_date=date(2025, 3, 1), account_no="1410", amount=D("1"),
                   dims={"affiliate": "GB1"})
    assert counterparty_of(line, found["1410"], company, rules) == "GB1"
    assert "1310" not in classify(company, AccountRules(exclude=["1310"]))


# --- rates -------------------------------------------------------------------------------------------

def test_rate_table_reads_the_demo_shape_and_refuses_a_missing_month(tmp_path):
    table = read_rates(write_rates(tmp_path / "fx.csv"), "USD")
    assert table.rate("GBP", date(2025, 3, 17)) == D("1.2000")
    assert table.rate("usd", date(1999, 1, 1)) == 1
    assert table.to_base(D("1000.00"), "EUR", date(2025, 3, 1)) == D("1080.00")
    with pytest.raises(MissingRate, match="no GBP->USD rate for 2025-05 in fx.csv"):
        table.rate("GBP", date(2025, 5, 1))


@pytest.mark.parametrize("text,match", [
    ("month,currency,usd_per_unit\n2025-13-01,GBP,1.2\n", "line 2.*month must be"),
    ("month,currency,usd_per_unit\n2025-03-01,GBP,-1\n", "line 2.*positive"),
    ("month,currency,usd_per_unit\n2025-03-01,GBP,abc\n", "line 2.*positive"),
    ("month,currency,usd_per_unit\n2025-03-01,,1.2\n", "line 2.*currency is missing"),
    ("month,currency,usd_per_unit\n2025-03-01,GBP,1.2\n2025-03-15,GBP,1.3\n", "line 3.*two different GBP"),
    ("when,ccy,x\n2025-03,GBP,1\n", "needs columns"),
    ("month,currency,eur_per_unit\n2025-03,GBP,1\n", "EUR per unit but the base currency is USD"),
])
def test_a_bad_rate_table_names_line_and_field(tmp_path, text, match):
    path = tmp_path / "fx.csv"
    path.write_text(text)
    with pytest.raises(ParseError, match=match):
        read_rates(path, "USD")


# --- pairing and reasons ----------------------------------------------------------------------------------

def march_ledger() -> Ledger:
    led = Ledger()
    d = date(2025, 3, 31)
    led.charge("US1", "GB1", d, "1200.00", "1000.00", doc="IC-1")  # 1000 GBP x 1.20 = 1200: matched
    led.charge("US1", "EU1", d, "10800.00", "10200.00", doc="IC-2")  # EUR at a spot rate: 216 USD off
    led.charge("GB1", "US1", d, "500.00", "900.00", doc="IC-3")  # GBP 500 = USD 600 booked as 900
    led.charge("US1", "GB1", d, "3600.00", None, doc="IC-4")  # never booked by GB1
    led.charge("US1", "EU1", d, "2160.00", "2000.00", doc="IC-5", buyer_due="2320")  # Due To GB1
    led.charge("US1", "GB1", d, "4800.00", "4000.00", doc="IC-6", buyer_due="2050")  # an accrual account
    led.charge("EU1", "US1", d, "5000.00", "5400.00", doc="IC-7", buyer_day=date(2025, 4, 8))  # next month
    return led


def test_every_mismatch_reason_is_found_and_explained():
    rec = run(march_ledger())
    f = by_ref(rec)
    assert f["IC-1"].status == "matched" and f["IC-1"].difference == 0 and f["IC-1"].matched_by == "reference"
    assert f["IC-2"].status == "fx_difference" and f["IC-2"].difference == D("-216.00")
    assert "USD 216.00 apart" in f["IC-2"].reasons[0].detail
    assert f["IC-3"].status == "amount_difference" and "USD 300.00 apart" in f["IC-3"].reasons[0].detail
    assert f["IC-4"].status == "missing_side" and f["IC-4"].b is None
    assert "no offsetting payable in GB1" in f["IC-4"].reasons[0].detail
    assert f["IC-5"].status == "wrong_account" and "2320" in f["IC-5"].reasons[0].detail
    assert f["IC-6"].status == "wrong_account" and f["IC-6"].b.account == "2050"
    assert "2050 Accrued Expenses, not an intercompany account" in f["IC-6"].reasons[0].detail
    assert f["IC-7"].status == "timing_difference" and f["IC-7"].difference == 0
    assert "2025-04-08 (2025-04)" in f["IC-7"].reasons[0].detail
    assert rec.counts() == {"matched": 1, "fx_difference": 1, "amount_difference": 1, "missing_side": 1,
                            "wrong_account": 2, "timing_difference": 1}
    # the receivable side is reported first
    assert f["IC-1"].a.entity == "US1" and f["IC-1"].a.side == "receivable"


def test_the_same_pairs_are_found_from_amounts_alone():
    rules = IntercompanyRules().with_overrides(use_reference=False)
    rec = run(march_ledger(), rules=rules)
    got = sorted((f.status, f.matched_by, f.a.amount) for f in rec.findings)
    assert got == [("amount_difference", "same_date", D("500.00")),  # IC-3: same day, a third off
                   ("fx_difference", "near_amount", D("10800.00")),
                   ("matched", "amount", D("1200.00")),
                   ("missing_side", "none", D("3600.00")),
                   ("missing_side", "none", D("4800.00")),  # IC-6 on an accrual: only the reference finds it
                   ("timing_difference", "amount", D("5000.00")),
                   ("wrong_account", "cross_account", D("2160.00"))]
    wrong = next(f for f in rec.findings if f.status == "wrong_account")
    assert wrong.matched_by == "cross_account" and wrong.b.account == "2320"
    assert all(f.a.reference is None for f in rec.findings)


def test_recurring_identical_charges_pair_within_their_own_month_without_references():
    led = Ledger()
    for month, gbp in ((2, "960.00"), (3, "1000.00"), (4, "983.61")):
        led.charge("US1", "GB1", Period(2025, month).end, "1200.00", gbp, doc=None)
    rec = run(led, rules=IntercompanyRules().with_overrides(use_reference=False))
    assert [f.status for f in rec.findings] == ["matched"]
    f = rec.findings[0]
    assert f.a.date == f.b.date == date(2025, 3, 31) and f.b.amount == D("-1000.00")


def test_tolerance_decides_between_matched_and_a_difference():
    led = Ledger()
    led.charge("US1", "GB1", date(2025, 3, 20), "1230.00", "1000.00", doc="T")  # 30 USD off
    assert run(led).findings[0].status == "matched"
    strict = IntercompanyRules().with_overrides(tolerance=D("10"))
    assert run(led, rules=strict).findings[0].status == "fx_difference"


def test_sides_in_different_currencies_without_a_rate_get_a_clear_reason():
    led = Ledger()
    led.charge("US1", "GB1", date(2025, 3, 20), "1200.00", "1000.00", doc="R")
    rec = run(led, table=rates(drop=("GBP", "2025-03")))
    f = rec.findings[0]
    assert f.status == "no_fx_rate" and f.difference is None and not rec.eliminations
    assert "no GBP->USD rate for 2025-03" in f.reasons[0].detail
    assert "cannot be compared" in f.reasons[0].detail


def test_a_missing_side_near_the_end_of_the_books_says_it_may_come_later():
    led = Ledger()
    led.charge("US1", "GB1", date(2025, 3, 31), "1200.00", None, doc="L")
    f = run(led).findings[0]
    assert f.status == "missing_side" and "the books end on 2025-03-31" in f.reasons[0].detail


def test_notes_for_no_bookings_and_no_intercompany_accounts():
    rec = run(Ledger())
    assert rec.findings == [] and any("no intercompany bookings in 2025-03" in n for n in rec.notes)
    company = make_group()
    for no in ("1310", "1320", "1330", "2310", "2320", "2330"):
        company.accounts[no] = company.accounts[no].model_copy(update={"title": "Other", "category": ""})
    assert any("no intercompany accounts found" in n for n in run(Ledger(), company=company).notes)


# --- eliminations -----------------------------------------------------------------------------------------

def test_matched_pairs_are_eliminated_in_each_entitys_elim_journal_to_the_cent():
    from copilot.formats.intacct_json import parse_journal_json
    from copilot.formats.intacct_xml import parse_glbatch_xml

    rec = run(march_ledger())
    matched = [f for f in rec.findings if f.status == "matched"]
    assert [f.eliminated for f in matched] == [True]
    assert not any(f.eliminated for f in rec.mismatches)
    assert len(rec.eliminations) == 2
    by_entity = {e.entry.entity: e for e in rec.eliminations}
    us, gb = by_entity["US1"].entry, by_entity["GB1"].entry
    assert us.journal == gb.journal == "ELIM" and us.state == "Draft" and us.batch_date == date(2025, 3, 31)
    assert {(ln.account_no, ln.tr_type, ln.amount) for ln in us.lines} == {("1320", -1, D("1200.00")),
                                                                            ("4300", 1, D("1200.00"))}
    assert {(ln.account_no, ln.tr_type, ln.amount) for ln in gb.lines} == {("2310", 1, D("1000.00")),
                                                                            ("6950", -1, D("1000.00"))}
    assert all(ln.currency == "GBP" for ln in gb.lines)
    for e in rec.eliminations:
        assert e.entry.is_balanced and e.problems == []
        assert "<GLBATCH>" in e.payload_xml and "<JOURNAL>ELIM</JOURNAL>" in e.payload_xml
        back = parse_glbatch_xml(e.payload_xml)[0]
        assert back.is_balanced and [(ln.account_no, ln.tr_type, ln.amount, ln.dims) for ln in back.lines] == \
            [(ln.account_no, ln.tr_type, ln.amount, ln.dims) for ln in e.entry.lines]
        assert parse_journal_json(e.payload_json)[0].debits == e.entry.debits
    # the 6950 line keeps its department and location, so Intacct's required dimensions are met
    assert next(ln for ln in gb.lines if ln.account_no == "6950").dims == {"department": "FIN", "location": "LON"}


def settlement_ledger() -> Ledger:
    led = Ledger()
    led.book("US1", date(2025, 3, 14), [("1000", "1200.00", {"location": "NYC"}), ("1320", "-1200.00", {})])
    led.book("GB1", date(2025, 3, 14), [("2310", "1000.00", {}), ("1000", "-1000.00", {"location": "LON"})])
    return led


def test_a_settlement_needs_a_clearing_account_to_be_eliminated_by_journal():
    rec = run(settlement_ledger())
    assert rec.findings[0].status == "matched" and rec.findings[0].matched_by == "amount"
    assert rec.eliminations == [] and any("clearing_account" in n for n in rec.notes)
    rules = IntercompanyRules(elimination={"clearing_account": "9999"})
    rec = run(settlement_ledger(), rules=rules)
    assert len(rec.eliminations) == 2
    for e in rec.eliminations:
        assert e.entry.is_balanced and {ln.account_no for ln in e.entry.lines} & {"9999"}
        assert "1000" not in {ln.account_no for ln in e.entry.lines}  # cash is never eliminated


def test_elimination_entity_in_base_currency_posts_the_difference():
    led = Ledger()
    led.charge("US1", "GB1", date(2025, 3, 20), "1230.00", "1000.00", doc="E")  # 30 USD inside tolerance
    rules = IntercompanyRules(elimination={"target": "entity", "entity": "ELIM", "difference_account": "7200",
                                           "location": "NYC"})
    rec = run(led, rules=rules)
    assert len(rec.eliminations) == 1
    e = rec.eliminations[0].entry
    assert e.entity == "ELIM" and e.is_balanced and all(ln.currency == "USD" for ln in e.lines)
    lines = {(ln.account_no, ln.tr_type): ln.amount for ln in e.lines}
    assert lines[("1320", -1)] == D("1230.00") and lines[("2310", 1)] == D("1200.00")
    assert lines[("4300", 1)] == D("1230.00") and lines[("6950", -1)] == D("1200.00")
    assert sum(ln.signed_amount for ln in e.lines if ln.account_no == "7200") == 0  # the P&L lines balance it
    assert any("'ELIM' is not an entity" in n for n in rec.notes)
    no_pnl = IntercompanyRules(elimination={"target": "entity", "entity": "US1", "eliminate_pnl": False,
                                            "difference_account": "7200", "location": "NYC"})
    e2 = run(led, rules=no_pnl).eliminations[0].entry
    assert e2.is_balanced and {(ln.account_no, ln.tr_type, ln.amount) for ln in e2.lines if ln.account_no == "7200"} \
        == {("7200", 1, D("30.00"))}
    without = IntercompanyRules(elimination={"target": "entity", "entity": "US1", "eliminate_pnl": False})
    rec3 = run(led, rules=without)
    assert rec3.eliminations == [] and any("difference_account" in n for n in rec3.notes)


def test_the_repository_rules_follow_the_policy():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    rules = load_rules(root / "policies" / "intercompany_rules.yaml")
    policy = (root / "policies" / "intercompany_policy.md").read_text()
    assert f"**USD {rules.matching.tolerance}**" in policy  # IC-5.2
    assert rules.matching.base_currency == "USD" and rules.elimination.target == "journal"
    assert load_rules(root / "nope.yaml") == IntercompanyRules()
