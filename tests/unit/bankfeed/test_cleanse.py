"""Bank descriptions cleansed to a payee, a canonical key, a method and document references."""

import pytest

from copilot.bankfeed.cleanse import cleanse, doc_key, party_name


@pytest.mark.parametrize("raw,payee,method", [
    ("DEBIT CARD PURCHASE XXXXXXXXXXXX4411 STAPLES 8562 JERSEY CITY NJ", "STAPLES", "card"),
    ("POS 4411 TRADER JOE S #8050 NEW YORK NY", "TRADER JOE S", "card"),
    ("POS 4411 DUANE READE #8096 NEW YORK NY", "DUANE READE", "card"),          # RE inside a word stays
    ("CHECKCARD 0412 4111-XXXX-XXXX-1234 COSTCO WHSE #0113 SEATTLE WA", "COSTCO WHSE", "card"),
    ("ACH DEBIT ADP INC. CCD ID 9375822976", "ADP INC", "ach"),
    ("WIRE TYPE:WIRE OUT DATE:231207 TRN:87780853216130 BNF:RAMSEY RAMSEY PLLC", "RAMSEY RAMSEY PLLC", "wire"),
    ("WIRE TYPE:WIRE IN DATE: ORG:IRONWOOD FOODS OBI:INV-US-002436", "IRONWOOD FOODS", "wire"),
    ("SEPA-UEBERWEISUNG ALLIANZ REAL ESTATE GMBH RE INV-070628", "ALLIANZ REAL ESTATE GMBH", "sepa"),
    ("FASTER PAYMENT TO OCTOPUS ENERGY LTD REF 2023-26008", "OCTOPUS ENERGY LTD", "fps"),
    ("BILL PAY AT&T BUSINESS ON-LINE xxxxx31811 ON 05/02", "AT&T BUSINESS", "bill_pay"),
    ("AMERICAN EXPRESS DD 1138599", "AMERICAN EXPRESS", "direct_debit"),
    ("ACH DEBIT 1PASSWORD AGILEB CCD ID 3066108518", "1PASSWORD AGILEB", "ach"),   # a digit in a name is kept
    ("INTEREST PAYMENT MMDA SWEEP", "INTEREST PAYMENT MMDA SWEEP", ""),
    ("SAMMELUEBERWEISUNG SPESEN 29.03.", "SPESEN", "sepa"),
    ("BULK PAYMENT EXPENSES 26MAY", "EXPENSES", ""),
])
def test_payee_and_method(raw, payee, method):
    c = cleanse(raw)
    assert c.payee == payee
    assert c.method == method
    assert c.raw == raw


@pytest.mark.parametrize("raw", ["CHECK 16925", "REMOTE DEPOSIT CHECK 087405", "CHQ 000123", ""])
def test_checks_name_nobody(raw):
    c = cleanse(raw)
    assert c.anonymous and c.payee == "" and c.key == ""


def test_references_are_kept_aside():
    c = cleanse("WIRE TYPE:WIRE IN DATE: ORG:MOSAIC SYSTEMS OBI:INV-US-002577")
    assert c.refs == ("INV-US-002577",) and "002577" not in c.payee
    assert "INV202356362" in cleanse("SEPA-UEBERWEISUNG HAAS AKADEMIE GMBH RE INV202356362").refs
    assert doc_key("inv-us 002577") == doc_key("INV-US-002577") == "INVUS002577"


def test_same_payee_same_key_whatever_the_noise():
    keys = {cleanse(t).key for t in ("POS 4411 STAPLES #1234 NEW YORK NY",
                                      "DEBIT CARD PURCHASE XXXXXXXXXXXX4411 STAPLES 8562 JERSEY CITY NJ",
                                      "POS 8120 STAPLES 0042 BROOKLYN NY")}
    assert keys == {"staples"}
    assert cleanse("ADP PAYROLL FEES ADP - PAYROLL 260642 CCD ID 9659605001").key == \
        cleanse("ADP PAYROLL FEES ADP - PAYROLL 902763 CCD ID 9659605001").key


def test_party_names_drop_legal_forms_and_truncation():
    assert party_name("W.B. Mason Co., Inc.") == "WB MASON"
    assert party_name("W.B. MASON CO. I", truncated=True) == "WB MASON"
    assert party_name("Slack Technologies, LLC") == "SLACK TECHNOLOGIES"
