"""Machine-readable validation policy: policies/rules.yaml (rules, severities, thresholds, verdict)
and policies/close_calendar.yaml (which accounting periods are open and when each closes).

Thresholds live in those files, not in code: a rule reads its parameters through ``RuleConfig.param``,
which fails loudly (ConfigurationError naming the rule and key) when the file does not define one.
"""

from __future__ import annotations

import calendar as _calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterable, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from copilot.errors import ConfigurationError
from copilot.validate.findings import Finding, Severity, Verdict

RULES_FILE = "rules.yaml"
CALENDAR_FILE = "close_calendar.yaml"


class RuleConfig(BaseModel):
    """One rule's switch, severity and thresholds (any extra keys are the rule's parameters)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    rule_id: str = ""
    enabled: bool = True
    severity: Severity

    def param(self, name: str) -> Any:
        extra = self.model_extra or {}
        if name not in extra:
            raise ConfigurationError(f"policies/{RULES_FILE}: rule {self.rule_id!r} needs parameter {name!r}",
                                     rule=self.rule_id, parameter=name)
        return extra[name]

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class VerdictPolicy(BaseModel):
    """``block_on`` / ``review_on`` map a severity to how many findings of it trigger that verdict."""

    block_on: dict[Severity, int] = Field(default_factory=lambda: {"error": 1})
    review_on: dict[Severity, int] = Field(default_factory=lambda: {"warning": 1})

    def decide(self, findings: Iterable[Finding]) -> Verdict:
        counts = Counter(f.severity for f in findings)
        if any(n > 0 and counts[sev] >= n for sev, n in self.block_on.items()):
            return "block"
        if any(n > 0 and counts[sev] >= n for sev, n in self.review_on.items()):
            return "review"
        return "pass"


class ScoringPolicy(BaseModel):
    """Parameters of the per-line anomaly score (copilot.validate.scoring)."""

    smoothing: float = 10.0          # pseudo-observations shrinking rarity p-values of small contexts
    amount_min_samples: int = 10     # fewer amounts than this in a group: no amount component for it
    mad_floor: float = 0.05          # log10 units; stops a fixed recurring amount giving infinite z


class RulesPolicy(BaseModel):
    version: str = "1"
    verdict: VerdictPolicy = Field(default_factory=VerdictPolicy)
    scoring: ScoringPolicy = Field(default_factory=ScoringPolicy)
    rules: dict[str, RuleConfig] = Field(default_factory=dict)

    @field_validator("rules", mode="before")
    @classmethod
    def _ids(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: {**(c or {}), "rule_id": k} for k, c in v.items()}
        return v

    def rule(self, rule_id: str) -> RuleConfig | None:
        """The rule's config when it is listed and enabled, else None (the rule does not run)."""
        cfg = self.rules.get(rule_id)
        return cfg if cfg is not None and cfg.enabled else None

    def check_known(self, known: Iterable[str]) -> None:
        """A typo in a rule id would silently disable a control: refuse unknown ids."""
        unknown = sorted(set(self.rules) - set(known))
        if unknown:
            raise ConfigurationError(f"policies/{RULES_FILE}: unknown rule ids {unknown}", rules=unknown)


# --- close calendar ---------------------------------------------------------------------------


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_end(period: str) -> date:
    year, month = (int(p) for p in period.split("-"))
    return date(year, month, _calendar.monthrange(year, month)[1])


def _months_back(day: date, n: int) -> str:
    index = day.year * 12 + day.month - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class PeriodOverride(BaseModel):
    status: Literal["open", "closed"] = "open"
    close_deadline: date | None = None


class CalendarRules(BaseModel):
    """Fields left None inherit from the default section."""

    open_months: int | None = None          # rolling: the as-of month and open_months-1 before it are open
    locked_through: str | None = None       # "YYYY-MM": this period and every earlier one are closed
    close_deadline_days: int | None = None  # period P must be closed this many days after P ends
    close_business_days: int | None = None  # ...or on this business day (Mon-Fri) after P ends
    year_end_close_business_days: int | None = None  # the fiscal year's last period gets longer
    fiscal_year_end_month: int | None = None
    max_days_ahead: int | None = None       # posting dates further in the future than this are flagged
    periods: dict[str, PeriodOverride] = Field(default_factory=dict)

    @field_validator("locked_through", mode="before")
    @classmethod
    def _period(cls, v: Any) -> Any:
        if isinstance(v, date):
            return period_of(v)
        return v

    @field_validator("periods", mode="before")
    @classmethod
    def _keys(cls, v: Any) -> Any:
        return {str(k): val for k, val in (v or {}).items()}


@dataclass(frozen=True)
class PeriodStatus:
    period: str
    closed: bool
    reason: str            # why it is closed / open
    close_deadline: date   # after this day, a posting into the period is an after-close posting


class CloseCalendar(BaseModel):
    default: CalendarRules = Field(default_factory=CalendarRules)
    entities: dict[str, CalendarRules] = Field(default_factory=dict)

    def _rules(self, entity: str | None) -> tuple[CalendarRules, CalendarRules | None]:
        return self.default, (self.entities.get(entity) if entity else None)

    def setting(self, entity: str | None, name: str) -> Any:
        base, own = self._rules(entity)
        value = getattr(own, name) if own is not None else None
        return value if value is not None else getattr(base, name)

    def status(self, entity: str | None, day: date, as_of: date) -> PeriodStatus:
        period = period_of(day)
        base, own = self._rules(entity)
        override = (own.periods.get(period) if own else None) or base.periods.get(period)
        deadline = self._deadline(entity, period)
        if override is not None:
            deadline = override.close_deadline or deadline
            return PeriodStatus(period, override.status == "closed",
                                f"period {period} is marked {override.status} in the close calendar", deadline)
        locked = self.setting(entity, "locked_through")
        if locked and period <= locked:
            return PeriodStatus(period, True, f"periods through {locked} are locked", deadline)
        open_months = self.setting(entity, "open_months")
        if open_months and period < _months_back(as_of, open_months - 1):
            return PeriodStatus(period, True,
                                f"only the last {open_months} periods up to {period_of(as_of)} are open", deadline)
        return PeriodStatus(period, False, f"period {period} is open", deadline)


    def _deadline(self, entity: str | None, period: str) -> date:
        end = month_end(period)
        business = self.setting(entity, "close_business_days")
        if business is not None:
            fy_end = self.setting(entity, "fiscal_year_end_month") or 12
            year_end = self.setting(entity, "year_end_close_business_days")
            if year_end is not None and end.month == fy_end:
                business = year_end
            return add_business_days(end, int(business))
        days = self.setting(entity, "close_deadline_days")
        return end + timedelta(days=int(days or 0))


def add_business_days(day: date, n: int) -> date:
    """The n-th Monday-to-Friday after ``day`` (public holidays are not modelled)."""
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


# --- loading ----------------------------------------------------------------------------------


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: policy file not found", path=str(path)) from None
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path}: not valid YAML: {exc}", path=str(path)) from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: top level must be a mapping", path=str(path))
    return data


def _model(cls: type[BaseModel], data: dict[str, Any], path: Path) -> Any:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ConfigurationError(f"{path}: {where}: {first.get('msg')}", path=str(path), field=where) from None


def load_rules(path: Path) -> RulesPolicy:
    return _model(RulesPolicy, _read_yaml(path), path)


def load_close_calendar(path: Path) -> CloseCalendar:
    return _model(CloseCalendar, _read_yaml(path), path)


def load_policies(policies_dir: Path) -> tuple[RulesPolicy, CloseCalendar]:
    return load_rules(policies_dir / RULES_FILE), load_close_calendar(policies_dir / CALENDAR_FILE)
