"""Auditor search: natural-language search over the narratives and reasoning of decided items.

Each decided review item becomes one point in the ``explanations`` collection: its text (narrative,
reasoning, vendor and memo, the decision and its reason) embedded with the product's embedder, and a
payload for filters. Every filter runs inside the vector query, the principal's entity scope first,
so another entity's items are never even candidates.

The vector store filters by equality or any-of only. Ranges (dates, amounts) are therefore stored as
decimal prefix tokens: 12,345 cents carries ``a0:12345 a1:1234 a2:123 ... ``; a range [lo, hi] is
covered by a few dozen such tokens (whole tens, hundreds ... inside it, single values at its edges),
and "any token in the cover" is exactly "value in range". Dates use the same scheme on day numbers.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import select

from copilot.errors import InputError
from copilot.review.access import AUDITORS, Principal, authorize, scoped_entities
from copilot.review.audit import AuditLog, utc_iso
from copilot.review.db import Database
from copilot.review.models import ReviewItem, ReviewRow, Status

if TYPE_CHECKING:
    from copilot.index.embeddings import Embedder
    from copilot.index.store import VectorStore

COLLECTION = "explanations"
_POINT_NS = uuid.UUID("5d1c0b7e-4f0a-4d8e-9a57-6a3b7c2e9f11")
_AMOUNT_LEVELS = 15  # up to 10^15 cents
_DAY_LEVELS = 7  # day ordinals are below 10^7
DECISIONS = tuple(s.value for s in Status if s is not Status.pending)


# --- range filters as prefix tokens ---------------------------------------------------------------

def value_tokens(prefix: str, value: int, levels: int) -> list[str]:
    """The tokens a value carries: ``{prefix}{k}:{value // 10**k}`` for every level k."""
    return [f"{prefix}{k}:{value // 10 ** k}" for k in range(levels)]


def range_tokens(prefix: str, lo: int, hi: int, levels: int) -> list[str]:
    """Tokens whose union is exactly [lo, hi] (inclusive): at most 18 per level."""
    tokens: list[str] = []
    k = 0
    while lo <= hi:
        if k == levels - 1:
            tokens += [f"{prefix}{k}:{v}" for v in range(lo, hi + 1)]
            break
        # Edges that are not whole blocks of ten at this level are listed one by one...
        up = -(-lo // 10) * 10  # lo rounded up to a multiple of 10
        down = (hi + 1) // 10 * 10  # hi + 1 rounded down
        if up >= down:
            tokens += [f"{prefix}{k}:{v}" for v in range(lo, hi + 1)]
            break
        tokens += [f"{prefix}{k}:{v}" for v in range(lo, up)]
        tokens += [f"{prefix}{k}:{v}" for v in range(down, hi + 1)]
        # ...and the whole blocks in between are covered one level up.
        lo, hi, k = up // 10, down // 10 - 1, k + 1
    return tokens


def _cents(amount: Decimal) -> int:
    return int((abs(amount) * 100).to_integral_value())


# --- the index ------------------------------------------------------------------------------------

class SearchHit(BaseModel):
    """One search result; it cites its review item and the audit record of the decision."""

    score: float
    review_id: int
    audit_seq: int | None
    audit_hash: str | None
    entity: str
    decision: str
    account_no: str | None
    final: str | None
    suggested: str | None
    amount: str | None
    date: str | None
    vendor: str | None
    memo: str
    narrative: str | None
    reasoning: str
    reason: str | None
    submitted_by: str
    decided_by: str | None
    decided_at: str | None
    review_url: str
    audit_url: str | None


def _chosen(item: ReviewItem) -> Any:
    """The suggested coding the reviewer approved (None for edits and rejects)."""
    return item.suggestion.codings[item.coding_index] if item.coding_index is not None else None


def _document(item: ReviewItem) -> str:
    s = item.suggestion
    chosen = _chosen(item)
    parts = [s.narrative or "", s.reasoning, chosen.reasoning if chosen else "",
             f"Vendor: {item.request.vendor or ''}. Memo: {item.request.memo}",
             f"Decision: {item.status.value}" + (f" because {item.reason}" if item.reason else "")]
    return "\n".join(p for p in parts if p)


def _payload(item: ReviewItem) -> dict[str, Any]:
    top = item.suggestion.codings[0].combination if item.suggestion.codings else None
    account = item.final.account_no if item.final else (top.account_no if top else None)
    when = item.request.entry_date or (item.decided_at or item.submitted_at).date()
    amount = item.request.amount
    return {
        "review_id": item.id, "audit_seq": item.decision_audit_seq, "entity": item.entity,
        "account_no": account, "decision": item.status.value,
        "users": sorted({item.submitted_by, item.decided_by or item.submitted_by}),
        "decided_by": item.decided_by, "amount": str(amount) if amount is not None else None,
        "date": when.isoformat(),
        "amount_keys": value_tokens("a", _cents(amount), _AMOUNT_LEVELS) if amount is not None else [],
        "date_keys": value_tokens("d", when.toordinal(), _DAY_LEVELS),
    }


def point_id(review_id: int) -> str:
    return str(uuid.uuid5(_POINT_NS, f"review:{review_id}"))


class AuditSearch:
    """Index decided items and search them. The embedder and store are built on first use."""

    def __init__(self, db: Database, audit: AuditLog, *, embedder: "Embedder | None" = None,
                 store: "VectorStore | None" = None, settings: Any = None) -> None:
        self.db, self.audit = db, audit
        self._embedder, self._store, self._settings = embedder, store, settings
        self._ready = False

    # The process-wide embedder and store (copilot.components): one model in memory, one embedded store.
    @property
    def embedder(self) -> "Embedder":
        if self._embedder is None:
            from copilot import components

            self._embedder = components.embedder(self._settings)
        return self._embedder

    @property
    def store(self) -> "VectorStore":
        if self._store is None:
            from copilot import components

            self._store = components.vector_store(self._settings)
        return self._store

    def _collection(self) -> str:
        if not self._ready:
            self.store.ensure_collection(COLLECTION, self.embedder.dim)
            self._ready = True
        return COLLECTION

    def index(self, items: list[ReviewItem]) -> int:
        """Upsert decided items (pending ones are skipped). Idempotent: one point per review item."""
        from copilot.index.store import Point

        items = [i for i in items if i.status is not Status.pending]
        if not items:
            return 0
        vectors = self.embedder.embed([_document(i) for i in items])
        self.store.upsert(self._collection(), [Point(point_id(i.id), v, _payload(i)) for i, v in zip(items, vectors)])
        return len(items)

    def index_item(self, item: ReviewItem) -> None:
        """The ReviewService ``on_decided`` hook."""
        self.index([item])

    def reindex(self, batch: int = 256) -> int:
        """Rebuild from the database (after the index was lost, or the embedder changed)."""
        done, after = 0, 0
        while True:
            with self.db.session() as s:
                rows = s.execute(select(ReviewRow).where(ReviewRow.id > after, ReviewRow.status != Status.pending.value)
                                 .order_by(ReviewRow.id).limit(batch)).scalars().all()
                items = [ReviewItem.from_row(r) for r in rows]
            if not items:
                return done
            done += self.index(items)
            after = items[-1].id

    def search(self, principal: Principal, query: str, *, entity: str | None = None,
               account: str | None = None, user: str | None = None, decision: str | None = None,
               date_from: date | None = None, date_to: date | None = None,
               amount_min: Decimal | None = None, amount_max: Decimal | None = None,
               limit: int = 20) -> list[SearchHit]:
        authorize(principal, *AUDITORS)
        query = (query or "").strip()
        if not query:
            raise InputError("the search needs a query text", field="q")
        filters: dict[str, Any] = {}
        scope = scoped_entities(principal, entity)
        if scope is not None:
            filters["entity"] = scope
        if account:
            filters["account_no"] = account
        if user:
            filters["users"] = user
        if decision:
            if decision not in DECISIONS:
                raise InputError(f"decision must be one of {', '.join(DECISIONS)}", field="decision")
            filters["decision"] = decision
        if date_from or date_to:
            lo = (date_from or date(1, 1, 1)).toordinal()
            hi = (date_to or date(9999, 12, 31)).toordinal()
            if lo > hi:
                raise InputError("date_from is after date_to", field="date_from")
            filters["date_keys"] = range_tokens("d", lo, hi, _DAY_LEVELS)
        if amount_min is not None or amount_max is not None:
            lo = _cents(amount_min) if amount_min is not None else 0
            hi = _cents(amount_max) if amount_max is not None else 10 ** _AMOUNT_LEVELS - 1
            if lo > hi:
                raise InputError("amount_min is above amount_max", field="amount_min")
            filters["amount_keys"] = range_tokens("a", lo, hi, _AMOUNT_LEVELS)
        vector = self.embedder.embed([query])[0]
        hits = self.store.search(self._collection(), vector, limit=limit, filters=filters)
        return self._cite(principal, hits)

    def _cite(self, principal: Principal, hits: list[Any]) -> list[SearchHit]:
        """Join hits with the database: the item's current state and the decision's audit record."""
        ids = [int(h.payload["review_id"]) for h in hits]
        with self.db.session() as s:
            rows = {r.id: ReviewItem.from_row(r)
                    for r in s.execute(select(ReviewRow).where(ReviewRow.id.in_(ids))).scalars()} if ids else {}
        hashes = self.audit.hashes([r.decision_audit_seq for r in rows.values() if r.decision_audit_seq])
        out = []
        for hit in hits:
            item = rows.get(int(hit.payload["review_id"]))
            # A point left over from another database, or out of date, is not evidence: skip it.
            if (item is None or item.status.value != hit.payload.get("decision")
                    or item.entity != hit.payload.get("entity") or not principal.can_see(item.entity)):
                continue
            s = item.suggestion
            top = s.codings[0].combination.key if s.codings else None
            chosen = _chosen(item)
            seq = item.decision_audit_seq
            out.append(SearchHit(
                score=round(float(hit.score), 4), review_id=item.id, audit_seq=seq,
                audit_hash=hashes.get(seq) if seq else None, entity=item.entity, decision=item.status.value,
                account_no=hit.payload.get("account_no"), final=item.final.key if item.final else None,
                suggested=top, amount=hit.payload.get("amount"), date=hit.payload.get("date"),
                vendor=item.request.vendor, memo=item.request.memo, narrative=s.narrative,
                reasoning=(chosen.reasoning if chosen and chosen.reasoning else s.reasoning),
                reason=item.reason, submitted_by=item.submitted_by, decided_by=item.decided_by,
                decided_at=utc_iso(item.decided_at) if item.decided_at else None,
                review_url=f"/v1/reviews/{item.id}",
                audit_url=f"/v1/audit?review_id={item.id}" if seq else None))
        return out
