"""Driver values per target: written in the rule, or computed from the company's own data.

Computed drivers read what a company has: employees (with hire and leave dates when the HR table
extras/employees.csv is there, else the EMPLOYEE records' current status), revenue postings of the
period, and timesheet hours (extras/timesheets.csv). Each result says where its numbers came from.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from copilot.allocation.books import Books, Period
from copilot.allocation.rules import Rule
from copilot.errors import InputError


@dataclass
class Drivers:
    values: dict[str, Decimal]
    source: str
    notes: list[str] = field(default_factory=list)


def _read_csv(path: Path) -> list[dict[str, str]]:
    st = path.stat()
    return _read_csv_cached(str(path), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=8)
def _read_csv_cached(path: str, _mtime: int, _size: int) -> list[dict[str, str]]:
    # A month-end run reads the same HR and timesheet tables for every rule: read each once per version.
    with open(path, encoding="utf-8", newline="") as fh:
        return [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def _day(text: str, path: Path, line: int, column: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{path}: line {line}: {column} must be a date YYYY-MM-DD, got {text!r}",
                         field=column) from None


def _matches(row: dict[str, str], wanted: dict[str, str]) -> bool:
    return all(row.get(k, "").lower() == str(v).lower() for k, v in wanted.items())


def employees_at(books: Books, on: date, wanted: dict[str, str]) -> tuple[list[dict[str, str]], str]:
    """Employees active on ``on`` matching ``wanted`` (entity, department, location...)."""
    path = books.extras_file("employees.csv")
    if path is not None:
        out = []
        for n, row in enumerate(_read_csv(path), start=2):
            hired = _day(row.get("hired", ""), path, n, "hired")
            left = _day(row.get("left", ""), path, n, "left")
            if hired is not None and hired > on or left is not None and left < on:
                continue
            if _matches(row, wanted):
                out.append(row)
        return out, f"{path.name} (active on {on.isoformat()})"
    rows = []
    for e in books.company.employees.values():
        if not e.status.lower() == "active":
            continue
        row = {"employee_id": e.employee_id, "department": e.department or "", "location": e.location or ""}
        if "entity" in wanted:
            # EMPLOYEE has no entity field in the model; an entity-owned location tells it.
            loc = books.company.dimension_value("location", row["location"]) if row["location"] else None
            row["entity"] = loc.entities[0] if loc is not None and len(loc.entities) == 1 else ""
        if _matches(row, wanted):
            rows.append(row)
    return rows, "EMPLOYEE records (current status: no hire/leave dates available)"


def _count(rows: list[dict[str, str]], column: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for row in rows:
        code = row.get(column, "")
        if code:
            out[code] = out.get(code, Decimal(0)) + 1
    return out


def headcount(rule: Rule, books: Books, period: Period) -> Drivers:
    dim = rule.target.dimension
    if dim not in ("department", "location"):
        raise InputError(f"rule {rule.id}: headcount by {dim} is not in the employee data; write the drivers "
                         "in the rule (drivers: {CODE: number})", field="drivers")
    wanted = {"entity": rule.entity, **rule.driver_filter}
    rows, source = employees_at(books, period.end, wanted)
    return Drivers(_count(rows, dim), f"headcount from {source}")


def entity_headcount_share(rule: Rule, books: Books, period: Period) -> tuple[Decimal, str]:
    """CA-3.2: the entity's headcount over the group's, at period end."""
    group, source = employees_at(books, period.end, {})
    mine = [r for r in group if r.get("entity", "").lower() == rule.entity.lower()]
    if not group:
        raise InputError(f"rule {rule.id}: no employees on {period.end} to compute the {rule.entity} share",
                         field="pool.scale")
    return Decimal(len(mine)) / Decimal(len(group)), f"{len(mine)} of {len(group)} employees ({source})"


def revenue(rule: Rule, books: Books, period: Period) -> Drivers:
    dim = rule.target.dimension
    accounts = set(rule.driver_accounts or [a.account_no for a in books.company.accounts.values()
                                             if a.category.lower() == "revenue"])
    if not accounts:
        raise InputError(f"rule {rule.id}: no revenue accounts (set driver_accounts or give accounts the "
                         "category Revenue)", field="driver_accounts")
    values: dict[str, Decimal] = {}
    without = 0
    for p in books.between(period.start, period.end, rule.entity):
        if p.account_no not in accounts:
            continue
        if not _matches(p.dims, rule.driver_filter):
            continue
        code = p.dims.get(dim)
        if not code:
            without += 1
            continue
        values[code] = values.get(code, Decimal(0)) - p.signed_amount  # revenue is a credit
    notes = [f"{without} revenue lines without a {dim} were not counted"] if without else []
    negative = sorted(c for c, v in values.items() if v < 0)
    if negative:
        notes.append(f"net negative revenue left out: {', '.join(negative)}")
        for c in negative:
            values[c] = Decimal(0)
    accts = ", ".join(sorted(accounts))
    return Drivers(values, f"revenue of {period} on {accts} in {rule.entity}", notes)


def hours(rule: Rule, books: Books, period: Period) -> Drivers:
    path = books.extras_file("timesheets.csv")
    if path is None:
        raise InputError(f"rule {rule.id}: basis hours needs timesheets (timesheets.csv in the company "
                         "directory or extras/), or drivers written in the rule", field="basis")
    dim = rule.target.dimension
    column = {"project": "project_id", "employee": "employee_id"}.get(dim)
    dept_of: dict[str, str] = {}
    if dim == "department":
        staff, _ = employees_at(books, period.end, {})
        dept_of = {r["employee_id"]: r.get("department", "") for r in staff}
        emp_file = books.extras_file("employees.csv")
        if emp_file is not None:  # people who left during the period still logged hours
            dept_of = {r["employee_id"]: r.get("department", "") for r in _read_csv(emp_file)}
    elif column is None:
        raise InputError(f"rule {rule.id}: hours by {dim} are not in the timesheets (project, employee or "
                         "department)", field="target.dimension")
    wanted = {"entity": rule.entity, **rule.driver_filter}
    values: dict[str, Decimal] = {}
    for n, row in enumerate(_read_csv(path), start=2):
        day = _day(row.get("date", ""), path, n, "date")
        if day is None or not period.contains(day) or not _matches(row, wanted):
            continue
        try:
            h = Decimal(row.get("hours", "0") or "0")
        except InvalidOperation:
            raise InputError(f"{path}: line {n}: hours must be a number, got {row.get('hours')!r}",
                             field="hours") from None
        code = dept_of.get(row.get("employee_id", ""), "") if dim == "department" else row.get(column, "")
        if code:
            values[code] = values.get(code, Decimal(0)) + h
    return Drivers(values, f"timesheet hours of {period} ({path.name})")


def compute(rule: Rule, books: Books, period: Period) -> Drivers:
    """Drivers for ``rule`` in ``period``, restricted to ``target.codes`` when given."""
    if rule.drivers:
        drivers = Drivers(dict(rule.drivers), f"{rule.basis.replace('_', ' ')} drivers written in the rule")
    elif rule.basis == "headcount":
        drivers = headcount(rule, books, period)
    elif rule.basis == "revenue":
        drivers = revenue(rule, books, period)
    elif rule.basis == "hours":
        drivers = hours(rule, books, period)
    else:  # the rule model refuses square_footage/fixed without drivers
        raise InputError(f"rule {rule.id}: basis {rule.basis} needs drivers", field="drivers")
    if rule.target.codes is not None:
        wanted = rule.target.codes
        drivers.values = {c: drivers.values.get(c, Decimal(0)) for c in wanted}
    return drivers
