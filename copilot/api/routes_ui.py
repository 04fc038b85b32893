"""The browser pages: the sidebar assistant, the auditor search page and the monitoring dashboard.

Plain HTML, CSS and JavaScript from ``copilot/ui/static`` (no build step, no CDN: they work offline).
The pages call the public API with the user's key; the three ``/ui/api/*`` helpers below only give
them what the public API does not: display settings, who the key belongs to, and master data for
pickers (entity names, account titles, dimension values), all within the key's entities.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from copilot.api.auth import READERS, Principal, current_principal, ensure_entity, require
from copilot.api.deps import settings_dep, suggestion_service
from copilot.errors import NotFound
from copilot.settings import Settings

router = APIRouter(tags=["ui"])

STATIC = Path(__file__).resolve().parent.parent / "ui" / "static"
PAGES = {"": "index.html", "sidebar": "sidebar.html", "auditor": "auditor.html", "monitoring": "monitoring.html"}
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png"}
# Pickers list at most this many values per dimension; the rest can still be typed.
MAX_VALUES = 2000


def _headers(settings: Settings) -> dict[str, str]:
    """Everything comes from this server; only the configured host pages (Intacct) may frame us."""
    ancestors = " ".join(["'self'", *settings.ui_host_origins])
    csp = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           f"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors {ancestors}")
    return {"Content-Security-Policy": csp, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer"}


@router.get("/ui", include_in_schema=False)
@router.get("/ui/", include_in_schema=False)
def ui_index(settings: Settings = Depends(settings_dep)) -> FileResponse:
    return page("", settings)


@router.get("/ui/{page}", include_in_schema=False)
def page(page: str, settings: Settings = Depends(settings_dep)) -> FileResponse:
    name = PAGES.get(page)
    if name is None:
        raise NotFound(f"no page {page!r}; pages: /ui/sidebar, /ui/auditor, /ui/monitoring")
    return FileResponse(STATIC / name, media_type=TYPES[".html"], headers=_headers(settings))


@router.get("/ui/static/{name}", include_in_schema=False)
def static(name: str, settings: Settings = Depends(settings_dep)) -> FileResponse:
    # One flat directory: a name with a slash or dots in front never leaves it.
    path = STATIC / name
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file() or path.suffix not in TYPES:
        raise NotFound(f"no static file {name!r}")
    return FileResponse(path, media_type=TYPES[path.suffix], headers=_headers(settings))


@router.get("/ui/api/config", summary="What the pages need to know about this server (no secrets)")
def config(settings: Settings = Depends(settings_dep)) -> dict[str, Any]:
    return {
        "default_company": settings.default_company,
        "review_confidence_threshold": settings.review_confidence_threshold,
        "materiality_threshold": str(settings.materiality_threshold),
        "llm_configured": bool(settings.llm_model),
        "host_origins": list(settings.ui_host_origins),
        "alerts": {"min_acceptance_rate": settings.alert_min_acceptance_rate,
                   "max_edit_rate": settings.alert_max_edit_rate,
                   "max_calibration_drift": settings.alert_max_calibration_drift,
                   "max_psi": settings.alert_max_psi, "min_samples": settings.monitor_min_samples},
    }


@router.get("/ui/api/me", summary="Who the API key belongs to: user, role and entities")
def me(principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    return {"user": principal.user_id, "role": principal.role,
            "entities": "*" if principal.all_entities else sorted(principal.entities)}


@router.get("/ui/api/lookup", summary="Master data for the pickers, limited to the caller's entities")
def lookup(request: Request, company: str | None = None, entity: str | None = None,
           principal: Principal = Depends(require(*READERS)),
           settings: Settings = Depends(settings_dep)) -> dict[str, Any]:
    """Entities the caller may see and the active accounts; with ``entity`` (403 outside the caller's
    scope) also the dimension values and vendors valid in that entity, for the edit form."""
    name = company or settings.default_company
    master = suggestion_service(request).engine(name).model.company
    out: dict[str, Any] = {
        "company": name,
        "entities": [{"id": e.entity_id, "name": e.name, "currency": e.currency}
                     for e in sorted(master.entities.values(), key=lambda e: e.entity_id)
                     if principal.can_see(e.entity_id)],
        # The chart of accounts is the company's, shared by its entities.
        "accounts": [{"no": a.account_no, "title": a.title, "required": sorted(a.required_dimensions)}
                     for a in sorted(master.accounts.values(), key=lambda a: a.account_no) if a.active],
    }
    if not entity:
        return out
    ensure_entity(principal, entity)
    if entity not in master.entities:
        raise NotFound(f"company {name!r} has no entity {entity!r}", field="entity")
    out["entity"] = entity
    dims: dict[str, list[dict[str, str]]] = {}
    for key, values in sorted(master.dimensions.items()):
        usable = [v for v in values.values() if v.active and v.valid_in(entity)]
        dims[key] = [{"code": v.code, "name": v.name} for v in sorted(usable, key=lambda v: v.code)[:MAX_VALUES]]
    for key, rich in (("project", master.projects), ("customer", master.customers),
                      ("employee", master.employees), ("vendor", master.vendors)):
        usable = [o for o in rich.values() if o.status == "active" and
                  (not getattr(o, "entities", ()) or entity in o.entities)]
        dims.setdefault(key, [{"code": code_of(o), "name": o.name}
                              for o in sorted(usable, key=code_of)[:MAX_VALUES]])
    out["dimensions"] = dims
    return out


def code_of(obj: Any) -> str:
    for attr in ("project_id", "customer_id", "employee_id", "vendor_id"):
        if hasattr(obj, attr):
            return getattr(obj, attr)
    return ""
