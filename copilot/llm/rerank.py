"""Build the re-rank request and read its answer back.

Memo, vendor and evidence text are untrusted: they are cleaned (no control characters, bounded
length), stripped of angle brackets so they cannot close their ``<untrusted_data>`` block, and placed
only inside that block. Candidates get short ids; the answer maps back through the same table, so
the set of possible codings is fixed before the model sees a single word of the memo.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

from copilot.domain.master import Company
from copilot.domain.suggestions import Evidence, RankedCoding, SuggestionRequest
from copilot.domain.text import clean
from copilot.llm.facts import FactBook, confidence_pct, fmt_amount
from copilot.llm.prompts import Prompt

MEMO_LIMIT = 500
VENDOR_LIMIT = 120
EVIDENCE_TEXT_LIMIT = 200
EVIDENCE_ITEMS = 30
_SHORT_ID = re.compile(r"\bC(\d{1,2})\b")


def untrusted(text: Any, limit: int) -> str:
    """User-typed text made inert for a prompt: cleaned, bounded, unable to close its delimiter."""
    return clean(str(text) if text is not None else "", limit=limit).replace("<", "‹").replace(">", "›")


def short_ids(codings: list[RankedCoding]) -> dict[str, str]:
    """``{"C1": key, ...}`` in the engine's order."""
    return {f"C{i}": c.combination.key for i, c in enumerate(codings, start=1)}


def expand_ids(text: str | None, ids: dict[str, str], labels: dict[str, str]) -> str | None:
    """Replace ``C1`` in the model's prose by the coding's readable label; unknown ids stay (and fail
    the grounding check as code-like tokens)."""
    if text is None:
        return None
    return _SHORT_ID.sub(lambda m: labels[ids[m[0]]] if m[0] in ids else m[0], text)


def _plain(value: Any, depth: int = 0) -> Any:
    """Evidence data as JSON-safe, sanitized values."""
    if isinstance(value, (date, Decimal)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, dict) and depth < 2:
        return {untrusted(k, 80): _plain(v, depth + 1) for k, v in list(value.items())[:20]}
    if isinstance(value, (list, tuple)) and depth < 2:
        return [_plain(v, depth + 1) for v in value[:20]]
    return untrusted(value, EVIDENCE_TEXT_LIMIT)


def evidence_lines(evidence: list[Evidence]) -> str:
    lines = []
    for e in evidence[:EVIDENCE_ITEMS]:
        item: dict[str, Any] = {"id": untrusted(e.id, 80)}
        if e.score:
            item["score"] = round(e.score, 2)
        if e.text:
            item["text"] = untrusted(e.text, EVIDENCE_TEXT_LIMIT)
        if e.data:
            item["data"] = _plain(e.data)
        lines.append(json.dumps(item, ensure_ascii=False))
    if len(evidence) > EVIDENCE_ITEMS:
        lines.append(f"({len(evidence) - EVIDENCE_ITEMS} more items not shown)")
    return "\n".join(lines) or "(none)"


def build_messages(prompt: Prompt, request: SuggestionRequest, codings: list[RankedCoding],
                   evidence: list[Evidence], company: Company, book: FactBook, *, material: bool,
                   threshold: Decimal) -> list[dict[str, str]]:
    ids = short_ids(codings)
    entity = company.entities.get(request.entity)
    currency = entity.currency if entity else ""
    candidates = "\n".join(
        f"- {sid}: {book.labels[key]}; confidence {confidence_pct(c.confidence)}%; "
        f"cites {', '.join(book.cited[key]) or 'no evidence'}"
        for (sid, key), c in zip(ids.items(), codings))
    # Facts quote policy clauses and vendor names: keep them from opening or closing a delimiter too.
    facts = "\n".join(f"- {sid}: {'; '.join(book.facts[key]) or 'no facts from the evidence'}"
                      for sid, key in ids.items()).replace("<", "‹").replace(">", "›")
    employee = company.employees.get(request.employee) if request.employee else None
    narrative = (prompt.render("narrative_required", threshold=fmt_amount(threshold), currency=currency)
                 if material else prompt.render("narrative_not_required"))
    user = prompt.render(
        "user",
        entity=untrusted(request.entity, 60),
        date=request.entry_date.isoformat() if request.entry_date else "not given",
        amount=fmt_amount(abs(request.amount)) if request.amount is not None else "not given",
        currency=currency,
        direction="credit" if request.tr_type == -1 else "debit",
        employee=(f"{employee.name} ({employee.employee_id})" if employee
                  else untrusted(request.employee, 80) if request.employee else "not given"),
        vendor=untrusted(request.vendor, VENDOR_LIMIT) or "(none)",
        memo=untrusted(request.memo, MEMO_LIMIT) or "(none)",
        candidates=candidates,
        facts=facts,
        evidence=evidence_lines(evidence),
        narrative_instruction=narrative,
    )
    return [{"role": "system", "content": prompt.render("system")}, {"role": "user", "content": user}]
