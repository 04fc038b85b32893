"""Wiring: build the review services from settings, once per process (API app or CLI run).

The learning hook comes from the engine: if ``copilot.engine.learning`` exists, its
``build_learner(settings) -> Callable[[LearnedCoding], None]`` is called once and the result is
passed to ReviewService as ``on_learn``. Tests and embedders of the library pass ``on_learn`` directly.

Edits are checked against master data by ``coding_check`` (default: copilot.validate.coding's check
against the company directory under ``settings.data_dir``, the master data /v1/validate uses).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from copilot.review.audit import AuditLog
from copilot.review.db import Database
from copilot.review.metrics import Monitor, Thresholds
from copilot.review.models import LearnedCoding
from copilot.review.queue import Clock, ReviewService, utc_now
from copilot.review.search import AuditSearch
from copilot.settings import Settings

log = logging.getLogger(__name__)
_DEFAULT: Any = object()


def engine_learner(settings: Settings) -> Callable[[LearnedCoding], None] | None:
    """The engine's learning hook, if the engine provides one (see the module docstring)."""
    if importlib.util.find_spec("copilot.engine.learning") is None:
        log.warning("copilot.engine.learning is not installed: decisions will not be learned")
        return None
    return importlib.import_module("copilot.engine.learning").build_learner(settings)


@dataclass
class ReviewContext:
    settings: Settings
    db: Database
    audit: AuditLog
    reviews: ReviewService
    search: AuditSearch
    monitor: Monitor

    @classmethod
    def from_settings(cls, settings: Settings, *, on_learn: Any = _DEFAULT, coding_check: Any = _DEFAULT,
                      embedder: Any = None, store: Any = None, clock: Clock = utc_now,
                      create: bool = True) -> "ReviewContext":
        db = Database.from_settings(settings)
        if create:
            db.create_all()
        audit = AuditLog(db)
        search = AuditSearch(db, audit, embedder=embedder, store=store, settings=settings)
        learner = engine_learner(settings) if on_learn is _DEFAULT else on_learn
        if coding_check is _DEFAULT:
            from copilot.validate.coding import master_data_check

            coding_check = master_data_check(settings)
        reviews = ReviewService(db, audit, on_learn=learner, on_decided=search.index_item,
                                coding_check=coding_check, clock=clock)
        monitor = Monitor(db, Thresholds.from_settings(settings), clock=clock)
        return cls(settings, db, audit, reviews, search, monitor)

    def close(self) -> None:
        """At shutdown: release the database and the process-wide components of these settings."""
        from copilot import components

        components.close_all(self.settings)
        self.db.dispose()


_lock = threading.Lock()


def context_for(holder: Any, settings_factory: Callable[[], Settings]) -> ReviewContext:
    """The context stored on ``holder`` (e.g. ``app.state``), built on first use."""
    ctx = getattr(holder, "review_context", None)
    if ctx is None:
        with _lock:
            ctx = getattr(holder, "review_context", None)
            if ctx is None:
                ctx = ReviewContext.from_settings(settings_factory())
                holder.review_context = ctx
    return ctx
