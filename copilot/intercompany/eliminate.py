"""Elimination entries for matched pairs, balanced to the cent.

target: journal (default) — each side is reversed in its own entity and currency in the elimination
journal (ELIM): the intercompany lines and, when the side's entry is only those plus income-statement
lines (a charge), those lines too; a side whose entry holds other lines (a settlement against cash) is
offset on ``clearing_account`` instead, or not eliminated when none is set. Each entry reverses lines of
one balanced booking, so it balances exactly.

target: entity — one entry per pair in the elimination entity, in the base currency at the document
month's rates; rounding and any in-tolerance difference go to ``difference_account``.

Only pairs with status ``matched`` are eliminated: a mismatch is corrected first (IC-5.2, IC-5.3).
"""

from __future__ import annotations

from decimal import Decimal

from copilot.allocation.books import Books, Period, entry_problems
from copilot.domain import JournalEntry, JournalLine, Posting, money
from copilot.intercompany.config import EliminationRules
from copilot.intercompany.fx import MissingRate, RateTable
from copilot.intercompany.matching import Item
from copilot.intercompany.models import Elimination, Finding

ZERO = Decimal("0.00")
MEMO_MAX = 200


def _offsets(books: Books, item: Item) -> list[Posting]:
    own = {p.record_no for p in item.lines}
    return [p for p in books.batch(item.entity, item.batch) if p.record_no not in own]


def _pnl_only(books: Books, item: Item, offsets: list[Posting]) -> bool:
    """The entry is this intercompany line against income-statement lines only (a charge)."""
    if not offsets or sum((p.signed_amount for p in offsets), ZERO) != -item.amount:
        return False
    accounts = books.company.accounts
    return all(p.account_no in accounts and accounts[p.account_no].account_type.lower() == "incomestatement"
               for p in offsets)


def _memo(finding: Finding, p: Posting | None, text: str = "") -> str:
    ref = finding.a.reference or finding.id
    body = text or (p.memo if p is not None else "")
    return f"Eliminate {ref}: {body}".strip()[:MEMO_MAX]


def _reverse(p: Posting, finding: Finding, currency: str, amount: Decimal | None = None,
             dims: dict[str, str] | None = None) -> JournalLine:
    signed = -(p.signed_amount if amount is None else amount)
    return JournalLine(account_no=p.account_no, tr_type=1 if signed > 0 else -1, amount=abs(signed),
                       memo=_memo(finding, p), dims=p.dims if dims is None else dims, currency=currency)


def _header(finding: Finding, period: Period, entity: str, rules: EliminationRules,
            lines: list[JournalLine]) -> JournalEntry:
    ref = finding.a.reference or finding.id
    return JournalEntry(journal=rules.journal, batch_date=period.end,
                        batch_title=f"IC elimination {period} {ref} {finding.a.entity}/{finding.b.entity}"[:80],
                        entity=entity, reference_no=ref[:40], state=rules.state,
                        lines=[ln.model_copy(update={"line_no": i}) for i, ln in enumerate(lines, 1)])


def by_journal(books: Books, period: Period, finding: Finding, sides: list[Item], rules: EliminationRules
               ) -> tuple[list[JournalEntry], str | None]:
    entries = []
    for item in sides:
        offsets = _offsets(books, item)
        lines = [_reverse(p, finding, item.currency) for p in item.lines]
        if rules.eliminate_pnl and _pnl_only(books, item, offsets):
            lines += [_reverse(p, finding, item.currency) for p in offsets]
        elif rules.clearing_account:
            lines.append(JournalLine(account_no=rules.clearing_account, tr_type=1 if item.amount > 0 else -1,
                                     amount=abs(item.amount), memo=_memo(finding, None, f"{item.entity} clearing"),
                                     currency=item.currency))
        else:
            kinds = sorted({p.account_no for p in offsets})
            return [], (f"{finding.id}: {item.entity}'s entry {item.batch} is not a charge against income-statement "
                        f"lines (other lines on {', '.join(kinds) or 'nothing'}): set elimination.clearing_account "
                        "to eliminate it")
        entries.append(_header(finding, period, item.entity, rules, lines))
    return entries, None


def by_entity(books: Books, period: Period, finding: Finding, sides: list[Item], rules: EliminationRules,
              rates: RateTable) -> tuple[list[JournalEntry], str | None]:
    entity = rules.entity
    if not entity:
        return [], "elimination.target is entity but elimination.entity is not set"
    on = min(s.day for s in sides)
    offsets = {s.key: _offsets(books, s) for s in sides}
    with_pnl = rules.eliminate_pnl and all(_pnl_only(books, s, offsets[s.key]) for s in sides)
    lines: list[JournalLine] = []
    try:
        for s in sides:
            rate = rates.rate(s.currency, on)
            for p in s.lines + (offsets[s.key] if with_pnl else []):
                dims = dict(p.dims)
                if rules.location:
                    dims["location"] = rules.location
                lines.append(_reverse(p, finding, rates.base, money(p.signed_amount * rate), dims))
    except MissingRate as exc:
        return [], f"{finding.id}: {exc.message}"
    residual = sum((ln.signed_amount for ln in lines), ZERO)
    if residual:
        if not rules.difference_account:
            return [], (f"{finding.id}: the sides differ by {rates.base} {abs(residual)} in {rates.base}: set "
                        "elimination.difference_account to post it")
        dims = {"location": rules.location} if rules.location else {}
        lines.append(JournalLine(account_no=rules.difference_account, tr_type=-1 if residual > 0 else 1,
                                 amount=abs(residual), memo=_memo(finding, None, "translation difference"),
                                 dims=dims, currency=rates.base))
    return [_header(finding, period, entity, rules, lines)], None


def eliminate(books: Books, period: Period, triples: list[tuple[Item, Item | None, Finding]],
              rules: EliminationRules, rates: RateTable) -> tuple[list[Elimination], list[str]]:
    out: list[Elimination] = []
    notes: list[str] = []
    if rules.target == "entity" and rules.entity and rules.entity not in books.company.entities:
        notes.append(f"elimination entity {rules.entity!r} is not an entity of {books.name}: create it in Intacct "
                     "or set elimination.target: journal")
    for x, y, finding in triples:
        if finding.status != "matched" or y is None:
            continue
        sides = [x, y]
        if rules.target == "entity":
            entries, note = by_entity(books, period, finding, sides, rules, rates)
        else:
            entries, note = by_journal(books, period, finding, sides, rules)
        if note:
            notes.append(note)
            continue
        finding.eliminated = True
        for entry in entries:
            out.append(Elimination(finding=finding.id, entry=entry, problems=entry_problems(books.company, entry)))
    return out, notes
