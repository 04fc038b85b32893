"""Review queue endpoints: submit a suggestion, list and read items, approve / edit / reject, bulk.

Roles: preparers submit; approvers decide; preparers, approvers and auditors read; admin does all.
Items of entities outside the caller's scope are never listed, and reading one by id answers 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from copilot.api.auth import DECIDERS, READERS, SUBMITTERS, Principal, require
from copilot.api.deps import MAX_OFFSET, settings_dep
from copilot.domain import DimensionCombination, Suggestion
from copilot.review.audit import AuditFilter, AuditRecord
from copilot.review.context import ReviewContext, context_for
from copilot.review.models import ReviewItem, Status
from copilot.review.queue import BulkResult, Decision, ListFilter

router = APIRouter(prefix="/v1/reviews", tags=["review"])


def review_context(request: Request) -> ReviewContext:
    return context_for(request.app.state, lambda: settings_dep(request))


class ReviewList(BaseModel):
    items: list[ReviewItem]
    total: int = Field(description="Matching items in the caller's entities, before limit/offset")


class ApproveBody(BaseModel):
    coding_index: int = Field(0, ge=0, description="Which suggested coding to accept (0 = the top one)")
    reason: str | None = None


class EditBody(BaseModel):
    final: DimensionCombination = Field(description="The coding the reviewer chose instead")
    reason: str = Field(min_length=1, description="Why the suggestion was changed")


class RejectBody(BaseModel):
    reason: str = Field(min_length=1, description="Why no suggestion is acceptable")


class BulkBody(BaseModel):
    decisions: list[Decision] = Field(min_length=1, max_length=500)


class BulkResponse(BaseModel):
    results: list[BulkResult]
    ok: int
    failed: int


@router.post("", status_code=201, response_model=ReviewItem, summary="Submit a suggestion for review")
def submit(suggestion: Suggestion,
           company: str | None = Query(None, description="The company of the suggestion (default: the default company)"),
           principal: Principal = Depends(require(*SUBMITTERS)),
           ctx: ReviewContext = Depends(review_context)) -> ReviewItem:
    """Store the engine's answer (one of ``suggestions`` from POST /v1/suggestions) as a PENDING review item.
    The learning hook uses ``company`` to teach the right company's engine."""
    return ctx.reviews.submit(suggestion, principal, company)


@router.get("", response_model=ReviewList, summary="List review items")
def list_items(status: Status | None = None, entity: str | None = None,
               limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=MAX_OFFSET),
               principal: Principal = Depends(require(*READERS)),
               ctx: ReviewContext = Depends(review_context)) -> ReviewList:
    items, total = ctx.reviews.list_items(principal, ListFilter(status, entity, limit, offset))
    return ReviewList(items=items, total=total)


@router.post("/bulk", response_model=BulkResponse, summary="Decide many items; each succeeds or fails alone")
def bulk(body: BulkBody, principal: Principal = Depends(require(*DECIDERS)),
         ctx: ReviewContext = Depends(review_context)) -> BulkResponse:
    results = ctx.reviews.bulk(body.decisions, principal)
    ok = sum(r.ok for r in results)
    return BulkResponse(results=results, ok=ok, failed=len(results) - ok)


@router.get("/{item_id}", response_model=ReviewItem, summary="One review item")
def get_item(item_id: int, principal: Principal = Depends(require(*READERS)),
             ctx: ReviewContext = Depends(review_context)) -> ReviewItem:
    return ctx.reviews.get(item_id, principal)


@router.get("/{item_id}/history", response_model=list[AuditRecord], summary="The item's audit records")
def history(item_id: int, principal: Principal = Depends(require(*READERS)),
            ctx: ReviewContext = Depends(review_context)) -> list[AuditRecord]:
    item = ctx.reviews.get(item_id, principal)  # 404 outside the caller's entities
    return ctx.audit.records(AuditFilter(review_id=item.id), limit=None)


@router.post("/{item_id}/approve", response_model=ReviewItem, summary="Accept a suggested coding as it is")
def approve(item_id: int, body: ApproveBody | None = None, principal: Principal = Depends(require(*DECIDERS)),
            ctx: ReviewContext = Depends(review_context)) -> ReviewItem:
    body = body or ApproveBody()
    return ctx.reviews.approve(item_id, principal, body.coding_index, body.reason)


@router.post("/{item_id}/edit", response_model=ReviewItem, summary="Record a corrected coding")
def edit(item_id: int, body: EditBody, principal: Principal = Depends(require(*DECIDERS)),
         ctx: ReviewContext = Depends(review_context)) -> ReviewItem:
    """The coding is checked against the company's master data first (account exists and is active;
    each dimension value exists, is active and is valid in the item's entity; every dimension the account
    requires is there). A coding that fails answers 422 with ``problems``: one ``{field, message, rule}``
    per problem, e.g. ``final.dims.location``; the item stays pending and nothing is recorded."""
    return ctx.reviews.edit(item_id, principal, body.final, body.reason)


@router.post("/{item_id}/reject", response_model=ReviewItem, summary="Reject every suggested coding")
def reject(item_id: int, body: RejectBody, principal: Principal = Depends(require(*DECIDERS)),
           ctx: ReviewContext = Depends(review_context)) -> ReviewItem:
    return ctx.reviews.reject(item_id, principal, body.reason)
