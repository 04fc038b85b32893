"""One embedder and one vector store per process and settings.

The embedded Qdrant store is single-process and single-writer, and the embedding model costs memory
and load time, so every feature (suggestions, learning, auditor search, validation) shares the same
instances instead of building its own.
"""

from __future__ import annotations

import threading
from typing import Any

from copilot.settings import Settings

_lock = threading.Lock()
_shared: dict[tuple[int, str], Any] = {}


def _get(settings: Settings, kind: str, build) -> Any:
    key = (id(settings), kind)
    with _lock:
        if key not in _shared:
            _shared[key] = build()
        return _shared[key]


def embedder(settings: Settings):
    from copilot.index.embeddings import build_embedder

    return _get(settings, "embedder", lambda: build_embedder(settings))


def vector_store(settings: Settings):
    from copilot.index.store import build_vector_store

    return _get(settings, "store", lambda: build_vector_store(settings))


def suggestion_service(settings: Settings):
    from copilot.engine.service import SuggestionService

    return _get(settings, "suggestions", lambda: SuggestionService(settings))


def provide(settings: Settings, kind: str, instance: Any) -> None:
    """Install a ready instance (tests, or an app that built its own)."""
    with _lock:
        _shared[(id(settings), kind)] = instance


def close_all(settings: Settings) -> None:
    with _lock:
        for (sid, kind), obj in list(_shared.items()):
            if sid == id(settings):
                close = getattr(obj, "close", None)
                if close and kind != "suggestions":
                    close()
                del _shared[(sid, kind)]
