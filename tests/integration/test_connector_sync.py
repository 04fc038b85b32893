"""End to end: sync fills a company directory (and the index) from the test server, incrementally,
resumably; a file import and a live sync give the same company; write-back makes an accepted Draft."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from copilot.connector.sync import Syncer, company_root, ingest_company_dir, sync_company
from copilot.connector.writeback import make_connector, write_back
from copilot.domain.entries import JournalEntry, JournalLine
from copilot.errors import InputError, UpstreamError
from copilot.formats.company_dir import page_files, read_company_dir, write_company_dir
from tests.intacct_server import intacct_server, settings_for  # noqa: F401  (fixture)
from tests.support.intacct_data import gldetail_rows


@pytest.fixture
def settings(intacct_server, tmp_path):
    return settings_for(intacct_server, tmp_path, intacct_page_size=20)


def _core(posting) -> tuple:
    return (posting.record_no, posting.entry_date, posting.account_no, posting.tr_type, posting.amount,
            posting.memo, tuple(sorted(posting.dims.items())), posting.document, posting.journal)


@pytest.mark.parametrize("api", ["xml", "rest"])
def test_sync_fills_the_company_directory(settings, intacct_server, api):
    conn = make_connector(settings, api)
    report = sync_company(conn, settings, "acme", ingest=None)
    root = company_root(settings, "acme")
    assert report.objects["GLDETAIL"].rows == 120 and report.new_postings == 120
    assert len(page_files(root, "GLDETAIL")) == 6  # 120 rows in pages of 20
    data = read_company_dir(root, "acme")
    assert len(data.postings) == 120
    assert set(data.company.accounts) == {"1000", "2000", "2100", "6000", "6100", "6200", "6300", "7000", "6999"}
    assert data.company.accounts["6100"].required_dimensions == {"department", "location"}
    assert not data.company.accounts["6999"].active
    assert set(data.company.vendors) == {"V100", "V200", "V300", "V400"}
    assert data.company.projects["P100"].budget == Decimal("50000.00")
    assert data.other_objects == ["APBILL"]
    assert data.postings[0].dims == {"department": "ADMIN", "location": "100", "project": "P100", "vendor": "V400"}
    checkpoint = json.loads((root / "sync" / "checkpoint.json").read_text())
    assert checkpoint["api"] == api
    assert checkpoint["objects"]["GLDETAIL"]["last_recordno"] == 120
    assert checkpoint["objects"]["GLDETAIL"]["status"] == "done"
    assert not (root / "sync" / "staging" / "GLDETAIL").exists()
    conn.close()


def test_xml_sync_rest_sync_and_a_file_import_give_the_same_company(settings, tmp_path):
    companies = {}
    for api in ("xml", "rest"):
        conn = make_connector(settings, api)
        sync_company(conn, settings, api, ingest=None)
        conn.close()
        companies[api] = read_company_dir(company_root(settings, api), api)
    xml, rest = companies["xml"], companies["rest"]
    assert [_core(p) for p in xml.postings] == [_core(p) for p in rest.postings]
    assert xml.company.accounts.keys() == rest.company.accounts.keys()
    assert all(xml.company.accounts[k].required_dimensions == rest.company.accounts[k].required_dimensions
               for k in xml.company.accounts)
    assert xml.company.dimensions == rest.company.dimensions
    # A file import written by the formats module reads back to the same postings as the live sync.
    write_company_dir(tmp_path / "imported", xml.company, xml.postings)
    imported = read_company_dir(tmp_path / "imported", "xml")
    assert [_core(p) for p in imported.postings] == [_core(p) for p in xml.postings]


def test_second_sync_reads_only_what_changed(settings, intacct_server):
    conn = make_connector(settings, "xml")
    sync_company(conn, settings, "acme", ingest=None)
    intacct_server.sim.add_gldetail(gldetail_rows(10, start_recordno=121, start_date=date(2025, 1, 5)))
    intacct_server.sim.calls.clear()
    report = sync_company(conn, settings, "acme", ingest=None)
    assert report.objects["GLDETAIL"].mode == "append" and report.objects["GLDETAIL"].rows == 10
    assert report.objects["GLACCOUNT"].mode == "merge"
    queries = [c.body.decode("latin-1") for c in intacct_server.sim.function_calls("readByQuery")]
    assert any("<object>GLDETAIL</object><query>RECORDNO &gt; 120</query>" in q for q in queries)
    assert any("WHENMODIFIED &gt;= '01/15/2024 09:30:00'" in q for q in queries)
    root = company_root(settings, "acme")
    data = read_company_dir(root, "acme")
    assert len(data.postings) == 130 and len({p.record_no for p in data.postings}) == 130
    assert len(page_files(root, "GLDETAIL")) == 7
    # nothing new: no rows, no new pages
    assert sync_company(conn, settings, "acme", ingest=None).objects["GLDETAIL"].rows == 0
    assert len(page_files(root, "GLDETAIL")) == 7
    conn.close()


def test_master_data_changes_are_merged(settings, intacct_server):
    conn = make_connector(settings, "xml")
    sync_company(conn, settings, "acme", objects=["VENDOR"], ingest=None)
    vendors = intacct_server.sim.objects["VENDOR"]
    vendors[0].update(NAME="Staples Inc.", WHENMODIFIED="02/01/2024 10:00:00")
    vendors.append({"RECORDNO": "9", "VENDORID": "V900", "NAME": "New Vendor", "STATUS": "active", "VENDTYPE": "",
                    "APACCOUNT": "2000", "WHENMODIFIED": "02/01/2024 11:00:00"})
    sync_company(conn, settings, "acme", objects=["VENDOR"], ingest=None)
    company = read_company_dir(company_root(settings, "acme"), "acme").company
    assert company.vendors["V100"].name == "Staples Inc." and "V900" in company.vendors
    assert len(company.vendors) == 5
    conn.close()


def test_since_limits_the_history_window(settings):
    conn = make_connector(settings, "xml")
    sync_company(conn, settings, "acme", objects=["GLDETAIL"], since=date(2024, 2, 1), ingest=None)
    postings = read_company_dir(company_root(settings, "acme"), "acme").postings
    assert postings and all(p.entry_date >= date(2024, 2, 1) for p in postings) and len(postings) < 120
    conn.close()


def _interrupted_run(settings, intacct_server, pages_before_failure: int):
    """Sync GLDETAIL and let the server fail for good after ``pages_before_failure`` pages."""
    conn = make_connector(settings, "xml")
    list(conn.read_objects("DEPARTMENT"))  # log in, so the skip count below is pages only
    intacct_server.sim.inject("5xx", times=100, skip=pages_before_failure)
    with pytest.raises(UpstreamError, match="after 4 attempts"):
        Syncer(conn, company_root(settings, "acme"), "acme", page_size=20).run(["GLDETAIL"])
    intacct_server.sim.faults.clear()
    return conn


def test_an_interrupted_sync_resumes_from_its_cursor(settings, intacct_server):
    conn = _interrupted_run(settings, intacct_server, pages_before_failure=3)
    root = company_root(settings, "acme")
    state = json.loads((root / "sync" / "checkpoint.json").read_text())["objects"]["GLDETAIL"]
    assert state["status"] == "running" and state["pages_staged"] == 3 and state["cursor"]
    assert not page_files(root, "GLDETAIL")  # nothing half-written into the company directory
    intacct_server.sim.calls.clear()
    report = Syncer(conn, root, "acme", page_size=20).run(["GLDETAIL"])
    rep = report.objects["GLDETAIL"]
    assert rep.resumed and not rep.requeried and rep.rows == 120
    assert intacct_server.sim.function_calls("readByQuery") == []  # it continued with readMore
    postings = read_company_dir(root, "acme").postings
    assert sorted(int(p.record_no) for p in postings) == list(range(1, 121))


def test_a_resume_after_the_result_set_expired_queries_again_without_duplicates(settings, intacct_server):
    conn = _interrupted_run(settings, intacct_server, pages_before_failure=2)
    intacct_server.sim.expire_result_sets()
    report = Syncer(conn, company_root(settings, "acme"), "acme", page_size=20).run(["GLDETAIL"])
    assert report.objects["GLDETAIL"].requeried
    postings = read_company_dir(company_root(settings, "acme"), "acme").postings
    assert sorted(int(p.record_no) for p in postings) == list(range(1, 121))


def test_a_page_lost_in_transit_is_detected_and_recovered(settings, intacct_server):
    conn = make_connector(settings, "xml")
    list(conn.read_objects("DEPARTMENT"))
    # readByQuery answers, then the first readMore is processed by Intacct but its answer is lost:
    # the retried readMore returns the page after it. The counts give it away.
    intacct_server.sim.inject("5xx_after", skip=1)
    report = Syncer(conn, company_root(settings, "acme"), "acme", page_size=20).run(["GLDETAIL"])
    assert report.objects["GLDETAIL"].requeried
    postings = read_company_dir(company_root(settings, "acme"), "acme").postings
    assert sorted(int(p.record_no) for p in postings) == list(range(1, 121))


def test_an_object_the_company_lacks_is_skipped_but_gl_failures_stop_the_sync(settings, intacct_server):
    conn = make_connector(settings, "xml")
    del intacct_server.sim.objects["EMPLOYEE"]
    report = sync_company(conn, settings, "acme", objects=["EMPLOYEE", "GLACCOUNT"], ingest=None)
    assert "Object definition EMPLOYEE not found" in report.objects["EMPLOYEE"].skipped
    assert report.objects["GLACCOUNT"].rows == 9
    del intacct_server.sim.objects["GLACCOUNT"]
    with pytest.raises(UpstreamError, match="GLACCOUNT not found"):
        sync_company(conn, settings, "other", objects=["GLACCOUNT"], ingest=None)
    with pytest.raises(InputError):
        company_root(settings, "../etc")


def test_sync_hands_the_company_to_the_ingestion(settings):
    calls = []
    conn = make_connector(settings, "xml")
    report = sync_company(conn, settings, "acme", ingest=lambda s, c, r: calls.append((c, r)) or "ingested")
    assert calls == [("acme", company_root(settings, "acme"))] and report.ingest == "ingested"


def test_sync_fills_the_real_index(settings):
    from copilot.index.embeddings import HashingEmbedder
    from copilot.index.ingest import Ingestor
    from copilot.index.qdrant_client_store import QdrantClientStore

    store, embedder = QdrantClientStore(location=":memory:"), HashingEmbedder(dim=384)

    def ingest(s, company, root):
        data = read_company_dir(root, company)
        return Ingestor(store, embedder, progress=False).ingest_company(company, data.company, data.postings)

    conn = make_connector(settings, "rest")
    report = sync_company(conn, settings, "acme", ingest=ingest)
    assert report.ingest.postings == 120
    assert store.count("postings", {"company": "acme"}) == 120
    hits = store.search("postings", embedder.embed(["Amazon Web Services | AWS monthly hosting"])[0], limit=3,
                        filters={"company": "acme", "entity": "acme"})
    assert hits and hits[0].payload["account_no"] == "6200"
    # the library's own ingestion entry point works with the settings' (memory, hashing) backends
    assert ingest_company_dir(settings, "acme", company_root(settings, "acme")).postings == 120
    store.close()


@pytest.mark.parametrize("api", ["xml", "rest"])
def test_write_back_produces_a_draft_the_server_accepts(settings, intacct_server, api):
    conn = make_connector(settings, api)
    entry = JournalEntry(journal="GJ", batch_date=date(2024, 5, 31), batch_title="Copilot: Delta airfare", lines=[
        JournalLine(account_no="6100", amount=Decimal("642.10"), memo="Flight JFK-LHR",
                    dims={"department": "SALES", "location": "100"},
                    extra={"ai": {"reasoning": "Delta airfare for sales travel", "confidence": 0.82,
                                  "prompt_version": "coding-v3"}}),
        JournalLine(account_no="2000", tr_type=-1, amount=Decimal("642.10"), memo="Delta invoice",
                    dims={"location": "100"})])
    result = write_back(conn, entry)
    assert result.created and result.state == "Draft" and result.api == api
    stored = intacct_server.sim.batches[result.key]
    assert stored["STATE"] == "Draft" and "[AI 82% prompt coding-v3:" in stored["ENTRIES"][0]["DESCRIPTION"]
    updated = write_back(conn, entry, record_no=result.key, draft=False)
    assert not updated.created and intacct_server.sim.batches[result.key]["STATE"] == "Posted"
    unbalanced = entry.model_copy(update={"lines": entry.lines[:1] + [entry.lines[1].model_copy(
        update={"amount": Decimal("1.00")})]})
    calls = len(intacct_server.sim.calls)
    with pytest.raises(InputError, match="does not balance"):
        write_back(conn, unbalanced)
    assert len(intacct_server.sim.calls) == calls  # refused before spending an API call
    conn.close()


def test_cli_sync_then_writeback(intacct_server, tmp_path, monkeypatch):
    from copilot.cli import app
    from copilot.settings import get_settings

    c = intacct_server.creds
    env = {"COPILOT_DATA_DIR": str(tmp_path), "COPILOT_INTACCT_SENDER_ID": c.sender_id,
           "COPILOT_INTACCT_SENDER_PASSWORD": c.sender_password, "COPILOT_INTACCT_USER_ID": c.user_id,
           "COPILOT_INTACCT_COMPANY_ID": c.company_id, "COPILOT_INTACCT_USER_PASSWORD": c.user_password,
           "COPILOT_INTACCT_ENDPOINT": intacct_server.xml_endpoint}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(app, ["sync", "--company", "acme", "--objects", "GLACCOUNT,GLDETAIL",
                                     "--no-progress", "--no-ingest", "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["objects"]["GLDETAIL"]["rows"] == 120 and report["api"] == "xml"
        bad = runner.invoke(app, ["sync", "--objects", "NOPE", "--no-ingest"])
        assert isinstance(bad.exception, InputError)

        proposal = tmp_path / "proposal.json"
        proposal.write_text(json.dumps({
            "journal": "GJ", "batch_date": "2024-05-31", "batch_title": "Copilot proposal",
            "lines": [{"account_no": "6200", "amount": "99.00", "memo": "AWS", "dims": {"department": "ENG"},
                       "extra": {"ai": {"reasoning": "hosting", "confidence": 0.9, "prompt_version": "v3"}}},
                      {"account_no": "2000", "tr_type": -1, "amount": "99.00", "memo": "AP"}]}))
        result = runner.invoke(app, ["writeback", str(proposal)])
        assert result.exit_code == 0, result.output
        assert "created journal entry 501 (Draft) over xml" in result.output
        assert intacct_server.sim.batches["501"]["ENTRIES"][0]["DESCRIPTION"] == "AWS [AI 90% prompt v3: hosting]"
    finally:
        get_settings.cache_clear()


def test_a_commit_interrupted_half_way_is_finished_by_the_next_run(settings, intacct_server, monkeypatch):
    import os

    conn = make_connector(settings, "xml")
    sync_company(conn, settings, "acme", objects=["GLDETAIL"], ingest=None)
    intacct_server.sim.add_gldetail(gldetail_rows(50, start_recordno=121, start_date=date(2025, 1, 5)))
    real_replace, moved = os.replace, []

    def crash_on_second_page(src, dst):
        if "staging" in str(src) and f"{os.sep}intacct{os.sep}GLDETAIL{os.sep}" in str(dst):
            moved.append(dst)
            if len(moved) == 2:
                raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_second_page)
    with pytest.raises(OSError, match="disk full"):
        sync_company(conn, settings, "acme", objects=["GLDETAIL"], ingest=None)
    monkeypatch.setattr(os, "replace", real_replace)
    root = company_root(settings, "acme")
    assert json.loads((root / "sync" / "checkpoint.json").read_text())["objects"]["GLDETAIL"]["status"] == "committing"

    report = sync_company(conn, settings, "acme", objects=["GLDETAIL"], ingest=None)
    assert report.objects["GLDETAIL"].resumed and report.objects["GLDETAIL"].rows == 50
    postings = read_company_dir(root, "acme").postings
    assert sorted(int(p.record_no) for p in postings) == list(range(1, 171))
    assert json.loads((root / "sync" / "checkpoint.json").read_text())["objects"]["GLDETAIL"]["last_recordno"] == 170
    assert sync_company(conn, settings, "acme", objects=["GLDETAIL"], ingest=None).objects["GLDETAIL"].rows == 0
