"""The review queue: suggestions wait as PENDING until a human approves, edits or rejects them.

The final coding is always what the human decided. Every submission and decision writes an audit
record in the same transaction as the state change, so the queue and the trail never disagree.
After a decision commits, two hooks run: ``on_learn`` (approve/edit: the engine folds the coding into
its index as a correction) and ``on_decided`` (any decision: the auditor search index). A failing hook
is logged and counted, never undoes the decision: the human's decision is the record.

An edit is checked before anything is written: ``coding_check(company, request, final)`` returns what
is wrong with the reviewer's coding against the company's master data (wired in copilot/review/context.py,
so this module knows nothing of where master data lives). Any problem refuses the edit with an
InputError naming each field; the item stays pending and the audit trail records nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, insert, select, update

from copilot.domain import DimensionCombination, Suggestion, SuggestionRequest
from copilot.domain.coding import CodingProblem
from copilot.errors import Conflict, CopilotError, InputError, NotFound
from copilot.review.access import DECIDERS, READERS, SUBMITTERS, Principal, authorize, ensure_entity, ensure_visible
from copilot.review.audit import AuditEntry, AuditLog, utc_iso
from copilot.review.db import Database
from copilot.review.models import LearnedCoding, ReviewItem, ReviewRow, Status

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# (company or None for the default one, the item's request, the reviewer's coding) -> problems
CodingCheck = Callable[[str | None, SuggestionRequest, DimensionCombination], Sequence[CodingProblem]]


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def coding_diff(suggested: DimensionCombination | None, final: DimensionCombination) -> dict[str, dict[str, str | None]]:
    """What the human changed relative to the top suggestion: {'account'|dim: {'from', 'to'}}."""
    before_account = suggested.account_no if suggested else None
    before_dims = suggested.dims if suggested else {}
    diff: dict[str, dict[str, str | None]] = {}
    if before_account != final.account_no:
        diff["account"] = {"from": before_account, "to": final.account_no}
    for key in sorted(set(before_dims) | set(final.dims)):
        if before_dims.get(key) != final.dims.get(key):
            diff[key] = {"from": before_dims.get(key), "to": final.dims.get(key)}
    return diff


def _coding_json(c: DimensionCombination) -> dict[str, Any]:
    return {"key": c.key, "account_no": c.account_no, "dims": dict(c.dims)}


def _suggestion_content(s: Suggestion) -> dict[str, Any]:
    """The part of an audit record that describes what the machine proposed."""
    return {
        "request": s.request.model_dump(mode="json"),
        "suggested": [{**_coding_json(c.combination), "confidence": c.confidence,
                       "evidence_ids": list(c.evidence_ids)} for c in s.codings[:3]],
        "model": s.model, "prompt_version": s.prompt_version, "prompt_hash": s.prompt_hash,
        "generated_by": s.generated_by,
        "evidence_ids": sorted({e.id for e in s.evidence} | {i for c in s.codings[:3] for i in c.evidence_ids}),
    }


def _pending_values(suggestion: Suggestion, content: dict[str, Any], principal: Principal, company: str | None,
                    now: datetime, submit_seq: int) -> dict[str, Any]:
    """The review_items row of a new submission."""
    request = suggestion.request
    top = suggestion.codings[0] if suggestion.codings else None
    return dict(status=Status.pending.value, entity=request.entity, company=company, vendor=request.vendor,
                memo=request.memo, amount=str(request.amount) if request.amount is not None else None,
                entry_date=request.entry_date, suggestion=suggestion.model_dump(mode="json"),
                top_key=top.combination.key if top else None, top_confidence=top.confidence if top else None,
                top3_keys=[c.combination.key for c in suggestion.codings[:3]],
                model=suggestion.model, prompt_version=suggestion.prompt_version,
                prompt_hash=suggestion.prompt_hash, evidence_ids=content["evidence_ids"],
                submitted_by=principal.user_id, submitted_role=principal.role, submitted_at=now,
                submit_seq=submit_seq)


def _insert_rows(session, values: list[dict[str, Any]]) -> list[int]:
    """Insert review rows in one executemany; their ids, in order.

    Not ``INSERT ... RETURNING`` through the ORM: on SQLite it sends small batches and merges their
    results pairwise, ~0.5 ms per row for a batch import's thousands. The ids are read back instead,
    by the submit seqs the rows carry (unique, and the chain head is locked by the caller, so nobody
    else inserts in between)."""
    if not values:
        return []
    before = session.scalar(select(func.max(ReviewRow.id))) or 0
    session.execute(insert(ReviewRow.__table__), values)
    seqs = [v["submit_seq"] for v in values]
    found = dict(session.execute(select(ReviewRow.submit_seq, ReviewRow.id).where(
        ReviewRow.id > before, ReviewRow.submit_seq.between(min(seqs), max(seqs)))).all())
    return [found[seq] for seq in seqs]


# Review ids are INTEGER columns (32-bit on PostgreSQL): a larger id names no item, and must not reach
# the database as an overflow error.
_MAX_ID = 2**31 - 1


def _review_row(s, item_id: int) -> "ReviewRow | None":
    return s.get(ReviewRow, item_id) if 0 < item_id <= _MAX_ID else None


class Decision(BaseModel):
    """One decision in a bulk request."""

    id: int
    action: Literal["approve", "edit", "reject"]
    coding_index: int = Field(0, ge=0, description="approve: which suggested coding (0 = the top one)")
    final: DimensionCombination | None = Field(None, description="edit: the coding the reviewer chose")
    reason: str | None = Field(None, description="Why; required for edit and reject")


class BulkResult(BaseModel):
    id: int
    ok: bool
    item: ReviewItem | None = None
    error: dict[str, Any] | None = None  # problem+json body when not ok


@dataclass
class ListFilter:
    status: Status | None = None
    entity: str | None = None
    limit: int = 100
    offset: int = 0


class ReviewService:
    def __init__(self, db: Database, audit: AuditLog | None = None, *,
                 on_learn: Callable[[LearnedCoding], None] | None = None,
                 on_decided: Callable[[ReviewItem], None] | None = None,
                 coding_check: CodingCheck | None = None,
                 clock: Clock = utc_now) -> None:
        self.db = db
        self.audit = audit or AuditLog(db)
        self.on_learn = on_learn
        self.on_decided = on_decided
        self.coding_check = coding_check
        self.clock = clock
        self.hook_failures = 0

    # --- submit and read --------------------------------------------------------------------------

    def submit(self, suggestion: Suggestion, principal: Principal, company: str | None = None) -> ReviewItem:
        """Queue ``suggestion``; ``company`` names the company it came from (None = the default one)."""
        return self.submit_many([suggestion], principal, company)[0]

    def submit_many(self, suggestions: Sequence[Suggestion], principal: Principal, company: str | None = None, *,
                    in_transaction: Callable[[Any, list[ReviewItem]], None] | None = None) -> list[ReviewItem]:
        """Queue several suggestions in one transaction (batch imports: one commit per chunk, not per line).

        ``in_transaction(session, items)`` runs inside that transaction before it commits, so a caller
        can record what it submitted (e.g. an idempotency key) atomically with the items.
        """
        items: list[ReviewItem] = []

        def done(session, ids: list[int], values: list[dict[str, Any]]) -> None:
            items.extend(ReviewItem.from_row(ReviewRow(id=item_id, **v)) for item_id, v in zip(ids, values))
            if in_transaction is not None:
                in_transaction(session, items)

        self._insert_pending(suggestions, principal, company, done)
        return items

    def submit_ids(self, suggestions: Sequence[Suggestion], principal: Principal, company: str | None = None, *,
                   in_transaction: Callable[[Any, list[int]], None] | None = None) -> list[int]:
        """submit_many for callers that need only the new items' ids (batch imports).

        Building each ReviewItem re-reads its suggestion from JSON, a third of the cost of a submission.
        ``in_transaction(session, ids)`` as in submit_many.
        """
        out: list[int] = []

        def done(session, ids: list[int], _values: list[dict[str, Any]]) -> None:
            out.extend(ids)
            if in_transaction is not None:
                in_transaction(session, out)

        self._insert_pending(suggestions, principal, company, done)
        return out

    def _insert_pending(self, suggestions: Sequence[Suggestion], principal: Principal, company: str | None,
                        done: Callable[[Any, list[int], list[dict[str, Any]]], None]) -> None:
        authorize(principal, *SUBMITTERS)
        for suggestion in suggestions:
            ensure_entity(principal, suggestion.request.entity)
        now = self.clock()
        contents = [{**_suggestion_content(suggestion), "company": company} for suggestion in suggestions]
        with self.db.session() as s:
            # Rows and audit records are each written with one multi-row INSERT (one flush per row
            # cost ~4 ms). Each row stores the seq of its submit record, which is known before the
            # records are written: the chain head stays locked until this transaction ends.
            first_seq = self.audit.lock_head(s)[0] + 1 if suggestions else 0
            values = [_pending_values(suggestion, content, principal, company, now, first_seq + i)
                      for i, (suggestion, content) in enumerate(zip(suggestions, contents))]
            ids = _insert_rows(s, values)
            records = self.audit.append_many(s, [
                AuditEntry("submit", principal, suggestion.request.entity, item_id, content, now)
                for suggestion, content, item_id in zip(suggestions, contents, ids)])
            if [r.seq for r in records] != [v["submit_seq"] for v in values]:
                raise RuntimeError("audit seqs moved while the chain head was locked")  # cannot happen: a bug
            done(s, list(ids), values)

    def get(self, item_id: int, principal: Principal) -> ReviewItem:
        authorize(principal, *READERS)
        with self.db.session() as s:
            row = _review_row(s, item_id)
            if row is None:
                raise NotFound(f"review item {item_id} not found")
            ensure_visible(principal, row.entity, f"review item {item_id}")
            return ReviewItem.from_row(row)

    def list_items(self, principal: Principal, flt: ListFilter) -> tuple[list[ReviewItem], int]:
        """Items in the principal's entities, oldest first (the queue order); also the total count."""
        authorize(principal, *READERS)
        if flt.entity:
            ensure_entity(principal, flt.entity)
        stmt = select(ReviewRow)
        scope = principal.entity_scope()
        if scope is not None:
            stmt = stmt.where(ReviewRow.entity.in_(scope))
        if flt.entity:
            stmt = stmt.where(ReviewRow.entity == flt.entity)
        if flt.status:
            stmt = stmt.where(ReviewRow.status == Status(flt.status).value)
        with self.db.session() as s:
            total = s.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
            rows = s.execute(stmt.order_by(ReviewRow.id).offset(flt.offset).limit(flt.limit)).scalars()
            return [ReviewItem.from_row(r) for r in rows], total

    # --- decide -----------------------------------------------------------------------------------

    def approve(self, item_id: int, principal: Principal, coding_index: int = 0,
                reason: str | None = None) -> ReviewItem:
        """Accept one of the suggested codings as it is (``coding_index`` 0 = the top one)."""
        return self._decide(item_id, principal, "approve", coding_index=coding_index, reason=reason)

    def edit(self, item_id: int, principal: Principal, final: DimensionCombination, reason: str) -> ReviewItem:
        """Record a coding the reviewer chose or typed instead; the reason is required."""
        return self._decide(item_id, principal, "edit", final=final, reason=reason)

    def reject(self, item_id: int, principal: Principal, reason: str) -> ReviewItem:
        """None of the suggestions is acceptable; the reason is required. Nothing is learned."""
        return self._decide(item_id, principal, "reject", reason=reason)

    def bulk(self, decisions: Sequence[Decision], principal: Principal) -> list[BulkResult]:
        """Each decision on its own: one conflict does not undo the others. Results in request order."""
        authorize(principal, *DECIDERS)
        results = []
        for d in decisions:
            try:
                item = self._decide(d.id, principal, d.action, coding_index=d.coding_index, final=d.final,
                                    reason=d.reason)
                results.append(BulkResult(id=d.id, ok=True, item=item))
            except CopilotError as exc:
                results.append(BulkResult(id=d.id, ok=False, error=exc.to_problem()))
        return results

    def _decide(self, item_id: int, principal: Principal, action: str, *, coding_index: int = 0,
                final: DimensionCombination | None = None, reason: str | None = None) -> ReviewItem:
        authorize(principal, *DECIDERS)
        reason = (reason or "").strip() or None
        if action in ("edit", "reject") and not reason:
            raise InputError(f"{action} needs a reason", field="reason")
        if action == "edit" and final is None:
            raise InputError("edit needs the final coding", field="final")
        if action == "edit" and self.coding_check is not None:
            self._check_edit(item_id, principal, final)
        now = self.clock()
        with self.db.session() as s:
            row = _review_row(s, item_id)
            if row is None:
                raise NotFound(f"review item {item_id} not found")
            ensure_visible(principal, row.entity, f"review item {item_id}")
            suggestion = Suggestion.model_validate(row.suggestion)
            top = suggestion.codings[0].combination if suggestion.codings else None
            if action == "approve":
                if not 0 <= coding_index < len(suggestion.codings):
                    raise InputError(f"coding_index {coding_index} is out of range: the suggestion has "
                                     f"{len(suggestion.codings)} codings", field="coding_index")
                final = suggestion.codings[coding_index].combination
            status = {"approve": Status.approved, "edit": Status.edited, "reject": Status.rejected}[action]
            diff = coding_diff(top, final) if final is not None else {}
            # Conditional on still being pending: two reviewers racing cannot both decide.
            won = s.execute(
                update(ReviewRow).where(ReviewRow.id == item_id, ReviewRow.status == Status.pending.value)
                .values(status=status.value, final=_coding_json(final) if final else None,
                        final_key=final.key if final else None,
                        coding_index=coding_index if action == "approve" else None,
                        changed=list(diff), reason=reason, decided_by=principal.user_id,
                        decided_role=principal.role, decided_at=now)
                .execution_options(synchronize_session=False)).rowcount
            if not won:
                s.refresh(row)
                raise Conflict(f"review item {item_id} is already {row.status} (by {row.decided_by}); "
                               f"it can be decided only once", status_now=row.status)
            content = {**_suggestion_content(suggestion), "company": row.company,
                       "final": _coding_json(final) if final else None,
                       "diff": diff, "changed": list(diff),
                       "coding_index": coding_index if action == "approve" else None,
                       "reason": reason, "suggested_at": utc_iso(row.submitted_at),
                       "submit_seq": row.submit_seq}
            record = self.audit.append(s, action=action, principal=principal, entity=row.entity,
                                       review_id=item_id, content=content, at=now)
            s.execute(update(ReviewRow).where(ReviewRow.id == item_id).values(decision_seq=record.seq)
                      .execution_options(synchronize_session=False))
            s.refresh(row)
            item = ReviewItem.from_row(row)
        self._after_decision(item, action, top)
        return item

    def _check_edit(self, item_id: int, principal: Principal, final: DimensionCombination) -> None:
        """Refuse an edit whose coding the company's master data does not allow, before anything is written.

        The item is read in its own short transaction: loading master data can take a moment the
        first time, and no lock should be held meanwhile. An item already decided is left to the
        decision itself to report (409), so the reviewer hears the more fundamental answer.
        """
        with self.db.session() as s:
            row = _review_row(s, item_id)
            if row is None:
                raise NotFound(f"review item {item_id} not found")
            ensure_visible(principal, row.entity, f"review item {item_id}")
            if row.status != Status.pending.value:
                return
            company = row.company
            request = Suggestion.model_validate(row.suggestion).request
        problems = list(self.coding_check(company, request, final))  # type: ignore[misc]
        if problems:
            raise InputError(f"review item {item_id}: the edited coding {final.key} cannot be used: "
                             + "; ".join(p.message for p in problems),
                             field="final", problems=[p.as_dict() for p in problems])

    def _after_decision(self, item: ReviewItem, action: str, top: DimensionCombination | None) -> None:
        if self.on_learn is not None and item.final is not None and action in ("approve", "edit"):
            learned = LearnedCoding(review_id=item.id, action=action, company=item.company, entity=item.entity,
                                    request=item.request,
                                    final=item.final, suggested=top, changed=item.changed,
                                    decided_by=item.decided_by or "", decided_at=item.decided_at or self.clock(),
                                    audit_seq=item.decision_audit_seq or 0)
            self._run_hook("on_learn", self.on_learn, learned)
        if self.on_decided is not None:
            self._run_hook("on_decided", self.on_decided, item)

    def _run_hook(self, name: str, hook: Callable[[Any], None], arg: Any) -> None:
        try:
            hook(arg)
        except Exception as exc:  # the decision is committed; a hook failure must not turn it into an error
            self.hook_failures += 1
            item = getattr(arg, "review_id", getattr(arg, "id", "?"))
            # One line for operators; the traceback only at debug level (never on a user's screen).
            log.warning("review item %s is decided, but %s failed: %s", item, name,
                        getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}")
            log.debug("%s traceback", name, exc_info=True)
