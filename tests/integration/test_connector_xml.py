"""The Web Services XML client against the local Intacct test server: sessions, paging, writes and
every error path (control, authentication, business, rate limit, 5xx, timeout, malformed, expiry)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from copilot.connector.base import ReadFilter
from copilot.connector.client import XmlConnector
from copilot.connector.errors import DuplicateRequest
from copilot.domain.entries import JournalEntry, JournalLine
from copilot.errors import InputError, UpstreamError
from copilot.formats.intacct_errors import IntacctAuthError, IntacctBusinessError, IntacctControlError
from tests.intacct_server import intacct_server, settings_for  # noqa: F401  (fixture)


@pytest.fixture
def settings(intacct_server, tmp_path):
    return settings_for(intacct_server, tmp_path)


@pytest.fixture
def xml(settings):
    conn = XmlConnector.from_settings(settings)
    yield conn
    conn.close()


def entry(account: str = "6000", amount: str = "125.00", **dims: str) -> JournalEntry:
    return JournalEntry(journal="GJ", batch_date=date(2024, 3, 31), batch_title="Copilot proposal", lines=[
        JournalLine(account_no=account, amount=Decimal(amount), memo="Toner cartridges",
                    dims=dims or {"department": "ADMIN"},
                    extra={"ai": {"reasoning": "Staples toner has been coded to 6000 ADMIN 41 times",
                                  "confidence": 0.87, "prompt_version": "coding-v3"}}),
        JournalLine(account_no="2000", tr_type=-1, amount=Decimal(amount), memo="Staples invoice"),
    ])


def test_login_is_a_request_of_its_own_and_later_calls_use_the_returned_endpoint(xml, intacct_server):
    rows = list(xml.read_objects("GLACCOUNT"))
    assert len(rows) == 9
    login, query = intacct_server.sim.calls
    assert login.functions == ["getAPISession"] and login.auth == "login"
    assert login.path == "/ia/xml/xmlgw.phtml"
    assert query.functions == ["readByQuery"] and query.auth == "session"
    assert query.path == "/na12/ia/xml/xmlgw.phtml"  # the endpoint getAPISession returned


def test_control_ids_are_unique_per_request_and_per_function(xml, intacct_server):
    for obj in ("GLACCOUNT", "DEPARTMENT", "GLDETAIL"):
        list(xml.read_objects(obj))
    calls = intacct_server.sim.calls
    assert len(calls) >= 6
    control_ids = [c.control_id for c in calls]
    function_ids = [f for c in calls for f in c.function_control_ids]
    assert len(set(control_ids)) == len(control_ids)
    assert len(set(function_ids)) == len(function_ids)


def test_paging_reads_every_row_once_until_numremaining_is_zero(xml, intacct_server):
    pages = list(xml.read_pages("GLDETAIL"))  # 120 rows, pagesize 50
    assert [len(p.rows) for p in pages] == [50, 50, 20]
    assert [p.numremaining for p in pages] == [70, 20, 0]
    assert pages[-1].cursor is None and pages[0].cursor
    records = [r["RECORDNO"] for p in pages for r in p.rows]
    assert sorted(records, key=int) == [str(i) for i in range(1, 121)]
    assert len(intacct_server.sim.function_calls("readMore")) == 2


def test_page_size_is_held_to_1_to_1000(settings):
    for bad in (0, 1001):
        with pytest.raises(InputError, match="between 1 and 1000"):
            XmlConnector.from_settings(settings.model_copy(update={"intacct_page_size": bad}))
    conn = XmlConnector.from_settings(settings.model_copy(update={"intacct_page_size": 1000}))
    assert len(list(conn.read_objects("GLDETAIL"))) == 120
    conn.close()


def test_filters_become_readbyquery_queries(xml, intacct_server):
    assert [r["RECORDNO"] for r in xml.read_pages("GLDETAIL", ReadFilter(after_recordno=115)).__next__().rows] \
        == ["116", "117", "118", "119", "120"]
    late = list(xml.read_objects("GLDETAIL", since=None))
    recent = [r for p in xml.read_pages("GLDETAIL", ReadFilter(entry_since=date(2024, 2, 1))) for r in p.rows]
    assert 0 < len(recent) < len(late)
    assert all(datetime.strptime(r["ENTRY_DATE"], "%m/%d/%Y").date() >= date(2024, 2, 1) for r in recent)
    assert list(xml.read_objects("GLACCOUNT", since=datetime(2030, 1, 1))) == []
    body = intacct_server.sim.function_calls("readByQuery")[0].body.decode("latin-1")
    assert "<query>RECORDNO &gt; 115</query>" in body


def test_read_postings_gives_domain_postings(xml):
    postings = list(xml.read_postings(date(2024, 1, 1), entity="US01"))
    assert len(postings) == 120
    first = postings[0]
    assert first.entity == "US01" and first.amount == Decimal("720.15") and first.dims["department"] == "ADMIN"


def test_create_writes_a_draft_with_the_ai_note_in_the_memo(xml, intacct_server):
    record_no = xml.create_journal_entry(entry())
    stored = intacct_server.sim.batches[record_no]
    assert stored["STATE"] == "Draft"
    memo = stored["ENTRIES"][0]["DESCRIPTION"]
    assert memo.startswith("Toner cartridges [AI 87% prompt coding-v3: Staples toner")
    assert stored["ENTRIES"][0]["DEPARTMENT"] == "ADMIN"  # the create spelling, not DEPARTMENTID
    body = intacct_server.sim.function_calls("create")[0].body.decode("latin-1")
    assert "<uniqueid>true</uniqueid>" in body and "<STATE>Draft</STATE>" in body
    read_back = xml.get_journal_entry(record_no)
    assert read_back.state == "Draft" and read_back.lines[0].dims["department"] == "ADMIN"


def test_the_ai_note_can_go_to_a_custom_field(settings, intacct_server):
    conn = XmlConnector.from_settings(settings.model_copy(update={
        "intacct_ai_note_target": "custom_field", "intacct_ai_note_field": "GLDIMAI_NOTE"}))
    record_no = conn.create_journal_entry(entry(), draft=False)
    line = intacct_server.sim.batches[record_no]["ENTRIES"][0]
    assert line["DESCRIPTION"] == "Toner cartridges"
    assert line["GLDIMAI_NOTE"].startswith("AI 87% prompt coding-v3:")
    assert intacct_server.sim.batches[record_no]["STATE"] == "Posted"
    conn.close()


def test_update_replaces_the_lines(xml, intacct_server):
    record_no = xml.create_journal_entry(entry())
    assert xml.update_journal_entry(record_no, entry(amount="130.00", department="SALES")) == record_no
    lines = intacct_server.sim.batches[record_no]["ENTRIES"]
    assert [ln["TRX_AMOUNT"] for ln in lines] == ["130.00", "130.00"]
    assert lines[0]["DEPARTMENT"] == "SALES"
    with pytest.raises(IntacctBusinessError, match="Cannot find glbatch with key '9999'"):
        xml.update_journal_entry("9999", entry())


def test_control_failure_bad_sender_is_not_retried(settings, intacct_server):
    conn = XmlConnector.from_settings(settings.model_copy(update={"intacct_sender_password": "wrong-sender-pw"}))
    with pytest.raises(IntacctAuthError) as info:
        list(conn.read_objects("GLACCOUNT"))
    assert info.value.level == "control"
    assert "Incorrect Intacct XML Partner ID or password" in info.value.message
    assert len(intacct_server.sim.calls) == 1


def test_control_failure_expired_company(xml, intacct_server):
    intacct_server.sim.company_expired = True
    with pytest.raises(IntacctControlError, match="PL04000055") as info:
        list(xml.read_objects("GLACCOUNT"))
    assert info.value.level == "control" and not info.value.retryable
    assert len(intacct_server.sim.calls) == 1


def test_authentication_failure_bad_password(settings, intacct_server):
    conn = XmlConnector.from_settings(settings.model_copy(update={"intacct_user_password": "not-the-password"}))
    with pytest.raises(IntacctAuthError) as info:
        conn.create_journal_entry(entry())
    err = info.value
    assert err.level == "authentication"
    assert err.errors[0].errorno == "XL03000006" and err.errors[0].description2 == "Sign-in information is incorrect"
    assert len(intacct_server.sim.calls) == 1 and not intacct_server.sim.batches


def test_business_error_is_typed_and_never_retried(xml, intacct_server):
    with pytest.raises(IntacctBusinessError) as info:
        xml.create_journal_entry(entry(account="6999"))  # inactive account
    err = info.value
    assert err.level == "result" and err.function == "create"
    assert [e.errorno for e in err.errors] == ["BL01001973", "BL01001973"]
    assert "Invalid account number '6999' on line 1." == err.errors[0].description2
    assert err.status == 422
    assert len(intacct_server.sim.function_calls("create")) == 1
    assert not intacct_server.sim.batches


def test_missing_required_dimension_is_a_business_error(xml):
    with pytest.raises(IntacctBusinessError, match="requires a Department"):
        xml.create_journal_entry(entry(account="6000", location="100"))


@pytest.mark.parametrize("kind", ["http429", "gw0010"])
def test_rate_limit_then_success(xml, intacct_server, kind):
    list(xml.read_objects("DEPARTMENT"))  # log in first
    intacct_server.sim.inject(kind, times=2)
    assert len(list(xml.read_objects("GLACCOUNT"))) == 9
    tail = intacct_server.sim.calls[-3:]
    assert [c.fault for c in tail] == [kind, kind, None]


def test_persistent_5xx_gives_upstream_error_after_the_configured_attempts(xml, intacct_server):
    list(xml.read_objects("DEPARTMENT"))
    before = len(intacct_server.sim.calls)
    intacct_server.sim.inject("5xx", times=50)
    with pytest.raises(UpstreamError, match="failed after 4 attempts: Intacct answered HTTP 503"):
        list(xml.read_objects("GLACCOUNT"))
    assert len(intacct_server.sim.calls) - before == 4


def test_a_timeout_is_retried(settings, intacct_server):
    conn = XmlConnector.from_settings(settings.model_copy(update={"intacct_timeout_s": 0.3}))
    list(conn.read_objects("DEPARTMENT"))
    intacct_server.sim.inject("slow", seconds=0.8)
    assert len(list(conn.read_objects("GLACCOUNT"))) == 9
    conn.close()


def test_session_expiry_logs_in_again_once(xml, intacct_server):
    list(xml.read_objects("DEPARTMENT"))
    intacct_server.sim.expire_sessions()
    assert len(list(xml.read_objects("GLACCOUNT"))) == 9
    assert xml.logins == 2
    intacct_server.sim.reject_sessions = True  # a session that never works: one more login, then stop
    with pytest.raises(IntacctAuthError, match="Invalid session"):
        list(xml.read_objects("GLACCOUNT"))
    assert xml.logins == 3


def test_malformed_response_is_retried_then_reported(xml, intacct_server):
    list(xml.read_objects("DEPARTMENT"))
    intacct_server.sim.inject("malformed", times=1)
    assert len(list(xml.read_objects("GLACCOUNT"))) == 9
    intacct_server.sim.inject("malformed", times=10)
    with pytest.raises(UpstreamError, match="malformed XML response"):
        list(xml.read_objects("GLACCOUNT"))


def test_a_write_whose_answer_was_lost_is_not_applied_twice(xml, intacct_server):
    list(xml.read_objects("DEPARTMENT"))
    intacct_server.sim.inject("5xx_after", times=1)  # Intacct creates the entry, the answer is lost
    with pytest.raises(DuplicateRequest, match="first attempt was probably applied"):
        xml.create_journal_entry(entry())
    creates = intacct_server.sim.function_calls("create")
    assert len(creates) == 2 and creates[0].control_id == creates[1].control_id
    assert len(intacct_server.sim.batches) == 1  # one entry, not two


def test_a_write_retried_after_a_rate_limit_succeeds(xml, intacct_server):
    list(xml.read_objects("DEPARTMENT"))
    intacct_server.sim.inject("http429", times=1)
    assert xml.create_journal_entry(entry()) in intacct_server.sim.batches
    assert len(intacct_server.sim.batches) == 1


def test_concurrent_callers_stay_within_the_concurrency_limit(settings, intacct_server):
    from concurrent.futures import ThreadPoolExecutor

    conn = XmlConnector.from_settings(settings.model_copy(update={"intacct_max_concurrency": 2}))
    list(conn.read_objects("DEPARTMENT"))
    intacct_server.sim.delay_s = 0.05
    with ThreadPoolExecutor(max_workers=6) as pool:
        counts = list(pool.map(lambda _: len(list(conn.read_objects("GLACCOUNT"))), range(6)))
    assert counts == [9] * 6
    assert intacct_server.sim.max_in_flight == 2
    conn.close()


def test_an_entity_session_is_requested_for_the_configured_entity(settings, intacct_server):
    conn = XmlConnector.from_settings(settings.model_copy(update={"intacct_entity": "100"}))
    list(conn.read_objects("GLACCOUNT"))
    assert list(intacct_server.sim.sessions.values()) == ["100"]
    login = intacct_server.sim.calls[0].body.decode("latin-1")
    assert "<locationid>100</locationid></login>" in login and "<getAPISession><locationid>100" in login
    conn.close()


def test_a_write_after_session_expiry_is_applied_once(xml, intacct_server):
    list(xml.read_objects("DEPARTMENT"))
    intacct_server.sim.expire_sessions()
    record_no = xml.create_journal_entry(entry())
    assert list(intacct_server.sim.batches) == [record_no]
    creates = intacct_server.sim.function_calls("create")
    assert len(creates) == 2 and creates[0].control_id != creates[1].control_id  # fresh id after re-login
