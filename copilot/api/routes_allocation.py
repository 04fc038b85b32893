"""POST /v1/allocations: one allocation rule for one month -> a balanced GLBATCH with budget and history checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from copilot.allocation.allocate import AllocationResult
from copilot.api.auth import Principal, ensure_entity, require
from copilot.settings import Settings, get_settings

router = APIRouter(prefix="/v1", tags=["allocation"])


class AllocationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {
        "company": "demo", "rule": "rent-nyc", "period": "2024-03"}})

    company: str | None = Field(default=None, description="Company; default settings.default_company")
    rule: str | dict[str, Any] = Field(description="A rule id of policies/allocation_rules.yaml, or a rule "
                                                   "written inline in the same shape")
    period: str = Field(description="Month, YYYY-MM")
    amount: Decimal | None = Field(default=None, description="Allocate this amount instead of the pool's GL balance")


class AllocationResponse(AllocationResult):
    payload_xml: str = Field(description="<function><create><GLBATCH>… as the SDK writes it")
    payload_json: dict[str, Any] = Field(description="The same create function in its JSON form")


def _settings(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


@router.post(
    "/allocations", response_model=AllocationResponse,
    summary="Allocate a shared cost pool for a month (Intacct GLBATCH, to the cent)",
    responses={401: {"description": "No or unknown API key"}, 403: {"description": "Entity not allowed"},
               404: {"description": "Unknown company or rule"},
               422: {"description": "Bad rule, period, zero drivers, currency mismatch...; the problem names the field"}})
async def allocations(body: AllocationRequest, request: Request,
                      principal: Principal = Depends(require("preparer", "approver"))) -> AllocationResponse:
    """Splits the pool (the period's GL balance of the rule's accounts before allocations, or ``amount``)
    by the rule's drivers with the largest-remainder method, so the entry balances to the cent. Flags
    projects going over budget and shares far from the rule's earlier allocations. Nothing is posted."""
    from copilot.allocation.rules import parse_rule
    from copilot.allocation.service import controlid, entry_json, entry_xml, rulebook_for, run_allocation

    settings = _settings(request)
    company = body.company or settings.default_company
    rule = parse_rule(body.rule) if isinstance(body.rule, dict) else rulebook_for(settings, company).rule(body.rule)
    ensure_entity(principal, rule.entity)
    result = await run_in_threadpool(run_allocation, settings, company,
                                     body.rule if isinstance(body.rule, dict) else rule.id, body.period,
                                     amount=body.amount)
    cid = controlid(result)
    return AllocationResponse(**result.model_dump(), payload_xml=entry_xml(result.entry, cid),
                              payload_json=entry_json(result.entry, cid))
