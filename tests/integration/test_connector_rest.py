"""The REST flavour against the local test server: OAuth2, core/query paging, journal entries and
the error statuses (400/401/404/422 not retried, 429/5xx retried, lost write answers reported)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from copilot.connector.base import LedgerConnector, ReadFilter
from copilot.connector.errors import WriteOutcomeUnknown
from copilot.connector.rest import RestConnector
from copilot.domain.entries import JournalEntry, JournalLine
from copilot.errors import NotFound, UpstreamError
from copilot.formats.intacct_errors import IntacctAuthError, IntacctBusinessError
from tests.intacct_server import intacct_server, settings_for  # noqa: F401  (fixture)


@pytest.fixture
def settings(intacct_server, tmp_path):
    return settings_for(intacct_server, tmp_path, intacct_api="rest", intacct_entity="US01")


@pytest.fixture
def rest(settings):
    conn = RestConnector.from_settings(settings)
    yield conn
    conn.close()


def entry(account: str = "6200", amount: str = "310.00") -> JournalEntry:
    return JournalEntry(journal="GJ", batch_date=date(2024, 4, 30), batch_title="Copilot proposal", lines=[
        JournalLine(account_no=account, amount=Decimal(amount), memo="AWS monthly hosting",
                    dims={"department": "ENG", "location": "200", "fund": "F1"},
                    extra={"ai": {"reasoning": "AWS invoices go to software subscriptions", "confidence": 0.93,
                                  "prompt_version": "coding-v3"}}),
        JournalLine(account_no="2000", tr_type=-1, amount=Decimal(amount), memo="AP", dims={"location": "200"}),
    ])


def test_it_is_a_ledger_connector(rest):
    assert isinstance(rest, LedgerConnector) and rest.api == "rest"


def test_client_credentials_then_query_paging_until_next_is_null(rest, intacct_server):
    pages = list(rest.read_pages("GLDETAIL"))
    assert [len(p.rows) for p in pages] == [50, 50, 20]
    assert [p.cursor for p in pages] == ["51", "101", None]
    assert sorted((r["RECORDNO"] for p in pages for r in p.rows), key=int) == [str(i) for i in range(1, 121)]
    token, *queries = intacct_server.sim.calls
    assert token.path == "/oauth2/token" and b"grant_type=client_credentials" in token.body
    bodies = [json.loads(c.body) for c in queries]
    assert [b["start"] for b in bodies] == [1, 51, 101]
    assert bodies[0]["object"] == "general-ledger/journal-entry-line" and bodies[0]["size"] == 50


def test_rows_come_back_in_the_xml_read_form(rest):
    row = next(rest.read_objects("GLDETAIL"))
    assert row["ENTRY_DATE"] == "01/02/2024" and row["TR_TYPE"] == "1" and row["DEPARTMENTID"] == "ADMIN"
    account = {r["ACCOUNTNO"]: r for r in rest.read_objects("GLACCOUNT")}["6100"]
    assert account["ACCOUNTTYPE"] == "incomestatement" and account["REQUIRELOC"] == "true"


def test_filters_become_rest_filters(rest, intacct_server):
    rows = [r for p in rest.read_pages("GLDETAIL", ReadFilter(after_recordno=110)) for r in p.rows]
    assert [r["RECORDNO"] for r in rows] == [str(i) for i in range(111, 121)]
    assert list(rest.read_objects("VENDOR", since=datetime(2030, 1, 1))) == []
    body = json.loads(intacct_server.sim.calls[-1].body)
    assert body["filters"] == [{"$gte": {"audit.modifiedDateTime": "2030-01-01T00:00:00Z"}}]
    assert len(list(rest.read_postings(date(2024, 6, 1)))) < 120


def test_create_draft_read_back_and_update(rest, intacct_server):
    key = rest.create_journal_entry(entry())
    call = intacct_server.sim.function_calls("POST /objects/general-ledger/journal-entry")[0]
    body = json.loads(call.body)
    assert body["state"] == "draft" and body["postingDate"] == "2024-04-30"
    line = body["lines"][0]
    assert line["glAccount"] == {"id": "6200"} and line["txnType"] == "debit" and line["txnAmount"] == "310.00"
    assert line["dimensions"]["department"] == {"id": "ENG"} and line["dimensions"]["nsp::fund"] == {"key": "F1"}
    assert line["description"].startswith("AWS monthly hosting [AI 93% prompt coding-v3:")
    stored = intacct_server.sim.batches[key]
    assert stored["STATE"] == "Draft" and stored["ENTRIES"][0]["GLDIMFUND"] == "F1"

    back = rest.get_journal_entry(key)
    assert back.state == "Draft" and back.lines[0].dims == {"department": "ENG", "location": "200", "fund": "F1"}
    assert rest.update_journal_entry(key, entry(amount="320.00")) == key
    assert intacct_server.sim.batches[key]["ENTRIES"][0]["TRX_AMOUNT"] == "320.00"
    headers = intacct_server.sim.calls[-1]
    assert headers.auth == "bearer"


def test_business_error_422_is_not_retried(rest, intacct_server):
    with pytest.raises(IntacctBusinessError) as info:
        rest.create_journal_entry(entry(account="9999"))
    assert info.value.http_status == 422
    assert "Invalid account number '9999' on line 1." in info.value.message
    assert len(intacct_server.sim.function_calls("POST /objects/general-ledger/journal-entry")) == 1
    assert not intacct_server.sim.batches


def test_missing_entry_is_not_found(rest):
    with pytest.raises(NotFound):
        rest.get_journal_entry("424242")
    with pytest.raises(NotFound):
        rest.update_journal_entry("424242", entry())


def test_bad_client_secret_is_an_upstream_auth_error(intacct_server, tmp_path):
    conn = RestConnector.from_settings(settings_for(intacct_server, tmp_path, intacct_client_secret="nope-nope"))
    with pytest.raises(IntacctAuthError, match="HTTP 401"):
        list(conn.read_objects("GLACCOUNT"))
    assert len(intacct_server.sim.calls) == 1


def test_an_expired_token_is_refreshed_once(rest, intacct_server):
    list(rest.read_objects("DEPARTMENT"))
    intacct_server.sim.expire_sessions()
    assert len(list(rest.read_objects("GLACCOUNT"))) == 9
    tokens = [c for c in intacct_server.sim.calls if c.path == "/oauth2/token"]
    assert len(tokens) == 2 and b"grant_type=refresh_token" in tokens[1].body
    intacct_server.sim.token_ttl_s = -1  # every token is born expired: one refresh, then give up
    intacct_server.sim.expire_sessions()
    with pytest.raises(IntacctAuthError, match="freshly issued"):
        list(rest.read_objects("GLACCOUNT"))


def test_rate_limit_then_success_and_persistent_5xx(rest, intacct_server):
    list(rest.read_objects("DEPARTMENT"))
    intacct_server.sim.inject("http429", times=2)
    assert len(list(rest.read_objects("GLACCOUNT"))) == 9
    before = len(intacct_server.sim.calls)
    intacct_server.sim.inject("5xx", times=20)
    with pytest.raises(UpstreamError, match="after 4 attempts: Intacct answered HTTP 503"):
        list(rest.read_objects("GLACCOUNT"))
    assert len(intacct_server.sim.calls) - before == 4


def test_malformed_json_is_reported(rest, intacct_server):
    list(rest.read_objects("DEPARTMENT"))
    intacct_server.sim.inject("malformed")
    with pytest.raises(UpstreamError, match="not valid JSON"):
        list(rest.read_objects("GLACCOUNT"))


def test_a_lost_write_answer_is_reported_not_repeated(rest, intacct_server):
    list(rest.read_objects("DEPARTMENT"))
    intacct_server.sim.inject("5xx_after")
    with pytest.raises(WriteOutcomeUnknown, match="may or may not have been written"):
        rest.create_journal_entry(entry())
    assert len(intacct_server.sim.batches) == 1  # written once; the client did not send it again
    assert len(intacct_server.sim.function_calls("POST /objects/general-ledger/journal-entry")) == 1


def test_the_entity_travels_in_the_entity_header(rest, intacct_server):
    list(rest.read_objects("CLASS"))
    query = intacct_server.sim.calls[-1]
    assert query.headers.get("x-ia-api-param-entity") == "US01"
    assert query.headers.get("authorization", "").startswith("Bearer ")


def test_a_stale_refresh_token_falls_back_to_client_credentials(rest, intacct_server):
    list(rest.read_objects("DEPARTMENT"))
    intacct_server.sim.expire_sessions()
    intacct_server.sim.refresh_tokens.clear()  # the refresh token is no longer valid either
    assert len(list(rest.read_objects("GLACCOUNT"))) == 9
    grants = [c.body for c in intacct_server.sim.calls if c.path == "/oauth2/token"]
    assert [b"grant_type=refresh_token" in g for g in grants] == [False, True, False]
