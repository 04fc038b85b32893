"""Audit trail endpoints for auditors (and admins): list, verify, export, semantic search.

Every list, export and search is limited to the caller's entities; naming another entity is 403.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from copilot.api.auth import AUDITORS, Principal, require
from copilot.api.deps import MAX_OFFSET
from copilot.api.routes_review import review_context
from copilot.review.access import scoped_entities
from copilot.review.audit import AuditFilter, AuditRecord
from copilot.review.context import ReviewContext
from copilot.review.search import SearchHit

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class AuditPage(BaseModel):
    records: list[AuditRecord]
    total: int


class VerifyBody(BaseModel):
    ok: bool
    records: int
    first_bad_seq: int | None
    reason: str | None
    head_seq: int
    head_hash: str
    message: str


class SearchBody(BaseModel):
    query: str
    hits: list[SearchHit]


def _filter(principal: Principal, entity: str | None, date_from: date | None, date_to: date | None,
            action: str | None = None, user: str | None = None, review_id: int | None = None) -> AuditFilter:
    return AuditFilter(entities=scoped_entities(principal, entity), date_from=date_from, date_to=date_to,
                       action=action, user=user, review_id=review_id)


@router.get("", response_model=AuditPage, summary="Audit records, oldest first")
def list_records(entity: str | None = None, date_from: date | None = None, date_to: date | None = None,
                 action: Literal["submit", "approve", "edit", "reject"] | None = None,
                 user: str | None = None, review_id: int | None = None,
                 limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=MAX_OFFSET),
                 principal: Principal = Depends(require(*AUDITORS)),
                 ctx: ReviewContext = Depends(review_context)) -> AuditPage:
    flt = _filter(principal, entity, date_from, date_to, action, user, review_id)
    return AuditPage(records=ctx.audit.records(flt, limit=limit, offset=offset), total=ctx.audit.count(flt))


@router.get("/verify", response_model=VerifyBody, summary="Check the whole hash chain")
def verify(principal: Principal = Depends(require(*AUDITORS)),
           ctx: ReviewContext = Depends(review_context)) -> VerifyBody:
    """Always answers 200; ``ok`` is false and ``first_bad_seq`` names the first broken record."""
    r = ctx.audit.verify()
    return VerifyBody(ok=r.ok, records=r.records, first_bad_seq=r.first_bad_seq, reason=r.reason,
                      head_seq=r.head_seq, head_hash=r.head_hash, message=r.message())


@router.get("/export", summary="Export records as CSV or JSON",
            responses={200: {"content": {"text/csv": {}, "application/json": {}}}})
def export(format: Literal["csv", "json"] = "csv", entity: str | None = None,
           date_from: date | None = None, date_to: date | None = None,
           principal: Principal = Depends(require(*AUDITORS)),
           ctx: ReviewContext = Depends(review_context)) -> StreamingResponse:
    flt = _filter(principal, entity, date_from, date_to)
    media = "text/csv; charset=utf-8" if format == "csv" else "application/json"
    return StreamingResponse(ctx.audit.export(flt, format), media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="audit.{format}"'})


@router.get("/search", response_model=SearchBody, summary="Natural-language search over decided items")
def search(q: str = Query(min_length=1, description="What to look for, in plain words"),
           entity: str | None = None, account: str | None = None, user: str | None = None,
           decision: Literal["approved", "edited", "rejected"] | None = None,
           date_from: date | None = Query(None, description="Transaction date, inclusive"),
           date_to: date | None = Query(None, description="Transaction date, inclusive"),
           amount_min: Decimal | None = None, amount_max: Decimal | None = None,
           limit: int = Query(20, ge=1, le=100),
           principal: Principal = Depends(require(*AUDITORS)),
           ctx: ReviewContext = Depends(review_context)) -> SearchBody:
    """Each hit cites its review item (``review_url``) and the audit record of its decision
    (``audit_seq``, ``audit_hash``). Only the caller's entities are searched."""
    hits = ctx.search.search(principal, q, entity=entity, account=account, user=user, decision=decision,
                             date_from=date_from, date_to=date_to, amount_min=amount_min,
                             amount_max=amount_max, limit=limit)
    return SearchBody(query=q, hits=hits)
