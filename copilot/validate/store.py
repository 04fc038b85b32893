"""Tables for webhook events and the alerts their validation raised, on the product's shared Base.

An event row is written (and committed) before the webhook is acknowledged; its ``status`` moves
pending -> processing -> processed | failed. ``claimed_at`` is a lease: a row left in ``processing``
by a process that died is taken over once the lease expires, so nothing is lost and nothing is
processed twice concurrently.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from copilot.review.db import Base


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class WebhookEventRow(Base):
    __tablename__ = "validate_webhook_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    company: Mapped[str] = mapped_column(String(100), nullable=False)
    object: Mapped[str] = mapped_column(String(50), default="GLBATCH")
    action: Mapped[str | None] = mapped_column(String(50), nullable=True)
    record_no: Mapped[str | None] = mapped_column(String(100), nullable=True)
    entity: Mapped[str | None] = mapped_column(String(100), nullable=True)
    raw_body: Mapped[str] = mapped_column(Text, nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    verdict: Mapped[str | None] = mapped_column(String(10), nullable=True)
    notify_status: Mapped[str] = mapped_column(String(20), default="none")  # none|pending|sent|failed

    def summary(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "company": self.company, "record_no": self.record_no,
                "status": self.status, "attempts": self.attempts, "verdict": self.verdict,
                "last_error": self.last_error, "notify_status": self.notify_status}


class AlertRow(Base):
    __tablename__ = "validate_alerts"
    __table_args__ = (Index("ix_validate_alerts_company_entity", "company", "entity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(200), index=True)
    company: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str | None] = mapped_column(String(100), nullable=True)
    record_no: Mapped[str | None] = mapped_column(String(100), nullable=True)
    journal: Mapped[str | None] = mapped_column(String(100), nullable=True)
    entry_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    line_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rule_id: Mapped[str] = mapped_column(String(60), index=True)
    severity: Mapped[str] = mapped_column(String(10), index=True)
    severity_rank: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    corrections: Mapped[list] = mapped_column(JSON, default=list)
    verdict: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    def to_dict(self) -> dict[str, Any]:
        created = self.created_at
        if created is not None and created.tzinfo is None:  # SQLite drops the zone: it was UTC
            created = created.replace(tzinfo=timezone.utc)
        return {"id": self.id, "event_id": self.event_id, "company": self.company, "entity": self.entity,
                "record_no": self.record_no, "journal": self.journal, "entry_index": self.entry_index,
                "line_index": self.line_index, "rule_id": self.rule_id, "severity": self.severity,
                "message": self.message, "evidence": self.evidence, "corrections": self.corrections,
                "verdict": self.verdict, "created_at": created.isoformat() if created else None}
