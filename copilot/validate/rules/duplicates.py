"""Duplicate checks against history and against earlier lines of the same request or stream.

- same vendor, same side and amount within a window of days;
- same invoice / document number (normalized) on the same account and side in another batch;
- near-duplicates: same vendor, amount within a tolerance, memo alike by rapidfuzz, within a window.
Lines of one batch never duplicate each other (a bill's split lines are not duplicates). When the line
is itself part of history (monitor / evaluation), only *earlier* lines count, so the second copy is
flagged and the original is not.
"""

from __future__ import annotations

import bisect
import re
from datetime import date
from typing import Iterable, Iterator

from rapidfuzz import fuzz

from copilot.validate.findings import Finding
from copilot.validate.policy import RuleConfig
from copilot.validate.profile import DupRecord, document_keys, normalize_document
from copilot.validate.rules.base import LineView, RuleContext, line_rule

def _natural(record_no: str) -> tuple:
    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", record_no) if t)


def _candidates(records: list[DupRecord], ln: LineView, window: int, *, sorted_by_date: bool
                ) -> Iterator[DupRecord]:
    day = ln.day.toordinal()
    lo, hi = day - window, day + window
    if sorted_by_date:
        start = bisect.bisect_left(records, lo, key=lambda r: r.ordinal)
        pool: Iterable[DupRecord] = (records[i] for i in range(start, len(records)))
    else:
        pool = records
    own = (day, _natural(ln.record_no or ""))
    for rec in pool:
        if rec.ordinal > hi:
            if sorted_by_date:
                break
            continue
        if rec.ordinal < lo or rec.batch == ln.batch or (ln.record_no and rec.record_no == ln.record_no):
            continue
        if ln.in_history and (rec.ordinal, _natural(rec.record_no)) >= own:
            continue
        yield rec


def _vendor_pool(ln: LineView, ctx: RuleContext, window: int) -> Iterator[DupRecord]:
    vendor = ln.vendor
    if not vendor:
        return
    seen: set[str] = set()
    pools = [_candidates(ctx.session.vendor_lines.get(vendor, []), ln, window, sorted_by_date=False)]
    if ctx.profile is not None:
        pools.insert(0, _candidates(ctx.profile.vendor_lines.get(vendor, []), ln, window, sorted_by_date=True))
    for pool in pools:
        for rec in pool:
            if rec.record_no not in seen:  # a streamed line may sit in history and in the session
                seen.add(rec.record_no)
                yield rec


def _cite(recs: list[DupRecord]) -> list[dict]:
    return [{"record": r.record_no, "date": date.fromordinal(r.ordinal).isoformat(),
             "amount": f"{r.cents / 100:.2f}", "account_no": r.account_no, "memo": r.memo[:120]}
            for r in recs[:3]]


def _documents_differ(ln: LineView, rec: DupRecord) -> bool:
    """Both carry a document number and they are not the same invoice (not even with a resubmission
    suffix): two bills of the same amount with different invoice numbers are two bills."""
    mine = set(document_keys(ln.document))
    if not mine or not rec.document:
        return False
    theirs = {rec.document}
    theirs.update(k for k in mine if rec.document.startswith(k) or k.startswith(rec.document))
    return not (mine & theirs)


_INVOICE_TOKEN = re.compile(r"[A-Za-z]*\d[\dA-Za-z\-/]{3,}")


def _reference_tokens(memo: str) -> set[str]:
    """Invoice / payment references in a memo (tokens with digits, 4+ characters)."""
    return {normalize_document(t) for t in _INVOICE_TOKEN.findall(memo) if sum(c.isdigit() for c in t) >= 3}


@line_rule("duplicate.vendor_amount")
def vendor_amount(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    """Same vendor, account, side and amount within the window, unless the invoice numbers differ."""
    window = int(cfg.param("window_days"))
    cents = int(ln.amount * 100)
    hits = [r for r in _vendor_pool(ln, ctx, window)
            if r.cents == cents and r.tr_type == ln.tr_type and r.account_no == ln.account_no
            and not _documents_differ(ln, r)]
    if hits:
        yield ctx.finding(cfg, f"possible duplicate: vendor {ln.vendor} already has {ln.amount} on {ln.account_no} "
                               f"within {window} days ({hits[0].record_no} on {date.fromordinal(hits[0].ordinal)})",
                          ln, vendor=ln.vendor, amount=ln.amount, window_days=window, matches=_cite(hits))


@line_rule("duplicate.document")
def document(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    """The same invoice number again on the same account and side (a resubmission suffix such as
    ``-1`` only counts when the amount is the same too)."""
    keys = document_keys(ln.document)
    if not keys:
        return
    exact = keys[0]
    window = int(cfg.param("window_days"))
    cents = int(ln.amount * 100)
    hits: dict[str, DupRecord] = {}
    for key in keys:
        pools = [_candidates(ctx.session.documents.get(key, []), ln, window, sorted_by_date=False)]
        if ctx.profile is not None:
            pools.append(_candidates(ctx.profile.documents.get(key, []), ln, window, sorted_by_date=False))
        for pool in pools:
            for r in pool:
                if r.record_no in hits or r.tr_type != ln.tr_type or r.account_no != ln.account_no:
                    continue
                if r.document != exact and r.cents != cents:
                    continue  # only the stems match: an invoice series, unless the amount repeats too
                other_vendor = ctx.profile.vendor_of_record.get(r.record_no) if ctx.profile else None
                if ln.vendor and other_vendor and other_vendor != ln.vendor:
                    continue
                hits[r.record_no] = r
    if hits:
        first = sorted(hits.values(), key=lambda r: r.ordinal)
        yield ctx.finding(cfg, f"document {ln.document.strip()} was already posted to {ln.account_no} "
                               f"({first[0].record_no} on {date.fromordinal(first[0].ordinal)})", ln,
                          document=ln.document.strip(), matches=_cite(first))


def _memo_key(memo: str) -> str:
    return " ".join(memo.lower().split())


@line_rule("duplicate.near")
def near(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    """Same vendor and side, amount within the tolerance, memo alike; not when the invoice numbers (on
    the line or in the memo) differ."""
    if not ln.memo.strip():
        return
    window = int(cfg.param("window_days"))
    threshold = float(cfg.param("fuzzy_threshold"))
    tolerance = float(cfg.param("amount_tolerance_pct")) / 100.0
    exact_rule_on = ctx.policy.rule("duplicate.vendor_amount") is not None
    amount = float(ln.amount)
    cents = int(ln.amount * 100)
    memo = _memo_key(ln.memo)
    refs = _reference_tokens(ln.memo)
    best: tuple[float, DupRecord] | None = None
    for r in _vendor_pool(ln, ctx, window):
        if r.tr_type != ln.tr_type or not r.memo or r.account_no != ln.account_no:
            continue
        if exact_rule_on and r.cents == cents:
            continue  # an exact duplicate is already reported by duplicate.vendor_amount
        other = r.cents / 100.0
        if abs(other - amount) > tolerance * max(abs(amount), abs(other), 0.01):
            continue
        if _documents_differ(ln, r):
            continue
        other_refs = _reference_tokens(r.memo)
        if refs and other_refs and not refs & other_refs:
            continue  # "Payment INV-085426" vs "Payment INV-084117": two payments
        sim = fuzz.token_sort_ratio(memo, _memo_key(r.memo))
        if sim >= threshold and (best is None or sim > best[0]):
            best = (sim, r)
    if best is not None:
        sim, r = best
        yield ctx.finding(cfg, f"near-duplicate of {r.record_no} on {date.fromordinal(r.ordinal)}: same vendor, "
                               f"amount {r.cents / 100:.2f} vs {ln.amount}, memo {sim:.0f}% alike", ln,
                          vendor=ln.vendor, similarity=round(sim, 1), window_days=window, matches=_cite([r]))
