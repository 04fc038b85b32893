"""POST /v1/intercompany/reconcile: pairs, mismatches with reasons, and elimination entries for a month."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from copilot.api.auth import READERS, Principal, ensure_entity, require
from copilot.intercompany.models import Reconciliation
from copilot.settings import Settings, get_settings

router = APIRouter(prefix="/v1", tags=["intercompany"])


class ReconcileRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"company": "demo", "period": "2024-03"}})

    company: str | None = Field(default=None, description="Company; default settings.default_company")
    period: str = Field(description="Month, YYYY-MM")
    tolerance: Decimal | None = Field(default=None, ge=0, description="Base-currency tolerance (default from policies)")
    window_days: int | None = Field(default=None, ge=0, le=366, description="Days outside the period searched")
    use_reference: bool | None = Field(default=None, description="Pair by document/reference first")
    include_payloads: bool = Field(default=True, description="Add each elimination's GLBATCH XML and JSON")


def _settings(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


def _entities(rec: Reconciliation) -> set[str]:
    found = {s.entity for f in rec.findings for s in (f.a, f.b) if s is not None}
    return found | {e.entry.entity for e in rec.eliminations if e.entry.entity}


@router.post(
    "/intercompany/reconcile", response_model=Reconciliation,
    summary="Reconcile intercompany balances for a month and propose eliminations",
    responses={401: {"description": "No or unknown API key"},
               403: {"description": "The result touches an entity the key may not see"},
               404: {"description": "Unknown company"},
               422: {"description": "Bad period or settings; the problem names the field"}})
async def reconcile(body: ReconcileRequest, request: Request,
                    principal: Principal = Depends(require(*READERS))) -> Reconciliation:
    """Pairs due-from / due-to bookings across entities (reference, amount in base currency within the
    tolerance, date window, counterparty), reports every mismatch with its reason (amount_difference,
    fx_difference, missing_side, wrong_account, timing_difference, no_fx_rate) and proposes balanced
    elimination entries for matched pairs. Intercompany spans entities: a key limited to some entities
    gets 403 when the result touches another one."""
    from copilot.intercompany.service import run_reconciliation

    settings = _settings(request)
    company = body.company or settings.default_company
    rec = await run_in_threadpool(run_reconciliation, settings, company, body.period, tolerance=body.tolerance,
                                  window_days=body.window_days, use_reference=body.use_reference)
    for entity in sorted(_entities(rec)):
        ensure_entity(principal, entity)
    if not body.include_payloads:
        for e in rec.eliminations:
            e.payload_xml = e.payload_json = None
    return rec
