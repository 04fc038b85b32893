"""Allocation rules as kept in ``policies/allocation_rules.yaml`` (the machine-readable CA policy).

A rule names an entity, a pool (accounts + dimension filter, read from the period's GL detail, or an
explicit amount), the dimension the cost moves to (department, project, class...), and a basis:

  square_footage | fixed   drivers written in the rule (fixed = percentages summing to 100)
  headcount                employees per target at period end (extras/employees.csv, else EMPLOYEE)
  revenue                  the period's revenue postings per target (credits on revenue accounts)
  hours                    timesheet hours per target in the period (extras/timesheets.csv)

Drivers written in a rule win over computed ones for any basis. A company may keep its own file in
``<company>/policies/allocation_rules.yaml``; otherwise the repository's policies/ file is used.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from copilot.errors import ConfigurationError, InputError, NotFound
from copilot.yamlfile import load_yaml_mapping

Basis = Literal["square_footage", "headcount", "revenue", "hours", "fixed"]
FILE_NAME = "allocation_rules.yaml"


def _decimal(v: Any, what: str) -> Decimal:
    if isinstance(v, float):
        # YAML reads 0.05 as a float; its repr is the decimal the author wrote.
        return Decimal(repr(v))
    try:
        return Decimal(str(v))
    except Exception:
        raise ValueError(f"{what} must be a number, got {v!r}") from None


class Pool(BaseModel):
    """What is shared: the period's postings on ``accounts`` matching ``dims``, or an explicit amount."""

    model_config = ConfigDict(extra="forbid")

    accounts: list[str] = Field(min_length=1, description="Accounts whose period balance is the pool")
    dims: dict[str, str] = Field(default_factory=dict, description="Only pool lines carrying these codes")
    amount: Decimal | None = Field(default=None, description="Explicit amount (posted against accounts[0] + dims)")
    amounts: dict[str, Decimal] | None = Field(default=None, description="Explicit amounts per account (+ dims)")
    currency: str | None = Field(default=None, description="Currency of an explicit amount (must be the entity's)")
    scale: Literal["entity_headcount_share"] | None = Field(
        default=None, description="entity_headcount_share: allocate only the entity's share of group headcount (CA-3.2)")

    @field_validator("accounts", mode="before")
    @classmethod
    def _accounts(cls, v: Any) -> Any:
        return [str(a) for a in v] if isinstance(v, list) else v

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, v: Any) -> Any:
        return None if v is None else _decimal(v, "pool amount")

    @field_validator("amounts", mode="before")
    @classmethod
    def _amounts(cls, v: Any) -> Any:
        if v is None:
            return None
        if not isinstance(v, dict):
            raise ValueError("amounts must be a mapping of account -> amount")
        return {str(k): _decimal(a, f"pool amount of {k}") for k, a in v.items()}


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dimension: str = Field(description="Dimension the cost moves to: department, project, class, location...")
    codes: list[str] | None = Field(default=None, description="Only these targets (default: every code with a driver)")
    dims: dict[str, str] = Field(default_factory=dict, description="Codes set on every allocation line")

    @field_validator("codes", mode="before")
    @classmethod
    def _codes(cls, v: Any) -> Any:
        return [str(c) for c in v] if isinstance(v, list) else v


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    clause: str = Field(default="", description="Policy clause, starts every line memo (CA-x)")
    description: str = ""
    entity: str
    basis: Basis
    pool: Pool
    target: Target
    drivers: dict[str, Decimal] | None = Field(default=None, description="Driver per target code (wins over computed)")
    driver_accounts: list[str] | None = Field(default=None, description="revenue basis: accounts read (default: category Revenue)")
    driver_filter: dict[str, str] = Field(default_factory=dict, description="Only drivers matching these (e.g. entity, location, billable)")
    carry: list[str] = Field(default_factory=lambda: ["department", "location", "class", "project"],
                             description="Dimensions the pool is grouped by and the allocation lines keep")
    memo: str = Field(default="", description="Memo template; {clause} {what} {period_label} {basis}")
    what: str = Field(default="", description="What is allocated, for memos (e.g. 'rent')")
    history_memo_prefix: str | None = Field(default=None, description="Past allocations of this rule: memos starting so (default: clause)")

    @field_validator("drivers", mode="before")
    @classmethod
    def _drivers(cls, v: Any) -> Any:
        if v is None:
            return None
        if not isinstance(v, dict):
            raise ValueError("drivers must be a mapping of target code -> number")
        return {str(k): _decimal(w, f"driver for {k}") for k, w in v.items()}

    @field_validator("driver_accounts", mode="before")
    @classmethod
    def _accts(cls, v: Any) -> Any:
        return [str(a) for a in v] if isinstance(v, list) else v

    @model_validator(mode="after")
    def _check(self) -> "Rule":
        if self.basis in ("square_footage", "fixed") and not self.drivers:
            raise ValueError(f"basis {self.basis} needs drivers written in the rule")
        if self.basis == "fixed" and self.drivers:
            total = sum(self.drivers.values(), Decimal(0))
            if total != 100:
                raise ValueError(f"fixed percentages must add up to 100, they add up to {total}")
        return self


class Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    journal: str = "GJ"
    state: str = "Draft"
    title: str = "Cost allocations {period_label}"
    memo: str = "{clause} {what} allocation {period_label} by {basis}"
    exclude_memo_prefixes: list[str] = Field(default_factory=lambda: ["CA-"])
    exclude_journals: list[str] = Field(default_factory=list)
    budget_warn_ratio: Decimal = Decimal("0.90")
    budget_capitalized_categories: list[str] = Field(default_factory=lambda: ["Fixed assets"])
    deviation_threshold: Decimal = Decimal("0.05")
    history_periods: int = Field(default=6, ge=0, le=60)

    @field_validator("budget_warn_ratio", "deviation_threshold", mode="before")
    @classmethod
    def _dec(cls, v: Any) -> Any:
        return _decimal(v, "threshold")


class RuleBook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    defaults: Defaults = Field(default_factory=Defaults)
    rules: list[Rule] = Field(default_factory=list)
    source: str | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _unique(self) -> "RuleBook":
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rule ids must be unique: {', '.join(dupes)}")
        return self

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        known = ", ".join(r.id for r in self.rules) or "none"
        raise NotFound(f"no allocation rule {rule_id!r} in {self.source or FILE_NAME} (rules: {known})",
                       field="rule")


def parse_rule(data: Any) -> Rule:
    """A rule sent inline (API body): errors name the field."""
    try:
        return Rule.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        raise InputError(f"rule: {where}: {err.get('msg')}", field=f"rule.{where}" if where else "rule") from None


def load_rulebook(path: Path) -> RuleBook:
    if not path.is_file():
        raise ConfigurationError(f"allocation rules file {path} not found", field="rules")
    data = load_yaml_mapping(path, expected="a mapping with defaults and rules")
    try:
        book = RuleBook.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err.get("loc", ()))
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            rules = data.get("rules") or []
            rid = rules[loc[1]].get("id") if loc[1] < len(rules) and isinstance(rules[loc[1]], dict) else None
            loc[1] = f"{loc[1]} ({rid})" if rid else loc[1]
        where = ".".join(str(p) for p in loc)
        raise ConfigurationError(f"{path}: {where}: {err.get('msg')}") from None
    book.source = str(path)
    return book


def rules_path(policies_dir: Path, company_root: Path | None) -> Path:
    """The company's own rules file when it has one, else the repository's."""
    if company_root is not None and (company_root / "policies" / FILE_NAME).is_file():
        return company_root / "policies" / FILE_NAME
    return policies_dir / FILE_NAME
