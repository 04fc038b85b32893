"""Intacct rows (``dict[str, str]`` keyed by upper-case field name) <-> domain objects.

Rows are what readByQuery returns (nested fields flattened with dots, e.g. PERSONALINFO.CONTACTNAME).
Input keys may be any letter case. Fields we do not model are kept in ``extra`` (never dropped, never
an error) where the domain object has one. Every failure is a ParseError naming the field.
"""

from __future__ import annotations

from typing import Any, Mapping

from pydantic import ValidationError

from copilot.domain.dimensions import DimensionValue, canonical_dimension
from copilot.domain.master import Account, Customer, Employee, Entity, Project, Vendor
from copilot.formats.common import (Row, fail, first, format_date, from_validation, normalize_row,
                                    parse_amount, parse_bool, parse_date, required)
# GLDETAIL lives in its own module (it is the hot path); its functions are part of this API.
from copilot.formats.gldetail import posting_from_row, posting_to_row, row_to_posting  # noqa: F401

# GLACCOUNT REQUIRE* flags -> dimension keys. REQUIREGLDIM<NAME> (custom dims) is handled by prefix.
REQUIRE_FLAGS: dict[str, str] = {
    "REQUIREDEPT": "department", "REQUIRELOC": "location", "REQUIREPROJECT": "project",
    "REQUIRECUSTOMER": "customer", "REQUIREVENDOR": "vendor", "REQUIREEMPLOYEE": "employee",
    "REQUIREITEM": "item", "REQUIRECLASS": "class", "REQUIRETASK": "task",
}
FLAG_FOR_DIMENSION = {v: k for k, v in REQUIRE_FLAGS.items()}

# Dimension objects: object name -> (id field, name field). Custom dimension objects use ID / NAME.
DIMENSION_OBJECTS: dict[str, tuple[str, str]] = {
    "DEPARTMENT": ("DEPARTMENTID", "TITLE"),
    "LOCATION": ("LOCATIONID", "NAME"),
    "CLASS": ("CLASSID", "NAME"),
    "ITEM": ("ITEMID", "NAME"),
    "TASK": ("TASKID", "NAME"),
}
OBJECT_FOR_DIMENSION = {canonical_dimension(obj): obj for obj in DIMENSION_OBJECTS}



def _status(row: Row) -> str:
    return (row.get("STATUS") or "active").strip().lower()


def _entities(row: Row) -> tuple[str, ...]:
    owner = row.get("MEGAENTITYID", "").strip()
    return (owner,) if owner else ()


def _extra(row: Row, used: set[str]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in used}


def _build(cls, data: dict[str, Any]):
    try:
        return cls(**data)
    except ValidationError as exc:
        raise from_validation(exc) from None


# --- GLACCOUNT ---------------------------------------------------------------------------------

def row_to_account(row: Mapping[str, Any]) -> Account:
    r = normalize_row(row)
    account_type = (r.get("ACCOUNTTYPE") or "incomestatement").replace(" ", "").lower()
    if account_type not in ("balancesheet", "incomestatement"):
        raise fail(f"ACCOUNTTYPE must be balancesheet or incomestatement, got {account_type!r}",
                   field="ACCOUNTTYPE")
    normal = (r.get("NORMALBALANCE") or "debit").strip().lower()
    if normal not in ("debit", "credit"):
        raise fail(f"NORMALBALANCE must be debit or credit, got {normal!r}", field="NORMALBALANCE")
    used = {"ACCOUNTNO", "TITLE", "ACCOUNTTYPE", "NORMALBALANCE", "STATUS", "CATEGORY", "DESCRIPTION"}
    required_dims: set[str] = set()
    for key, value in r.items():
        dim = REQUIRE_FLAGS.get(key)
        if dim is None and key.startswith("REQUIREGLDIM") and len(key) > 12:
            dim = key[12:].lower()
        if dim is None:
            continue
        used.add(key)
        if parse_bool(value, field=key):
            required_dims.add(dim)
    return _build(Account, dict(
        account_no=required(r, "ACCOUNTNO"), title=r.get("TITLE", ""), account_type=account_type,
        normal_balance=normal, status=_status(r), category=r.get("CATEGORY", ""),
        description=r.get("DESCRIPTION", ""), required_dimensions=frozenset(required_dims),
        extra=_extra(r, used)))


def account_to_row(account: Account) -> Row:
    row: Row = {
        "ACCOUNTNO": account.account_no, "TITLE": account.title, "ACCOUNTTYPE": account.account_type,
        "NORMALBALANCE": account.normal_balance, "STATUS": account.status,
        "CATEGORY": account.category, "DESCRIPTION": account.description,
    }
    for flag, dim in REQUIRE_FLAGS.items():
        row[flag] = "true" if dim in account.required_dimensions else "false"
    for dim in sorted(account.required_dimensions - set(FLAG_FOR_DIMENSION)):
        row[f"REQUIREGLDIM{dim.upper()}"] = "true"
    row.update({k: str(v) for k, v in account.extra.items()})
    return row


# --- dimension objects -------------------------------------------------------------------------

def dimension_key(object_name: str) -> str:
    """DEPARTMENT -> department; a custom dimension object FUND (or GLDIMFUND) -> fund."""
    upper = object_name.upper()
    if upper in DIMENSION_OBJECTS:
        return canonical_dimension(upper) or upper.lower()
    return upper[5:].lower() if upper.startswith("GLDIM") and len(upper) > 5 else upper.lower()


def dimension_object(key: str) -> str:
    """department -> DEPARTMENT; a custom key fund -> FUND (its object name)."""
    return OBJECT_FOR_DIMENSION.get(key, key.upper())


def row_to_dimension_value(object_name: str, row: Mapping[str, Any]) -> DimensionValue:
    r = normalize_row(row)
    upper = object_name.upper()
    id_field, name_field = DIMENSION_OBJECTS.get(upper, ("ID", "NAME"))
    # Custom dimension objects are read by ID/NAME; accept <OBJECT>ID too, it costs nothing.
    code = required(r, id_field, f"{upper}ID", "ID")
    return _build(DimensionValue, dict(
        dimension=dimension_key(upper), code=code, name=first(r, name_field, "NAME", "TITLE"),
        status=_status(r), parent=r.get("PARENTID") or None, entities=_entities(r)))


def dimension_value_to_rows(value: DimensionValue) -> list[Row]:
    """One row per owning entity (Intacct records belong to one entity or to the top level)."""
    obj = dimension_object(value.dimension)
    id_field, name_field = DIMENSION_OBJECTS.get(obj, ("ID", "NAME"))
    base: Row = {id_field: value.code, name_field: value.name, "STATUS": value.status}
    if value.parent:
        base["PARENTID"] = value.parent
    if not value.entities:
        return [base]
    return [{**base, "MEGAENTITYID": e} for e in value.entities]


# --- VENDOR / CUSTOMER / EMPLOYEE / PROJECT / LOCATIONENTITY -------------------------------------

def row_to_vendor(row: Mapping[str, Any]) -> Vendor:
    r = normalize_row(row)
    used = {"VENDORID", "NAME", "STATUS", "VENDTYPE", "APACCOUNT", "MEGAENTITYID"}
    return _build(Vendor, dict(
        vendor_id=required(r, "VENDORID"), name=r.get("NAME", ""), status=_status(r),
        vendor_type=r.get("VENDTYPE", ""), default_account=r.get("APACCOUNT") or None,
        entities=_entities(r), extra=_extra(r, used)))


def vendor_to_row(vendor: Vendor) -> Row:
    row: Row = {"VENDORID": vendor.vendor_id, "NAME": vendor.name, "STATUS": vendor.status,
                "VENDTYPE": vendor.vendor_type}
    if vendor.default_account:
        row["APACCOUNT"] = vendor.default_account
    if vendor.entities:
        row["MEGAENTITYID"] = vendor.entities[0]
    row.update({k: str(v) for k, v in vendor.extra.items()})
    return row


def row_to_customer(row: Mapping[str, Any]) -> Customer:
    r = normalize_row(row)
    return _build(Customer, dict(customer_id=required(r, "CUSTOMERID"), name=r.get("NAME", ""),
                                 status=_status(r), entities=_entities(r)))


def customer_to_row(customer: Customer) -> Row:
    row: Row = {"CUSTOMERID": customer.customer_id, "NAME": customer.name, "STATUS": customer.status}
    if customer.entities:
        row["MEGAENTITYID"] = customer.entities[0]
    return row


def row_to_employee(row: Mapping[str, Any]) -> Employee:
    r = normalize_row(row)
    return _build(Employee, dict(
        employee_id=required(r, "EMPLOYEEID"),
        name=first(r, "PERSONALINFO.CONTACTNAME", "CONTACTNAME", "NAME", "CONTACT_NAME"),
        department=first(r, "DEPARTMENTID", "DEPARTMENT") or None,
        location=first(r, "LOCATIONID", "LOCATION") or None, status=_status(r)))


def employee_to_row(employee: Employee) -> Row:
    row: Row = {"EMPLOYEEID": employee.employee_id, "PERSONALINFO.CONTACTNAME": employee.name,
                "STATUS": employee.status}
    if employee.department:
        row["DEPARTMENTID"] = employee.department
    if employee.location:
        row["LOCATIONID"] = employee.location
    return row


def row_to_project(row: Mapping[str, Any]) -> Project:
    r = normalize_row(row)
    budget_field = "BUDGETAMOUNT" if r.get("BUDGETAMOUNT", "").strip() else "BUDGETEDCOST"
    data: dict[str, Any] = dict(
        project_id=required(r, "PROJECTID"), name=r.get("NAME", ""), status=_status(r),
        customer_id=r.get("CUSTOMERID") or None,
        department=first(r, "DEPARTMENTID", "DEPARTMENT") or None,
        location=first(r, "LOCATIONID", "LOCATION") or None,
        budget=parse_amount(r.get(budget_field), field=budget_field, required=False),
        start_date=parse_date(r.get("BEGINDATE"), field="BEGINDATE"),
        end_date=parse_date(r.get("ENDDATE"), field="ENDDATE"), entities=_entities(r))
    if r.get("CURRENCY"):
        data["currency"] = r["CURRENCY"]
    return _build(Project, data)


def project_to_row(project: Project) -> Row:
    row: Row = {"PROJECTID": project.project_id, "NAME": project.name, "STATUS": project.status,
                "CURRENCY": project.currency}
    optional = {"CUSTOMERID": project.customer_id, "DEPARTMENTID": project.department,
                "LOCATIONID": project.location,
                "BUDGETAMOUNT": None if project.budget is None else str(project.budget),
                "BEGINDATE": format_date(project.start_date), "ENDDATE": format_date(project.end_date),
                "MEGAENTITYID": project.entities[0] if project.entities else None}
    row.update({k: v for k, v in optional.items() if v})
    return row


def row_to_entity(row: Mapping[str, Any]) -> Entity:
    """LOCATIONENTITY row. The country may come flat or from the mailing address."""
    r = normalize_row(row)
    data: dict[str, Any] = dict(entity_id=required(r, "LOCATIONID", "RECORDID"),
                                name=first(r, "NAME", "LOCATIONID"),
                                parent=r.get("PARENTID") or None)
    currency = first(r, "CURRENCY", "BASECURR")
    country = first(r, "COUNTRY", "COUNTRYCODE", "CONTACTINFO.MAILADDRESS.COUNTRYCODE",
                    "CONTACTINFO.MAILADDRESS.COUNTRY")
    if currency:
        data["currency"] = currency
    if country:
        data["country"] = country
    return _build(Entity, data)


def entity_to_row(entity: Entity) -> Row:
    row: Row = {"LOCATIONID": entity.entity_id, "NAME": entity.name, "CURRENCY": entity.currency,
                "COUNTRY": entity.country}
    if entity.parent:
        row["PARENTID"] = entity.parent
    return row
