"""Intercompany settings kept in ``policies/intercompany_rules.yaml`` (IC policy clauses in comments).

Every field has a default, so a missing file means: accounts found by title / category, USD 50
tolerance, references matched, eliminations proposed in each entity's ELIM journal.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from copilot.errors import ConfigurationError, InputError
from copilot.yamlfile import load_yaml_mapping

FILE_NAME = "intercompany_rules.yaml"


def _dec(v: Any) -> Any:
    if isinstance(v, float):
        return Decimal(repr(v))  # YAML floats: the decimal the author wrote
    return v


class AccountSpec(BaseModel):
    """An account named explicitly: its side and, when the title does not say it, whom it faces."""

    model_config = ConfigDict(extra="forbid")

    account: str
    side: Literal["receivable", "payable"]
    counterparty: str | None = None

    @field_validator("account", mode="before")
    @classmethod
    def _acct(cls, v: Any) -> Any:
        return str(v)


class AccountRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    explicit: list[AccountSpec] = Field(default_factory=list, description="Wins over detection")
    receivable_titles: list[str] = Field(default_factory=lambda: [
        "due from", "intercompany receivable", "intercompany receivables", "ic receivable", "receivable from affiliate"])
    payable_titles: list[str] = Field(default_factory=lambda: [
        "due to", "intercompany payable", "intercompany payables", "ic payable", "payable to affiliate"])
    categories: list[str] = Field(default_factory=lambda: ["intercompany"],
                                  description="Balance-sheet accounts in these categories are intercompany; "
                                              "the side comes from the title or the normal balance")
    exclude: list[str] = Field(default_factory=list, description="Accounts never treated as intercompany")
    counterparty_dimensions: list[str] = Field(
        default_factory=lambda: ["affiliate", "affiliateentity", "intercompany", "counterparty"],
        description="Line dimensions naming the other entity (when the account does not)")

    @field_validator("exclude", mode="before")
    @classmethod
    def _ex(cls, v: Any) -> Any:
        return [str(a) for a in v] if isinstance(v, list) else v


class MatchRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_currency: str = Field(default="USD", description="Amounts are compared in this currency")
    tolerance: Decimal = Field(default=Decimal("50"), ge=0, description="Largest difference that still matches")
    fx_band: Decimal = Field(default=Decimal("0.05"), ge=0,
                             description="A larger difference between sides in different currencies is an FX "
                                         "difference up to this share of the amount, an amount difference beyond")
    date_window_days: int = Field(default=45, ge=0, description="How far outside the period the other side is sought")
    same_date_days: int = Field(default=3, ge=0, description="Sides booked this close may pair despite a large difference")
    max_difference_share: Decimal = Field(default=Decimal("0.5"), ge=0,
                                          description="... up to this share of the larger side (an amount difference)")
    use_reference: bool = Field(default=True, description="Pair by document / reference first")
    reference_patterns: list[str] = Field(default_factory=list,
                                          description="Regexes finding a reference in the memo or batch title "
                                                      "when the document field is empty")

    @field_validator("tolerance", "fx_band", "max_difference_share", mode="before")
    @classmethod
    def _d(cls, v: Any) -> Any:
        return _dec(v)


class EliminationRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: Literal["journal", "entity"] = Field(
        default="journal", description="journal: each entity's own elimination journal, in its currency; "
                                       "entity: one elimination entity, in the base currency")
    journal: str = "ELIM"
    entity: str | None = Field(default=None, description="Elimination entity (target: entity)")
    location: str | None = Field(default=None, description="Location set on every line in the elimination entity")
    state: str = "Draft"
    eliminate_pnl: bool = Field(default=True, description="Also reverse the intercompany income / expense lines")
    difference_account: str | None = Field(default=None, description="Rounding and in-tolerance differences "
                                                                     "(target: entity), e.g. FX gain/loss")
    clearing_account: str | None = Field(default=None, description="Offset for sides whose entry has no P&L "
                                                                   "lines (settlements), target: journal")

    @field_validator("difference_account", "clearing_account", "location", "entity", mode="before")
    @classmethod
    def _s(cls, v: Any) -> Any:
        return None if v is None else str(v)


class IntercompanyRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    accounts: AccountRules = Field(default_factory=AccountRules)
    matching: MatchRules = Field(default_factory=MatchRules)
    elimination: EliminationRules = Field(default_factory=EliminationRules)
    rates_file: list[str] = Field(default_factory=lambda: ["fx_rates.csv"],
                                  description="Rate tables looked for in the company directory and extras/")
    source: str | None = Field(default=None, exclude=True)

    def with_overrides(self, **matching: Any) -> "IntercompanyRules":
        """A copy with some matching settings replaced (CLI and API options); bad values are InputErrors."""
        given = {k: v for k, v in matching.items() if v is not None}
        if not given:
            return self
        try:
            m = MatchRules.model_validate({**self.matching.model_dump(), **given})
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err.get("loc", ()))
            raise InputError(f"{field}: {err.get('msg')}", field=field) from None
        return self.model_copy(update={"matching": m})


def load_rules(path: Path) -> IntercompanyRules:
    if not path.is_file():
        return IntercompanyRules(source=None)
    data = load_yaml_mapping(path, expected="a mapping")
    try:
        rules = IntercompanyRules.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        raise ConfigurationError(f"{path}: {where}: {err.get('msg')}") from None
    rules.source = str(path)
    return rules


def rules_path(policies_dir: Path, company_root: Path | None) -> Path:
    if company_root is not None and (company_root / "policies" / FILE_NAME).is_file():
        return company_root / "policies" / FILE_NAME
    return policies_dir / FILE_NAME
