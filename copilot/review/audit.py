"""The audit trail: an append-only, hash-chained log of every submission and decision.

Each record's body is a canonical JSON document (sorted keys, no spaces) holding its seq, the previous
record's hash and its content; its hash is sha256(body). Changing, deleting or reordering any record
breaks a link that ``verify()`` names by seq. Appends take a lock on the single ``audit_head`` row
(an UPDATE: a row lock on PostgreSQL, the database write lock on SQLite), so concurrent writers queue
instead of forking the chain; unique ``seq`` and ``prev_hash`` columns are a second guard.

A hash chain proves integrity relative to its head: whoever can rewrite every later record and the
head can forge history. Publishing ``VerifyResult.head_hash`` elsewhere (a ticket, an email to the
auditors) anchors it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.orm import Session

from copilot.errors import ConfigurationError, InputError
from copilot.review.access import Principal
from copilot.review.db import Database
from copilot.review.models import GENESIS_HASH, AuditHead, AuditRow

# Body fields copied into columns for filtering; verify() checks each copy against the body.
COLUMN_FIELDS = ("created_at", "action", "user_id", "role", "entity", "review_id")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    raise TypeError(f"not JSON-serializable: {type(obj).__name__}")


def canonical_json(doc: Any) -> str:
    """One byte-exact text per document: what is hashed is what is stored."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def utc_iso(at: datetime) -> str:
    """UTC, microseconds, 'Z': fixed width, so the text sorts in time order."""
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds") + "Z"


class AuditRecord(BaseModel):
    """One record as auditors see it: the hashed body plus its own hash."""

    model_config = ConfigDict(extra="allow")

    seq: int
    prev_hash: str
    hash: str
    created_at: str
    action: str
    user_id: str
    role: str
    entity: str
    review_id: int | None = None

    @classmethod
    def from_row(cls, row: AuditRow) -> "AuditRecord":
        return cls(**json.loads(row.body), hash=row.hash)


@dataclass(frozen=True)
class AuditEntry:
    """One record to append: what happened, who did it, and the content that is hashed with it."""

    action: str
    principal: Principal
    entity: str
    review_id: int | None
    content: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class Appended:
    """Where an appended record landed in the chain."""

    seq: int
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    records: int  # records checked
    first_bad_seq: int | None = None
    reason: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS_HASH

    def message(self) -> str:
        if self.ok:
            return f"audit chain OK: {self.records} records, head {self.head_hash[:16]}"
        return f"audit chain BROKEN at seq {self.first_bad_seq}: {self.reason}"


@dataclass(frozen=True)
class AuditFilter:
    entities: list[str] | None = None  # the principal's scope (None = all)
    entity: str | None = None
    date_from: date | None = None  # on created_at, inclusive
    date_to: date | None = None  # inclusive
    action: str | None = None
    user: str | None = None
    review_id: int | None = None

    def apply(self, stmt: Select) -> Select:
        if self.entities is not None:
            stmt = stmt.where(AuditRow.entity.in_(self.entities))
        if self.entity:
            stmt = stmt.where(AuditRow.entity == self.entity)
        if self.date_from:
            stmt = stmt.where(AuditRow.created_at >= self.date_from.isoformat())
        if self.date_to:
            stmt = stmt.where(AuditRow.created_at < (self.date_to + timedelta(days=1)).isoformat())
        if self.action:
            stmt = stmt.where(AuditRow.action == self.action)
        if self.user:
            stmt = stmt.where(AuditRow.user_id == self.user)
        if self.review_id is not None:
            stmt = stmt.where(AuditRow.review_id == self.review_id)
        return stmt

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- writing ----------------------------------------------------------------------------------

    def append(self, session: Session, *, action: str, principal: Principal, entity: str,
               review_id: int | None, content: dict[str, Any], at: datetime) -> Appended:
        """Add one record inside the caller's transaction (so a decision and its record commit together)."""
        return self.append_many(session, [AuditEntry(action, principal, entity, review_id, content, at)])[0]

    def lock_head(self, session: Session) -> tuple[int, str]:
        """Lock the chain head for the rest of the caller's transaction; returns its (seq, hash).

        While the lock is held no other writer can append, so the caller knows the seqs its own next
        records will get (head seq + 1, + 2, ...). Locking again in the same transaction is harmless.
        """
        # The UPDATE takes the lock before the head is read; see the module docstring.
        session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq)
                        .execution_options(synchronize_session=False))
        head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one_or_none()
        if head is None:
            raise ConfigurationError("audit_head row is missing: the audit tables were not created by "
                                     "Database.create_all")
        return head.seq, head.hash

    def append_many(self, session: Session, entries: Sequence[AuditEntry]) -> list[Appended]:
        """Add records in order inside the caller's transaction: one locked head, one multi-row INSERT.

        The chain is the same as from one append() per entry: each body is hashed in Python, in order,
        with the previous record's hash in it.
        """
        if not entries:
            return []
        seq, prev = self.lock_head(session)
        rows = []
        for e in entries:
            seq += 1
            doc = {**e.content, "seq": seq, "prev_hash": prev, "created_at": utc_iso(e.at),
                   "action": e.action, "user_id": e.principal.user_id, "role": e.principal.role,
                   "entity": e.entity, "review_id": e.review_id}
            body = canonical_json(doc)
            digest = sha256_hex(body)
            rows.append({"seq": seq, "prev_hash": prev, "hash": digest, "body": body,
                         **{k: doc[k] for k in COLUMN_FIELDS}})
            prev = digest
        session.execute(insert(AuditRow.__table__), rows)
        session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev)
                        .execution_options(synchronize_session=False))
        return [Appended(r["seq"], r["hash"]) for r in rows]

    # --- checking ---------------------------------------------------------------------------------

    def verify(self) -> VerifyResult:
        """Walk the chain from the genesis hash; the first broken link names its seq."""
        with self.db.session() as s:
            head = s.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one_or_none()
            if head is None:
                return VerifyResult(False, 0, 1, "the chain head row is missing")
            expected, prev, checked = 1, GENESIS_HASH, 0
            rows = s.execute(select(AuditRow).where(AuditRow.seq <= head.seq).order_by(AuditRow.seq)
                             .execution_options(yield_per=1000)).scalars()
            for row in rows:
                problem = _check(row, expected, prev)
                if problem:
                    bad_seq, reason = problem
                    return VerifyResult(False, checked, bad_seq, reason, head.seq, head.hash)
                expected, prev, checked = row.seq + 1, row.hash, checked + 1
            if checked < head.seq:
                return VerifyResult(False, checked, expected,
                                    f"records {expected}..{head.seq} are missing (the chain head is at {head.seq})",
                                    head.seq, head.hash)
            if prev != head.hash:
                return VerifyResult(False, checked, head.seq, "the last record's hash differs from the chain head",
                                    head.seq, head.hash)
            # Appends update the head in the same transaction, so a record beyond a head read *after*
            # it was written was inserted outside the log.
            last = s.execute(select(func.max(AuditRow.seq))).scalar() or 0
            head_now = s.execute(select(AuditHead.seq).where(AuditHead.id == 1)).scalar() or 0
            if last > head_now:
                return VerifyResult(False, checked, head_now + 1,
                                    f"record {head_now + 1} is not part of the chain (written outside the audit log)",
                                    head.seq, head.hash)
            return VerifyResult(True, checked, None, None, head.seq, head.hash)

    # --- reading ----------------------------------------------------------------------------------

    def records(self, flt: AuditFilter, *, limit: int | None = 100, offset: int = 0) -> list[AuditRecord]:
        stmt = flt.apply(select(AuditRow)).order_by(AuditRow.seq).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.db.session() as s:
            return [AuditRecord.from_row(r) for r in s.execute(stmt).scalars()]

    def count(self, flt: AuditFilter) -> int:
        with self.db.session() as s:
            return s.execute(flt.apply(select(func.count()).select_from(AuditRow))).scalar_one()

    def hashes(self, seqs: list[int]) -> dict[int, str]:
        if not seqs:
            return {}
        with self.db.session() as s:
            return dict(s.execute(select(AuditRow.seq, AuditRow.hash).where(AuditRow.seq.in_(seqs))).all())

    def iter_records(self, flt: AuditFilter, batch: int = 1000) -> Iterator[AuditRecord]:
        """Every matching record in seq order, read in batches (exports of any size)."""
        after = 0
        while True:
            stmt = flt.apply(select(AuditRow)).where(AuditRow.seq > after).order_by(AuditRow.seq).limit(batch)
            with self.db.session() as s:
                page = [AuditRecord.from_row(r) for r in s.execute(stmt).scalars()]
            yield from page
            if len(page) < batch:
                return
            after = page[-1].seq

    def export(self, flt: AuditFilter, fmt: Literal["csv", "json"]) -> Iterator[str]:
        """The records as CSV or JSON text, in chunks (for a file or a streaming response)."""
        if fmt == "csv":
            return export_csv(self.iter_records(flt))
        if fmt == "json":
            return export_json(self.iter_records(flt), flt.describe())
        raise InputError(f"export format must be csv or json, got {fmt!r}", field="format")


def _check(row: AuditRow, expected_seq: int, prev_hash: str) -> tuple[int, str] | None:
    if row.seq != expected_seq:
        if row.seq > expected_seq:
            return expected_seq, f"record {expected_seq} is missing (the next one is {row.seq})"
        return row.seq, f"record {row.seq} is out of order"
    if row.prev_hash != prev_hash:
        return row.seq, f"record {row.seq} does not link to record {row.seq - 1} (prev_hash differs)"
    if sha256_hex(row.body) != row.hash:
        return row.seq, f"record {row.seq} was modified (its content does not match its hash)"
    try:
        doc = json.loads(row.body)
    except ValueError:
        return row.seq, f"record {row.seq} body is not JSON"
    if doc.get("seq") != row.seq or doc.get("prev_hash") != row.prev_hash:
        return row.seq, f"record {row.seq} was moved (its hashed seq/prev_hash differ from its position)"
    for name in COLUMN_FIELDS:
        if doc.get(name) != getattr(row, name):
            return row.seq, f"record {row.seq} was modified (column {name} differs from the hashed content)"
    return None


# --- export formats -------------------------------------------------------------------------------

CSV_COLUMNS = ("seq", "created_at", "action", "user_id", "role", "entity", "review_id", "vendor", "memo",
               "amount", "entry_date", "suggested_top", "suggested_confidence", "top3", "final",
               "changed", "reason", "model", "prompt_version", "prompt_hash", "evidence_ids",
               "prev_hash", "hash")


def csv_row(rec: AuditRecord) -> dict[str, Any]:
    """A flat row: one cell per question an auditor asks, lists joined with '; '."""
    doc = rec.model_dump()
    request = doc.get("request") or {}
    suggested = doc.get("suggested") or []
    final = doc.get("final") or {}
    return {
        **{k: doc.get(k) for k in ("seq", "created_at", "action", "user_id", "role", "entity", "review_id",
                                    "reason", "model", "prompt_version", "prompt_hash", "prev_hash", "hash")},
        "vendor": request.get("vendor"), "memo": request.get("memo"), "amount": request.get("amount"),
        "entry_date": request.get("entry_date"),
        "suggested_top": suggested[0]["key"] if suggested else "",
        "suggested_confidence": suggested[0]["confidence"] if suggested else "",
        "top3": "; ".join(f"{c['key']} ({c['confidence']:.2f})" for c in suggested),
        "final": final.get("key", ""),
        "changed": "; ".join(doc.get("changed") or []),
        "evidence_ids": "; ".join(doc.get("evidence_ids") or []),
    }


def export_csv(records: Iterator[AuditRecord]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for n, rec in enumerate(records, 1):
        writer.writerow({k: ("" if v is None else v) for k, v in csv_row(rec).items()})
        if n % 500 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def export_json(records: Iterator[AuditRecord], filters: dict[str, Any]) -> Iterator[str]:
    head = {"exported_at": utc_iso(datetime.now(timezone.utc)), "filters": filters}
    yield canonical_json(head)[:-1] + ',"records":['
    for n, rec in enumerate(records):
        yield ("," if n else "") + canonical_json(rec.model_dump())
    yield "]}"
