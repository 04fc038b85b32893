"""Monitoring endpoints: Prometheus text at /metrics, a JSON summary for dashboards.

Both need an approver, auditor or admin key (Prometheus: ``authorization: {credentials: <key>}`` in
the scrape config) and cover only the caller's entities.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST

from copilot.api.auth import MONITORS, Principal, require
from copilot.api.routes_review import review_context
from copilot.review.context import ReviewContext

router = APIRouter(tags=["monitoring"])


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(principal: Principal = Depends(require(*MONITORS)),
            ctx: ReviewContext = Depends(review_context)) -> Response:
    return Response(ctx.monitor.prometheus(principal), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/metrics/summary", summary="Acceptance, edit rates, calibration, drift and alerts")
def summary(entity: str | None = None, principal: Principal = Depends(require(*MONITORS)),
            ctx: ReviewContext = Depends(review_context)) -> dict[str, Any]:
    """See copilot/review/metrics.py for each measure's definition."""
    return ctx.monitor.summary(principal, entity)
