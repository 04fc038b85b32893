"""Intacct Smart Event webhook (signed, idempotent, persisted before it is acknowledged) and alerts.

POST /v1/webhooks/intacct     authenticated by its HMAC signature, not an API key (docs/webhooks.md)
GET  /v1/alerts               findings raised by webhook validations, newest first, entity-scoped
GET  /v1/webhooks/intacct/events   the event log (admin / auditor): status, attempts, last error

The entry behind a key-only event is read from Intacct by the connector when its credentials are
configured (copilot.connector.writeback.entry_reader), or through ``app.state.fetch_entry`` (a callable
``record_no -> JournalEntry``) when one is installed; without either such events wait pending.
"""

from __future__ import annotations

import threading
from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from copilot.api.auth import AUDITORS, READERS, Principal, require
from copilot.api.deps import MAX_OFFSET
from copilot.api.routes_validate import validation_service
from copilot.review.access import scoped_entities
from copilot.review.db import Database
from copilot.settings import Settings, get_settings
from copilot.validate.webhooks import (Notifier, WebhookProcessor, embedded_entries, list_alerts, parse_event,
                                      verify_signature)

router = APIRouter(tags=["webhooks"])
_lock = threading.Lock()


def _settings(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


def webhook_processor(request: Request) -> WebhookProcessor:
    """Built once per app; the first use also takes over events a previous process left unfinished."""
    state = request.app.state
    proc = getattr(state, "webhook_processor", None)
    if proc is None:
        with _lock:
            proc = getattr(state, "webhook_processor", None)
            if proc is None:
                proc = build_processor(_settings(request), state, validation_service(request))
                proc.process_pending()
                state.webhook_processor = proc
    # The connector may install (or replace) the entry reader after start-up.
    proc.fetch_entry = getattr(state, "fetch_entry", None) or proc.fetch_entry
    return proc


def build_processor(settings: Settings, state, service) -> WebhookProcessor:
    import copilot.validate.store  # noqa: F401 - registers the tables on the shared Base

    db = getattr(state, "validate_db", None)
    if db is None:
        db = Database.from_settings(settings)
        db.create_all()
        state.validate_db = db
    notifier = None
    if settings.validation_notify_url:
        notifier = Notifier(settings.validation_notify_url, secret=settings.webhook_secret,
                            attempts=settings.validation_notify_attempts)
    from copilot.connector.writeback import entry_reader

    return WebhookProcessor(db, lambda company, entries: service.validate(company, entries),
                            fetch_entry=getattr(state, "fetch_entry", None) or entry_reader(settings),
                            notifier=notifier,
                            notify_min_severity=settings.validation_notify_min_severity,
                            max_attempts=settings.webhook_max_attempts, lease_s=settings.webhook_lease_s)


class WebhookAck(BaseModel):
    event_id: str
    status: str = Field(description="processed | pending (stored; processed later) | failed")
    duplicate: bool = Field(description="The event id was received before; it was not processed again")
    verdict: str | None = None
    alerts: int = 0
    detail: str | None = None


@router.post("/v1/webhooks/intacct", response_model=WebhookAck, status_code=202,
             summary="Receive an Intacct Smart Event (GLBATCH add/set)",
             responses={200: {"description": "Duplicate delivery: already stored"},
                        401: {"description": "Missing, stale or wrong signature"},
                        422: {"description": "Body unusable; the problem names the field"}})
async def receive(request: Request) -> JSONResponse:
    """Verify the HMAC signature, store the raw event (committed before we answer), then validate the
    entry and store its findings as alerts. A repeated event id is acknowledged, not reprocessed."""
    settings = _settings(request)
    body = await request.body()
    verify_signature(settings.webhook_secret, request.headers, body, tolerance_s=settings.webhook_tolerance_s)
    event = parse_event(body, default_company=settings.default_company)
    if event.entry is not None:
        embedded_entries(event)  # a malformed embedded entry is the sender's error: 422, not stored
    proc = await run_in_threadpool(webhook_processor, request)
    receipt = await run_in_threadpool(proc.receive, event, body)
    ack = WebhookAck(**receipt.__dict__)
    return JSONResponse(ack.model_dump(), status_code=200 if receipt.duplicate else 202)


class AlertList(BaseModel):
    items: list[dict]
    total: int


@router.get("/v1/alerts", response_model=AlertList, tags=["validation"], summary="Validation alerts")
def alerts(request: Request, company: str | None = None, entity: str | None = None,
           severity: str = Query("info", pattern="^(info|warning|error)$", description="Least severity"),
           rule_id: str | None = None, since: datetime | None = None,
           limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=MAX_OFFSET),
           principal: Principal = Depends(require(*READERS))) -> AlertList:
    """Findings stored from webhook validations, newest first, limited to the caller's entities."""
    proc = webhook_processor(request)
    items, total = list_alerts(proc.db, company=company, entities=scoped_entities(principal, entity),
                               min_severity=severity, rule_id=rule_id, since=since, limit=limit, offset=offset)
    return AlertList(items=items, total=total)


@router.get("/v1/webhooks/intacct/events", tags=["webhooks"], summary="Webhook event log")
def events(request: Request, status: str | None = Query(None, pattern="^(pending|processing|processed|failed)$"),
           limit: int = Query(100, ge=1, le=1000),
           principal: Principal = Depends(require(*AUDITORS))) -> list[dict]:
    from copilot.validate.store import WebhookEventRow

    proc = webhook_processor(request)
    query = select(WebhookEventRow).order_by(WebhookEventRow.id.desc()).limit(limit)
    if status:
        query = query.where(WebhookEventRow.status == status)
    if not principal.all_entities:
        query = query.where(WebhookEventRow.entity.in_(sorted(principal.entities)))
    with proc.db.session() as s:
        return [r.summary() for r in s.scalars(query).all()]
