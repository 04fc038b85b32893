"""Match a bank feed for a company: cleanse, match to open items, group recurring lines, suggest a coding
for what stays unmatched, and queue unmatched and ambiguous lines for review.

Review submissions are idempotent per feed: the key is (sha256 of the feed's lines, the line's row), so
matching the same file twice never queues a line twice.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from copilot.bankfeed.cleanse import Cleansed, cleanse
from copilot.bankfeed.feed import FeedLine, open_items
from copilot.bankfeed.cleanse import party_name
from copilot.bankfeed.match import Matcher, MatchConfig, MatchResult, best_party, match_feed
from copilot.bankfeed.recurring import Recurring, find_recurring
from copilot.domain import Suggestion, SuggestionRequest
from copilot.errors import CopilotError, InputError, NotFound
from copilot.review.access import Principal


@dataclass
class LineReport:
    line: FeedLine
    cleansed: Cleansed
    match: MatchResult
    recurring: Recurring | None = None
    suggestion: Suggestion | None = None
    suggestion_error: str | None = None
    review_id: int | None = None
    vendor: dict | None = None  # the vendor master record the payee names, when no open item did

    def to_dict(self) -> dict[str, Any]:
        m, s = self.match, self.suggestion
        top = s.codings[0] if s and s.codings else None
        return {
            "line_id": self.line.line_id, "row": self.line.row, "date": self.line.on.isoformat(),
            "amount": str(self.line.amount), "currency": self.line.currency, "entity": self.line.entity,
            "description": self.line.description, "payee": self.cleansed.payee, "payee_key": self.cleansed.key,
            "method": self.cleansed.method, "references": list(self.cleansed.refs),
            "status": m.status, "matched_by": m.how, "confidence": round(m.confidence, 3), "reason": m.reason,
            "party": m.party, "vendor": self.vendor, "items": [a.to_dict() for a in m.items], "candidates": m.candidates,
            "recurring": ({"group": self.recurring.group_id, "cadence": self.recurring.cadence,
                           "count": self.recurring.count, "typical_amount": str(self.recurring.typical_amount)}
                          if self.recurring else None),
            "suggested_coding": top.combination.key if top else None,
            "suggested_confidence": top.confidence if top else None,
            "suggestion_reason": (top.reasoning if top else None) or (self.suggestion_error or None),
            "review_id": self.review_id,
        }


@dataclass
class FeedReport:
    company: str
    feed_id: str
    lines: list[LineReport]
    seconds: float = 0.0
    open_items: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        status = Counter(r.match.status for r in self.lines)
        auto = sum(1 for r in self.lines if r.match.auto)
        return {"company": self.company, "feed_id": self.feed_id, "lines": len(self.lines),
                "auto_matched": auto, "share_auto_matched": round(auto / len(self.lines), 4) if self.lines else 0.0,
                "by_status": dict(status.most_common()),
                "matched_by": dict(Counter(r.match.how for r in self.lines if r.match.auto).most_common()),
                "recurring_groups": len({r.recurring.group_id for r in self.lines if r.recurring}),
                "recurring_lines": sum(1 for r in self.lines if r.recurring),
                "suggested": sum(1 for r in self.lines if r.suggestion is not None and r.suggestion.codings),
                "review_items": sum(1 for r in self.lines if r.review_id is not None),
                "open_items": self.open_items, "seconds": round(self.seconds, 2), "notes": self.notes}


def feed_id(lines: list[FeedLine]) -> str:
    h = hashlib.sha256()
    for ln in lines:
        h.update(f"{ln.line_id}|{ln.on}|{ln.amount}|{ln.description}|{ln.entity}|{ln.currency}\n".encode())
    return h.hexdigest()[:32]


class BankFeedService:
    def __init__(self, settings, *, suggestions=None, reviews=None, db=None, config: MatchConfig | None = None) -> None:
        self.settings, self._suggestions, self.reviews, self.db = settings, suggestions, reviews, db
        self.config = config or MatchConfig()

    @property
    def suggestions(self):
        if self._suggestions is None:
            from copilot import components

            self._suggestions = components.suggestion_service(self.settings)
        return self._suggestions

    def match(self, company: str, lines: list[FeedLine], principal: Principal, *, entity: str | None = None,
              suggest: bool = True, review: bool = True) -> FeedReport:
        started = time.perf_counter()
        root = self.settings.company_dir(company)
        if not root.is_dir():
            raise NotFound(f"no company {company!r} under {root.parent}", field="company")
        lines = self._with_entity(company, lines, entity)
        for ln in lines:
            if not principal.can_see(ln.entity):
                from copilot.errors import PermissionDenied

                raise PermissionDenied(f"user {principal.user_id!r} has no access to entity {ln.entity!r} "
                                       f"(line {ln.row})", entity=ln.entity)
        items = open_items(root, start=min(ln.on for ln in lines), end=max(ln.on for ln in lines))
        cleansed = {ln.line_id: cleanse(ln.description) for ln in lines}
        if len(cleansed) != len(lines):
            raise InputError("line ids repeat in the feed: give each line its own LINE_ID (or leave the column "
                             "out)", field="LINE_ID")
        results = match_feed(lines, cleansed, Matcher(items, self.config))
        recurring = find_recurring(lines, cleansed)
        reports = [LineReport(ln, cleansed[ln.line_id], results[ln.line_id], recurring.get(ln.line_id))
                   for ln in lines]
        report = FeedReport(company=company, feed_id=feed_id(lines), lines=reports, open_items=len(items))
        todo = [r for r in reports if not r.match.auto]
        if suggest and todo:
            self._suggest(company, todo, report)
        if review and todo:
            self._review(company, todo, report, principal)
        report.seconds = time.perf_counter() - started
        return report

    def _with_entity(self, company: str, lines: list[FeedLine], entity: str | None) -> list[FeedLine]:
        missing = [ln for ln in lines if not ln.entity]
        if not missing:
            return lines
        if entity is None:
            try:
                entities = self.suggestions.engine(company).model.company.entities
            except CopilotError:
                entities = {}
            if len(entities) != 1:
                raise InputError(f"line {missing[0].row} names no entity: add an ENTITY column or pass --entity",
                                 field="ENTITY")
            entity = next(iter(entities))
        for ln in missing:
            ln.entity = entity
        return lines

    def _suggest(self, company: str, todo: list[LineReport], report: FeedReport) -> None:
        """A coding for each line nothing settles: the expense (money out) or income (money in) side."""
        try:
            engine = self.suggestions.engine(company)
        except CopilotError as exc:
            report.notes.append(f"no coding suggestions: {exc.message}")
            return
        vendors = engine.model.company.vendors
        master = {v.vendor_id: party_name(v.name) for v in vendors.values()}
        requests = []
        for r in todo:
            party = r.match.party
            vendor = party["id"] if party and party["kind"] == "ap" and party["id"] in vendors else None
            if vendor is None and r.line.direction == "out" and r.cleansed.payee:
                found = best_party(r.cleansed.payee, master, self.config.name_threshold)  # the vendor master
                if found is not None:
                    vendor = found[0]
                    r.vendor = {"id": vendor, "name": vendors[vendor].name, "score": found[1]}
            requests.append(SuggestionRequest(
                entity=r.line.entity, vendor=vendor or (r.cleansed.payee or None), memo=r.line.description,
                amount=abs(r.line.amount), tr_type=1 if r.line.direction == "out" else -1, entry_date=r.line.on,
                known_dims={"customer": party["id"]} if party and party["kind"] == "ar" else {}))
        for r, answer in zip(todo, engine.suggest_many(requests, return_errors=True)):
            if isinstance(answer, CopilotError):
                r.suggestion_error = answer.message
            elif r.line.bank_account:
                # The bank account is the line's own side; the suggestion is for the other one.
                keep = [c for c in answer.codings if c.combination.account_no != r.line.bank_account]
                r.suggestion = answer.model_copy(update={"codings": keep})
            else:
                r.suggestion = answer

    def _review(self, company: str, todo: list[LineReport], report: FeedReport, principal: Principal) -> None:
        from copilot.batch.store import ReviewLinks, ensure_tables

        if self.reviews is None:
            from copilot.review.context import ReviewContext

            ctx = ReviewContext.from_settings(self.settings, on_learn=None)
            self.reviews, self.db = ctx.reviews, ctx.db
        ensure_tables(self.db)
        items = []
        for r in todo:
            s = r.suggestion or Suggestion(request=SuggestionRequest(
                entity=r.line.entity, memo=r.line.description, amount=abs(r.line.amount), entry_date=r.line.on,
                tr_type=1 if r.line.direction == "out" else -1), codings=[])
            why = f"Bank line {r.line.line_id} ({r.match.status}): {r.match.reason or 'nothing matched'}."
            if r.recurring:
                why += f" Recurring {r.recurring.cadence}, usually {r.recurring.typical_amount}."
            items.append((r.line.row, s.model_copy(update={"reasoning": f"{why} {s.reasoning}".strip()})))
        ids = ReviewLinks(self.db).submit_once(f"bankfeed:{report.feed_id}", items, self.reviews, principal, company)
        for r in todo:
            r.review_id = ids.get(r.line.row)
