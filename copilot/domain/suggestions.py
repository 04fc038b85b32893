"""What the engine takes in and gives back."""

from __future__ import annotations

from datetime import date
from functools import cached_property, lru_cache
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from copilot.domain.dimensions import STANDARD_DIMENSIONS


def _dim_order(key: str) -> tuple[int, str]:
    return (STANDARD_DIMENSIONS.index(key), key) if key in STANDARD_DIMENSIONS else (len(STANDARD_DIMENSIONS), key)


@lru_cache(maxsize=1 << 16)
def parse_key(key: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``6000|department=SALES`` -> ``("6000", (("department", "SALES"),))``, dimensions in key order.

    Cached: ranking and explanations parse the same few thousand keys hundreds of thousands of
    times. A malformed key raises ValueError (not cached).
    """
    account, *rest = key.split("|")
    return account, tuple(dict(p.split("=", 1) for p in rest).items())


class DimensionCombination(BaseModel):
    """A complete coding: an account and the dimension codes that go with it."""

    model_config = ConfigDict(frozen=True)

    account_no: str
    dims: dict[str, str] = Field(default_factory=dict)

    @cached_property
    def key(self) -> str:
        """Stable identity, e.g. ``6000|department=SALES|location=NYC``.

        Cached (the model is frozen): ranking and explanations ask for it hundreds of times per line.
        Build a new combination rather than ``model_copy(update=...)``, which would keep the old key.
        """
        parts = [self.account_no] + [f"{k}={self.dims[k]}" for k in sorted(self.dims, key=_dim_order)]
        return "|".join(parts)

    @classmethod
    def from_key(cls, key: str) -> "DimensionCombination":
        account, dims = parse_key(key)
        return cls(account_no=account, dims=dict(dims))

    def __str__(self) -> str:
        return self.key


class SuggestionRequest(BaseModel):
    """A draft line: whatever the preparer has typed so far. All text here is untrusted."""

    entity: str
    vendor: str | None = None  # vendor id or name as typed
    memo: str = ""
    amount: Decimal | None = None
    tr_type: int = 1
    entry_date: date | None = None
    known_dims: dict[str, str] = Field(default_factory=dict)  # dims already typed (kept fixed)
    account_no: str | None = None  # account already typed, if any
    timesheet_project: str | None = None  # project code from a timesheet
    employee: str | None = None
    document: str | None = None


class Evidence(BaseModel):
    """One citable piece of support: a similar posting, a vendor statistic, a policy clause."""

    kind: Literal["posting", "vendor_history", "policy", "account_match", "timesheet", "correction", "amount",
                  "employee_history", "text_model"]
    ref: str  # posting record_no, policy clause id, account no...
    text: str
    score: float = 0.0
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def id(self) -> str:
        """What codings and audit records cite, e.g. ``posting:GL-10442`` or ``policy:TE-2.1``."""
        return f"{self.kind}:{self.ref}"


class RankedCoding(BaseModel):
    combination: DimensionCombination
    confidence: float
    score: float = 0.0
    evidence_ids: list[str] = Field(default_factory=list)  # Evidence.id values
    reasoning: str = ""


class Suggestion(BaseModel):
    """The engine's answer for one line: up to top-k valid codings, best first."""

    request: SuggestionRequest
    codings: list[RankedCoding]
    evidence: list[Evidence] = Field(default_factory=list)
    reasoning: str = ""
    narrative: str | None = None
    generated_by: Literal["deterministic", "llm"] = "deterministic"
    fallback_reason: str | None = None
    model: str | None = None
    prompt_version: str = ""
    prompt_hash: str = ""
    latency_ms: float = 0.0
