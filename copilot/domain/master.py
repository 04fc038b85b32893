"""Master data: entities, the chart of accounts, vendors, projects and the company that holds them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from copilot.domain.dimensions import DimensionValue


class Entity(BaseModel):
    """An Intacct entity (a LOCATION with an entity flag in a multi-entity company)."""

    model_config = ConfigDict(frozen=True)

    entity_id: str
    name: str
    currency: str = "USD"
    country: str = "US"
    parent: str | None = None


class Account(BaseModel):
    """GLACCOUNT: ACCOUNTNO, TITLE, ACCOUNTTYPE, NORMALBALANCE, STATUS and the REQUIRE* flags."""

    model_config = ConfigDict(frozen=True)

    account_no: str
    title: str
    account_type: str = "incomestatement"  # balancesheet | incomestatement
    normal_balance: str = "debit"  # debit | credit
    status: str = "active"
    category: str = ""
    description: str = ""
    # Dimension keys this account requires on every line (REQUIREDEPT -> "department", ...).
    required_dimensions: frozenset[str] = frozenset()
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.status.lower() == "active"


class Vendor(BaseModel):
    model_config = ConfigDict(frozen=True)

    vendor_id: str
    name: str
    status: str = "active"
    vendor_type: str = ""
    default_account: str | None = None
    entities: tuple[str, ...] = ()
    extra: dict[str, Any] = Field(default_factory=dict)


class Customer(BaseModel):
    model_config = ConfigDict(frozen=True)

    customer_id: str
    name: str
    status: str = "active"
    entities: tuple[str, ...] = ()


class Employee(BaseModel):
    model_config = ConfigDict(frozen=True)

    employee_id: str
    name: str
    department: str | None = None
    location: str | None = None
    status: str = "active"


class Project(BaseModel):
    """PROJECT with its budget, used for cost-allocation checks and timesheet hints."""

    model_config = ConfigDict(frozen=True)

    project_id: str
    name: str
    status: str = "active"
    customer_id: str | None = None
    department: str | None = None
    location: str | None = None
    budget: Decimal | None = None
    currency: str = "USD"
    start_date: date | None = None
    end_date: date | None = None
    entities: tuple[str, ...] = ()


class Company(BaseModel):
    """All master data of one company (one Intacct tenant, possibly multi-entity).

    Lookups are plain dicts keyed by code; the engine and validators read validity from here.
    """

    name: str
    entities: dict[str, Entity] = Field(default_factory=dict)
    accounts: dict[str, Account] = Field(default_factory=dict)
    # dimension key -> code -> value (includes department, location, class, custom dims...)
    dimensions: dict[str, dict[str, DimensionValue]] = Field(default_factory=dict)
    vendors: dict[str, Vendor] = Field(default_factory=dict)
    customers: dict[str, Customer] = Field(default_factory=dict)
    employees: dict[str, Employee] = Field(default_factory=dict)
    projects: dict[str, Project] = Field(default_factory=dict)

    def dimension_value(self, key: str, code: str) -> DimensionValue | None:
        """Look up any dimension, including those kept as richer objects (vendor, project...)."""
        found = self.dimensions.get(key, {}).get(code)
        if found is not None:
            return found
        rich = {"vendor": self.vendors, "customer": self.customers,
                "employee": self.employees, "project": self.projects}.get(key)
        if rich and code in rich:
            obj = rich[code]
            return DimensionValue(dimension=key, code=code, name=getattr(obj, "name", ""),
                                  status=obj.status, entities=getattr(obj, "entities", ()))
        return None

    def is_valid_code(self, key: str, code: str, entity: str | None = None) -> bool:
        """Active and usable in ``entity``."""
        value = self.dimension_value(key, code)
        return value is not None and value.active and value.valid_in(entity)

    def is_active_account(self, account_no: str) -> bool:
        acct = self.accounts.get(account_no)
        return acct is not None and acct.active
