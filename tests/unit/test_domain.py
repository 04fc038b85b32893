from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from copilot.domain import (Account, Company, DimensionCombination, DimensionValue, JournalEntry,
                            JournalLine, canonical_dimension, money, parse_money)


def test_money_is_decimal_and_rejects_float():
    assert money("12.345") == Decimal("12.35")
    with pytest.raises(TypeError):
        money(1.5)


@pytest.mark.parametrize("text,expected", [
    ("1,234.50", "1234.50"), ("(12.00)", "-12.00"), ("-5", "-5.00"), ("$ 7.1", "7.10"), ("3-", "-3.00"),
])
def test_parse_money(text, expected):
    assert parse_money(text) == Decimal(expected)


def test_parse_money_european_and_garbage():
    assert parse_money("1.234,56", decimal_sep=",", thousands_sep=".") == Decimal("1234.56")
    with pytest.raises(ValueError):
        parse_money("twelve")
    with pytest.raises(ValueError):
        parse_money("NaN")


def test_line_rejects_bad_tr_type_and_float_amount():
    with pytest.raises(ValidationError):
        JournalLine(account_no="6000", tr_type=2, amount="1.00")
    with pytest.raises(ValidationError):
        JournalLine(account_no="6000", tr_type=1, amount=1.0)


def test_entry_balance():
    e = JournalEntry(journal="GJ", batch_date=date(2024, 1, 31), lines=[
        JournalLine(account_no="6000", tr_type=1, amount="100.10"),
        JournalLine(account_no="2000", tr_type=-1, amount="100.10"),
    ])
    assert e.is_balanced and e.debits == Decimal("100.10")
    e.lines.append(JournalLine(account_no="2000", tr_type=-1, amount="0.01"))
    assert not e.is_balanced


def test_dimension_names_both_spellings_and_custom():
    assert canonical_dimension("DEPARTMENT") == canonical_dimension("departmentid") == "department"
    assert canonical_dimension("LOCATIONID") == "location"
    assert canonical_dimension("GLDIMFUND") == "fund"
    assert canonical_dimension("ACCOUNTNO") is None


def test_combination_key_round_trip_and_order():
    c = DimensionCombination(account_no="6000", dims={"project": "P1", "department": "SALES"})
    assert c.key == "6000|department=SALES|project=P1"
    assert DimensionCombination.from_key(c.key) == c


def test_parse_key_is_from_key_without_a_model_and_refuses_malformed_keys():
    from copilot.domain.suggestions import parse_key
    from copilot.llm.facts import same_coding

    assert parse_key("6000|department=SALES|project=P1") == ("6000", (("department", "SALES"), ("project", "P1")))
    assert parse_key("6000") == ("6000", ())
    for bad in ("6000|department", "6000||x=1"):
        with pytest.raises(ValueError):
            parse_key(bad)
        with pytest.raises(ValueError):
            DimensionCombination.from_key(bad)
    combo = DimensionCombination(account_no="6000", dims={"department": "SALES", "vendor": "V1"})
    assert same_coding("6000|department=SALES", combo)  # up to the counterparty the engine carried through
    assert same_coding(combo.key, combo) and same_coding(combo, combo)
    assert not same_coding("6000|department=OPS", combo) and not same_coding("6100|department=SALES", combo)
    assert not same_coding("6000", combo)  # the department is not a counterparty
    assert not same_coding("6000|department", combo) and not same_coding(None, combo)


def test_company_validity():
    co = Company(name="x", accounts={"6000": Account(account_no="6000", title="Travel"),
                                     "6100": Account(account_no="6100", title="Old", status="inactive")},
                 dimensions={"department": {
                     "SALES": DimensionValue(dimension="department", code="SALES"),
                     "UKOPS": DimensionValue(dimension="department", code="UKOPS", entities=("UK",))}})
    assert co.is_active_account("6000") and not co.is_active_account("6100")
    assert co.is_valid_code("department", "SALES", "US")
    assert not co.is_valid_code("department", "UKOPS", "US")
    assert co.is_valid_code("department", "UKOPS", "UK")
    assert not co.is_valid_code("department", "NOPE", "US")
