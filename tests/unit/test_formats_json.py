"""Journal entries as JSON (XML-API shapes in JSON, and REST): every accepted shape, round trips,
errors that name the JSON path."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from copilot.domain import JournalEntry, JournalLine
from copilot.errors import ParseError
from copilot.formats.intacct_json import (journal_entry_to_json, journal_entry_to_rest, parse_journal_json,
                                          rest_to_journal_entry)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "intacct"


def entry() -> JournalEntry:
    return JournalEntry(
        journal="GJ", batch_date=date(2024, 3, 15), batch_title="March accrual", reference_no="ACC-03",
        entity="US1", state="Draft", reverse_date=date(2024, 4, 1),
        lines=[JournalLine(account_no="6000", amount="1200.50", memo="Rent", currency="USD",
                           dims={"department": "ADM", "location": "NYC", "project": "P1", "class": "C1",
                                 "task": "T1", "fund": "GEN"}),
               JournalLine(account_no="2000", tr_type=-1, amount="1200.50", dims={"vendor": "V1"})])


def test_issue4_example_needs_a_date_rule():
    payload = (FIXTURES / "journal_issue4.json").read_text()
    with pytest.raises(ParseError) as err:
        parse_journal_json(payload)
    assert err.value.field == "operation.content.function.list[0].BATCH_DATE"
    (e,) = parse_journal_json(payload, default_date=date(2024, 3, 31))
    assert (e.journal, e.batch_date) == ("GL2024Q1", date(2024, 3, 31))
    assert e.lines[0].dims == {"location": "NYC", "department": "SALES", "project": "PRJ-1024"}
    assert e.lines[0].amount == Decimal("12500.00") and e.lines[0].tr_type == 1


def test_operation_wrapper_function_list_single_glentry_and_any_case():
    first, second = parse_journal_json((FIXTURES / "journal_operation_create.json").read_bytes())
    assert first.batch_title == "March accrual" and first.is_balanced
    assert first.lines[0].dims == {"department": "ADM", "location": "NYC", "fund": "GENERAL"}
    assert first.lines[1].amount == Decimal("1200.50")  # a JSON number, read as Decimal
    assert second.batch_date == date(2024, 3, 16) and len(second.lines) == 1
    assert second.lines[0].vendor == "V100"


def test_bare_glbatch_and_verb_forms():
    batch = {"JOURNAL": "GJ", "BATCH_DATE": "01/31/2024",
             "ENTRIES": {"GLENTRY": {"ACCOUNTNO": "6000", "TRX_AMOUNT": "5", "TR_TYPE": "-1"}}}
    assert parse_journal_json(batch)[0].lines[0].tr_type == -1
    assert parse_journal_json({"GLBATCH": [batch, batch]})[1].journal == "GJ"
    inline = {"object": "JOURNALENTRY", **batch}
    assert parse_journal_json(json.dumps(inline))[0].lines[0].account_no == "6000"
    records = {"function": {"create": {"object": "GLBATCH", "records": [{"GLBATCH": batch}]}}}
    assert len(parse_journal_json(records)) == 1
    listed = {"ENTRIES": [{"accountno": "1", "amount": "2"}], "journal": "X", "batch_date": "2024-01-02"}
    assert parse_journal_json(listed)[0].lines[0].amount == Decimal("2.00")


def test_json_round_trip():
    original = entry()
    doc = journal_entry_to_json(original, "c-1")
    fn = doc["operation"]["content"]["function"]
    assert fn["controlid"] == "c-1"
    line = fn["create"]["GLBATCH"]["ENTRIES"]["GLENTRY"][0]
    assert list(line)[:4] == ["ACCOUNTNO", "TR_TYPE", "TRX_AMOUNT", "CURRENCY"]
    assert line["DEPARTMENT"] == "ADM" and line["LOCATION"] == "NYC" and line["GLDIMFUND"] == "GEN"
    assert parse_journal_json(json.dumps(doc)) == [original]
    upd = journal_entry_to_json(original.model_copy(update={"record_no": "9"}), "u", update=True)
    assert parse_journal_json(upd)[0].record_no == "9"


def test_rest_round_trip_and_fixture():
    original = entry()
    body = journal_entry_to_rest(original)
    assert body["postingDate"] == "2024-03-15" and body["lines"][0]["txnType"] == "debit"
    assert body["lines"][0]["txnAmount"] == "1200.50" and body["lines"][1]["txnType"] == "credit"
    assert body["lines"][0]["dimensions"]["nsp::fund"] == {"key": "GEN"}
    assert body["lines"][0]["dimensions"]["department"] == {"id": "ADM"}
    assert rest_to_journal_entry(body) == original
    assert parse_journal_json(json.dumps(body)) == [original]
    rest = rest_to_journal_entry((FIXTURES / "journal_rest.json").read_text())
    assert (rest.journal, rest.batch_date, rest.entity) == ("FYLE_JE", date(2024, 2, 29), "US1")
    assert rest.lines[0].dims == {"department": "SALES", "location": "NYC", "project": "PRJ-1", "fund": "GENERAL"}
    assert rest.lines[0].extra["isBillable"] == "False" and rest.is_balanced


@pytest.mark.parametrize("mutate,field", [
    (lambda b: b["ENTRIES"]["GLENTRY"][0].update(TRX_AMOUNT="12,5O0"), "ENTRIES.GLENTRY[0].TRX_AMOUNT"),
    (lambda b: b["ENTRIES"]["GLENTRY"][1].update(TR_TYPE="D"), "ENTRIES.GLENTRY[1].TR_TYPE"),
    (lambda b: b["ENTRIES"]["GLENTRY"][0].pop("ACCOUNTNO"), "ENTRIES.GLENTRY[0].ACCOUNTNO"),
    (lambda b: b.update(BATCH_DATE="2024/31/01"), "BATCH_DATE"),
    (lambda b: b.pop("JOURNAL"), "JOURNAL"),
    (lambda b: b.update(ENTRIES={"GLENTRY": []}), "ENTRIES"),
    (lambda b: b["ENTRIES"]["GLENTRY"].append("not an object"), "ENTRIES.GLENTRY[2]"),
])
def test_json_errors_name_the_path(mutate, field):
    doc = journal_entry_to_json(entry(), "c")
    batch = doc["operation"]["content"]["function"]["create"]["GLBATCH"]
    mutate(batch)
    with pytest.raises(ParseError) as err:
        parse_journal_json(doc)
    assert err.value.field == f"operation.content.function.create.GLBATCH.{field}"


def test_rest_errors_use_rest_names():
    body = journal_entry_to_rest(entry())
    body["lines"][1]["txnType"] = "sideways"
    with pytest.raises(ParseError) as err:
        rest_to_journal_entry(body)
    assert err.value.field == "lines[1].txnType"
    body = journal_entry_to_rest(entry())
    body["lines"][0]["txnAmount"] = "abc"
    with pytest.raises(ParseError) as err:
        parse_journal_json(body)
    assert err.value.field == "lines[0].txnAmount"


@pytest.mark.parametrize("text", ['{"GLBATCH": {"JOURNAL": "GJ", "ENTRIES": [}', '{"a": 1', '', '[1, 2'])
def test_malformed_json_names_the_line(text):
    with pytest.raises(ParseError) as err:
        parse_journal_json(text)
    assert err.value.line == 1 and "malformed JSON" in err.value.message


def test_no_entry_found():
    with pytest.raises(ParseError) as err:
        parse_journal_json({"operation": {"content": {"function": {"readByQuery": {"object": "GLACCOUNT"}}}}})
    assert err.value.field == "GLBATCH"
