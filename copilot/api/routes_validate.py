"""POST /v1/journal-entries/validate: findings per line and a pass / review / block verdict.

The body is an Intacct journal entry as JSON (the ``{"operation": ...}`` wrapper, an ``object:
JOURNALENTRY`` verb with ``list``, a bare GLBATCH, or the REST shape) or as XML (a request envelope or
a bare ``<GLBATCH>``), told apart by Content-Type (or by the first character when it is missing).
Rules, severities and thresholds come from policies/rules.yaml; periods from close_calendar.yaml.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from copilot.api.auth import READERS, Principal, ensure_entity, require
from copilot.domain import JournalEntry
from copilot.errors import InputError
from copilot.settings import Settings, get_settings
from copilot.validate.findings import ValidationReport
from copilot.validate.rules import entry_lines
from copilot.validate.service import ValidationService

router = APIRouter(prefix="/v1", tags=["validation"])
MAX_BODY_BYTES = 10_000_000
JSON_TYPES = ("application/json", "text/json")
XML_TYPES = ("application/xml", "text/xml")


class UnsupportedMediaType(InputError):
    code = "unsupported-media-type"
    status = 415


def _settings(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


def validation_service(request: Request) -> ValidationService:
    """One per app (``app.state.validation``); suggestions come from the engine when it has a model."""
    state = request.app.state
    service = getattr(state, "validation", None)
    if service is None:
        settings = _settings(request)
        state.validation = service = ValidationService(settings, suggester_for=lambda c: engine_suggester(state, c))
    return service


def engine_suggester(state, company: str):
    """The engine's suggest() for ``company`` (built on the first coding finding), or None when the
    company has no trained model: findings still carry their evidence, just no corrections."""
    try:
        from copilot.engine.service import SuggestionService, model_path
    except ImportError:
        return None
    if not model_path(state.settings, company).exists():
        return None

    def suggest(request):
        svc = getattr(state, "suggestions", None)
        if svc is None:
            state.suggestions = svc = SuggestionService(state.settings)
        return svc.suggest(company, request)

    return suggest


def parse_body(body: bytes, content_type: str, *, default_date: date) -> list[JournalEntry]:
    if not body.strip():
        raise InputError("the request body is empty: send a JOURNALENTRY / GLBATCH as JSON or XML", field="body")
    if len(body) > MAX_BODY_BYTES:
        raise InputError(f"the request body is larger than {MAX_BODY_BYTES} bytes", field="body")
    kind = content_type.split(";")[0].strip().lower()
    if kind in JSON_TYPES or kind.endswith("+json"):
        fmt = "json"
    elif kind in XML_TYPES or kind.endswith("+xml"):
        fmt = "xml"
    elif kind in ("", "application/octet-stream", "text/plain"):
        fmt = "xml" if body.lstrip().startswith(b"<") else "json"
    else:
        raise UnsupportedMediaType(f"unsupported content type {kind!r}: use application/json or application/xml",
                                   field="content-type")
    if fmt == "json":
        from copilot.formats.intacct_json import parse_journal_json

        return parse_journal_json(body, default_date=default_date)
    from copilot.formats.intacct_xml import parse_glbatch_xml

    return parse_glbatch_xml(body, default_date=default_date)


def check_entities(principal: Principal, entries: list[JournalEntry], company) -> None:
    """Every entity an entry touches (header, or the entity its lines' locations belong to)."""
    for i, entry in enumerate(entries):
        entities = {ln.entity for ln in entry_lines(entry, i, company)}
        if entities == {None} and not principal.all_entities:
            raise InputError(f"entry {i} names no entity (BASELOCATION_NO / MEGAENTITYID or an entity "
                             "location): your key is limited to some entities", field="MEGAENTITYID")
        for entity in entities - {None}:
            ensure_entity(principal, entity)


@router.post(
    "/journal-entries/validate", response_model=ValidationReport,
    summary="Validate journal entries (Intacct JSON or XML)",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"type": "object"}, "example": {"operation": {"content": {"function": {
            "controlid": "validateJournal-001", "@class": "validate", "object": "JOURNALENTRY",
            "list": [{"JOURNAL": "GJ", "BATCH_DATE": "11/20/2026", "ENTRIES": {"GLENTRY": [
                {"ACCOUNTNO": "6000", "TR_TYPE": "1", "TRX_AMOUNT": "12500.00", "LOCATIONID": "NYC",
                 "DEPARTMENTID": "SALES"},
                {"ACCOUNTNO": "2050", "TR_TYPE": "-1", "TRX_AMOUNT": "12500.00", "LOCATIONID": "NYC"}]}}]}}}}},
        "application/xml": {"schema": {"type": "string"}}}}},
    responses={401: {"description": "No or unknown API key"}, 403: {"description": "Entity not allowed"},
               404: {"description": "Unknown company"}, 415: {"description": "Not JSON or XML"},
               422: {"description": "Payload cannot be read; the problem names line and field"}})
async def validate(request: Request,
                   company: str | None = Query(None, description="Company; default settings.default_company"),
                   as_of: date | None = Query(None, description="Validate as if posted on this day (default today); "
                                                                  "also the date of entries without BATCH_DATE"),
                   suggest: bool = Query(True, description="Attach the engine's top-3 to coding findings"),
                   principal: Principal = Depends(require(*READERS)),
                   service: ValidationService = Depends(validation_service)) -> ValidationReport:
    """Per-line findings (rule id, severity, message, evidence, suggested corrections), per-line
    anomaly scores, and the overall verdict: ``block`` if any finding blocks, ``review`` if any needs a
    human, else ``pass`` (thresholds in policies/rules.yaml)."""
    body = await request.body()
    day = as_of or date.today()
    entries = await run_in_threadpool(parse_body, body, request.headers.get("content-type", ""), default_date=day)
    name = company or service.settings.default_company
    ctx = await run_in_threadpool(service.contexts.company, name)
    check_entities(principal, entries, ctx.company)
    return await run_in_threadpool(service.validate, name, entries, as_of=day, suggest=suggest)
