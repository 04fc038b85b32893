"""Review and audit tables, and the plain models the service hands out.

``review_items`` is mutable workflow state (pending -> decided). ``audit_records`` is the evidence: an
append-only hash chain (see audit.py) that the database itself refuses to update or delete through
triggers, so tampering needs a privileged user who first drops the trigger, and verify() still
catches it. ``audit_head`` is one row holding the chain's last seq and hash: appenders lock it, which
serializes them, and verify() compares it with the last record, which catches deletions at the end.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field
from sqlalchemy import JSON, DDL, Date, DateTime, Float, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from copilot.domain import DimensionCombination, Suggestion, SuggestionRequest
from copilot.review.db import Base

GENESIS_HASH = "0" * 64


class Status(str, Enum):
    pending = "pending"
    approved = "approved"
    edited = "edited"
    rejected = "rejected"


class ReviewRow(Base):
    __tablename__ = "review_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default=Status.pending.value)
    entity: Mapped[str] = mapped_column(String(64), index=True)
    company: Mapped[str | None] = mapped_column(String(128))  # None = settings.default_company
    vendor: Mapped[str | None] = mapped_column(String(256))
    memo: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[str | None] = mapped_column(String(32))  # Decimal as text: exact on every backend
    entry_date: Mapped[date | None] = mapped_column(Date)
    suggestion: Mapped[dict[str, Any]] = mapped_column(JSON)
    top_key: Mapped[str | None] = mapped_column(String(1024))
    top3_keys: Mapped[list[str]] = mapped_column(JSON, default=list)  # so monitoring never parses suggestions
    top_confidence: Mapped[float | None] = mapped_column(Float)
    model: Mapped[str | None] = mapped_column(String(256))
    prompt_version: Mapped[str] = mapped_column(String(64), default="")
    prompt_hash: Mapped[str] = mapped_column(String(128), default="")
    evidence_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    submitted_by: Mapped[str] = mapped_column(String(128))
    submitted_role: Mapped[str] = mapped_column(String(32))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, index=True)  # naive UTC
    submit_seq: Mapped[int | None] = mapped_column(Integer)
    final: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    final_key: Mapped[str | None] = mapped_column(String(1024))
    coding_index: Mapped[int | None] = mapped_column(Integer)
    changed: Mapped[list[str] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_role: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)  # naive UTC
    decision_seq: Mapped[int | None] = mapped_column(Integer)


class AuditRow(Base):
    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # a second writer cannot fork
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)  # the exact canonical JSON that was hashed
    # Copies of body fields for filtering; verify() checks that they still agree with the body.
    created_at: Mapped[str] = mapped_column(String(32), index=True)  # UTC ISO 8601, sorts as text
    action: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    role: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64), index=True)
    review_id: Mapped[int | None] = mapped_column(Integer, index=True)


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


# The chain head starts at the genesis hash, created with its table.
event.listen(AuditHead.__table__, "after_create",
             DDL(f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS_HASH}')"))

# Append-only at the database level. Verification does not rely on these: they stop accidents and
# casual edits, verify() catches whoever disables them.
event.listen(AuditRow.__table__, "after_create", DDL(
    "CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records "
    "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END").execute_if(dialect="sqlite"))
event.listen(AuditRow.__table__, "after_create", DDL(
    "CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records "
    "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END").execute_if(dialect="sqlite"))
event.listen(AuditRow.__table__, "after_create", DDL(
    "CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit records are append-only'; END $$ LANGUAGE plpgsql").execute_if(
        dialect="postgresql"))
event.listen(AuditRow.__table__, "after_create", DDL(
    "CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_records "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_records_append_only()").execute_if(dialect="postgresql"))


# --- what the service hands out -------------------------------------------------------------------

class ReviewItem(BaseModel):
    """One suggestion under review, and what the human decided."""

    id: int
    status: Status
    entity: str
    company: str | None = Field(None, description="The company the suggestion came from (None = the default one)")
    request: SuggestionRequest
    suggestion: Suggestion
    submitted_by: str
    submitted_at: datetime
    submit_audit_seq: int | None = None
    final: DimensionCombination | None = Field(None, description="The coding the human decided (None if rejected or pending)")
    coding_index: int | None = Field(None, description="Which suggested coding was approved (0 = the top one)")
    changed: list[str] = Field(default_factory=list, description="What differs from the top suggestion: 'account' and dimension keys")
    reason: str | None = None
    decided_by: str | None = None
    decided_role: str | None = None
    decided_at: datetime | None = None
    decision_audit_seq: int | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def final_key(self) -> str | None:
        """The final coding as one string, e.g. ``6400|department=SALES``."""
        return self.final.key if self.final else None

    @classmethod
    def from_row(cls, row: ReviewRow) -> "ReviewItem":
        suggestion = Suggestion.model_validate(row.suggestion)
        return cls(
            id=row.id, status=Status(row.status), entity=row.entity, company=row.company, request=suggestion.request,
            suggestion=suggestion, submitted_by=row.submitted_by, submitted_at=row.submitted_at,
            submit_audit_seq=row.submit_seq,
            final=DimensionCombination.model_validate(row.final) if row.final else None,
            coding_index=row.coding_index, changed=list(row.changed or []), reason=row.reason,
            decided_by=row.decided_by, decided_role=row.decided_role, decided_at=row.decided_at,
            decision_audit_seq=row.decision_seq)


class LearnedCoding(BaseModel):
    """What the learning hook receives when a human approves or corrects a coding.

    The engine turns it into a correction posting (copilot.engine.learning.correction_posting).
    """

    review_id: int
    action: Literal["approve", "edit"]
    company: str | None  # None = settings.default_company
    entity: str
    request: SuggestionRequest  # vendor, memo, amount, entry_date, known dims as the preparer typed them
    final: DimensionCombination
    suggested: DimensionCombination | None  # the top suggestion, for "what was corrected"
    changed: list[str]
    decided_by: str
    decided_at: datetime
    audit_seq: int

    @property
    def vendor(self) -> str | None:
        return self.request.vendor

    @property
    def memo(self) -> str:
        return self.request.memo

    @property
    def amount(self) -> Decimal | None:
        return self.request.amount

    @property
    def entry_date(self) -> date | None:
        return self.request.entry_date
