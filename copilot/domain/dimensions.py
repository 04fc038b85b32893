"""Dimensions: the standard Intacct ones plus user-defined (custom) dimensions.

A coding is an account plus a mapping ``dimension key -> code``. Standard keys are the lowercase names
below; a custom dimension ``GLDIMFUND`` is keyed ``fund``. Formats translate to Intacct's field names.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# Order matters: it is the order in which codings are displayed and keyed.
STANDARD_DIMENSIONS: tuple[str, ...] = (
    "department", "location", "project", "class", "customer", "vendor", "employee", "item", "task",
)

# Intacct field names -> canonical key. Both GLENTRY (create: DEPARTMENT, LOCATION) and GLDETAIL
# (read: DEPARTMENTID, LOCATIONID) spellings, case-insensitive (callers upper-case first).
INTACCT_DIMENSION_FIELDS: dict[str, str] = {
    "DEPARTMENT": "department", "DEPARTMENTID": "department", "DEPT_ID": "department",
    "LOCATION": "location", "LOCATIONID": "location", "LOCATION_ID": "location",
    "PROJECTID": "project", "PROJECT": "project",
    "CLASSID": "class", "CLASS": "class",
    "CUSTOMERID": "customer", "CUSTOMER": "customer",
    "VENDORID": "vendor", "VENDOR": "vendor",
    "EMPLOYEEID": "employee", "EMPLOYEE": "employee",
    "ITEMID": "item", "ITEM": "item",
    "TASKID": "task", "TASK": "task",
}

# Canonical key -> the field name the SDK writes on GLENTRY create.
GLENTRY_FIELD: dict[str, str] = {
    "department": "DEPARTMENT", "location": "LOCATION", "project": "PROJECTID", "class": "CLASSID",
    "customer": "CUSTOMERID", "vendor": "VENDORID", "employee": "EMPLOYEEID", "item": "ITEMID",
    "task": "TASKID",
}
# Canonical key -> the field name GLDETAIL returns on read.
GLDETAIL_FIELD: dict[str, str] = {**GLENTRY_FIELD, "department": "DEPARTMENTID", "location": "LOCATIONID"}


def canonical_dimension(field: str) -> str | None:
    """Map an Intacct field name (any case) to a dimension key; ``GLDIMX`` -> ``x``; else None."""
    upper = field.upper()
    if upper in INTACCT_DIMENSION_FIELDS:
        return INTACCT_DIMENSION_FIELDS[upper]
    if upper.startswith("GLDIM") and len(upper) > 5:
        return upper[5:].lower()
    return None


def intacct_field(key: str, *, read_form: bool = False) -> str:
    """Canonical key -> Intacct field name (create form by default; custom dims as GLDIM<NAME>)."""
    table = GLDETAIL_FIELD if read_form else GLENTRY_FIELD
    return table.get(key, f"GLDIM{key.upper()}")


class DimensionValue(BaseModel):
    """One value of one dimension (e.g. department SALES), valid in some or all entities."""

    model_config = ConfigDict(frozen=True)

    dimension: str
    code: str
    name: str = ""
    status: str = "active"
    parent: str | None = None
    # Empty = valid in every entity (a top-level value); else only in these entities.
    entities: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.status.lower() == "active"

    def valid_in(self, entity: str | None) -> bool:
        return not self.entities or entity is None or entity in self.entities
