"""Matching bank lines to open bills and invoices: edge cases on small hand-made books."""

import time
from datetime import date, timedelta
from decimal import Decimal

from copilot.bankfeed.cleanse import cleanse
from copilot.bankfeed.feed import FeedLine, OpenItem, read_feed
from copilot.bankfeed.match import Matcher, MatchConfig, match_feed, subsets
from copilot.bankfeed.recurring import find_recurring

D = date(2025, 3, 10)


def bill(item_id, amount, party="V1", name="Slack Technologies, LLC", on=None, due=None, currency="USD",
         entity="US01", kind="ap", doc=None):
    on = on or D - timedelta(days=30)
    return OpenItem(kind=kind, item_id=item_id, doc_no=doc or f"DOC-{item_id}", party_id=party, party_name=name,
                    entity=entity, on=on, due=due or on + timedelta(days=30), currency=currency,
                    total=Decimal(amount), residual=Decimal(amount))


def line(amount, text, on=D, currency="USD", entity="US01", line_id="L1", row=2):
    return FeedLine(line_id=line_id, row=row, on=on, amount=Decimal(amount), description=text, currency=currency,
                    entity=entity)


def run(items, *lines, config=None):
    cl = {ln.line_id: cleanse(ln.description) for ln in lines}
    return match_feed(list(lines), cl, Matcher(items, config))


def ids(result):
    return [a.item.item_id for a in result.items]


def test_truncated_payee_pays_one_bill_exactly():
    items = [bill("1", "2525.00"), bill("2", "880.00", party="V2", name="Staples Inc")]
    r = run(items, line("-2525.00", "ACH DEBIT SLACK TECHNOLOGI CCD ID 9244680667"))["L1"]
    assert r.status == "matched" and r.how == "name" and ids(r) == ["1"]
    assert r.party["id"] == "V1" and items[0].residual == 0


def test_one_payment_for_several_bills_oldest_first():
    items = [bill("1", "100.00", on=D - timedelta(days=40)), bill("2", "250.00", on=D - timedelta(days=35)),
             bill("3", "75.50", on=D - timedelta(days=20)), bill("4", "999.00", on=D - timedelta(days=10))]
    r = run(items, line("-425.50", "WIRE TYPE:WIRE OUT DATE:250310 TRN:1234 BNF:SLACK TECHNOLOGIES"))["L1"]
    assert r.status == "matched" and ids(r) == ["1", "2", "3"]
    assert sum(a.amount for a in r.items) == Decimal("425.50") and items[3].residual == Decimal("999.00")


def test_partial_payment_then_the_rest():
    items = [bill("1", "1000.00")]
    res = run(items, line("-600.00", "ACH DEBIT SLACK TECHNOLOGI CCD", line_id="a"),
              line("-400.00", "ACH DEBIT SLACK TECHNOLOGI CCD", on=D + timedelta(days=30), line_id="b", row=3))
    assert res["a"].status == "partial" and res["a"].items[0].amount == Decimal("600.00")
    assert res["b"].status == "matched" and ids(res["b"]) == ["1"] and res["b"].items[0].amount == Decimal("400.00")
    assert items[0].residual == 0


def test_partial_with_several_candidates_is_ambiguous_and_takes_nothing():
    items = [bill("1", "1000.00"), bill("2", "900.00")]
    r = run(items, line("-300.00", "ACH DEBIT SLACK TECHNOLOGI CCD"))["L1"]
    assert r.status == "ambiguous" and not r.items and r.candidates
    assert {i.residual for i in items} == {Decimal("1000.00"), Decimal("900.00")}


def test_two_different_combinations_are_ambiguous():
    items = [bill("1", "300.00", on=D - timedelta(days=50)), bill("2", "100.00", on=D - timedelta(days=40)),
             bill("3", "200.00", on=D - timedelta(days=30)), bill("4", "250.00", on=D - timedelta(days=20)),
             bill("5", "50.00", on=D - timedelta(days=10))]
    r = run(items, line("-300.00", "ACH DEBIT SLACK TECHNOLOGI CCD"))["L1"]
    # {1} is the oldest bill alone: a prefix of the queue, so the FIFO answer is clear.
    assert r.status == "matched" and ids(r) == ["1"]
    items = [bill("1", "999.00", on=D - timedelta(days=60)), bill("2", "100.00", on=D - timedelta(days=40)),
             bill("3", "200.00", on=D - timedelta(days=30)), bill("4", "250.00", on=D - timedelta(days=20)),
             bill("5", "50.00", on=D - timedelta(days=10))]
    r = run(items, line("-300.00", "ACH DEBIT SLACK TECHNOLOGI CCD"))["L1"]
    assert r.status == "ambiguous" and len(r.candidates) == 2 and not r.items


def test_equal_amounts_pay_the_oldest_first():
    items = [bill("2", "640.93", on=D - timedelta(days=20)), bill("1", "640.93", on=D - timedelta(days=50)),
             bill("0", "12.00", on=D - timedelta(days=70))]
    r = run(items, line("-640.93", "WIRE OUT BNF:SLACK TECHNOLOGIES LLC"))["L1"]
    assert r.status == "matched" and ids(r) == ["1"]


def test_reference_wins_over_amount_order():
    items = [bill("1", "500.00", kind="ar", party="C1", name="Ironwood Foods", doc="INV-US-000001"),
             bill("2", "500.00", kind="ar", party="C1", name="Ironwood Foods", doc="INV-US-000002")]
    r = run(items, line("500.00", "WIRE TYPE:WIRE IN DATE: ORG:IRONWOOD FOODS OBI:INV-US-000002"))["L1"]
    assert r.status == "matched" and r.how == "reference" and ids(r) == ["2"]


def test_currency_mismatch_is_reported_not_matched():
    items = [bill("1", "1000.00", currency="EUR", entity="US01")]
    r = run(items, line("-1000.00", "ACH DEBIT SLACK TECHNOLOGI CCD", currency="USD"))["L1"]
    assert r.status == "currency_mismatch" and not r.items and "EUR" in r.reason
    assert items[0].residual == Decimal("1000.00")


def test_other_entity_and_future_items_are_not_eligible():
    items = [bill("1", "100.00", entity="UK01"), bill("2", "100.00", on=D + timedelta(days=30))]
    r = run(items, line("-100.00", "ACH DEBIT SLACK TECHNOLOGI CCD"))["L1"]
    assert r.status == "unmatched" and not r.items


def test_checks_match_by_amount_only_when_unique():
    items = [bill("1", "884.57", party="V1"), bill("2", "1200.00", party="V2", name="Staples"),
             bill("3", "1200.00", party="V3", name="Dell")]
    res = run(items, line("-884.57", "CHECK 13321", line_id="a"), line("-1200.00", "CHECK 13322", line_id="b", row=3))
    assert res["a"].status == "matched" and res["a"].how == "amount" and ids(res["a"]) == ["1"]
    assert res["b"].status == "ambiguous" and len(res["b"].candidates) == 2


def test_unknown_payee_stays_unmatched():
    r = run([bill("1", "100.00")], line("-100.00", "POS 4411 TRADER JOE S #8050 NEW YORK NY"))["L1"]
    assert r.status == "unmatched" and "TRADER JOE" in r.reason


def test_subset_search_is_bounded():
    items = [bill(str(i), f"{1000 + i * 7}.13") for i in range(40)]
    started = time.perf_counter()
    found = subsets(items, Decimal("1.00"), Decimal("0"), max_size=12, max_nodes=20_000)
    assert found == [] and time.perf_counter() - started < 2.0
    config = MatchConfig(max_nodes=5_000)
    r = run(items, line("-12345.67", "ACH DEBIT SLACK TECHNOLOGI CCD"), config=config)["L1"]
    assert r.status in ("unmatched", "ambiguous")


def test_tolerance_allows_bank_rounding():
    items = [bill("1", "100.00")]
    r = run(items, line("-99.99", "ACH DEBIT SLACK TECHNOLOGI CCD"), config=MatchConfig(tolerance=Decimal("0.01")))["L1"]
    assert r.status == "matched" and r.items[0].amount == Decimal("100.00")


def test_recurring_monthly_payroll_grouped_not_one_offs():
    lines = [line(f"-{52000 + i * 300}.00", f"ADP PAYROLL FEES ADP - PAYROLL {100000 + i} CCD ID 9659605001",
                  on=date(2024, 1, 15) + timedelta(days=30 * i), line_id=f"p{i}", row=i + 2) for i in range(6)]
    lines += [line("-120.00", "POS 4411 STAPLES #1 NEW YORK NY", on=date(2024, 2, 3), line_id="s1", row=20),
              line("-9.00", "POS 4411 STAPLES #2 NEW YORK NY", on=date(2024, 2, 4), line_id="s2", row=21),
              line("-300.00", "POS 4411 STAPLES #3 NEW YORK NY", on=date(2024, 5, 20), line_id="s3", row=22)]
    rec = find_recurring(lines, {ln.line_id: cleanse(ln.description) for ln in lines})
    assert {k for k in rec} == {f"p{i}" for i in range(6)}
    assert rec["p0"].cadence == "monthly" and rec["p0"].count == 6


def test_feed_reader_names_line_and_field():
    import pytest

    from copilot.errors import ParseError

    text = "Date,Description,Amount\n2025-03-01,CHECK 1,-10.00\n2025-03-02,CHECK 2,ten\n"
    with pytest.raises(ParseError) as err:
        read_feed(text, name="feed.csv")
    assert err.value.line == 3 and err.value.field == "AMOUNT" and "feed.csv" in err.value.message
    with pytest.raises(ParseError, match="DATE"):
        read_feed("Description,Amount\nx,1\n")
    lines = read_feed("Posted Date,Memo,Withdrawal,Deposit\n03/01/2025,CHECK 1,10.00,\n03/02/2025,DEPOSIT,,5.5\n")
    assert [ln.amount for ln in lines] == [Decimal("-10.00"), Decimal("5.50")]
