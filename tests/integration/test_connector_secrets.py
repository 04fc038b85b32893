"""Credentials never show up in logs, exception messages, problem bodies, reprs or CLI output,
even when Intacct itself echoes them back ("The sender ID 'x' is not authorized ...")."""

from __future__ import annotations

import json
import logging
from datetime import date
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from copilot.connector.client import XmlConnector
from copilot.connector.credentials import MASK, Redactor, XmlCredentials
from copilot.connector.rest import RestConnector
from copilot.domain.entries import JournalEntry, JournalLine
from copilot.errors import CopilotError
from copilot.formats.intacct_errors import IntacctAuthError
from tests.intacct_server import intacct_server, settings_for  # noqa: F401  (fixture)


def _secrets(server) -> list[str]:
    c = server.creds
    return [c.sender_id, c.sender_password, c.user_id, c.company_id, c.user_password, c.client_id,
            c.client_secret, *server.sim.sessions, *server.sim.tokens, *server.sim.refresh_tokens]


def _assert_clean(text: str, secrets: list[str]) -> None:
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"credentials leaked: {leaked}"


def _entry() -> JournalEntry:
    return JournalEntry(journal="GJ", batch_date=date(2024, 3, 31), batch_title="t", lines=[
        JournalLine(account_no="6200", amount=Decimal("10.00"), memo="AWS"),
        JournalLine(account_no="2000", tr_type=-1, amount=Decimal("10.00"), memo="AP")])


def test_xml_errors_logs_and_reprs_carry_no_credentials(intacct_server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    settings = settings_for(intacct_server, tmp_path)
    problems: list[str] = []

    conn = XmlConnector.from_settings(settings)
    list(conn.read_objects("GLACCOUNT"))  # a real session id now exists (and is a secret)
    intacct_server.sim.inject("http429", times=2)  # retries log warnings
    list(conn.read_objects("DEPARTMENT"))
    intacct_server.sim.sender_not_authorized = True  # Intacct names the sender and company ids
    intacct_server.sim.expire_sessions()
    with pytest.raises(IntacctAuthError) as info:
        conn.create_journal_entry(_entry())
    assert "The sender ID '[redacted]' is not authorized" in info.value.message
    problems += [info.value.message, json.dumps(info.value.to_problem()), repr(info.value.details)]
    intacct_server.sim.sender_not_authorized = False

    bad = XmlConnector.from_settings(settings_for(intacct_server, tmp_path, intacct_user_password="Wrong-Pw-123"))
    with pytest.raises(IntacctAuthError) as info:
        list(bad.read_objects("GLACCOUNT"))
    problems += [info.value.message, json.dumps(info.value.to_problem())]

    problems += [repr(conn), repr(conn.creds), str(conn.creds), repr(bad.creds), repr(settings)]
    secrets = _secrets(intacct_server) + ["Wrong-Pw-123"]
    _assert_clean(caplog.text, secrets)
    for text in problems:
        _assert_clean(text, secrets)
    assert "Intacct rate limit" in caplog.text  # the retries were logged, just without secrets


def test_rest_errors_logs_and_reprs_carry_no_credentials(intacct_server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    settings = settings_for(intacct_server, tmp_path)
    conn = RestConnector.from_settings(settings)
    list(conn.read_objects("GLACCOUNT"))
    intacct_server.sim.expire_sessions()  # forces a token refresh
    list(conn.read_objects("DEPARTMENT"))
    bad = RestConnector.from_settings(settings_for(intacct_server, tmp_path, intacct_client_secret="Bad-Secret-999"))
    with pytest.raises(IntacctAuthError) as info:
        list(bad.read_objects("GLACCOUNT"))
    texts = [info.value.message, json.dumps(info.value.to_problem()), repr(conn), repr(conn.creds), repr(bad.creds)]
    secrets = _secrets(intacct_server) + ["Bad-Secret-999"]
    _assert_clean(caplog.text, secrets)
    for text in texts:
        _assert_clean(text, secrets)


def test_cli_failure_output_carries_no_credentials(intacct_server, tmp_path, monkeypatch):
    from copilot.cli import app
    from copilot.settings import get_settings

    c = intacct_server.creds
    env = {"COPILOT_DATA_DIR": str(tmp_path), "COPILOT_INTACCT_SENDER_ID": c.sender_id,
           "COPILOT_INTACCT_SENDER_PASSWORD": c.sender_password, "COPILOT_INTACCT_USER_ID": c.user_id,
           "COPILOT_INTACCT_COMPANY_ID": c.company_id, "COPILOT_INTACCT_USER_PASSWORD": "Wrong-Pw-456",
           "COPILOT_INTACCT_ENDPOINT": intacct_server.xml_endpoint, "COPILOT_INTACCT_MAX_ATTEMPTS": "2",
           "COPILOT_INTACCT_BACKOFF_INITIAL_S": "0.001"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["sync", "--company", "acme", "--no-progress", "--no-ingest"])
    finally:
        get_settings.cache_clear()
    assert isinstance(result.exception, CopilotError)  # main() turns it into one line + exit code
    _assert_clean(result.output + str(result.exception), _secrets(intacct_server) + ["Wrong-Pw-456"])


def test_redactor_masks_every_spelling():
    r = Redactor("s3cr'et&pw", None, "ab")  # too short values are not scrubbed (they would mask words)
    assert r("x s3cr'et&pw y") == f"x {MASK} y"
    assert r("x s3cr&#039;et&amp;pw y") == f"x {MASK} y"  # as it appears inside XML
    assert r("about") == "about"


def test_credentials_repr_shows_no_values():
    from pydantic import SecretStr

    creds = XmlCredentials("sender-x", SecretStr("pw-x"), "user-x", "company-x", SecretStr("pw-y"), entity="US01")
    text = repr(creds) + str(creds)
    for value in ("sender-x", "pw-x", "user-x", "company-x", "pw-y"):
        assert value not in text
    assert "US01" in text
