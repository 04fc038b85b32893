"""What an import writes for one line: the coding to fill in, the AI columns, and auto vs review.

Only empty cells are filled: an account or dimension the preparer typed is never overwritten. When
the typed account differs from the engine's top coding the line keeps the typed account, takes its
dimensions from the best suggested coding for that account (if any) and goes to review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from copilot.batch.template import BatchLine
from copilot.domain import RankedCoding, Suggestion
from copilot.errors import CopilotError

Status = Literal["auto", "review", "error"]


@dataclass
class Outcome:
    line: BatchLine
    suggestion: Suggestion | None = None
    coding: RankedCoding | None = None      # the coding whose values were written
    account: str | None = None              # final account (typed or suggested)
    dims: dict[str, str] = field(default_factory=dict)  # final dims as written to existing columns
    filled: list[str] = field(default_factory=list)     # columns filled from the suggestion
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (kind, text): why it goes to review
    error_kind: str | None = None
    error: str | None = None
    review_id: int | None = None
    ai: dict[str, str] | None = None  # the AI_* cells once the line is coded (ChunkCoder), review id aside

    def slim(self) -> None:
        """Keep only what the row and the summary need, and the suggestion where a reviewer needs it."""
        if self.ai is None:
            self.ai = ai_values(self)
        if self.status != "review":
            self.suggestion = None
        self.coding = None

    @property
    def status(self) -> Status:
        if self.error_kind:
            return "error"
        return "review" if self.reasons else "auto"

    @property
    def confidence(self) -> float | None:
        return self.coding.confidence if self.coding else None


def decide(line: BatchLine, answer: Suggestion | CopilotError, dim_columns: dict[str, int],
           threshold: float) -> Outcome:
    """The coding to write and the review reasons known before validation.

    ``dim_columns`` maps dimension keys to the index of their column (a suggested dimension without a
    column stays in AI_CODING only: the file must keep its columns to stay importable).
    """
    if isinstance(answer, CopilotError):
        return Outcome(line, error_kind=answer.code, error=answer.message, account=line.account,
                       dims=dict(line.dims))
    out = Outcome(line, suggestion=answer, account=line.account, dims=dict(line.dims))
    codings = answer.codings
    if not codings:
        out.reasons.append(("no_coding", "no valid coding"))
        return out
    top = codings[0]
    if line.account is None:
        out.coding = top
        out.account = top.combination.account_no
        out.filled.append("account")
    else:
        out.coding = next((c for c in codings if c.combination.account_no == line.account), None)
        if top.combination.account_no != line.account:
            out.reasons.append(("account_differs", f"typed account {line.account} differs from the suggested "
                                                   f"{top.combination.account_no}"))
    if out.coding is not None:
        for key, code in out.coding.combination.dims.items():
            if key in dim_columns and not out.dims.get(key):
                out.dims[key] = code
                out.filled.append(key)
        if out.coding.confidence < threshold:
            out.reasons.append(("low_confidence",
                                f"confidence {out.coding.confidence:.2f} below {threshold:.2f}"))
    return out


def alternatives_text(suggestion: Suggestion | None, chosen: RankedCoding | None) -> str:
    if suggestion is None:
        return ""
    rest = [c for c in suggestion.codings if chosen is None or c.combination.key != chosen.combination.key]
    return "; ".join(f"{c.combination.key} ({c.confidence:.2f})" for c in rest)


def ai_values(o: Outcome) -> dict[str, str]:
    """The AI_* cells of one line."""
    if o.ai is not None:
        return {**o.ai, "AI_REVIEW_ID": str(o.review_id) if o.review_id is not None else ""}
    s = o.suggestion
    reason = (o.coding.reasoning if o.coding and o.coding.reasoning else (s.reasoning if s else "")) or ""
    if o.error:
        reason = o.error
    if o.reasons:
        reason = f"{reason} [review: {'; '.join(text for _, text in o.reasons)}]".strip()
    return {
        "AI_CONFIDENCE": f"{o.confidence:.4f}" if o.confidence is not None else "",
        "AI_REASON": reason,
        "AI_ALTERNATIVES": alternatives_text(s, o.coding),
        "AI_PROMPT_VERSION": s.prompt_version if s else "",
        "AI_CODING": o.coding.combination.key if o.coding else "",
        "AI_STATUS": o.status,
        "AI_REVIEW_ID": str(o.review_id) if o.review_id is not None else "",
    }
