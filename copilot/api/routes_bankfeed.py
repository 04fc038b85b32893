"""POST /v1/bank-feeds/match: match a bank feed to open AP bills and AR invoices, code the rest.

The feed is a CSV (multipart field ``file`` or a text/csv body): DATE, AMOUNT (signed) or DEBIT/CREDIT,
DESCRIPTION, optional CURRENCY, ENTITY, LINE_ID. Preparers (and admins) may match: unmatched and
ambiguous lines are queued for review (idempotent per feed: matching the same file twice queues nothing new).
"""

from __future__ import annotations

import io
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from copilot.api.auth import SUBMITTERS, Principal, require
from copilot.api.deps import settings_dep, suggestion_service
from copilot.bankfeed.feed import read_feed
from copilot.bankfeed.service import BankFeedService
from copilot.errors import InputError
from copilot.formats.text_files import csv_text_from_bytes

router = APIRouter(prefix="/v1/bank-feeds", tags=["bank feeds"])
MAX_FEED_BYTES = 50_000_000


class FeedMatchResponse(BaseModel):
    summary: dict[str, Any] = Field(description="lines, auto_matched, share_auto_matched, by_status, recurring_groups, "
                                                "suggested, review_items ...")
    lines: list[dict[str, Any]] = Field(description="Per line: payee, status (matched | partial | ambiguous | "
                                                    "currency_mismatch | unmatched), items, reason, recurring, "
                                                    "suggested_coding, review_id")


def bankfeed_service(request: Request) -> BankFeedService:
    state = request.app.state
    if getattr(state, "bankfeeds", None) is None:
        from copilot.review.context import context_for

        ctx = context_for(state, lambda: settings_dep(request))
        state.bankfeeds = BankFeedService(settings_dep(request), suggestions=suggestion_service(request),
                                          reviews=ctx.reviews, db=ctx.db)
    return state.bankfeeds


async def _body_text(request: Request) -> tuple[str, str]:
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=20)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InputError("multipart upload without a `file` field", field="file")
        data = await upload.read(MAX_FEED_BYTES + 1)
        name = upload.filename or "feed.csv"
    else:
        data = b""
        async for block in request.stream():
            data += block
            if len(data) > MAX_FEED_BYTES:
                break
        name = "feed.csv"
    if len(data) > MAX_FEED_BYTES:
        raise InputError(f"the feed is larger than {MAX_FEED_BYTES // 1_000_000} MB", field="file")
    # Decoded line by line: a byte that is not UTF-8 is reported with its line (ParseError, 422).
    return "".join(csv_text_from_bytes(data, name)), name


@router.post("/match", response_model=FeedMatchResponse, summary="Match a bank feed",
             responses={403: {"description": "Not a preparer, or a line of an entity outside the caller's"},
                        422: {"description": "Malformed feed (the problem names the line and field)"}})
async def match(request: Request,
                company: str | None = Query(None, description="Company (default: settings.default_company)"),
                entity: str | None = Query(None, description="Entity of lines without an ENTITY column"),
                suggest: bool = Query(True, description="Suggest codings for unmatched lines"),
                review: bool = Query(True, description="Queue unmatched and ambiguous lines for review"),
                principal: Principal = Depends(require(*SUBMITTERS)),
                service: BankFeedService = Depends(bankfeed_service)) -> FeedMatchResponse:
    text, name = await _body_text(request)
    if not text.strip():
        raise InputError("the feed is empty", field="file")
    lines = read_feed(io.StringIO(text, newline=""), name=name)
    settings = settings_dep(request)
    report = await run_in_threadpool(service.match, company or settings.default_company, lines, principal,
                                     entity=entity, suggest=suggest, review=review)
    return FeedMatchResponse(summary=report.summary(), lines=[r.to_dict() for r in report.lines])
