"""What a reconciliation returns: findings (a pair or a lone side, with reasons) and eliminations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field

from copilot.domain import JournalEntry

ReasonCode = Literal["amount_difference", "fx_difference", "missing_side", "wrong_account", "timing_difference",
                     "no_fx_rate"]
# The order a finding's status is chosen in when it has several reasons: what to fix first.
PRIORITY: tuple[str, ...] = ("missing_side", "no_fx_rate", "wrong_account", "timing_difference", "amount_difference",
                             "fx_difference")


class Reason(BaseModel):
    code: ReasonCode
    detail: str


class Side(BaseModel):
    """One entity's booking: the intercompany lines of one entry (or a line on a non-IC account)."""

    entity: str
    counterparty: str | None = None
    account: str
    account_title: str = ""
    intercompany_account: bool = True
    side: Literal["receivable", "payable", "other"]
    amount: Decimal = Field(description="Signed, in the entity's currency: debit positive")
    currency: str
    date: date
    period: str
    reference: str | None = None
    batch: str
    batch_title: str = ""
    journal: str = ""
    records: list[str] = Field(default_factory=list)
    base_amount: Decimal | None = Field(default=None, description="In the base currency at the document month's rate")


class Finding(BaseModel):
    id: str
    status: Literal["matched", "amount_difference", "fx_difference", "missing_side", "wrong_account",
                    "timing_difference", "no_fx_rate"]
    reasons: list[Reason] = Field(default_factory=list)
    matched_by: Literal["reference", "amount", "near_amount", "cross_account", "same_date", "none"] = "none"
    a: Side
    b: Side | None = None
    difference: Decimal | None = Field(default=None, description="a + b in the base currency (0 = offsetting)")
    eliminated: bool = False

    @property
    def pair_key(self) -> tuple[str, ...]:
        return tuple(sorted(s.batch for s in (self.a, self.b) if s is not None))


class Elimination(BaseModel):
    finding: str
    entry: JournalEntry
    problems: list[str] = Field(default_factory=list)
    payload_json: dict[str, Any] | None = None
    payload_xml: str | None = None


class Reconciliation(BaseModel):
    company: str
    period: str
    base_currency: str
    tolerance: Decimal
    window_days: int
    use_reference: bool
    rates_source: str | None = None
    intercompany_accounts: list[dict[str, Any]] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    eliminations: list[Elimination] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def mismatches(self) -> list[Finding]:
        return [f for f in self.findings if f.status != "matched"]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.status] = out.get(f.status, 0) + 1
        return out

    @computed_field(description="Findings, pairs, counts by status, eliminations")
    @property
    def summary(self) -> dict[str, Any]:
        return {"findings": len(self.findings), "pairs": sum(1 for f in self.findings if f.b is not None),
                "by_status": dict(sorted(self.counts().items())), "eliminations": len(self.eliminations)}
