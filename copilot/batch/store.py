"""Batches and their review items in the product database (tables on the shared ``Base``).

``batches`` holds one row per import (status and summary, what GET /v1/batches/{id} answers).
``batch_review_links`` makes review submissions idempotent by (batch id, line): the links are written
in the same transaction as the review items (ReviewService.submit_ids), so after any crash either
both exist or neither does, and a rerun submits exactly the lines that have no link.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, func, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from copilot.review.db import Base, Database


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class BatchRow(Base):
    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    company: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)  # running | done | failed | interrupted
    filename: Mapped[str] = mapped_column(String(512), default="")
    input_path: Mapped[str] = mapped_column(Text, default="")
    output_path: Mapped[str] = mapped_column(Text, default="")
    submitted_by: Mapped[str] = mapped_column(String(128))
    entities: Mapped[Any] = mapped_column(JSON, default=list)  # the submitter's entity scope ("*" = all)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class BatchReviewLink(Base):
    __tablename__ = "batch_review_links"

    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(Integer)


def ensure_tables(db: Database) -> None:
    """Create the batch tables (and the review tables) if they are missing."""
    db.create_all()


class ReviewLinks:
    """Submit each (batch, line) to the review queue at most once, across crashes and reruns."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def submit_once(self, batch_id: str, items: list[tuple[int, Any]], reviews, principal,
                    company: str | None) -> dict[int, int]:
        """``items`` are (line, suggestion). Returns line -> review item id, new or from an earlier run."""
        if not items:
            return {}
        lines = [ln for ln, _ in items]
        with self.db.session() as s:
            done = dict(s.execute(select(BatchReviewLink.line, BatchReviewLink.review_id)
                                  .where(BatchReviewLink.batch_id == batch_id,
                                         BatchReviewLink.line.between(min(lines), max(lines)))).all())
        fresh = [(ln, sugg) for ln, sugg in items if ln not in done]
        if fresh:
            def link(session, ids: list[int]) -> None:
                session.execute(insert(BatchReviewLink), [{"batch_id": batch_id, "line": ln, "review_id": item_id}
                                                          for (ln, _), item_id in zip(fresh, ids)])

            ids = reviews.submit_ids([sugg for _, sugg in fresh], principal, company, in_transaction=link)
            done.update({ln: item_id for (ln, _), item_id in zip(fresh, ids)})
        return done

    def count(self, batch_id: str) -> int:
        with self.db.session() as s:
            return s.execute(select(func.count()).select_from(BatchReviewLink)
                             .where(BatchReviewLink.batch_id == batch_id)).scalar_one()
