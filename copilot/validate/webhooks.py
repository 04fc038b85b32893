"""Intacct Smart Event webhooks: verify, persist, then validate; alerts out; nothing lost on a crash.

Intacct Smart Events post whatever body the admin writes, with no fixed schema or signature
(docs/webhooks.md gives the body to configure and the signing relay in front of us). Here:

1. ``verify_signature``: HMAC-SHA256 over ``"<timestamp>.<raw body>"`` with settings.webhook_secret,
   compared in constant time; the timestamp must be within the tolerance (replay protection).
2. ``parse_event``: the body's fields, any key spelling; a clear InputError naming the field.
3. ``WebhookProcessor.receive`` writes the raw event and commits *before* anything else: an event id
   seen before is not stored again (idempotent). Only then is it processed and acknowledged.
4. ``process``: claim (a lease), read the entry (embedded, or through ``fetch_entry(record_no)``),
   validate, store findings as alerts and mark processed in one transaction; then notify.
   A process that dies mid-way leaves the row pending/processing; ``process_pending`` (run on the
   next call and by ``copilot webhooks process``) takes it over once the lease expires.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from copilot.domain import JournalEntry
from copilot.errors import AuthenticationError, ConfigurationError, CopilotError, InputError, NotFound
from copilot.review.db import Database
from copilot.validate.findings import SEVERITY_RANK, ValidationReport
from copilot.validate.store import AlertRow, WebhookEventRow, utcnow

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Copilot-Signature"
TIMESTAMP_HEADER = "X-Copilot-Timestamp"
MAX_BODY_BYTES = 1_000_000

FetchEntry = Callable[[str], JournalEntry]
Validate = Callable[[str, list[JournalEntry]], ValidationReport]


# --- signature ------------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(secret: str | None, headers: Mapping[str, str], body: bytes, *,
                     tolerance_s: int, now: float | None = None) -> None:
    """Raise AuthenticationError unless the body carries a fresh, valid signature."""
    if not secret:
        raise ConfigurationError("webhook_secret is not set: webhooks are refused until it is configured")
    lower = {k.lower(): v for k, v in headers.items()}
    timestamp = (lower.get(TIMESTAMP_HEADER.lower()) or "").strip()
    given = (lower.get(SIGNATURE_HEADER.lower()) or "").strip()
    if not timestamp or not given:
        raise AuthenticationError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        stamp = int(timestamp)
    except ValueError:
        raise AuthenticationError(f"{TIMESTAMP_HEADER} must be Unix seconds") from None
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance_s:
        raise AuthenticationError(f"{TIMESTAMP_HEADER} is more than {tolerance_s} s away from now (replay?)")
    expected = sign(secret, timestamp, body)
    # Several signatures (comma-separated) allow rotating the secret without downtime.
    if not any(hmac.compare_digest(expected.encode(), s.strip().encode()) for s in given.split(",")):
        raise AuthenticationError("webhook signature does not match")


# --- the event body -------------------------------------------------------------------------------

ALIASES: dict[str, tuple[str, ...]] = {
    "event_id": ("eventid", "event", "smarteventid", "idempotencykey"),
    "record_no": ("recordno", "record", "key", "glbatchrecordno", "objectkey"),
    "company": ("company", "companyid", "companyname"),
    "object": ("object", "ownerobject"),
    "action": ("action", "topic", "eventtype"),
    "entity": ("entity", "megaentityid", "locationid"),
    "entry": ("entry", "journalentry", "payload"),
}


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    company: str
    record_no: str | None
    object: str = "GLBATCH"
    action: str | None = None
    entity: str | None = None
    entry: Any = None  # an embedded JOURNALENTRY / GLBATCH in Intacct's JSON form


def _key(k: str) -> str:
    return "".join(ch for ch in k.lower() if ch.isalnum())


def _text(value: Any, field: str, *, limit: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int,)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InputError(f"{field} must be a string", field=field)
    value = value.strip()
    if "{!" in value and "!}" in value:
        raise InputError(f"{field} is an unexpanded Smart Event placeholder ({value}); check the injection "
                         "parameter names in the Smart Event body", field=field)
    if len(value) > limit:
        raise InputError(f"{field} is longer than {limit} characters", field=field)
    return value or None


def parse_event(body: bytes, *, default_company: str) -> WebhookEvent:
    if len(body) > MAX_BODY_BYTES:
        raise InputError(f"body larger than {MAX_BODY_BYTES} bytes", field="body")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("body is not UTF-8", field="body") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                         field="body", line=exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError("body must be a JSON object", field="body")
    by_key = {_key(k): v for k, v in data.items()}
    found: dict[str, Any] = {}
    for name, aliases in ALIASES.items():
        for alias in (_key(name), *aliases):
            if alias in by_key:
                found[name] = by_key[alias]
                break
    event_id = _text(found.get("event_id"), "event_id", limit=200)
    if not event_id:
        raise InputError("event_id is missing: the Smart Event body must carry a unique event id",
                         field="event_id")
    record_no = _text(found.get("record_no"), "record_no", limit=100)
    entry = found.get("entry")
    if record_no is None and entry is None:
        raise InputError("record_no is missing: send the GLBATCH RECORDNO (or an embedded entry)",
                         field="record_no")
    if entry is not None and not isinstance(entry, (dict, list)):
        raise InputError("entry must be a JSON object (Intacct JSON form)", field="entry")
    return WebhookEvent(event_id=event_id,
                        company=_text(found.get("company"), "company", limit=100) or default_company,
                        record_no=record_no, object=(_text(found.get("object"), "object", limit=50) or "GLBATCH"),
                        action=_text(found.get("action"), "action", limit=50),
                        entity=_text(found.get("entity"), "entity", limit=100), entry=entry)


def embedded_entries(event: WebhookEvent) -> list[JournalEntry]:
    from copilot.formats.intacct_json import parse_journal_json

    try:
        entries = parse_journal_json(event.entry, default_date=None)
    except InputError as exc:
        field = getattr(exc, "field", None)
        raise InputError(f"entry: {exc.message}", field=f"entry.{field}" if field else "entry") from None
    if not entries:
        raise InputError("entry holds no journal entry", field="entry")
    return entries


# --- outbound notification --------------------------------------------------------------------------


class Notifier:
    """POSTs a JSON summary to a hook URL, retrying network errors, 429 and 5xx with backoff."""

    def __init__(self, url: str, *, secret: str | None = None, attempts: int = 4, backoff_s: float = 0.5,
                 timeout_s: float = 10.0, client: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.url, self.secret, self.attempts, self.backoff_s = url, secret, max(1, attempts), backoff_s
        self.client = client or httpx.Client(timeout=timeout_s)
        self.sleep = sleep

    def send(self, payload: dict[str, Any]) -> bool:
        body = json.dumps(payload, default=str).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.secret:
            stamp = str(int(time.time()))
            headers.update({TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(self.secret, stamp, body)})
        for attempt in range(1, self.attempts + 1):
            try:
                resp = self.client.post(self.url, content=body, headers=headers)
                if resp.status_code < 300:
                    return True
                if resp.status_code not in (408, 429) and resp.status_code < 500:
                    log.warning("alert hook refused the notification: HTTP %s", resp.status_code)
                    return False
                reason = f"HTTP {resp.status_code}"
            except httpx.HTTPError as exc:
                reason = str(exc) or exc.__class__.__name__
            log.warning("alert hook attempt %d/%d failed: %s", attempt, self.attempts, reason)
            if attempt < self.attempts:
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
        return False


# --- processing -----------------------------------------------------------------------------------


class Deferred(Exception):
    """The event cannot be processed yet (no connector to read the entry): keep it pending."""


@dataclass(frozen=True)
class Receipt:
    event_id: str
    status: str            # processed | pending | failed
    duplicate: bool
    verdict: str | None = None
    alerts: int = 0
    detail: str | None = None


class WebhookProcessor:
    def __init__(self, db: Database, validate: Validate, *, fetch_entry: FetchEntry | None = None,
                 notifier: Notifier | None = None, notify_min_severity: str = "warning",
                 max_attempts: int = 5, lease_s: int = 120, clock: Callable[[], datetime] = utcnow) -> None:
        self.db, self.validate, self.fetch_entry = db, validate, fetch_entry
        self.notifier, self.notify_min_rank = notifier, SEVERITY_RANK[notify_min_severity]
        self.max_attempts, self.lease = max_attempts, timedelta(seconds=lease_s)
        self.clock = clock

    def receive(self, event: WebhookEvent, raw_body: bytes) -> Receipt:
        """Persist first (commit), then process. A known event id is not stored or processed again."""
        duplicate = False
        try:
            with self.db.session() as s:
                s.add(WebhookEventRow(event_id=event.event_id, company=event.company, object=event.object,
                                      action=event.action, record_no=event.record_no, entity=event.entity,
                                      raw_body=raw_body.decode("utf-8"), received_at=self.clock(),
                                      status="pending"))
        except IntegrityError:
            duplicate = True
        receipt = self.process(event.event_id)
        return Receipt(**{**receipt.__dict__, "duplicate": duplicate})

    def process(self, event_id: str) -> Receipt:
        """Process one event if it is pending (or its lease expired); otherwise report its state."""
        if not self._claim(event_id):
            return self._receipt(event_id)
        with self.db.session() as s:
            row = s.scalars(select(WebhookEventRow).where(WebhookEventRow.event_id == event_id)).one()
            event = parse_event(row.raw_body.encode("utf-8"), default_company=row.company)
        try:
            entries = self._entries(event)
            report = self.validate(event.company, entries)
        except Deferred as exc:
            self._release(event_id, str(exc), count_attempt=False)
            return self._receipt(event_id)
        except (InputError, NotFound) as exc:  # the event itself is unusable: retrying will not help
            self._fail(event_id, exc.message)
            return self._receipt(event_id)
        except Exception as exc:  # noqa: BLE001 - transient (connector down...): retried later
            message = exc.message if isinstance(exc, CopilotError) else f"{exc.__class__.__name__}: {exc}"
            log.warning("webhook %s failed, will retry: %s", event_id, message)
            self._release(event_id, message, count_attempt=True)
            return self._receipt(event_id)
        self._complete(event, entries, report)
        self._notify(event_id)
        return self._receipt(event_id)

    def process_pending(self, limit: int = 100) -> int:
        """Take over events left pending or with an expired lease (a crash, a restart); retry notices."""
        cutoff = self.clock() - self.lease
        with self.db.session() as s:
            ids = s.scalars(select(WebhookEventRow.event_id).where(or_(
                WebhookEventRow.status == "pending",
                (WebhookEventRow.status == "processing") & (WebhookEventRow.claimed_at < cutoff),
            )).order_by(WebhookEventRow.id).limit(limit)).all()
            notify = s.scalars(select(WebhookEventRow.event_id).where(
                WebhookEventRow.status == "processed", WebhookEventRow.notify_status == "pending",
                WebhookEventRow.processed_at < cutoff).limit(limit)).all()
        done = 0
        for event_id in ids:
            if self.process(event_id).status in ("processed", "failed"):
                done += 1
        for event_id in notify:
            self._notify(event_id)
        return done

    # --- steps ----------------------------------------------------------------------------------

    def _claim(self, event_id: str) -> bool:
        now = self.clock()
        with self.db.session() as s:
            result = s.execute(update(WebhookEventRow).where(
                WebhookEventRow.event_id == event_id,
                or_(WebhookEventRow.status == "pending",
                    (WebhookEventRow.status == "processing") & (WebhookEventRow.claimed_at < now - self.lease)),
            ).values(status="processing", claimed_at=now, attempts=WebhookEventRow.attempts + 1))
            return result.rowcount == 1

    def _release(self, event_id: str, error: str, *, count_attempt: bool) -> None:
        with self.db.session() as s:
            row = s.scalars(select(WebhookEventRow).where(WebhookEventRow.event_id == event_id)).one()
            if not count_attempt:
                row.attempts = max(0, row.attempts - 1)
            row.last_error = error[:2000]
            row.claimed_at = None
            row.status = "failed" if row.attempts >= self.max_attempts else "pending"

    def _fail(self, event_id: str, error: str) -> None:
        with self.db.session() as s:
            row = s.scalars(select(WebhookEventRow).where(WebhookEventRow.event_id == event_id)).one()
            row.status, row.last_error, row.processed_at = "failed", error[:2000], self.clock()

    def _entries(self, event: WebhookEvent) -> list[JournalEntry]:
        if event.entry is not None:
            return embedded_entries(event)
        if self.fetch_entry is None:
            raise Deferred("the body carries only a record number and no connector (fetch_entry) is configured")
        entry = self.fetch_entry(event.record_no)  # type: ignore[arg-type]
        return [entry]

    def _complete(self, event: WebhookEvent, entries: list[JournalEntry], report: ValidationReport) -> None:
        """Alerts and the processed status commit together: a crash between them cannot half-store."""
        now = self.clock()
        rows = []
        for er in report.entries:
            entry = entries[er.index]
            entity = er.entity or event.entity
            for f in er.findings:
                rows.append(self._alert(event, entity, entry, f, report.verdict, now))
        for f in report.batch_findings:
            rows.append(self._alert(event, event.entity, None, f, report.verdict, now))
        wants_notice = self.notifier is not None and any(r.severity_rank >= self.notify_min_rank for r in rows)
        with self.db.session() as s:
            row = s.scalars(select(WebhookEventRow).where(WebhookEventRow.event_id == event.event_id)).one()
            if row.status != "processing":  # someone else finished it after our lease expired
                return
            s.add_all(rows)
            row.status, row.verdict, row.processed_at, row.last_error = "processed", report.verdict, now, None
            row.entity = row.entity or next((r.entity for r in rows if r.entity), None)
            row.notify_status = "pending" if wants_notice else "none"

    @staticmethod
    def _alert(event: WebhookEvent, entity: str | None, entry: JournalEntry | None, f, verdict: str,
               now: datetime) -> AlertRow:
        return AlertRow(event_id=event.event_id, company=event.company, entity=entity,
                        record_no=(entry.record_no if entry is not None else None) or event.record_no,
                        journal=entry.journal if entry is not None else None, entry_index=f.entry_index,
                        line_index=f.line_index, rule_id=f.rule_id, severity=f.severity,
                        severity_rank=SEVERITY_RANK[f.severity], message=f.message, evidence=f.evidence,
                        corrections=[c.model_dump() for c in f.corrections], verdict=verdict, created_at=now)

    def _notify(self, event_id: str) -> None:
        if self.notifier is None:
            return
        with self.db.session() as s:
            row = s.scalars(select(WebhookEventRow).where(WebhookEventRow.event_id == event_id)).one()
            if row.notify_status != "pending":
                return
            alerts = s.scalars(select(AlertRow).where(AlertRow.event_id == event_id,
                                                      AlertRow.severity_rank >= self.notify_min_rank)
                               .order_by(AlertRow.id)).all()
            payload = {"event_id": event_id, "company": row.company, "record_no": row.record_no,
                       "entity": row.entity, "verdict": row.verdict, "alerts": [a.to_dict() for a in alerts]}
        ok = self.notifier.send(payload)
        with self.db.session() as s:
            row = s.scalars(select(WebhookEventRow).where(WebhookEventRow.event_id == event_id)).one()
            row.notify_status = "sent" if ok else "failed"

    def _receipt(self, event_id: str) -> Receipt:
        with self.db.session() as s:
            row = s.scalars(select(WebhookEventRow).where(WebhookEventRow.event_id == event_id)).one()
            n = len(s.scalars(select(AlertRow.id).where(AlertRow.event_id == event_id)).all())
            return Receipt(event_id=event_id, status=row.status, duplicate=False, verdict=row.verdict,
                           alerts=n, detail=row.last_error)


# --- alerts -----------------------------------------------------------------------------------------


def list_alerts(db: Database, *, company: str | None = None, entities: list[str] | None = None,
                min_severity: str = "info", rule_id: str | None = None, since: datetime | None = None,
                limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Newest first. ``entities`` None = no entity restriction (callers pass the principal's scope)."""
    from sqlalchemy import func

    cond = [AlertRow.severity_rank >= SEVERITY_RANK[min_severity]]
    if company:
        cond.append(AlertRow.company == company)
    if entities is not None:
        cond.append(AlertRow.entity.in_(entities))
    if rule_id:
        cond.append(AlertRow.rule_id == rule_id)
    if since is not None:
        cond.append(AlertRow.created_at >= since.astimezone(timezone.utc))
    with db.session() as s:
        total = s.scalar(select(func.count(AlertRow.id)).where(*cond)) or 0
        rows = s.scalars(select(AlertRow).where(*cond).order_by(AlertRow.id.desc()).offset(offset).limit(limit)).all()
        return [r.to_dict() for r in rows], int(total)
