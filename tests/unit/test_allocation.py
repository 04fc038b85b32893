"""Cost allocation: cents preserved exactly, drivers, zero drivers, budgets, history, currencies, rules file."""

from __future__ import annotations

import random
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from copilot.allocation.allocate import allocate
from copilot.allocation.books import Period, entry_problems, parse_period
from copilot.allocation.rounding import largest_remainder
from copilot.allocation.rules import Defaults, Rule, load_rulebook, parse_rule
from copilot.errors import ConfigurationError, InputError, NotFound
from tests.support.group import Ledger, books_of, make_group, write_csv

D = Decimal
ROOT = Path(__file__).resolve().parents[2]
MAR = Period(2025, 3)


# --- rounding ----------------------------------------------------------------------------------

def test_100_over_three_is_34_33_33():
    assert largest_remainder(D("100.00"), [("a", D(1)), ("b", D(1)), ("c", D(1))]) == [
        ("a", D("33.34")), ("b", D("33.33")), ("c", D("33.33"))]


def test_negative_total_carries_the_sign_on_every_share():
    parts = largest_remainder(D("-100.00"), [("a", D(1)), ("b", D(1)), ("c", D(1))])
    assert parts == [("a", D("-33.34")), ("b", D("-33.33")), ("c", D("-33.33"))]


def test_many_tiny_shares_still_add_up_and_ties_go_to_the_listed_order():
    parts = largest_remainder(D("0.05"), [(f"t{i}", D(1)) for i in range(10)])
    assert sum(a for _, a in parts) == D("0.05")
    assert [a for _, a in parts] == [D("0.01")] * 5 + [D("0.00")] * 5


def test_ties_go_to_the_larger_weight_before_the_order():
    # 0.02 over weights 1 and 3: exact 0.5 and 1.5 cents, equal remainders -> the larger weight gets the cent.
    assert largest_remainder(D("0.02"), [("small", D(1)), ("big", D(3))]) == [("small", D("0.00")), ("big", D("0.02"))]
    # equal weights: the one listed first.
    assert largest_remainder(D("0.01"), [("x", D(1)), ("y", D(1))]) == [("x", D("0.01")), ("y", D("0.00"))]
    # otherwise the larger remainder wins whatever the order
    assert largest_remainder(D("0.01"), [("small", D(1)), ("big", D(2))]) == [("small", D("0.00")), ("big", D("0.01"))]


def test_random_splits_preserve_the_total_and_stay_within_a_cent():
    rng = random.Random(7)
    for _ in range(300):
        total = D(rng.randint(-10_000_000, 10_000_000)) / 100
        weights = [(i, D(rng.randint(0, 5000)) / D(rng.choice([1, 10, 7]))) for i in range(rng.randint(1, 40))]
        if not any(w for _, w in weights):
            continue
        parts = dict(largest_remainder(total, weights))
        assert sum(parts.values()) == total
        wsum = sum(w for _, w in weights)
        for k, w in weights:
            if w:
                assert abs(parts[k] - total * w / wsum) < D("0.01")
            else:
                assert k not in parts
        assert largest_remainder(total, weights) == largest_remainder(total, weights)


def test_zero_drivers_some_excluded_all_an_error():
    assert largest_remainder(D("10.00"), [("a", D(0)), ("b", D(3))]) == [("b", D("10.00"))]
    with pytest.raises(InputError, match="every driver is zero"):
        largest_remainder(D("10.00"), [("a", D(0)), ("b", D(0))])
    with pytest.raises(InputError, match="zero or positive"):
        largest_remainder(D("10.00"), [("a", D(-1)), ("b", D(2))])
    with pytest.raises(InputError, match="whole cents"):
        largest_remainder(D("10.005"), [("a", D(1))])
    with pytest.raises(InputError, match="float"):
        largest_remainder(D("10.00"), [("a", 0.5)])
    with pytest.raises(InputError, match="more than once"):
        largest_remainder(D("10.00"), [("a", D(1)), ("a", D(2))])


# --- allocation on a small group -------------------------------------------------------------------

DEFAULTS = Defaults()


def rent_rule(**over) -> Rule:
    data = dict(id="rent", clause="CA-2", entity="US1", basis="square_footage",
                pool={"accounts": ["6200"], "dims": {"department": "FAC", "location": "NYC"}},
                target={"dimension": "department"}, drivers={"ENG": 1, "SALES": 1, "FIN": 1})
    data.update(over)
    return Rule.model_validate(data)


def rent_books(amount: str = "100.00", ledger: Ledger | None = None):
    company = make_group()
    ledger = ledger or Ledger()
    ledger.book("US1", date(2025, 3, 1), [("6200", amount, {"department": "FAC", "location": "NYC"}),
                                           ("1000", f"-{amount}", {"location": "NYC"})], memo="March rent")
    return company, ledger, books_of(company, ledger)


def test_allocation_entry_balances_to_the_cent_and_keeps_the_cost_account():
    _, _, books = rent_books("100.00")
    result = allocate(rent_rule(), books, MAR, DEFAULTS)
    e = result.entry
    assert e.is_balanced and e.debits == D("100.00")
    assert {ln.account_no for ln in e.lines} == {"6200"}
    credit = [ln for ln in e.lines if ln.tr_type == -1]
    assert len(credit) == 1 and credit[0].dims == {"department": "FAC", "location": "NYC"}
    debits = {ln.dims["department"]: ln.amount for ln in e.lines if ln.tr_type == 1}
    assert debits == {"ENG": D("33.34"), "SALES": D("33.33"), "FIN": D("33.33")}
    assert all(ln.dims["location"] == "NYC" for ln in e.lines)
    assert e.batch_date == date(2025, 3, 31) and e.batch_title == "Cost allocations Mar 2025"
    assert all(ln.memo.startswith("CA-2 rent allocation Mar 2025") for ln in e.lines)
    assert result.ready and result.problems == []


def test_a_negative_pool_flips_every_side_and_still_balances():
    company = make_group()
    ledger = Ledger()
    ledger.book("US1", date(2025, 3, 5), [("1000", "100.00", {"location": "NYC"}),
                                           ("6200", "-100.00", {"department": "FAC", "location": "NYC"})],
                memo="Rent rebate")
    result = allocate(rent_rule(), books_of(company, ledger), MAR, DEFAULTS)
    assert result.pool_total == D("-100.00") and result.entry.is_balanced
    assert [ln.tr_type for ln in result.entry.lines] == [1, -1, -1, -1]
    assert [t.amount for t in result.targets] == [D("-33.34"), D("-33.33"), D("-33.33")]


def test_earlier_allocations_and_other_periods_are_not_part_of_the_pool():
    company, ledger, _ = rent_books("90.00")
    # last month's rent and this month's already-posted allocation must not count
    ledger.book("US1", date(2025, 2, 1), [("6200", "500.00", {"department": "FAC", "location": "NYC"}),
                                           ("1000", "-500.00", {"location": "NYC"})])
    ledger.book("US1", date(2025, 3, 31), [("6200", "-90.00", {"department": "FAC", "location": "NYC"}),
                                            ("6200", "90.00", {"department": "ENG", "location": "NYC"})],
                memo="CA-2 rent allocation Mar 2025 by sq ft")
    ledger.book("US1", date(2025, 3, 31), [("6200", "-7.00", {"department": "FAC", "location": "NYC"}),
                                            ("2310", "7.00", {})], journal="ICJ", memo="IC recharge")
    defaults = Defaults(exclude_journals=["ICJ"])
    result = allocate(rent_rule(), books_of(company, ledger), MAR, defaults)
    assert result.pool_total == D("90.00") and result.pool_lines == 1


def test_explicit_amount_replaces_the_pool_and_must_be_cents():
    _, _, books = rent_books("100.00")
    result = allocate(rent_rule(), books, MAR, DEFAULTS, amount=D("10.00"))
    assert result.pool_total == D("10.00") and result.entry.debits == D("10.00")
    with pytest.raises(InputError, match="whole cents"):
        allocate(rent_rule(), books, MAR, DEFAULTS, amount=D("10.001"))
    two = rent_rule(pool={"accounts": ["6200", "6400"], "dims": {"department": "FAC", "location": "NYC"},
                          "amounts": {"6200": "1.00", "6400": "-0.02"}})
    result = allocate(two, books, MAR, DEFAULTS)
    assert result.pool_total == D("0.98") and result.entry.is_balanced
    by_account = {}
    for ln in result.entry.lines:
        by_account[ln.account_no] = by_account.get(ln.account_no, D(0)) + ln.signed_amount
    assert by_account == {"6200": 0, "6400": 0}  # each account's amount is split on its own
    assert sorted(ln.amount for ln in result.entry.lines if ln.account_no == "6400") == [
        D("0.01"), D("0.01"), D("0.02")]


def test_zero_driver_targets_get_no_line_and_all_zero_is_a_clear_error():
    _, _, books = rent_books("100.00")
    result = allocate(rent_rule(drivers={"ENG": 0, "SALES": 3, "FIN": 1}), books, MAR, DEFAULTS)
    assert result.excluded == ["ENG"]
    assert "ENG" not in {ln.dims["department"] for ln in result.entry.lines if ln.tr_type == 1}
    assert any("zero driver" in n and "ENG" in n for n in result.notes)
    with pytest.raises(InputError, match="every driver is zero") as exc:
        allocate(rent_rule(drivers={"ENG": 0, "SALES": 0}), books, MAR, DEFAULTS)
    assert exc.value.details["field"] == "drivers"


def test_an_empty_pool_is_a_clear_error_naming_the_books_coverage():
    _, _, books = rent_books("100.00")
    with pytest.raises(InputError, match=r"nothing to allocate.*2024-01.*GL detail covers 2025-03"):
        allocate(rent_rule(), books, Period(2024, 1), DEFAULTS)


def test_unknown_or_inactive_targets_are_refused():
    _, _, books = rent_books()
    with pytest.raises(InputError, match="not found.*NOPE"):
        allocate(rent_rule(drivers={"ENG": 1, "NOPE": 1}), books, MAR, DEFAULTS)
    with pytest.raises(InputError, match="inactive.*OLD"):
        allocate(rent_rule(drivers={"ENG": 1, "OLD": 1}), books, MAR, DEFAULTS)


def test_missing_required_dimension_is_reported_as_a_problem_not_hidden():
    company = make_group()
    ledger = Ledger()
    ledger.book("US1", date(2025, 3, 1), [("6200", "60.00", {"department": "FAC"}), ("2050", "-60.00", {})])
    rule = rent_rule(pool={"accounts": ["6200"], "dims": {"department": "FAC"}})
    result = allocate(rule, books_of(company, ledger), MAR, DEFAULTS)
    assert result.entry.is_balanced and not result.ready
    assert any("requires location" in p for p in result.problems)


def project_rule(**over) -> Rule:
    data = dict(id="tools", clause="CA-6", entity="US1", basis="fixed",
                pool={"accounts": ["6400"], "dims": {"department": "ENG"}},
                target={"dimension": "project"}, drivers={"P1": 50, "P2": 30, "P3": 20})
    data.update(over)
    return Rule.model_validate(data)


def project_books(spent_p2: str = "850.00"):
    company = make_group()
    ledger = Ledger()
    ledger.book("US1", date(2025, 3, 3), [("6400", "1000.00", {"department": "ENG", "location": "NYC"}),
                                           ("2050", "-1000.00", {})], memo="Tools March")
    ledger.book("US1", date(2025, 2, 10), [("6200", spent_p2, {"department": "ENG", "location": "NYC", "project": "P2"}),
                                            ("2050", f"-{spent_p2}", {})], memo="Earlier P2 cost")
    ledger.book("US1", date(2025, 2, 11), [("1520", "8000.00", {"location": "NYC", "project": "P1"}),
                                            ("2050", "-8000.00", {})], memo="P1 capitalized")
    ledger.book("US1", date(2025, 4, 2), [("6200", "999.00", {"department": "ENG", "location": "NYC", "project": "P1"}),
                                           ("2050", "-999.00", {})], memo="after the period: not spend to date")
    return company, ledger, books_of(company, ledger)


def test_budgets_flag_overruns_warn_near_the_limit_and_tolerate_a_missing_budget():
    _, _, books = project_books("850.00")
    result = allocate(project_rule(), books, MAR, DEFAULTS)
    by = {b.project: b for b in result.budget}
    assert by["P2"].status == "over_budget" and by["P2"].after == D("1150.00")  # 850 + 300 > 1000
    assert by["P1"].spent_to_date == D("8000.00") and by["P1"].after == D("8500.00")  # capitalized counts
    assert by["P1"].status == "ok"
    assert by["P3"].status == "no_budget"  # a warning, not a crash
    assert any("P2 goes over budget" in f for f in result.flags)
    assert any("P3 has no budget" in f for f in result.flags)


def test_reaching_the_warning_ratio_of_a_budget_is_flagged():
    _, _, books = project_books("700.00")
    result = allocate(project_rule(drivers={"P1": 10, "P2": 20, "P3": 70}), books, MAR, DEFAULTS)
    assert {b.project: b.status for b in result.budget}["P2"] == "near_budget"  # 700 + 200 = 90 %


def test_currency_mismatch_between_pool_and_targets_is_a_clear_error():
    company, _, books = project_books()
    with pytest.raises(InputError, match=r"currency mismatch.*USD.*P4 \(GBP\)"):
        allocate(project_rule(drivers={"P1": 50, "P4": 50}), books, MAR, DEFAULTS)
    rule = project_rule(pool={"accounts": ["6400"], "dims": {"department": "ENG"}, "amount": "10.00",
                              "currency": "EUR"})
    with pytest.raises(InputError, match="pool is in EUR but entity US1 books in USD"):
        allocate(rule, books, MAR, DEFAULTS)


def test_history_flags_a_share_far_from_the_rules_earlier_allocations():
    company, ledger, _ = rent_books("100.00")
    for month in (1, 2):  # earlier allocations gave ENG 60 %, SALES 20 %, FIN 20 %
        day = Period(2025, month).end
        ledger.book("US1", day, [("6200", "-100.00", {"department": "FAC", "location": "NYC"}),
                                 ("6200", "60.00", {"department": "ENG", "location": "NYC"}),
                                 ("6200", "20.00", {"department": "SALES", "location": "NYC"}),
                                 ("6200", "20.00", {"department": "FIN", "location": "NYC"})],
                    memo=f"CA-2 rent allocation {Period(2025, month).label}")
    result = allocate(rent_rule(), books_of(company, ledger), MAR, DEFAULTS)
    by = {h.code: h for h in result.history}
    assert by["ENG"].historical_share == D("0.6") and by["ENG"].flagged and by["ENG"].periods == 2
    assert by["SALES"].flagged and by["FIN"].flagged  # 33 % vs 20 %
    assert any("ENG" in f and "60.0%" in f for f in result.flags)
    same = allocate(rent_rule(drivers={"ENG": 60, "SALES": 20, "FIN": 20}), books_of(company, ledger), MAR, DEFAULTS)
    assert not any(h.flagged for h in same.history)


def test_no_history_is_a_note_not_a_flag():
    _, _, books = rent_books()
    result = allocate(rent_rule(), books, MAR, DEFAULTS)
    assert result.history == [] and any("no earlier allocations" in n for n in result.notes)


# --- computed drivers ---------------------------------------------------------------------------------

def test_headcount_from_the_hr_table_counts_people_active_at_period_end(tmp_path):
    company, ledger, _ = rent_books("90.00")
    write_csv(tmp_path / "extras" / "employees.csv", [
        {"employee_id": "E1", "entity": "US1", "department": "ENG", "location": "NYC", "hired": "2020-01-01", "left": ""},
        {"employee_id": "E2", "entity": "US1", "department": "ENG", "location": "NYC", "hired": "2025-04-01", "left": ""},
        {"employee_id": "E3", "entity": "US1", "department": "SALES", "location": "NYC", "hired": "2020-01-01", "left": "2025-02-01"},
        {"employee_id": "E4", "entity": "US1", "department": "FIN", "location": "NYC", "hired": "2020-01-01", "left": ""},
        {"employee_id": "E5", "entity": "US1", "department": "FIN", "location": "NYC", "hired": "2020-01-01", "left": ""},
        {"employee_id": "E6", "entity": "GB1", "department": "SALES", "location": "LON", "hired": "2020-01-01", "left": ""},
    ])
    rule = rent_rule(basis="headcount", drivers=None)
    result = allocate(rule, books_of(company, ledger, root=tmp_path), MAR, DEFAULTS)
    assert {t.code: t.driver for t in result.targets} == {"ENG": 1, "FIN": 2}
    assert {t.code: t.amount for t in result.targets} == {"ENG": D("30.00"), "FIN": D("60.00")}
    assert "employees.csv" in result.driver_source
    # the entity's share of group headcount (CA-3.2): 3 of the 4 people active on 31 March are in US1
    scaled = allocate(rent_rule(basis="headcount", drivers=None,
                                pool={"accounts": ["6200"], "dims": {"department": "FAC", "location": "NYC"},
                                      "scale": "entity_headcount_share"}),
                      books_of(company, ledger, root=tmp_path), MAR, DEFAULTS)
    assert scaled.pool_total == D("67.50") and scaled.entry.is_balanced


def test_headcount_without_the_hr_table_uses_active_employee_records():
    _, _, books = rent_books("90.00")
    result = allocate(rent_rule(basis="headcount", drivers=None), books, MAR, DEFAULTS)
    assert {t.code: t.driver for t in result.targets} == {"ENG": 2, "SALES": 1}  # E5 inactive, E4 in GB1
    assert "EMPLOYEE records" in result.driver_source


def test_revenue_drivers_leave_out_negative_revenue():
    company, ledger, _ = rent_books("100.00")
    ledger.book("US1", date(2025, 3, 10), [("1000", "300.00", {"location": "NYC"}),
                                            ("4000", "-300.00", {"class": "PLAT"})])
    ledger.book("US1", date(2025, 3, 11), [("1000", "100.00", {"location": "NYC"}),
                                            ("4000", "-100.00", {"class": "ANLY"})])
    ledger.book("US1", date(2025, 3, 12), [("4000", "50.00", {"class": "CORP"}),
                                            ("1000", "-50.00", {"location": "NYC"})])
    rule = Rule.model_validate(dict(id="data", clause="CA-4", entity="US1", basis="revenue",
                                    pool={"accounts": ["6200"], "dims": {"department": "FAC"}},
                                    target={"dimension": "class"}, carry=["department", "location"]))
    result = allocate(rule, books_of(company, ledger), MAR, DEFAULTS)
    assert {t.code: t.amount for t in result.targets} == {"ANLY": D("25.00"), "PLAT": D("75.00")}
    assert result.excluded == ["CORP"] and any("negative revenue" in n for n in result.notes)


def test_hours_from_timesheets_by_project(tmp_path):
    company, ledger, _ = project_books()
    write_csv(tmp_path / "timesheets.csv", [
        {"entity": "US1", "employee_id": "E1", "date": "2025-03-03", "project_id": "P1", "hours": "6", "billable": "false"},
        {"entity": "US1", "employee_id": "E2", "date": "2025-03-04", "project_id": "P3", "hours": "2", "billable": "false"},
        {"entity": "US1", "employee_id": "E2", "date": "2025-03-05", "project_id": "P2", "hours": "8", "billable": "true"},
        {"entity": "US1", "employee_id": "E1", "date": "2025-04-01", "project_id": "P2", "hours": "8", "billable": "false"},
    ])
    rule = project_rule(basis="hours", drivers=None, driver_filter={"billable": "false"})
    result = allocate(rule, books_of(company, ledger, root=tmp_path), MAR, DEFAULTS)
    assert {t.code: t.amount for t in result.targets} == {"P1": D("750.00"), "P3": D("250.00")}
    with pytest.raises(InputError, match="needs timesheets"):
        allocate(rule, books_of(company, ledger), MAR, DEFAULTS)


# --- rules ------------------------------------------------------------------------------------------

def test_rule_validation_names_the_problem(tmp_path):
    with pytest.raises(ValueError, match="add up to 100"):
        Rule.model_validate(dict(id="x", entity="US1", basis="fixed", pool={"accounts": ["6400"]},
                                 target={"dimension": "project"}, drivers={"P1": 50, "P2": 40}))
    with pytest.raises(InputError, match="rule: pool.accounts"):
        parse_rule(dict(id="x", entity="US1", basis="headcount", pool={"accounts": []}, target={"dimension": "department"}))
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - id: a\n    entity: US1\n    basis: square_footage\n    pool: {accounts: [6200]}\n"
                   "    target: {dimension: department}\n")
    with pytest.raises(ConfigurationError, match=r"rules\.0 \(a\)"):
        load_rulebook(bad)
    bad.write_text("rules: [\n")
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        load_rulebook(bad)
    with pytest.raises(ConfigurationError, match="not found"):
        load_rulebook(tmp_path / "missing.yaml")


def test_parse_period():
    assert parse_period("2025-03") == Period(2025, 3) and str(Period(2025, 3).shift(-3)) == "2024-12"
    for bad in ("2025-13", "March", "2025-3", ""):
        with pytest.raises(InputError, match="YYYY-MM"):
            parse_period(bad)


def test_repository_rules_load_and_match_the_policy_floor_plan():
    book = load_rulebook(ROOT / "policies" / "allocation_rules.yaml")
    with pytest.raises(NotFound, match="no allocation rule 'nope'"):
        book.rule("nope")
    policy = (ROOT / "policies" / "cost_allocation_policy.md").read_text()
    offices = dict(re.findall(r"^\s*\| (\w{3}) \| ([^|]+) \| \d+ \|$", policy, re.M))
    assert len(offices) == 7
    for office, text in offices.items():
        plan = {d: D(n) for d, n in re.findall(r"([A-Z]+) (\d+)", text)}
        rule = book.rule(f"rent-{office.lower()}")
        assert rule.drivers == plan and rule.pool.dims["location"] == office and rule.clause == "CA-2"
    assert book.defaults.title == "Cost allocations {period_label}"  # the policy's entry title
    assert book.rule("software-us01").pool.scale == "entity_headcount_share"  # CA-3.2


def test_entry_problems_names_inactive_accounts_and_foreign_codes():
    from copilot.domain import JournalEntry, JournalLine

    company = make_group()
    company.accounts["6999"] = company.accounts["6200"].model_copy(update={"account_no": "6999", "status": "inactive"})
    entry = JournalEntry(journal="GJ", batch_date=date(2025, 3, 31), entity="US1", lines=[
        JournalLine(account_no="6999", amount=D("5"), dims={"department": "ENG", "location": "LON"}),
        JournalLine(account_no="0000", tr_type=-1, amount=D("5"))])
    problems = entry_problems(company, entry)
    assert any("6999" in p and "inactive" in p for p in problems)
    assert any("LON" in p and "US1" in p for p in problems)
    assert any("0000" in p and "chart" in p for p in problems)


def test_allocation_evaluation_compares_with_the_posted_allocation():
    from copilot.allocation.rules import RuleBook
    from copilot.evaluation.allocation_eval import evaluate, render

    company, ledger, _ = rent_books("100.00")
    posted = [("6200", "-100.00", {"department": "FAC", "location": "NYC"}),
              ("6200", "33.34", {"department": "ENG", "location": "NYC"}),
              ("6200", "33.32", {"department": "SALES", "location": "NYC"}),  # a cent off
              ("6200", "33.34", {"department": "FIN", "location": "NYC"})]
    ledger.book("US1", date(2025, 3, 31), posted, memo="CA-2 rent allocation Mar 2025 by sq ft")
    book = RuleBook(rules=[rent_rule()])
    scores, _ = evaluate(books_of(company, ledger), book)
    s = scores[0]
    assert (s.runs, s.compared, s.same_lines, s.same_totals, s.lines) == (1, 1, 1, 1, 4)
    assert s.lines_to_the_cent == 2 and s.max_cents == D("0.01") and s.off == 0
    md = render(scores, books_of(company, ledger), 0.1)
    assert "| rent | CA-2 | 1 | 1/1 | 1 | 1/1 | 1/1 | 2/4 | 0.01 |" in md
