"""API authentication and role checks, for every router.

Usage in a router::

    from copilot.api.auth import Principal, ensure_entity, require

    @router.post("/v1/suggestions")
    def suggest(body: ..., principal: Principal = Depends(require("preparer"))):
        ensure_entity(principal, body.entity)   # 403 for an entity the caller may not see

``require(*roles)`` reads ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``: a missing or
unknown key is 401, a role not listed (admin always passes) is 403. Keys live in
``settings.api_keys_path`` (create them with ``copilot keys create``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from copilot.review.access import (AUDITORS, DECIDERS, MONITORS, READERS, ROLES, SUBMITTERS, KeyStore, Principal,
                                   authorize, ensure_entity)
from copilot.api.deps import settings_dep

__all__ = ["Principal", "require", "ensure_entity", "current_principal", "key_store",
           "ROLES", "SUBMITTERS", "DECIDERS", "READERS", "AUDITORS", "MONITORS"]

_bearer = HTTPBearer(auto_error=False, description="An API key from `copilot keys create`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key, as a header")
_lock = threading.Lock()


def key_store(request: Request) -> KeyStore:
    """The app's key store (``app.state.key_store``), built from settings on first use."""
    store = getattr(request.app.state, "key_store", None)
    if store is None:
        with _lock:
            store = getattr(request.app.state, "key_store", None)
            if store is None:
                store = KeyStore(settings_dep(request).api_keys_path)
                request.app.state.key_store = store
    return store


def current_principal(request: Request,
                      bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
                      api_key: str | None = Depends(_api_key)) -> Principal:
    key = bearer.credentials if bearer is not None else api_key
    return key_store(request).authenticate(key)


def require(*roles: str) -> Callable[..., Principal]:
    """A dependency returning the caller's Principal if it holds one of ``roles`` (or is admin)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        return authorize(principal, *roles)

    return dependency
