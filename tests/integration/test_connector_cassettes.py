"""The clients' HTTP exchanges, replayed from vcrpy cassettes (record_mode none: no server, no network).

The cassettes in tests/cassettes/intacct/ were recorded from the local test server with

    COPILOT_RECORD_CASSETTES=1 .venv/bin/pytest tests/integration/test_connector_cassettes.py

which rewrites the server's address to https://intacct.test and replaces every credential (sender,
user, company, passwords, OAuth client and tokens) before anything is written. Replaying checks that
the client sends exactly the recorded sequence of requests (``all_played``) and handles the answers.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import vcr

from copilot.connector.writeback import make_connector
from copilot.domain.entries import JournalEntry, JournalLine
from copilot.formats.intacct_errors import IntacctAuthError, IntacctBusinessError
from copilot.settings import Settings
from tests.intacct_server import running_server, settings_for
from tests.support.intacct_sim import SimCredentials

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes" / "intacct"
RECORD = os.environ.get("COPILOT_RECORD_CASSETTES") == "1"
HOST = "https://intacct.test"
CREDS = SimCredentials()
SCRUB = {CREDS.sender_password: "SENDER-PASSWORD", CREDS.user_password: "USER-PASSWORD",
         CREDS.client_secret: "CLIENT-SECRET", CREDS.client_id: "CLIENT-ID", CREDS.sender_id: "SENDER-ID",
         CREDS.user_id: "USER-ID", CREDS.company_id: "COMPANY-ID"}
_TOKENS = re.compile(rb'"(access_token|refresh_token)": "[^"]+"')


def _scrub(data: bytes | str | None, base: str) -> Any:
    if data is None:
        return None
    raw = data.encode() if isinstance(data, str) else data
    raw = raw.replace(base.encode(), HOST.encode())
    for secret, mask in SCRUB.items():
        raw = raw.replace(secret.encode(), mask.encode())
    raw = re.sub(rb"refresh_token=[0-9a-f]+", b"refresh_token=REFRESH-TOKEN", raw)
    raw = _TOKENS.sub(lambda m: b'"' + m.group(1) + b'": "' + m.group(1).upper().replace(b"_", b"-") + b'"', raw)
    return raw.decode() if isinstance(data, str) else raw


@dataclass
class Env:
    settings: Settings
    sim: Any  # the simulator while recording; None on replay (its state is in the cassette)
    cassette: Any


@contextmanager
def cassette(name: str, tmp_path: Path, **overrides: Any):
    path = CASSETTES / f"{name}.yaml"
    if RECORD:
        with running_server() as server:
            base = server.base_url

            def request(r):
                r.uri = _scrub(r.uri, base)
                r.body = _scrub(r.body, base)
                return r

            def response(r):
                r["body"]["string"] = _scrub(r["body"]["string"], base)
                return r

            recorder = vcr.VCR(record_mode="all", before_record_request=request, before_record_response=response,
                               filter_headers=["authorization", "host"], decode_compressed_response=True)
            with recorder.use_cassette(str(path)) as cas:
                yield Env(settings_for(server, tmp_path, **overrides), server.sim, cas)
        return
    if not path.exists():
        pytest.fail(f"missing cassette {path}; record it with COPILOT_RECORD_CASSETTES=1")
    # Replay: the client talks to https://intacct.test, which exists only inside the cassette.
    fake = type("Fake", (), {"base_url": HOST, "xml_endpoint": f"{HOST}/ia/xml/xmlgw.phtml",
                             "rest_base": f"{HOST}/ia/api/v1", "creds": CREDS})()
    with vcr.VCR(record_mode="none").use_cassette(str(path), allow_playback_repeats=False) as cas:
        env = Env(settings_for(fake, tmp_path, **overrides), None, cas)
        yield env
        assert cas.all_played, f"{name}: the client made fewer requests than recorded"


def _entry(account: str = "6000") -> JournalEntry:
    return JournalEntry(journal="GJ", batch_date=date(2024, 3, 31), batch_title="Copilot proposal", lines=[
        JournalLine(account_no=account, amount=Decimal("125.00"), memo="Toner", dims={"department": "ADMIN"},
                    extra={"ai": {"reasoning": "Staples toner is office supplies", "confidence": 0.87,
                                  "prompt_version": "coding-v3"}}),
        JournalLine(account_no="2000", tr_type=-1, amount=Decimal("125.00"), memo="AP")])


def test_xml_login_and_paging(tmp_path):
    with cassette("xml_login_and_paging", tmp_path) as env:
        conn = make_connector(env.settings, "xml")
        pages = list(conn.read_pages("GLDETAIL"))
        assert [len(p.rows) for p in pages] == [50, 50, 20]
        assert len({r["RECORDNO"] for p in pages for r in p.rows}) == 120
        assert len(env.cassette.requests) == 4  # getAPISession, readByQuery, readMore x2
        assert env.cassette.requests[1].uri == f"{HOST}/na12/ia/xml/xmlgw.phtml"


def test_xml_write_back_draft(tmp_path):
    with cassette("xml_write_back_draft", tmp_path) as env:
        conn = make_connector(env.settings, "xml")
        assert conn.create_journal_entry(_entry()) == "501"
        body = env.cassette.requests[-1].body.decode("latin-1")
        assert "<STATE>Draft</STATE>" in body and "[AI 87% prompt coding-v3:" in body


def test_xml_business_error_is_not_retried(tmp_path):
    with cassette("xml_business_error", tmp_path) as env:
        conn = make_connector(env.settings, "xml")
        with pytest.raises(IntacctBusinessError, match="Invalid account number '6999'"):
            conn.create_journal_entry(_entry(account="6999"))
        assert len(env.cassette.requests) == 2  # login, one create


def test_xml_rate_limit_then_success(tmp_path):
    with cassette("xml_rate_limit_then_success", tmp_path) as env:
        conn = make_connector(env.settings, "xml")
        list(conn.read_objects("DEPARTMENT"))
        if env.sim:
            env.sim.inject("http429", times=2)
        assert len(list(conn.read_objects("GLACCOUNT"))) == 9
        statuses = [r["status"]["code"] for r in env.cassette.responses]
        assert statuses == [200, 200, 429, 429, 200]


def test_xml_auth_failure(tmp_path):
    with cassette("xml_auth_failure", tmp_path, intacct_user_password="Wrong-Password-1") as env:
        conn = make_connector(env.settings, "xml")
        with pytest.raises(IntacctAuthError, match="Sign-in information is incorrect"):
            list(conn.read_objects("GLACCOUNT"))


def test_xml_session_expiry_relogin(tmp_path):
    with cassette("xml_session_expiry", tmp_path) as env:
        conn = make_connector(env.settings, "xml")
        list(conn.read_objects("DEPARTMENT"))
        if env.sim:
            env.sim.expire_sessions()
        assert len(list(conn.read_objects("GLACCOUNT"))) == 9
        assert conn.logins == 2


def test_rest_query_and_write_back(tmp_path):
    with cassette("rest_query_and_write_back", tmp_path) as env:
        conn = make_connector(env.settings, "rest")
        assert len(list(conn.read_objects("GLDETAIL"))) == 120
        key = conn.create_journal_entry(_entry())
        assert key == "501"
        sent = json.loads(env.cassette.requests[-1].body)
        assert sent["state"] == "draft" and sent["lines"][0]["glAccount"] == {"id": "6000"}


def test_rest_business_error_is_not_retried(tmp_path):
    with cassette("rest_business_error", tmp_path) as env:
        conn = make_connector(env.settings, "rest")
        with pytest.raises(IntacctBusinessError) as info:
            conn.create_journal_entry(_entry(account="6999"))
        assert info.value.http_status == 422
        assert len(env.cassette.requests) == 2  # token, one create


@pytest.mark.skipif(RECORD, reason="checks the recorded files")
def test_cassettes_hold_no_credentials():
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) >= 8
    for path in files:
        text = path.read_text()
        for secret in SCRUB:
            assert secret not in text, f"{path.name} contains a credential"
        assert "127.0.0.1" not in text
