"""POST /v1/journal-entries/validate and `copilot validate`, driven as a user would."""

from __future__ import annotations

import json

import pytest

from copilot.domain import RankedCoding, Suggestion
from copilot.domain.suggestions import DimensionCombination
from copilot.validate.service import ValidationService

from .validate_support import auth, client, make_data_dir, make_keys, make_settings

ISSUE_EXAMPLE = {"operation": {"content": {"function": {
    "controlid": "validateJournal-001", "@class": "validate", "object": "JOURNALENTRY",
    "list": [{"JOURNAL": "GL2024Q1", "BASELOCATION_NO": "US01", "ENTRIES": {"GLENTRY": [
        {"ACCOUNTNO": "6000", "TR_TYPE": "1", "TRX_AMOUNT": "12500.00", "LOCATIONID": "NYC",
         "DEPARTMENTID": "SALES", "PROJECTID": "P1"}]}}]}}}}


def _entry(*lines, date="07/01/2025", entity="US01"):
    return {"GLBATCH": {"JOURNAL": "GJ", "BATCH_DATE": date, "BASELOCATION_NO": entity,
                        "ENTRIES": {"GLENTRY": list(lines)}}}


CLEAN = _entry({"ACCOUNTNO": "6230", "TR_TYPE": "1", "TRX_AMOUNT": "150.37", "LOCATION": "NYC", "DEPARTMENT": "SALES",
                "VENDORID": "V1", "DESCRIPTION": "office supplies order"},
               {"ACCOUNTNO": "2000", "TR_TYPE": "-1", "TRX_AMOUNT": "150.37", "LOCATION": "NYC", "VENDORID": "V1",
                "DESCRIPTION": "office supplies order"})

XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<request><operation><content><function controlid="c1"><create><GLBATCH>
  <JOURNAL>GJ</JOURNAL><BATCH_DATE>07/01/2025</BATCH_DATE><BASELOCATION_NO>US01</BASELOCATION_NO>
  <ENTRIES>
    <GLENTRY><ACCOUNTNO>7777</ACCOUNTNO><TR_TYPE>1</TR_TYPE><TRX_AMOUNT>120.00</TRX_AMOUNT><LOCATION>NYC</LOCATION>
      <VENDORID>V1</VENDORID><DESCRIPTION>office supplies order</DESCRIPTION></GLENTRY>
    <GLENTRY><ACCOUNTNO>2000</ACCOUNTNO><TR_TYPE>-1</TR_TYPE><TRX_AMOUNT>120.00</TRX_AMOUNT><LOCATION>NYC</LOCATION>
      <VENDORID>V1</VENDORID></GLENTRY>
  </ENTRIES></GLBATCH></create></function></content></operation></request>"""


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    data = make_data_dir(tmp_path_factory.mktemp("validate-api"))
    settings = make_settings(data)
    return settings, make_keys(settings)


def fake_suggester(company):
    def suggest(req):
        combo = DimensionCombination(account_no="6230", dims={"department": "SALES", "location": "NYC"})
        return Suggestion(request=req, codings=[RankedCoding(combination=combo, confidence=0.91,
                                                             evidence_ids=["posting:H1"])])
    return suggest


def test_issue_example_is_blocked_with_reasons(env):
    settings, keys = env
    with client(settings) as c:
        r = c.post("/v1/journal-entries/validate?as_of=2025-07-03", json=ISSUE_EXAMPLE, headers=auth(keys.admin))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["verdict"] == "block"
    rules = {f["rule_id"] for e in body["entries"] for f in e["findings"]}
    assert {"entry.unbalanced", "entry.too_few_lines"} <= rules
    assert body["entries"][0]["batch_date"] == "2025-07-03"  # no BATCH_DATE: the as-of day


def test_clean_json_passes_and_xml_gets_engine_corrections(env):
    settings, keys = env
    with client(settings, validation=ValidationService(settings, suggester_for=fake_suggester)) as c:
        ok = c.post("/v1/journal-entries/validate?as_of=2025-07-03", json=CLEAN, headers=auth(keys.us_preparer))
        xml = c.post("/v1/journal-entries/validate?as_of=2025-07-03", content=XML,
                     headers={**auth(keys.admin), "Content-Type": "application/xml"})
    assert ok.status_code == 200 and ok.json()["verdict"] == "pass", ok.text
    assert ok.json()["entries"][0]["line_scores"][0]["score"] < 0.99
    assert xml.status_code == 200 and xml.json()["verdict"] == "block"
    f = next(f for f in xml.json()["entries"][0]["findings"] if f["rule_id"] == "code.unknown_account")
    assert f["line_index"] == 0 and f["corrections"][0]["account_no"] == "6230"
    assert f["corrections"][0]["confidence"] == 0.91


@pytest.mark.parametrize("content,ctype,field", [
    (b'{"GLBATCH": {"JOURNAL": "GJ", "BATCH_DATE": "07/01/2025", "ENTRIES": {"GLENTRY": '
     b'[{"ACCOUNTNO": "6230", "TR_TYPE": "1", "TRX_AMOUNT": "abc"}]}}}', "application/json", "TRX_AMOUNT"),
    (b'{"GLBATCH": {"JOURNAL": "GJ", "BATCH_DATE": "31/31/2025", "ENTRIES": {"GLENTRY": '
     b'[{"ACCOUNTNO": "6230", "TR_TYPE": "1", "TRX_AMOUNT": "1.00"}]}}}', "application/json", "BATCH_DATE"),
    (b"<GLBATCH><JOURNAL>GJ</JOURNAL><ENTRIES><GLENTRY><ACCOUNTNO>1</ACCOUNTNO><TR_TYPE>3</TR_TYPE>"
     b"<TRX_AMOUNT>1</TRX_AMOUNT></GLENTRY></ENTRIES></GLBATCH>", "application/xml", "TR_TYPE"),
    (b"{not json", "application/json", None),
    (b"", "application/json", "body"),
])
def test_bad_payloads_are_4xx_problems_naming_the_field(env, content, ctype, field):
    settings, keys = env
    with client(settings) as c:
        r = c.post("/v1/journal-entries/validate", content=content, headers={**auth(keys.admin), "Content-Type": ctype})
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == r.status_code and problem["detail"]
    if field:
        assert field in (problem.get("field") or "") + problem["detail"]


def test_unsupported_media_type(env):
    settings, keys = env
    with client(settings) as c:
        r = c.post("/v1/journal-entries/validate", content=b"a,b", headers={**auth(keys.admin), "Content-Type": "text/csv"})
    assert r.status_code == 415 and r.json()["field"] == "content-type"


def test_access_control(env):
    settings, keys = env
    uk = json.loads(json.dumps(CLEAN).replace('"US01"', '"UK01"').replace('"NYC"', '"LON"'))
    with client(settings) as c:
        assert c.post("/v1/journal-entries/validate", json=CLEAN).status_code == 401
        assert c.post("/v1/journal-entries/validate", json=CLEAN, headers=auth("glc_nope")).status_code == 401
        denied = c.post("/v1/journal-entries/validate", json=uk, headers=auth(keys.us_preparer))
        assert denied.status_code == 403 and "UK01" in denied.json()["detail"]
        assert c.post("/v1/journal-entries/validate?company=nope", json=CLEAN,
                      headers=auth(keys.admin)).status_code == 404


@pytest.mark.slow
def test_cli_exit_codes(env, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from copilot.cli import app
    from copilot.settings import get_settings

    settings, _ = env
    monkeypatch.setenv("COPILOT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("COPILOT_DEFAULT_COMPANY", "acme")
    monkeypatch.setenv("COPILOT_DATABASE_URL", settings.db_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        files = {"clean.json": json.dumps(CLEAN), "example.json": json.dumps(ISSUE_EXAMPLE), "entry.xml": XML.decode(),
                 "broken.json": '{"GLBATCH": {"JOURNAL": "GJ", "ENTRIES": {"GLENTRY": [{"ACCOUNTNO": "1", '
                                '"TR_TYPE": "1", "TRX_AMOUNT": "x"}]}}}'}
        for name, text in files.items():
            (tmp_path / name).write_text(text)
        review = json.loads(json.dumps(CLEAN).replace("150.37", "5000.00").replace("office supplies order", "big order"))
        (tmp_path / "review.json").write_text(json.dumps(review))

        def run(*args):
            return runner.invoke(app, ["validate", *args, "--as-of", "2025-07-03", "--no-suggest"])

        assert run(str(tmp_path / "clean.json")).exit_code == 0
        r = run(str(tmp_path / "review.json"))
        assert r.exit_code == 1, r.output
        r = run(str(tmp_path / "example.json"))
        assert r.exit_code == 2 and "BLOCK" in r.output
        assert run(str(tmp_path / "entry.xml"), "--json").exit_code == 2
        r = run(str(tmp_path / "broken.json"))
        assert r.exit_code == 65 and "TRX_AMOUNT" in r.output
        assert run(str(tmp_path / "missing.json")).exit_code == 66
        assert run(str(tmp_path / "clean.json"), "--company", "nope").exit_code == 69
    finally:
        get_settings.cache_clear()


@pytest.fixture
def cli_env(env, monkeypatch):
    from copilot.settings import get_settings

    settings, _ = env
    monkeypatch.setenv("COPILOT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("COPILOT_DEFAULT_COMPANY", "acme")
    monkeypatch.setenv("COPILOT_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("COPILOT_WEBHOOK_SECRET", "cli-secret")
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def test_cli_monitor_prints_flagged_lines_with_reasons(cli_env, tmp_path):
    from typer.testing import CliRunner

    from copilot.cli import app

    rows = ["RECORDNO,ENTRY_DATE,ACCOUNTNO,TR_TYPE,TRX_AMOUNT,DEPARTMENTID,LOCATIONID,VENDORID,PROJECTID,MEGAENTITYID,DESCRIPTION",
            "S1,07/01/2025,6230,1,150.00,SALES,NYC,V1,,US01,office supplies order",
            "S2,07/01/2025,5200,1,180.00,,NYC,V1,P1,US01,office supplies order",
            "S3,07/02/2025,6230,1,lots,SALES,NYC,V1,,US01,broken"]
    (tmp_path / "gl.csv").write_text("\n".join(rows) + "\n")
    result = CliRunner().invoke(app, ["monitor", str(tmp_path / "gl.csv"), "--company", "acme"])
    assert result.exit_code == 0, result.output
    assert "S2" in result.output and "anomaly.rare_combination" in result.output
    assert "S1 " not in result.output  # a normal line is not printed
    assert "unreadable" in result.output and "TRX_AMOUNT" in result.output
    assert "2 lines scored, 1 flagged, 1 unreadable" in result.output
    as_json = CliRunner().invoke(app, ["monitor", str(tmp_path / "gl.csv"), "--json"])
    flagged = [json.loads(line) for line in as_json.stdout.splitlines() if line.startswith("{")]
    assert [f["record_no"] for f in flagged] == ["S2"] and flagged[0]["findings"]


def test_cli_webhooks_sign_and_process(cli_env, tmp_path):
    from typer.testing import CliRunner

    from copilot.cli import app
    from copilot.validate.webhooks import sign

    body = tmp_path / "body.json"
    body.write_text('{"event_id": "e1", "record_no": "1"}')
    out = CliRunner().invoke(app, ["webhooks", "sign", str(body)])
    assert out.exit_code == 0, out.output
    headers = dict(line.split(": ", 1) for line in out.output.strip().splitlines())
    assert headers["X-Copilot-Signature"] == sign("cli-secret", headers["X-Copilot-Timestamp"], body.read_bytes())
    processed = CliRunner().invoke(app, ["webhooks", "process"])
    assert processed.exit_code == 0 and "processed or failed" in processed.output
