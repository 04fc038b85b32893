"""Shared FastAPI dependencies: settings and long-lived services, built once per app."""

from __future__ import annotations

from fastapi import Request

from copilot.settings import Settings, get_settings

# Past any table's size; bounded so a huge value is a 422, not a database overflow (SQLite: 64-bit).
MAX_OFFSET = 1_000_000_000


def settings_dep(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


def suggestion_service(request: Request):
    """The app's SuggestionService: app.state.suggestions if set (tests), else the process-wide one."""
    state = request.app.state
    if getattr(state, "suggestions", None) is None:
        from copilot import components

        state.suggestions = components.suggestion_service(settings_dep(request))
    return state.suggestions
