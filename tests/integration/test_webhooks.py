"""POST /v1/webhooks/intacct: signed, idempotent, persisted before acknowledged, survives a crash.
Runs on SQLite and on the local PostgreSQL (fresh schema per test)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from copilot.domain import JournalEntry, JournalLine
from copilot.review.db import Database
from copilot.validate.service import ValidationService
from copilot.validate.store import AlertRow, WebhookEventRow

from .validate_support import auth, client, make_data_dir, make_keys, make_settings, postgres_url_or_skip, signed

ENTRY = {"GLBATCH": {"JOURNAL": "GJ", "BATCH_DATE": "07/01/2025", "BASELOCATION_NO": "US01", "RECORDNO": "4711",
                     "ENTRIES": {"GLENTRY": [
                         {"ACCOUNTNO": "7777", "TR_TYPE": "1", "TRX_AMOUNT": "120.00", "LOCATION": "NYC",
                          "VENDORID": "V1", "DESCRIPTION": "office supplies order"},
                         {"ACCOUNTNO": "2000", "TR_TYPE": "-1", "TRX_AMOUNT": "120.00", "LOCATION": "NYC",
                          "VENDORID": "V1"}]}}}
EVENT = {"event_id": "GLBATCH-4711-07/01/2025 10:00:00", "object": "GLBATCH", "action": "add",
         "company": "acme", "record_no": "4711", "entity": "US01", "entry": ENTRY}


class Killed(BaseException):
    """Stands for the process dying mid-request (not an error the code could catch)."""


_CONTEXTS: dict = {}


class Counting(ValidationService):
    """Counts validations; company contexts are shared across tests (loading one takes a second)."""

    def __init__(self, settings, *, fail: BaseException | None = None, **kw):
        from copilot.validate.context import Contexts

        shared = _CONTEXTS.setdefault(str(settings.data_dir), Contexts(settings))
        super().__init__(settings, contexts=shared, **kw)
        self.calls, self.fail = 0, fail

    def validate(self, company, entries, **kw):
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        return super().validate(company, entries, as_of=None, suggest=False)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return make_data_dir(tmp_path_factory.mktemp("webhooks"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request, data_dir, tmp_path):
    if request.param == "postgres":
        url, schema = postgres_url_or_skip()
        settings = make_settings(data_dir, url, database_schema=schema, webhook_lease_s=1,
                                 api_keys_file=tmp_path / "keys.yaml")
    else:
        settings = make_settings(data_dir, f"sqlite:///{tmp_path / 'wh.db'}", webhook_lease_s=1,
                                 api_keys_file=tmp_path / "keys.yaml")
    keys = make_keys(settings)
    yield settings, keys
    db = Database.from_settings(settings)
    db.drop_schema()
    db.dispose()


def _rows(settings):
    db = Database.from_settings(settings)
    db.create_all()  # the bad-request tests never got as far as creating them
    try:
        with db.session() as s:
            events = [(e.event_id, e.status, e.attempts) for e in s.scalars(select(WebhookEventRow)).all()]
            alerts = len(s.scalars(select(AlertRow.id)).all())
        return events, alerts
    finally:
        db.dispose()


def test_event_is_validated_and_alerts_are_listed_per_entity(env):
    settings, keys = env
    with client(settings, validation=Counting(settings)) as c:
        body, headers = signed(EVENT)
        r = c.post("/v1/webhooks/intacct", content=body, headers=headers)
        assert r.status_code == 202, r.text
        ack = r.json()
        assert ack["status"] == "processed" and ack["verdict"] == "block" and ack["alerts"] > 0
        admin = c.get("/v1/alerts", headers=auth(keys.admin)).json()
        assert admin["total"] == ack["alerts"]
        hit = next(a for a in admin["items"] if a["rule_id"] == "code.unknown_account")
        assert hit["entity"] == "US01" and hit["record_no"] == "4711" and hit["line_index"] == 0
        errors = c.get("/v1/alerts?severity=error", headers=auth(keys.admin)).json()
        assert errors["total"] and all(a["severity"] == "error" for a in errors["items"])
        assert c.get("/v1/alerts", headers=auth(keys.us_preparer)).json()["total"] == ack["alerts"]
        assert c.get("/v1/alerts", headers=auth(keys.uk_auditor)).json()["total"] == 0  # other entity
        assert c.get("/v1/alerts?entity=UK01", headers=auth(keys.us_preparer)).status_code == 403
        assert c.get("/v1/alerts").status_code == 401


def test_duplicate_delivery_is_processed_once(env):
    settings, _ = env
    service = Counting(settings)
    with client(settings, validation=service) as c:
        first = c.post("/v1/webhooks/intacct", **dict(zip(("content", "headers"), signed(EVENT))))
        time.sleep(1.01)  # a retry arrives later, freshly signed
        again = c.post("/v1/webhooks/intacct", **dict(zip(("content", "headers"), signed(EVENT))))
    assert first.status_code == 202 and not first.json()["duplicate"]
    assert again.status_code == 200 and again.json()["duplicate"] and again.json()["status"] == "processed"
    assert service.calls == 1
    events, alerts = _rows(settings)
    assert len(events) == 1 and alerts == first.json()["alerts"]


def test_failure_while_processing_keeps_the_event_and_a_new_instance_finishes_it(env):
    settings, keys = env
    with client(settings, validation=Counting(settings, fail=RuntimeError("connector down"))) as c:
        r = c.post("/v1/webhooks/intacct", **dict(zip(("content", "headers"), signed(EVENT))))
    assert r.status_code == 202 and r.json()["status"] == "pending" and "connector down" in r.json()["detail"]
    assert _rows(settings)[0] == [(EVENT["event_id"], "pending", 1)]
    healthy = Counting(settings)
    with client(settings, validation=healthy) as c:  # a restart: new app, same database
        listed = c.get("/v1/alerts", headers=auth(keys.admin)).json()  # the next call takes the event over
    assert healthy.calls == 1 and listed["total"] > 0
    assert _rows(settings)[0] == [(EVENT["event_id"], "processed", 2)]


def test_process_killed_mid_request_loses_nothing(env):
    settings, keys = env
    dying = client(settings, validation=Counting(settings, fail=Killed()))  # no lifespan: it never shuts down
    with pytest.raises(Killed):
        dying.post("/v1/webhooks/intacct", **dict(zip(("content", "headers"), signed(EVENT))))
    assert _rows(settings)[0] == [(EVENT["event_id"], "processing", 1)]  # persisted before the crash
    time.sleep(1.05)  # the dead process's lease (webhook_lease_s=1) runs out
    healthy = Counting(settings)
    with client(settings, validation=healthy) as c:
        # Intacct (or the relay) delivers again: acknowledged as known, and the stranded event is finished.
        r = c.post("/v1/webhooks/intacct", **dict(zip(("content", "headers"), signed(EVENT))))
        assert r.status_code == 200 and r.json()["duplicate"] and r.json()["status"] == "processed"
        assert c.get("/v1/alerts", headers=auth(keys.admin)).json()["total"] == r.json()["alerts"] > 0
    assert healthy.calls == 1


def test_key_only_event_waits_for_the_connector_then_reads_the_entry(env):
    settings, keys = env
    body = {k: v for k, v in EVENT.items() if k != "entry"}
    with client(settings, validation=Counting(settings)) as c:
        r = c.post("/v1/webhooks/intacct", **dict(zip(("content", "headers"), signed(body))))
        assert r.status_code == 202 and r.json()["status"] == "pending" and "fetch_entry" in r.json()["detail"]
    asked = []

    def fetch_entry(record_no):
        asked.append(record_no)
        return JournalEntry(journal="GJ", batch_date="2025-07-01", entity="US01", record_no=record_no, lines=[
            JournalLine(account_no="6230", amount="120.00", dims={"vendor": "V1", "location": "NYC"}),
            JournalLine(account_no="2000", amount="120.00", tr_type=-1, dims={"vendor": "V1", "location": "NYC"})])

    with client(settings, validation=Counting(settings), fetch_entry=fetch_entry) as c:
        events = c.get("/v1/webhooks/intacct/events", headers=auth(keys.admin)).json()
    assert asked == ["4711"] and events[0]["status"] == "processed" and events[0]["attempts"] == 1


@pytest.mark.parametrize("mutate", ["secret", "body", "stale", "missing"])
def test_bad_signature_is_401_problem(env, mutate):
    settings, _ = env
    body, headers = signed(EVENT, secret="wrong" if mutate == "secret" else settings.webhook_secret,
                           stamp=int(time.time()) - 3600 if mutate == "stale" else None)
    if mutate == "body":
        body = body.replace(b"4711", b"4712")
    if mutate == "missing":
        headers = {"Content-Type": "application/json"}
    with client(settings) as c:
        r = c.post("/v1/webhooks/intacct", content=body, headers=headers)
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    assert not _rows(settings)[0]  # nothing stored


@pytest.mark.parametrize("body,field", [
    (b"{not json", "body"),
    ({"record_no": "1"}, "event_id"),
    ({"event_id": "e1", "record_no": "{!GLBATCH.RECORDNO!}"}, "record_no"),
    ({"event_id": "e1"}, "record_no"),
    ({"event_id": "e1", "entry": {"GLBATCH": {"JOURNAL": "GJ", "BATCH_DATE": "07/01/2025", "ENTRIES": {"GLENTRY": [
        {"ACCOUNTNO": "6230", "TR_TYPE": "1", "TRX_AMOUNT": "lots"}]}}}}, "TRX_AMOUNT"),
    ([1, 2], "body"),
])
def test_malformed_payloads_are_4xx_naming_the_field(env, body, field):
    settings, _ = env
    raw, headers = signed(body)
    with client(settings) as c:
        r = c.post("/v1/webhooks/intacct", content=raw, headers=headers)
    assert 400 <= r.status_code < 500 and r.headers["content-type"].startswith("application/problem+json")
    assert field in (r.json().get("field") or "") + r.json()["detail"]
    assert not _rows(settings)[0]  # nothing stored


def test_event_log_needs_auditor_or_admin(env):
    settings, keys = env
    with client(settings) as c:
        assert c.get("/v1/webhooks/intacct/events", headers=auth(keys.us_preparer)).status_code == 403
        assert c.get("/v1/webhooks/intacct/events", headers=auth(keys.uk_auditor)).status_code == 200


def test_key_only_event_is_read_from_intacct_when_the_connector_is_configured(env, tmp_path):
    """No fetch_entry installed: the webhook reads the entry through the XML connector's credentials."""
    from copilot.connector.client import XmlConnector
    from tests.intacct_server import running_server, settings_for

    settings, keys = env
    with running_server() as server:
        conn = settings_for(server, settings.data_dir)
        creds = {k: getattr(conn, k) for k in type(conn).model_fields if k.startswith("intacct_")}
        wired = settings.model_copy(update=creds)
        xml = XmlConnector.from_settings(wired)
        key = xml.create_journal_entry(JournalEntry(
            journal="GJ", batch_date="2024-03-31", batch_title="Toner", lines=[
                JournalLine(account_no="6000", amount="125.00", memo="Toner cartridges", dims={"department": "ADMIN"}),
                JournalLine(account_no="2000", amount="125.00", tr_type=-1, memo="Staples invoice")]))
        reads_before = len(server.sim.calls)
        xml.close()
        body = {**{k: v for k, v in EVENT.items() if k != "entry"}, "record_no": key, "event_id": f"GLBATCH-{key}"}
        with client(wired, validation=Counting(wired)) as c:
            r = c.post("/v1/webhooks/intacct", **dict(zip(("content", "headers"), signed(body))))
            events = c.get("/v1/webhooks/intacct/events", headers=auth(keys.admin)).json()
        assert r.status_code in (200, 202) and r.json()["status"] == "processed", r.json()
        assert [e["status"] for e in events if e["event_id"] == f"GLBATCH-{key}"] == ["processed"]
        # The entry came from Intacct: a read after the create, by the connector the settings configure.
        assert "read" in [f for c in server.sim.calls[reads_before:] for f in c.functions]


def test_no_secret_configured_is_503_problem_and_nothing_stored(env):
    settings, _ = env
    unset = settings.model_copy(update={"webhook_secret": None})
    raw, headers = signed(EVENT, secret=settings.webhook_secret)
    with client(unset) as c:
        r = c.post("/v1/webhooks/intacct", content=raw, headers=headers)
    assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("/configuration-error") and "webhook_secret" in r.json()["detail"]
    assert not _rows(settings)[0]
