"""Journal entries (GLBATCH / GLENTRY) and historical postings (GLDETAIL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from copilot.domain.money import money


class JournalLine(BaseModel):
    """One GLENTRY. ``amount`` is positive; ``tr_type`` 1 = debit, -1 = credit (Intacct's TR_TYPE)."""

    model_config = ConfigDict(frozen=True)

    account_no: str
    tr_type: int = 1
    amount: Decimal
    memo: str = ""  # GLENTRY DESCRIPTION
    dims: dict[str, str] = Field(default_factory=dict)  # canonical dimension key -> code
    line_no: int | None = None
    currency: str | None = None
    entry_date: date | None = None  # line-level date when it differs from the batch
    extra: dict[str, Any] = Field(default_factory=dict)  # unknown fields are kept, never dropped

    @field_validator("tr_type")
    @classmethod
    def _tr_type(cls, v: int) -> int:
        if v not in (1, -1):
            raise ValueError("TR_TYPE must be 1 (debit) or -1 (credit)")
        return v

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, v: Any) -> Decimal:
        if isinstance(v, float):
            raise ValueError("amounts must be decimal strings, not floats")
        return money(v)

    @field_validator("dims")
    @classmethod
    def _dims(cls, v: dict[str, str]) -> dict[str, str]:
        return {k: str(c) for k, c in v.items() if c not in (None, "")}

    @property
    def signed_amount(self) -> Decimal:
        return self.amount * self.tr_type

    @property
    def vendor(self) -> str | None:
        return self.dims.get("vendor")


class JournalEntry(BaseModel):
    """One GLBATCH: header plus lines."""

    journal: str
    batch_date: date
    batch_title: str = ""
    entity: str | None = None
    reference_no: str | None = None
    record_no: str | None = None
    state: str | None = None  # Draft | Posted | ...
    reverse_date: date | None = None
    lines: list[JournalLine] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def debits(self) -> Decimal:
        return sum((ln.amount for ln in self.lines if ln.tr_type == 1), Decimal("0.00"))

    @property
    def credits(self) -> Decimal:
        return sum((ln.amount for ln in self.lines if ln.tr_type == -1), Decimal("0.00"))

    @property
    def is_balanced(self) -> bool:
        return self.debits == self.credits


class Posting(BaseModel):
    """A historical GL detail line (GLDETAIL): what the books actually say was coded."""

    model_config = ConfigDict(frozen=True)

    record_no: str
    entity: str
    entry_date: date
    journal: str = "GJ"
    batch_no: str | None = None
    batch_title: str = ""
    account_no: str
    tr_type: int = 1
    amount: Decimal
    memo: str = ""
    dims: dict[str, str] = Field(default_factory=dict)
    currency: str | None = None
    document: str | None = None  # invoice / reference number
    source: str = "history"  # history | correction (a human-approved coding from the review loop)
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, v: Any) -> Decimal:
        if isinstance(v, float):
            raise ValueError("amounts must be decimal strings, not floats")
        return money(v)

    @model_validator(mode="after")
    def _check(self) -> "Posting":
        if self.tr_type not in (1, -1):
            raise ValueError("TR_TYPE must be 1 or -1")
        return self

    @property
    def vendor(self) -> str | None:
        return self.dims.get("vendor")

    @property
    def signed_amount(self) -> Decimal:
        return self.amount * self.tr_type
