"""The connector's pure parts: AI notes in memos, retry policy, transport classification, filters,
REST row mapping and the checkpoint file."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import httpx
import pytest

from copilot.connector.annotate import AiNote, memo_with_note, note_from_suggestion, prepare_entry, render_note
from copilot.connector.base import ReadFilter, check_object, check_page_size
from copilot.connector.checkpoint import Checkpoint, parse_modified
from copilot.connector.rest_rows import OBJECTS, get, mdy, mdy_hms
from copilot.connector.transport import RateLimited, RetryPolicy, TransientError, Transport
from copilot.domain.entries import JournalEntry, JournalLine
from copilot.domain.suggestions import DimensionCombination, RankedCoding, Suggestion, SuggestionRequest
from copilot.errors import InputError, ParseError, UpstreamError
from copilot.formats.intacct_errors import IntacctBusinessError, IntacctRateLimited

NOTE = AiNote(reasoning="Staples toner has been coded to 6000 ADMIN in 41 of 43 past invoices; "
                        "policy OPS-3.2 puts consumables under office supplies.",
              confidence=0.874, prompt_version="coding-v3")


def test_note_keeps_the_memo_whole_and_shortens_the_reasoning():
    memo = memo_with_note("Toner cartridges", NOTE, 80)
    assert len(memo) <= 80
    assert memo.startswith("Toner cartridges [AI 87% prompt coding-v3: Staples toner")
    assert memo.endswith("...]")
    assert memo_with_note("Toner", NOTE, 400) == f"Toner [AI 87% prompt coding-v3: {NOTE.reasoning}]"


def test_note_edge_cases():
    assert memo_with_note("", NOTE, 400).startswith("[AI 87% prompt coding-v3: Staples")
    long_memo = "x" * 500
    assert memo_with_note(long_memo, NOTE, 100) == "x" * 97 + "..."
    assert render_note(NOTE, 30) == "AI 87% prompt coding-v3"  # no room for a useful reason
    assert render_note(AiNote(reasoning="fits \u2014 well\u2026"), 100) == "AI: fits - well..."  # latin-1 safe
    with pytest.raises(InputError, match="between 0 and 1"):
        AiNote.from_mapping({"confidence": 7})


def _entry(**extra) -> JournalEntry:
    return JournalEntry(journal="GJ", batch_date=date(2024, 1, 31), extra=extra, lines=[
        JournalLine(account_no="6000", amount=Decimal("5.00"), memo="Pens",
                    extra={"ai": NOTE.as_dict(), "CUSTOM01": "keep"}),
        JournalLine(account_no="2000", tr_type=-1, amount=Decimal("5.00"), memo="AP")])


def test_prepare_entry_sets_the_state_and_renders_the_notes():
    draft = prepare_entry(_entry(), draft=True)
    assert draft.state == "Draft"
    assert draft.lines[0].memo.startswith("Pens [AI 87%") and draft.lines[0].extra == {"CUSTOM01": "keep"}
    assert draft.lines[1].memo == "AP"
    posted = prepare_entry(_entry(ai={"reasoning": "batch level", "confidence": 0.5}), draft=False,
                           target="custom_field", field="AI_NOTE")
    assert posted.state == "Posted" and "ai" not in posted.extra
    assert posted.lines[0].memo == "Pens" and posted.lines[0].extra["AI_NOTE"].startswith("AI 87%")
    assert posted.lines[1].extra["AI_NOTE"] == "AI 50%: batch level"  # the entry-level note applies to all


def test_note_from_suggestion():
    request = SuggestionRequest(entity="US01", memo="toner")
    coding = RankedCoding(combination=DimensionCombination(account_no="6000"), confidence=0.8,
                          reasoning="similar to 41 postings")
    suggestion = Suggestion(request=request, codings=[coding], prompt_version="coding-v3", model="gpt-x")
    note = note_from_suggestion(suggestion)
    assert (note.confidence, note.prompt_version, note.reasoning, note.model) == \
        (0.8, "coding-v3", "similar to 41 postings", "gpt-x")


def test_retry_policy_backs_off_and_honours_retry_after():
    policy = RetryPolicy(attempts=5, initial_s=1.0, max_s=8.0)
    for attempt, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (6, 8.0)):
        delay = policy.wait(attempt, None)
        assert ceiling / 2 <= delay <= ceiling
    assert policy.wait(1, RateLimited("x", retry_after=5)) == 5.0
    assert policy.wait(1, RateLimited("x", retry_after=500)) == 8.0  # capped


def _transport(handler, attempts=3) -> tuple[Transport, list[float]]:
    sleeps: list[float] = []
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return Transport(policy=RetryPolicy(attempts, 0.01, 0.02), timeout_s=1, max_concurrency=1, client=client,
                     sleep=sleeps.append), sleeps


def test_transport_classifies_http_failures():
    statuses = iter([429, 503, 200])
    transport, sleeps = _transport(lambda req: httpx.Response(next(statuses), headers={"Retry-After": "0"}))
    result = transport.retrying(lambda n: transport.request("GET", "http://intacct.test/"), what="probe")
    assert result.status_code == 200 and len(sleeps) == 2

    def boom(req):
        raise httpx.ConnectError("refused")

    transport, _ = _transport(boom)
    with pytest.raises(UpstreamError, match="failed after 3 attempts: cannot reach Intacct"):
        transport.retrying(lambda n: transport.request("GET", "http://intacct.test/"), what="probe")


def test_transport_retries_only_what_is_retryable():
    calls = []

    def business(n):
        calls.append(n)
        raise IntacctBusinessError("no")

    transport, _ = _transport(lambda r: httpx.Response(200))
    with pytest.raises(IntacctBusinessError):
        transport.retrying(business, what="x")
    assert calls == [1]

    def ambiguous(n):
        calls.append(n)
        raise TransientError("read timeout", ambiguous=True)

    calls.clear()
    with pytest.raises(TransientError):
        transport.retrying(ambiguous, what="x", retry_ambiguous=False)
    assert calls == [1]

    def rate_limited_in_the_body(n):
        calls.append(n)
        if n < 3:
            raise IntacctRateLimited("GW-0010")
        return "ok"

    calls.clear()
    assert transport.retrying(rate_limited_in_the_body, what="x") == "ok" and calls == [1, 2, 3]


def test_filters_and_limits():
    flt = ReadFilter(modified_since=datetime(2024, 1, 15, 9, 30), after_recordno=120, entry_since=date(2024, 2, 1))
    assert flt.xml_query("GLDETAIL") == ("WHENMODIFIED >= '01/15/2024 09:30:00' AND RECORDNO > 120 AND "
                                         "ENTRY_DATE >= '02/01/2024'")
    assert flt.xml_query("VENDOR") == "WHENMODIFIED >= '01/15/2024 09:30:00' AND RECORDNO > 120"
    assert ReadFilter().xml_query("GLDETAIL") == ""
    assert check_object("gldetail") == "GLDETAIL"
    with pytest.raises(InputError, match="unsupported Intacct object"):
        check_object("USERINFO")
    assert check_page_size(1) == 1 and check_page_size(1000) == 1000
    for bad in (0, 1001, "10"):
        with pytest.raises(InputError):
            check_page_size(bad)


def test_rest_records_map_to_the_xml_read_form():
    record = {"key": "7", "glAccount.id": "6200", "txnType": "credit", "txnAmount": "10.50",
              "entryDate": "2024-03-05", "dimensions": {"department": {"id": "ENG"}, "nsp::fund": {"key": "F1"}},
              "journalEntry": {"key": "55", "glJournal": {"id": "GJ"}, "postingDate": "2024-03-05"},
              "audit": {"modifiedDateTime": "2024-03-06T10:11:12Z"}}
    row = OBJECTS["GLDETAIL"].to_row(record)
    assert row["ACCOUNTNO"] == "6200" and row["TR_TYPE"] == "-1" and row["TRX_AMOUNT"] == "10.50"
    assert row["ENTRY_DATE"] == "03/05/2024" and row["DEPARTMENTID"] == "ENG" and row["GLDIMFUND"] == "F1"
    assert row["SYMBOL"] == "GJ" and row["WHENMODIFIED"] == "03/06/2024 10:11:12"
    assert get({"a": {"b": 1}}, "a.b") == 1 and get({"a.b": 2}, "a.b") == 2 and get({}, "a.b") is None
    assert mdy("") == "" and mdy_hms(None) == ""


def test_checkpoint_round_trip_and_corruption(tmp_path):
    cp = Checkpoint.load(tmp_path / "cp.json")
    st = cp.state("GLDETAIL")
    st.start_run({"mode": "replace"})
    st.note_rows([{"RECORDNO": "9", "WHENMODIFIED": "01/02/2024 10:00:00"},
                  {"RECORDNO": "12", "WHENMODIFIED": "12/31/2023 23:00:00"}])
    st.finish_run(2)
    cp.save()
    again = Checkpoint.load(tmp_path / "cp.json").state("GLDETAIL")
    assert (again.last_recordno, again.last_modified, again.status, again.rows_total) == \
        (12, "01/02/2024 10:00:00", "done", 2)
    assert parse_modified("01/02/2024 10:00:00") == datetime(2024, 1, 2, 10) and parse_modified("junk") is None
    (tmp_path / "cp.json").write_text("{not json")
    with pytest.raises(ParseError, match="unreadable sync checkpoint"):
        Checkpoint.load(tmp_path / "cp.json")
