"""Verdicts, the close calendar, webhook signatures and bodies, and the alert hook's retries."""

from __future__ import annotations

import json
import time
from datetime import date

import httpx
import pytest

from copilot.errors import AuthenticationError, ConfigurationError, InputError
from copilot.validate.findings import Finding
from copilot.validate.policy import (CalendarRules, CloseCalendar, PeriodOverride, VerdictPolicy, add_business_days,
                                     load_close_calendar, load_rules)
from copilot.validate.webhooks import Notifier, parse_event, sign, verify_signature
from copilot.settings import ROOT


def _f(sev: str) -> Finding:
    return Finding(rule_id="x", severity=sev, message="m")


def test_verdict_thresholds_come_from_policy():
    v = VerdictPolicy(block_on={"error": 1}, review_on={"warning": 1, "info": 3})
    assert v.decide([]) == "pass"
    assert v.decide([_f("info"), _f("info")]) == "pass"
    assert v.decide([_f("info")] * 3) == "review"
    assert v.decide([_f("warning")]) == "review"
    assert v.decide([_f("warning"), _f("error")]) == "block"
    lenient = VerdictPolicy(block_on={"error": 2}, review_on={"warning": 5})
    assert lenient.decide([_f("error")]) == "pass"


def test_shipped_policy_files_load():
    rules = load_rules(ROOT / "policies" / "rules.yaml")
    assert rules.rules["entry.unbalanced"].severity == "error"
    assert rules.rule("amount.round").param("multiple") == 100
    cal = load_close_calendar(ROOT / "policies" / "close_calendar.yaml")
    assert cal.default.close_business_days == 5 and cal.default.year_end_close_business_days == 15


def test_bad_policy_file_is_a_configuration_error(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  amount.round:\n    severity: catastrophic\n")
    with pytest.raises(ConfigurationError, match="severity"):
        load_rules(bad)
    bad.write_text("rules: [\n")
    with pytest.raises(ConfigurationError, match="YAML"):
        load_rules(bad)
    with pytest.raises(ConfigurationError, match="not found"):
        load_rules(tmp_path / "none.yaml")


def test_close_calendar_business_days_rolling_window_and_overrides():
    cal = CloseCalendar(default=CalendarRules(close_business_days=5, year_end_close_business_days=15, open_months=2),
                        entities={"UK01": CalendarRules(locked_through="2025-05",
                                                        periods={"2025-04": PeriodOverride(status="open")})})
    june = cal.status("US01", date(2025, 6, 15), as_of=date(2025, 7, 3))
    assert not june.closed and june.close_deadline == date(2025, 7, 7)  # 5th business day of July
    assert cal.status("US01", date(2024, 12, 31), date(2025, 1, 2)).close_deadline == add_business_days(
        date(2024, 12, 31), 15)
    assert cal.status("US01", date(2025, 5, 10), date(2025, 7, 3)).closed  # outside the 2-month window
    assert cal.status("UK01", date(2025, 5, 10), date(2025, 5, 20)).closed  # locked through May
    assert not cal.status("UK01", date(2025, 4, 10), date(2025, 5, 20)).closed  # explicitly re-opened


SECRET = "k"


def test_signature_verification():
    body = b'{"event_id": "e1", "record_no": "1"}'
    now = int(time.time())
    good = {"X-Copilot-Timestamp": str(now), "X-Copilot-Signature": sign(SECRET, str(now), body)}
    verify_signature(SECRET, good, body, tolerance_s=300)
    rotated = {**good, "X-Copilot-Signature": f"sha256=00, {good['X-Copilot-Signature']}"}
    verify_signature(SECRET, rotated, body, tolerance_s=300)  # old and new secret during a rotation
    lower = {k.lower(): v for k, v in good.items()}
    verify_signature(SECRET, lower, body, tolerance_s=300)
    for headers, payload in [({**good, "X-Copilot-Signature": "sha256=" + "0" * 64}, body),
                             (good, body + b" "), ({}, body),
                             ({**good, "X-Copilot-Timestamp": "yesterday"}, body)]:
        with pytest.raises(AuthenticationError):
            verify_signature(SECRET, headers, payload, tolerance_s=300)
    with pytest.raises(AuthenticationError, match="replay"):
        verify_signature(SECRET, good, body, tolerance_s=300, now=now + 301)
    with pytest.raises(ConfigurationError):
        verify_signature(None, good, body, tolerance_s=300)


def test_event_body_fields_in_any_spelling():
    ev = parse_event(json.dumps({"EVENTID": "GLBATCH-9", "RECORDNO": 9, "MegaEntityId": "US01",
                                 "Topic": "ADD_GLBATCH"}).encode(), default_company="demo")
    assert (ev.event_id, ev.record_no, ev.entity, ev.action, ev.company) == ("GLBATCH-9", "9", "US01", "ADD_GLBATCH", "demo")
    with pytest.raises(InputError) as err:
        parse_event(b'{"event_id": ["x"], "record_no": "1"}', default_company="demo")
    assert err.value.details["field"] == "event_id"
    with pytest.raises(InputError) as err:
        parse_event(json.dumps({"event_id": "e", "record_no": "1", "entry": "text"}).encode(), default_company="d")
    assert err.value.details["field"] == "entry"


def _notifier(responses, attempts=4):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return responses.pop(0) if isinstance(responses[0], httpx.Response) else (_ for _ in ()).throw(responses.pop(0))

    client = httpx.Client(transport=httpx.MockTransport(handler))
    waits = []
    return Notifier("https://hooks.example/alerts", secret=SECRET, attempts=attempts, client=client,
                    sleep=waits.append), seen, waits


def test_alert_hook_retries_transient_failures_with_backoff():
    notifier, seen, waits = _notifier([httpx.Response(503), httpx.ConnectError("down"), httpx.Response(200)])
    assert notifier.send({"event_id": "e1", "alerts": []})
    assert len(seen) == 3 and waits == [0.5, 1.0]
    req = seen[-1]
    assert req.headers["X-Copilot-Signature"] == sign(SECRET, req.headers["X-Copilot-Timestamp"], req.content)


def test_alert_hook_gives_up():
    notifier, seen, _ = _notifier([httpx.Response(400)])
    assert not notifier.send({"x": 1}) and len(seen) == 1  # a 4xx is not retried
    notifier, seen, _ = _notifier([httpx.Response(500)] * 3, attempts=3)
    assert not notifier.send({"x": 1}) and len(seen) == 3


def test_processor_posts_alerts_to_the_hook_once(tmp_path):
    import copilot.validate.store  # noqa: F401 - tables
    from sqlalchemy import select

    from copilot.review.db import Database
    from copilot.validate.findings import EntryReport, ValidationReport
    from copilot.validate.store import WebhookEventRow
    from copilot.validate.webhooks import WebhookProcessor

    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    db.create_all()
    findings = [Finding(rule_id="amount.round", severity="info", message="round", entry_index=0, line_index=0),
                Finding(rule_id="account.suspense", severity="warning", message="suspense", entry_index=0, line_index=1)]
    report = ValidationReport(verdict="review", entries=[EntryReport(
        index=0, journal="GJ", batch_date="2025-07-01", entity="US01", verdict="review", findings=findings)])
    notifier, seen, _ = _notifier([httpx.Response(204)])
    proc = WebhookProcessor(db, lambda company, entries: report, notifier=notifier, notify_min_severity="warning",
                            fetch_entry=lambda rn: __import__("copilot.domain", fromlist=["JournalEntry"]).JournalEntry(
                                journal="GJ", batch_date="2025-07-01", record_no=rn))
    body = b'{"event_id": "e-1", "record_no": "77", "company": "demo"}'
    first = proc.receive(parse_event(body, default_company="demo"), body)
    again = proc.receive(parse_event(body, default_company="demo"), body)
    assert first.status == "processed" and first.alerts == 2 and again.duplicate
    assert len(seen) == 1
    sent = json.loads(seen[0].content)
    assert sent["verdict"] == "review" and [a["rule_id"] for a in sent["alerts"]] == ["account.suspense"]
    with db.session() as s:
        assert s.scalars(select(WebhookEventRow.notify_status)).one() == "sent"
    db.dispose()
