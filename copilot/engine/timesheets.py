"""Timesheets as a coding hint: which project an employee worked on in the week of a line.

A company may supply ``extras/timesheets.csv`` (columns employee_id, date YYYY-MM-DD, project_id,
hours, optional billable true/false). For a line with an employee and a date, the hint is the project
with the most billable hours in that ISO week (all hours when the file has no billable column) — the
usual rule for charging an employee's travel and expenses to a client project.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from copilot.errors import ParseError


def _project_hours() -> defaultdict:
    return defaultdict(Decimal)


class Timesheets:
    def __init__(self) -> None:
        # A module-level factory, not a lambda: the company model (and these hours) is pickled.
        self._week: dict[tuple[str, date], dict[str, Decimal]] = defaultdict(_project_hours)

    @staticmethod
    def week_of(on: date) -> date:
        return on - timedelta(days=on.weekday())

    def add(self, employee: str, on: date, project: str, hours: Decimal) -> None:
        self._week[(employee, self.week_of(on))][project] += hours

    def project_for(self, employee: str | None, on: date | None) -> str | None:
        if not employee or on is None:
            return None
        hours = self._week.get((employee, self.week_of(on)))
        if not hours:
            return None
        return max(sorted(hours), key=lambda p: hours[p])

    def __len__(self) -> int:
        return len(self._week)

    @classmethod
    def from_csv(cls, path: Path) -> "Timesheets":
        ts = cls()
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fields = {f.lower(): f for f in reader.fieldnames or []}
            for col in ("employee_id", "date", "project_id", "hours"):
                if col not in fields:
                    raise ParseError(f"missing column {col!r}", line=1, field=col, source=str(path))
            billable = fields.get("billable")
            for i, row in enumerate(reader, start=2):
                if billable and row[billable].strip().lower() not in ("true", "1", "yes", "y"):
                    continue
                try:
                    on = date.fromisoformat(row[fields["date"]].strip())
                    hours = Decimal(row[fields["hours"]].strip())
                except (ValueError, InvalidOperation):
                    raise ParseError("bad date or hours", line=i, field="date/hours", source=str(path)) from None
                emp, proj = row[fields["employee_id"]].strip(), row[fields["project_id"]].strip()
                if emp and proj and hours > 0:
                    ts.add(emp, on, proj, hours)
        return ts


def load_timesheets(company_root: Path) -> Timesheets | None:
    path = company_root / "extras" / "timesheets.csv"
    return Timesheets.from_csv(path) if path.exists() else None
