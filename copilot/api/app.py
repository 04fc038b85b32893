"""FastAPI application factory: routers only; errors mapped to application/problem+json."""

from __future__ import annotations

import importlib

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from copilot import __version__
from copilot.errors import CopilotError
from copilot.settings import Settings, get_settings

PROBLEM = "application/problem+json"

# Feature routers, in the order they appear in the OpenAPI document.
ROUTERS: list[str] = [
    "routes_suggestions",
    "routes_review",
    "routes_audit",
    "routes_metrics",
    "routes_validate",
    "routes_webhooks",
    "routes_intercompany",
    "routes_allocation",
    "routes_ui",
    "routes_batches",
    "routes_bankfeed",
]


def create_app(settings: Settings | None = None) -> FastAPI:
    app = FastAPI(title="GL Copilot for Sage Intacct", version=__version__,
                  description="Top-3 GL account + dimension suggestions with calibrated confidence, "
                              "journal-entry validation and a tamper-evident audit trail.")

    app.state.settings = settings or get_settings()

    @app.exception_handler(CopilotError)
    async def _copilot_error(_: Request, exc: CopilotError) -> JSONResponse:
        return JSONResponse(exc.to_problem(), status_code=exc.status, media_type=PROBLEM)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        body = {"type": "https://gl-copilot.dev/problems/invalid-input", "title": "InputError",
                "status": 422, "detail": "request body failed validation", "errors": errors}
        return JSONResponse(body, status_code=422, media_type=PROBLEM)

    # One line per feature router (copilot/api/routes_<feature>.py exposing `router`).
    for name in ROUTERS:
        app.include_router(importlib.import_module(f"copilot.api.{name}").router)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
