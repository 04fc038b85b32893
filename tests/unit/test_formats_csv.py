"""Intacct's journal-entry CSV import template: read, write, round trip, errors by line and column."""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from copilot.domain import JournalEntry, JournalLine
from copilot.errors import ParseError
from copilot.formats.journal_csv import iter_journal_csv, iter_journal_csv_rows, read_journal_csv, write_journal_csv

FIXTURE = Path(__file__).parent.parent / "fixtures" / "intacct" / "journal_import.csv"


def entries() -> list[JournalEntry]:
    return [
        JournalEntry(journal="GJ", batch_date=date(2024, 1, 31), batch_title="Rent, \"Jan\"", reference_no="R1",
                     lines=[JournalLine(account_no="6000", amount="2500.00", memo="Rent", line_no=1,
                                        dims={"department": "ADM", "location": "NYC", "project": "P1", "fund": "GEN"}),
                            JournalLine(account_no="2000", tr_type=-1, amount="2500.00", line_no=2,
                                        dims={"vendor": "V1"}, extra={"ALLOCATION": "none"})]),
        JournalEntry(journal="ADJ", batch_date=date(2024, 2, 1), entity="UK1", state="Draft",
                     reverse_date=date(2024, 3, 1),
                     lines=[JournalLine(account_no="6100", amount="0.10", line_no=1, currency="GBP"),
                            JournalLine(account_no="1010", tr_type=-1, amount="0.10", line_no=2, currency="GBP")]),
    ]


def test_fixture_template_with_description_row_and_comment_rows():
    got = read_journal_csv(FIXTURE)
    assert [e.batch_title for e in got] == ["January rent", "Card fees"]
    first = got[0]
    assert (first.journal, first.batch_date, first.reference_no) == ("GJ", date(2024, 1, 31), "R-001")
    assert first.lines[0].dims == {"location": "NYC", "department": "ADM", "project": "PRJ-1", "fund": "GENERAL"}
    assert first.lines[0].memo == "Rent, January" and first.lines[1].tr_type == -1
    assert got[1].lines[0].amount == Decimal("1050.25") and got[1].is_balanced


def test_round_trip_text_file_and_path(tmp_path):
    original = entries()
    buf = io.StringIO()
    write_journal_csv(original, buf)
    text = buf.getvalue()
    header = text.splitlines()[0].split(",")
    assert header[:13] == ["DONOTIMPORT", "JOURNAL", "DATE", "REVERSEDATE", "SOURCEENTITY", "STATE", "DESCRIPTION",
                           "REFERENCE_NO", "LINE_NO", "ACCT_NO", "LOCATION_ID", "DEPT_ID", "MEMO"]
    assert ",,,,," in text.splitlines()[2]  # header fields only on an entry's first row
    assert read_journal_csv(text) == original
    path = tmp_path / "je.csv"
    path.write_text(text)
    assert read_journal_csv(path) == original
    assert read_journal_csv(str(path)) == original
    with path.open() as fh:
        assert list(iter_journal_csv(fh)) == original


def test_lowercase_headers_other_spellings_and_date_format():
    text = ("journal,date,description,line_no,acct_no,departmentid,glentry_classid,debit,credit\n"
            "GJ,31.01.2024,x,1,6000,SALES,C1,(10.00),\n"
            ",,,2,2000,,,,-10.00\n")
    (e,) = read_journal_csv(text, date_format="%d.%m.%Y")
    assert e.batch_date == date(2024, 1, 31)
    assert e.lines[0].dims == {"department": "SALES", "class": "C1"}
    # a negative debit is a credit, a negative credit a debit (the sign gives the side)
    assert [(ln.tr_type, ln.amount) for ln in e.lines] == [(-1, Decimal("10.00")), (1, Decimal("10.00"))]


def test_repeated_header_fields_and_back_to_back_entries():
    text = ("JOURNAL,DATE,LINE_NO,ACCT_NO,DEBIT,CREDIT\n"
            "GJ,01/01/2024,1,6000,1,\n" "GJ,01/01/2024,2,2000,,1\n"
            "GJ,01/01/2024,1,6000,2,\n" "GJ,01/01/2024,2,2000,,2\n")
    got = read_journal_csv(text)
    assert [len(e.lines) for e in got] == [2, 2] and got[1].lines[0].amount == Decimal("2.00")


def test_streaming_rows_skip_comments_and_descriptions():
    rows = list(iter_journal_csv_rows(FIXTURE))
    assert [n for n, _ in rows] == [3, 4, 6, 7]
    assert rows[0][1]["ACCT_NO"] == "6000"


@pytest.mark.parametrize("old,new,field,line", [
    ("01/31/2024,January", "2024-01-31,January", "DATE", 3),
    (",2500.00,,PRJ-1", ",25OO.00,,PRJ-1", "DEBIT", 3),
    (",,2500.00,,", ',,"2,500.0.0",,', "CREDIT", 4),
    (",,2500.00,,", ",,2500.00,,,,extra", None, 4),  # more cells than columns
    (",2,2000,NYC", ",2,,NYC", "ACCT_NO", 4),
    (",,Rent payable,,2500.00", ",,Rent payable,1.00,2500.00", "DEBIT", 4),
    (",,Rent payable,,2500.00", ",,Rent payable,,", "DEBIT", 4),
    (",GJ,01/31/2024,January", ",,01/31/2024,January", "JOURNAL", 3),
    (",1,6000,", ",one,6000,", "LINE_NO", 3),
])
def test_errors_name_line_and_column(old, new, field, line):
    text = FIXTURE.read_text()
    assert old in text
    with pytest.raises(ParseError) as err:
        read_journal_csv(text.replace(old, new, 1))
    assert (err.value.field, err.value.line) == (field, line)


def test_not_a_journal_file_and_orphan_lines():
    with pytest.raises(ParseError) as err:
        read_journal_csv("a,b\n1,2\n")
    assert err.value.field == "ACCT_NO"
    with pytest.raises(ParseError) as err:
        read_journal_csv("JOURNAL,DATE,ACCT_NO,DEBIT,CREDIT\n,,6000,1,\n")
    assert (err.value.field, err.value.line) == ("JOURNAL", 2)
    with pytest.raises(ParseError):
        read_journal_csv("")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ParseError) as err:
        read_journal_csv(str(tmp_path / "nope.csv"))
    assert "no such CSV file" in err.value.message
