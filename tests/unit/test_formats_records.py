"""Intacct rows <-> domain objects: both spellings, any letter case, extras kept, errors named."""

from datetime import date
from decimal import Decimal

import pytest

from copilot.domain import Account, DimensionValue, Posting, Project, Vendor
from copilot.errors import ParseError
from copilot.formats import records


def test_account_row_any_case_require_flags_and_extra():
    acct = records.row_to_account({
        "accountno": "6000", "Title": "Rent", "ACCOUNTTYPE": "incomestatement", "NORMALBALANCE": "debit",
        "STATUS": "active", "REQUIREDEPT": "true", "REQUIRELOC": "T", "REQUIREPROJECT": "false",
        "REQUIREGLDIMFUND": "true", "CLOSINGTYPE": "non-closing account",
    })
    assert acct.account_no == "6000" and acct.title == "Rent"
    assert acct.required_dimensions == {"department", "location", "fund"}
    assert acct.extra == {"CLOSINGTYPE": "non-closing account"}


def test_account_round_trip():
    acct = Account(account_no="2000", title="AP", account_type="balancesheet", normal_balance="credit",
                   required_dimensions=frozenset({"vendor", "fund"}), extra={"CATEGORYKEY": "7"})
    row = records.account_to_row(acct)
    assert row["REQUIREVENDOR"] == "true" and row["REQUIREDEPT"] == "false"
    assert row["REQUIREGLDIMFUND"] == "true"
    assert records.row_to_account(row) == acct


@pytest.mark.parametrize("row,field", [
    ({"TITLE": "no number"}, "ACCOUNTNO"),
    ({"ACCOUNTNO": "1", "ACCOUNTTYPE": "asset"}, "ACCOUNTTYPE"),
    ({"ACCOUNTNO": "1", "REQUIREDEPT": "maybe"}, "REQUIREDEPT"),
])
def test_account_errors_name_the_field(row, field):
    with pytest.raises(ParseError) as err:
        records.row_to_account(row)
    assert err.value.field == field


def test_dimension_values_standard_and_custom():
    dept = records.row_to_dimension_value("DEPARTMENT", {"DEPARTMENTID": "SALES", "TITLE": "Sales",
                                                        "PARENTID": "ADM", "MEGAENTITYID": "US1"})
    assert dept == DimensionValue(dimension="department", code="SALES", name="Sales", parent="ADM",
                                  entities=("US1",))
    loc = records.row_to_dimension_value("location", {"locationid": "NYC", "name": "New York"})
    assert (loc.dimension, loc.code, loc.name, loc.entities) == ("location", "NYC", "New York", ())
    cls = records.row_to_dimension_value("CLASS", {"CLASSID": "C1", "NAME": "Retail", "STATUS": "inactive"})
    assert cls.dimension == "class" and not cls.active
    fund = records.row_to_dimension_value("FUND", {"ID": "GEN", "NAME": "General"})
    assert (fund.dimension, fund.code) == ("fund", "GEN")
    assert records.dimension_value_to_rows(fund) == [{"ID": "GEN", "NAME": "General", "STATUS": "active"}]


def test_vendor_employee_project_entity():
    vendor = records.row_to_vendor({"VENDORID": "V1", "NAME": "Acme", "VENDTYPE": "Supplier",
                                    "APACCOUNT": "2000", "DISPLAYCONTACT.EMAIL1": "a@b.test"})
    assert vendor == Vendor(vendor_id="V1", name="Acme", vendor_type="Supplier", default_account="2000",
                            extra={"DISPLAYCONTACT.EMAIL1": "a@b.test"})
    assert records.row_to_vendor(records.vendor_to_row(vendor)) == vendor

    emp = records.row_to_employee({"EMPLOYEEID": "E1", "PERSONALINFO.CONTACTNAME": "Dana",
                                   "DEPARTMENTID": "SALES"})
    assert (emp.name, emp.department, emp.location) == ("Dana", "SALES", None)
    assert records.row_to_employee({"EMPLOYEEID": "E2", "NAME": "Lee"}).name == "Lee"

    proj = records.row_to_project({"PROJECTID": "P1", "NAME": "Web", "BUDGETEDCOST": "1,500.00",
                                   "BEGINDATE": "01/02/2024", "MEGAENTITYID": "US1"})
    assert proj.budget == Decimal("1500.00") and proj.start_date == date(2024, 1, 2)
    assert proj.entities == ("US1",)
    proj2 = Project(project_id="P2", name="X", budget=Decimal("10.50"), customer_id="C1",
                    end_date=date(2025, 12, 31))
    assert records.row_to_project(records.project_to_row(proj2)) == proj2
    with pytest.raises(ParseError) as err:
        records.row_to_project({"PROJECTID": "P1", "BUDGETAMOUNT": "lots"})
    assert err.value.field == "BUDGETAMOUNT"

    ent = records.row_to_entity({"LOCATIONID": "UK1", "NAME": "UK", "CURRENCY": "GBP",
                                 "CONTACTINFO.MAILADDRESS.COUNTRYCODE": "GB", "PARENTID": "US1"})
    assert (ent.entity_id, ent.currency, ent.country, ent.parent) == ("UK1", "GBP", "GB", "US1")
    assert records.row_to_entity(records.entity_to_row(ent)) == ent


GLDETAIL = {
    "RECORDNO": "1001", "BATCHKEY": "501", "BATCH_NO": "41", "BATCH_DATE": "01/31/2024",
    "ENTRY_DATE": "01/31/2024", "BATCH_TITLE": "January rent", "SYMBOL": "GJ", "LINE_NO": "1",
    "TR_TYPE": "-1", "ACCOUNTNO": "6000", "DEPARTMENTID": "ADM", "LOCATIONID": "NYC", "VENDORID": "V1",
    "GLDIMFUND": "GEN", "CURRENCY": "USD", "DESCRIPTION": "Rent", "AMOUNT": "2500.00",
    "TRX_AMOUNT": "2500.00", "DOCUMENT": "INV-7", "MEGAENTITYID": "US1", "DEPARTMENTTITLE": "Admin",
}


def test_posting_from_gldetail_row():
    p = records.row_to_posting(GLDETAIL, "DEFAULT")
    assert (p.record_no, p.entity, p.entry_date, p.journal, p.batch_no) == ("1001", "US1", date(2024, 1, 31), "GJ", "41")
    assert (p.tr_type, p.amount, p.memo, p.currency, p.document) == (-1, Decimal("2500.00"), "Rent", "USD", "INV-7")
    assert p.dims == {"department": "ADM", "location": "NYC", "vendor": "V1", "fund": "GEN"}
    assert p.extra == {"BATCHKEY": "501", "LINE_NO": "1", "DEPARTMENTTITLE": "Admin"}


def test_posting_spellings_fallbacks_and_case():
    p = records.row_to_posting({"recordno": "9", "batch_date": "02/01/2024", "journal": "ADJ",
                                "accountno": "6100", "tr_type": "1", "amount": "10", "department": "SALES",
                                "batchkey": "77"}, "E1")
    assert (p.entity, p.entry_date, p.journal, p.amount, p.batch_no) == ("E1", date(2024, 2, 1), "ADJ", Decimal("10.00"), "77")
    assert p.dims == {"department": "SALES"}
    # A base AMOUNT that differs from TRX_AMOUNT (multi-currency) is kept, not lost.
    q = records.row_to_posting({**GLDETAIL, "AMOUNT": "3000.00", "CURRENCY": "GBP"})
    assert q.amount == Decimal("2500.00") and q.extra["AMOUNT"] == "3000.00"


def test_posting_round_trip_keeps_extra_and_source():
    p = Posting(record_no="X1", entity="US1", entry_date=date(2024, 3, 1), batch_no="5", account_no="6000",
                tr_type=1, amount="12.30", memo="m", dims={"department": "ADM", "task": "T1", "fund": "F"},
                currency="USD", source="correction", extra={"LINE_NO": "3"})
    row = records.posting_to_row(p)
    assert row["DEPARTMENTID"] == "ADM" and row["TASKID"] == "T1" and row["GLDIMFUND"] == "F"
    assert row["ENTRY_DATE"] == "03/01/2024" and row["SYMBOL"] == "GJ"
    assert records.row_to_posting(row) == p


@pytest.mark.parametrize("change,field", [
    ({"ENTRY_DATE": "2024-31-01"}, "ENTRY_DATE"),
    ({"ENTRY_DATE": "13/45/2024"}, "ENTRY_DATE"),
    ({"TR_TYPE": "2"}, "TR_TYPE"),
    ({"TRX_AMOUNT": "12,5x"}, "TRX_AMOUNT"),
    ({"ACCOUNTNO": ""}, "ACCOUNTNO"),
    ({"RECORDNO": "  "}, "RECORDNO"),
    ({"MEGAENTITYID": ""}, "MEGAENTITYID"),
])
def test_posting_errors_name_the_field(change, field):
    with pytest.raises(ParseError) as err:
        records.row_to_posting({**GLDETAIL, **change})
    assert err.value.field == field
