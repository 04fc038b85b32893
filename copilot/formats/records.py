"""Intacct rows (``dict[str, str]`` keyed by upper-case field name) <-> domain objects.

Rows are what readByQuery returns (nested fields flattened with dots, e.g. PERSONALINFO.CONTACTNAME).
Input keys may be any letter case. Fields we do not model are kept in ``extra`` (never dropped, never
an error) where the domain object has one. Every failure is a ParseError naming the field.
"""

from __future__ import annotations

from typing import Any, Mapping

from pydantic import ValidationError

from copilot.domain.dimensions import DimensionValue, canonical_dimension, intacct_field
from copilot.domain.entries import Posting
from copilot.domain.master import Account, Customer, Employee, Entity, Project, Vendor
from copilot.formats.common import (Row, fail, first, format_date, from_validation, normalize_row,
                                    parse_amount, parse_bool, parse_date, parse_tr_type, required,
                                    side_and_amount)

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

# GLDETAIL fields read as dimensions. The read form (…ID) comes first; the create form
# (DEPARTMENT / LOCATION) and the CSV form are accepted too, per FORMATS.md.
POSTING_DIM_FIELDS: tuple[str, ...] = (
    "DEPARTMENTID", "LOCATIONID", "PROJECTID", "CLASSID", "CUSTOMERID", "VENDORID", "EMPLOYEEID",
    "ITEMID", "TASKID", "DEPARTMENT", "LOCATION", "DEPT_ID", "LOCATION_ID",
)


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


# --- GLDETAIL ----------------------------------------------------------------------------------

_DIM_FIELD_RANK = {f: (canonical_dimension(f), i) for i, f in enumerate(POSTING_DIM_FIELDS)}


def _posting_dims(r: Row, used: set[str]) -> dict[str, str]:
    """One pass over the row (this runs once per GLDETAIL line). When two spellings of one
    dimension disagree, the read form (…ID) wins and the other is kept in extra."""
    dims: dict[str, str] = {}
    winner: dict[str, tuple[int, str]] = {}
    for field, value in r.items():
        hit = _DIM_FIELD_RANK.get(field)
        if hit is None:
            # GLDIM<NAME> is a custom dimension; a *_NAME companion is a display name, not a code.
            if field.startswith("GLDIM") and len(field) > 5 and not field.endswith("_NAME"):
                used.add(field)
                if value.strip():
                    dims[field[5:].lower()] = value.strip()
            continue
        used.add(field)
        value = value.strip()
        if not value:
            continue
        key, rank = hit
        if key not in dims:
            dims[key], winner[key] = value, (rank, field)
        elif dims[key] != value:
            if rank < winner[key][0]:
                used.discard(winner[key][1])
                dims[key], winner[key] = value, (rank, field)
            else:
                used.discard(field)
    return dims


def row_to_posting(row: Mapping[str, Any], default_entity: str | None = None) -> Posting:
    return posting_from_row(normalize_row(row), default_entity)


def posting_from_row(r: Row, default_entity: str | None = None) -> Posting:
    """row_to_posting for a row already normalized (upper-case keys, str values), e.g. from XML."""
    used = {"RECORDNO", "BATCH_NO", "BATCH_TITLE", "ACCOUNTNO", "TR_TYPE", "TRX_AMOUNT",
            "DESCRIPTION", "CURRENCY", "DOCUMENT", "MEGAENTITYID", "ENTRY_DATE", "COPILOT_SOURCE"}
    date_field = "ENTRY_DATE" if r.get("ENTRY_DATE", "").strip() else "BATCH_DATE"
    entry_date = parse_date(r.get(date_field), field=date_field, required=True)
    if date_field == "BATCH_DATE" or r.get("BATCH_DATE", "") == r["ENTRY_DATE"] or \
            parse_date(r.get("BATCH_DATE"), field="BATCH_DATE") in (None, entry_date):
        used.add("BATCH_DATE")
    amount_field = "TRX_AMOUNT" if r.get("TRX_AMOUNT", "").strip() else "AMOUNT"
    raw_amount = parse_amount(r.get(amount_field), field=amount_field)
    if amount_field == "AMOUNT" or r.get("AMOUNT", "") == r["TRX_AMOUNT"] or \
            parse_amount(r.get("AMOUNT"), field="AMOUNT", required=False) in (None, raw_amount):
        used.add("AMOUNT")  # AMOUNT differing from TRX_AMOUNT is the base amount: kept in extra
    tr_type, amount = side_and_amount(parse_tr_type(r.get("TR_TYPE")), raw_amount)
    batch_no = r.get("BATCH_NO", "").strip()
    if not batch_no and r.get("BATCHKEY", "").strip():
        batch_no = r["BATCHKEY"].strip()
        used.add("BATCHKEY")
    journal_field = "SYMBOL" if r.get("SYMBOL", "").strip() else "JOURNAL"
    used.add(journal_field)
    entity = r.get("MEGAENTITYID", "").strip() or default_entity
    if not entity:
        raise fail("no entity: MEGAENTITYID is empty and no default entity was given",
                   field="MEGAENTITYID")
    dims = _posting_dims(r, used)
    record_no, account_no = required(r, "RECORDNO"), required(r, "ACCOUNTNO")
    # Validated construction measured faster than model_construct (pydantic-core is compiled).
    return _build(Posting, dict(
        record_no=record_no, entity=entity, entry_date=entry_date, batch_no=batch_no or None,
        batch_title=r.get("BATCH_TITLE", ""), account_no=account_no, tr_type=tr_type,
        amount=amount, memo=r.get("DESCRIPTION", ""), dims=dims,
        currency=r.get("CURRENCY") or None, document=r.get("DOCUMENT") or None,
        journal=r.get(journal_field, "").strip() or "GJ",
        source=r.get("COPILOT_SOURCE") or "history", extra=_extra(r, used)))


def posting_to_row(posting: Posting) -> Row:
    """GLDETAIL read form: DEPARTMENTID/LOCATIONID, SYMBOL, ENTRY_DATE + BATCH_DATE, TRX_AMOUNT + AMOUNT."""
    day = format_date(posting.entry_date)
    amount = str(posting.amount)
    row: Row = {
        "RECORDNO": posting.record_no, "BATCH_NO": posting.batch_no or "", "BATCH_DATE": day,
        "ENTRY_DATE": day, "BATCH_TITLE": posting.batch_title, "SYMBOL": posting.journal,
        "ACCOUNTNO": posting.account_no, "TR_TYPE": str(posting.tr_type), "TRX_AMOUNT": amount,
        "AMOUNT": amount, "DESCRIPTION": posting.memo, "MEGAENTITYID": posting.entity,
    }
    if posting.currency:
        row["CURRENCY"] = posting.currency
    if posting.document:
        row["DOCUMENT"] = posting.document
    for key, code in posting.dims.items():
        row[intacct_field(key, read_form=True)] = code
    if posting.source != "history":
        row["COPILOT_SOURCE"] = posting.source
    row.update({k: str(v) for k, v in posting.extra.items()})
    return row
