"""Intacct Web Services XML: the SDK's exact request, every response level, typed errors, GLBATCH."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from copilot.domain import JournalEntry, JournalLine
from copilot.errors import InputError, ParseError, UpstreamError
from copilot.formats import intacct_xml as ix
from copilot.formats.intacct_errors import (IntacctAuthError, IntacctBusinessError, IntacctControlError,
                                            IntacctRateLimited, IntacctTransientError, error_for_http)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "intacct"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def entry(**kw) -> JournalEntry:
    base = dict(journal="GJ", batch_date=date(2016, 6, 30), batch_title="My desc", reference_no="123",
                entity="100", state="Posted", reverse_date=date(2016, 7, 1),
                extra={"HISTORY_COMMENT": "comment!", "SUPDOCID": "AT001", "CUSTOMFIELD01": "test01"},
                lines=[JournalLine(account_no="1010", amount="1456.54", memo="my memo", currency="USD",
                                   dims={"department": "ADM", "location": "100", "project": "P100",
                                         "task": "T123", "customer": "C100", "vendor": "V100",
                                         "employee": "E100", "item": "I100", "class": "C200", "fund": "GEN"},
                                   extra={"DOCUMENT": "212", "CUSTOM01": "123"}),
                       JournalLine(account_no="2000", tr_type=-1, amount="1456.54")])
    base.update(kw)
    return JournalEntry(**base)


def test_request_envelope_is_the_sdk_string():
    got = ix.build_request([], sender_id="testsenderid", sender_password="pass123!",
                           session_id="testsession..", control_id="unittest")
    assert got == fixture("request_session.xml")


def test_login_request_and_functions_in_order():
    body = ix.build_request([ix.read_by_query("GLACCOUNT", "STATUS = 'T'", pagesize=100, controlid="q1"),
                             ix.function_bytes(ix.read_more("abc@1", controlid="q2"))],
                            sender_id="s", sender_password="p", login=("u", "c", "pw", "E1"),
                            control_id="ctl", unique_id=True)
    root = etree.fromstring(body)
    assert [e.tag for e in root.find("operation/authentication/login")] == ["userid", "companyid", "password", "locationid"]
    assert root.findtext("control/uniqueid") == "true"
    rbq = root.find("operation/content/function/readByQuery")
    assert [e.tag for e in rbq] == ["object", "query", "fields", "pagesize", "returnFormat"]
    assert rbq.findtext("query") == "STATUS = 'T'" and rbq.findtext("pagesize") == "100"
    assert root.findtext("operation/content/function[@controlid='q2']/readMore/resultId") == "abc@1"
    no_entity = ix.build_request([], sender_id="s", sender_password="p", login=("u", "c", "pw"), control_id="c")
    assert b"<locationid>" not in no_entity


def test_builder_validation():
    with pytest.raises(InputError):
        ix.read_by_query("GLDETAIL", pagesize=1001)
    with pytest.raises(InputError):
        ix.build_request([], sender_id="s", sender_password="p", session_id="x", control_id="")
    with pytest.raises(InputError):
        ix.create_glbatch(entry(lines=entry().lines[:1]))
    assert ix.function_bytes(ix.get_api_session()) == b'<function controlid="getAPISession"><getAPISession/></function>'
    assert b"<locationid>E1</locationid>" in ix.function_bytes(ix.get_api_session("E1"))
    assert ix.function_bytes(ix.read("CLASS", ["5", "6"], controlid="r")) == (
        b'<function controlid="r"><read><object>CLASS</object><keys>5,6</keys><fields>*</fields></read></function>')


def test_create_glbatch_writes_the_sdk_form_and_order():
    fn = ix.create_glbatch(entry(), controlid="unittest")
    batch = fn.find("create/GLBATCH")
    assert [e.tag for e in batch] == ["JOURNAL", "BATCH_DATE", "REVERSEDATE", "BATCH_TITLE", "HISTORY_COMMENT",
                                      "REFERENCENO", "BASELOCATION_NO", "SUPDOCID", "STATE", "CUSTOMFIELD01",
                                      "ENTRIES"]
    first = batch.find("ENTRIES/GLENTRY")
    assert [e.tag for e in first] == ["DOCUMENT", "ACCOUNTNO", "TR_TYPE", "TRX_AMOUNT", "CURRENCY", "LOCATION",
                                      "DEPARTMENT", "PROJECTID", "TASKID", "CUSTOMERID", "VENDORID", "EMPLOYEEID",
                                      "ITEMID", "CLASSID", "DESCRIPTION", "GLDIMFUND",
                                      "CUSTOM01"]
    assert batch.findtext("BATCH_DATE") == "06/30/2016" and first.findtext("TRX_AMOUNT") == "1456.54"
    assert batch.findall("ENTRIES/GLENTRY")[1].findtext("TR_TYPE") == "-1"


def test_glbatch_round_trip_create_and_update():
    original = entry()
    back = ix.parse_glbatch_xml(ix.function_bytes(ix.create_glbatch(original)))
    assert back == [original]
    upd = ix.parse_glbatch_xml(ix.function_bytes(ix.update_glbatch("77", original)))[0]
    assert upd.record_no == "77" and upd.model_copy(update={"record_no": None}) == original


def test_parse_sdk_request_envelope_with_create_and_update():
    first, second = ix.parse_glbatch_xml(fixture("glbatch_create_sdk.xml"))
    assert (first.journal, first.batch_date, first.reverse_date, first.entity, first.state) == (
        "GJ", date(2016, 6, 30), date(2016, 7, 1), "100", "Posted")
    assert first.extra == {"HISTORY_COMMENT": "comment!", "SUPDOCID": "AT001", "CUSTOMFIELD01": "test01"}
    line = first.lines[0]
    assert line.dims == {"location": "100", "department": "ADM", "project": "P100", "task": "T123",
                         "customer": "C100", "vendor": "V100", "employee": "E100", "item": "I100",
                         "class": "C200"}
    assert line.memo == "my memo" and line.currency == "USD" and line.amount == Decimal("1456.54")
    assert line.extra["CONTRACTID"] == "C300" and line.extra["EXCH_RATE_TYPE_ID"] == "Intacct Daily Rate"
    assert first.lines[1].dims == {"location": "100", "fund": "GENERAL"}
    assert second.record_no == "77" and second.is_balanced


def test_lowercase_and_read_spellings_accepted():
    (e,) = ix.parse_glbatch_xml(fixture("glbatch_lowercase.xml"))
    assert e.journal == "FYLE" and e.extra == {"SUPDOCID": "A1"}
    assert [ln.dims for ln in e.lines] == [{"department": "SALES", "location": "NYC", "project": "PRJ-1"},
                                          {"department": "SALES", "location": "NYC"}]
    assert e.lines[0].amount == Decimal("250.10") and e.is_balanced
    bare = b"<glbatch><JOURNAL>GJ</JOURNAL><BATCH_DATE>01/02/2024</BATCH_DATE><ENTRIES><GLENTRY><ACCOUNTNO>1</ACCOUNTNO><TRX_AMOUNT>-5</TRX_AMOUNT></GLENTRY></ENTRIES></glbatch>"
    (b,) = ix.parse_glbatch_xml(bare)
    assert (b.lines[0].tr_type, b.lines[0].amount) == (-1, Decimal("5.00"))  # sign gives the side


@pytest.mark.parametrize("old,new,field,line", [
    ("<BATCH_DATE>06/30/2016</BATCH_DATE>", "<BATCH_DATE>30/06/2016</BATCH_DATE>", "BATCH_DATE", 4),
    ("<TR_TYPE>1</TR_TYPE>", "<TR_TYPE>3</TR_TYPE>", "GLENTRY[1].TR_TYPE", 8),
    ("<TRX_AMOUNT>1456.54</TRX_AMOUNT><CURRENCY>", "<TRX_AMOUNT>1,456.5.4</TRX_AMOUNT><CURRENCY>", "GLENTRY[1].TRX_AMOUNT", 8),
    ("<ACCOUNTNO>2000</ACCOUNTNO>", "", "GLENTRY[2].ACCOUNTNO", 13),
    ("<JOURNAL>GJ</JOURNAL><BATCH_DATE>06", "<BATCH_DATE>06", "JOURNAL", 3),  # the GLBATCH line
])
def test_glbatch_errors_name_line_and_field(old, new, field, line):
    text = fixture("glbatch_create_sdk.xml").decode("latin-1")
    assert old in text
    with pytest.raises(ParseError) as err:
        ix.parse_glbatch_xml(text.replace(old, new, 1).encode("latin-1"))
    assert (err.value.field, err.value.line) == (field, line)


def test_broken_xml_and_missing_batch():
    with pytest.raises(ParseError) as err:
        ix.parse_glbatch_xml(b"<GLBATCH>\n<JOURNAL>GJ</JOURNAL>\n<ENTRIES>\n</GLBATCH>")
    assert err.value.line == 4
    with pytest.raises(ParseError):
        ix.parse_glbatch_xml(b"<create><GLACCOUNT/></create>")
    with pytest.raises(ParseError):
        ix.parse_response(b"<response><control>")


def test_getapisession_success_response():
    resp = ix.parse_response(fixture("response_getapisession.xml"))
    assert resp.ok and resp.control_status == "success" and resp.auth_status == "success"
    assert (resp.userid, resp.companyid, resp.session_timeout) == ("fakeuser", "fakecompany", "2015-10-23T20:58:27-07:00")
    assert resp.session == {"SESSIONID": "fAkESesSiOnId..", "ENDPOINT": "https://api.intacct.com/ia/xml/xmlgw.phtml",
                            "LOCATIONID": ""}
    resp.raise_for_status()


def test_readbyquery_paging_attributes():
    (result,) = ix.parse_response(fixture("response_readbyquery_empty.xml")).results
    assert (result.function, result.listtype, result.count, result.totalcount, result.numremaining,
            result.result_id, result.rows) == ("readByQuery", "department", 0, 0, 0, "", [])


def test_result_failure_is_a_business_error():
    resp = ix.parse_response(fixture("response_result_failure.xml"))
    assert not resp.ok and resp.results[0].errors[0].errorno == "Query Failed"
    with pytest.raises(IntacctBusinessError) as err:
        resp.raise_for_status()
    assert err.value.level == "result" and not err.value.retryable
    assert "Object definition BADOBJECT not found" in err.value.message
    resp.raise_for_status(results=False)  # control and authentication were fine


def test_mixed_results_support_id_and_repeated_errors():
    resp = ix.parse_response(fixture("response_create_failure_support_id.xml"))
    ok, failed = resp.results
    assert ok.ok and ok.result_id == "6465763031VyprCMCoHYQAAGr@aRsAAAAU4" and ok.rows[0]["ACCOUNTNO"] == "6000"
    assert [e.description2 for e in failed.errors] == ["Invalid Project '10064' specified.",
                                                       "Could not create GLBATCH record!"]
    assert failed.errors[0].support_id == "Vx5Tj%7EYkF9cX0fGSeQ2KMwAAAA8"
    with pytest.raises(IntacctBusinessError) as err:
        resp.raise_for_status()
    assert err.value.function == "create" and err.value.controlid == "create-glbatch"
    assert err.value.to_problem()["errors"][0]["support_id"] == "Vx5Tj%7EYkF9cX0fGSeQ2KMwAAAA8"


def test_auth_failure():
    resp = ix.parse_response(fixture("response_auth_failure.xml"))
    assert resp.auth_status == "failure" and resp.results == []
    with pytest.raises(IntacctAuthError) as err:
        resp.raise_for_status()
    assert err.value.level == "authentication" and "XL03000006 Sign-in information is incorrect" in err.value.message
    assert isinstance(err.value, UpstreamError)


def test_control_failure_and_rate_limit():
    resp = ix.parse_response(fixture("response_control_failure.xml"))
    assert resp.control_status == "failure" and resp.auth_status is None
    with pytest.raises(IntacctControlError) as err:
        resp.raise_for_status()
    assert err.value.errors[0].errorno == "PL04000055" and not err.value.retryable
    with pytest.raises(IntacctRateLimited) as rate:
        ix.parse_response(fixture("response_rate_limited.xml")).raise_for_status()
    assert rate.value.retryable


def test_http_level_errors():
    assert error_for_http(200) is None
    assert isinstance(error_for_http(429), IntacctRateLimited)
    assert isinstance(error_for_http(502, "Bad gateway"), IntacctTransientError)
    assert not isinstance(error_for_http(400, "GW-0011 Invalid Request"), IntacctTransientError)


def test_write_readbyquery_page_parses_back():
    rows = [{"DEPARTMENTID": "ADM", "TITLE": "A & B"}, {"DEPARTMENTID": "S", "PERSONALINFO.CONTACTNAME": "x"}]
    body = ix.write_readbyquery_page("DEPARTMENT", rows, totalcount=5, numremaining=3, result_id="r1",
                                     controlid="c1")
    assert b"<department><DEPARTMENTID>ADM</DEPARTMENTID><TITLE>A &amp; B</TITLE></department>" in body
    assert b"<PERSONALINFO><CONTACTNAME>x</CONTACTNAME></PERSONALINFO>" in body
    (result,) = ix.parse_response(body).results
    assert (result.count, result.totalcount, result.numremaining, result.result_id) == (2, 5, 3, "r1")
    assert result.rows == rows


def test_iso_8859_1_request_carries_any_text():
    e = entry(batch_title="Café € 日本")
    body = ix.build_request([ix.create_glbatch(e)], sender_id="s", sender_password="p", session_id="x",
                            control_id="c")
    assert body.startswith(b'<?xml version="1.0" encoding="iso-8859-1"?>\n') and "Caf\xe9".encode("latin-1") in body
    assert ix.parse_glbatch_xml(body)[0].batch_title == "Café € 日本"


def test_unsendable_names_and_characters():
    bad_name = entry(extra={"my field": "x"})
    with pytest.raises(ParseError) as err:
        ix.create_glbatch(bad_name)
    assert err.value.field == "MY FIELD"
    ctrl = entry(batch_title="a\x00b\x1fc")
    assert ix.parse_glbatch_xml(ix.function_bytes(ix.create_glbatch(ctrl)))[0].batch_title == "abc"
    with pytest.raises(ParseError):
        ix.build_request([b"<function>"], sender_id="s", sender_password="p", session_id="x", control_id="c")
