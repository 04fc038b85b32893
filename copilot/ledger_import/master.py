"""Master data derived from a ledger: every distinct account, dimension value, vendor and entity seen.

A CSV ledger has no chart of accounts or vendor list of its own; the codes it uses are the master
data (all active). When one code appears with several titles, the most frequent title wins and the
disagreement is reported, so a typo in a few rows cannot rename an account.
"""

from __future__ import annotations

from collections import Counter

from copilot.domain.dimensions import DimensionValue
from copilot.domain.master import Account, Company, Customer, Employee, Entity, Project, Vendor
from copilot.errors import CopilotError
from copilot.ledger_import.values import derive_code, normalize_name

# Kinds of things counted besides dimensions ('@' keeps them apart from any dimension key).
ACCOUNT, ENTITY, CURRENCY = "@account", "@entity", "@currency"


class MasterBuilder:
    def __init__(self) -> None:
        # (kind, code, title) -> rows. One flat dict, so the reader counts with no call per row.
        # For CURRENCY the code is the entity and the title its currency.
        self.seen: dict[tuple[str, str, str], int] = {}
        self.derived: dict[str, dict[str, str]] = {}  # dimension -> raw name -> code
        self._owners: dict[tuple[str, str], str] = {}  # (dimension, derived code) -> normalized name

    def derive(self, dimension: str, name: str) -> str:
        """A stable code for a name; two different names never share one (checked, not assumed)."""
        known = self.derived.setdefault(dimension, {})
        code = known.get(name)
        if code is None:
            code = derive_code(name)
            norm = normalize_name(name)
            owner = self._owners.setdefault((dimension, code), norm)
            if owner != norm:
                raise CopilotError(f"{dimension}: names {owner!r} and {norm!r} derive the same code "
                                   f"{code!r}; give the mapping a code column for {dimension}")
            known[name] = code
        return code

    def titles(self) -> dict[str, dict[str, dict[str, int]]]:
        """kind -> code -> title -> rows."""
        out: dict[str, dict[str, dict[str, int]]] = {}
        for (kind, code, title), n in self.seen.items():
            if code:
                titles = out.setdefault(kind, {}).setdefault(code, {})
                titles[title] = titles.get(title, 0) + n
        return out

    def finish(self, name: str, *, country: str = "US") -> tuple[Company, list[str]]:
        """The company, plus notes about codes seen with conflicting titles."""
        notes: list[str] = []
        seen = self.titles()
        company = Company(name=name)
        currencies = seen.pop(CURRENCY, {})
        for code, titles in sorted(seen.pop(ENTITY, {}).items()):
            used = Counter({c: n for c, n in currencies.get(code, {}).items() if c})
            extra = {"currency": used.most_common(1)[0][0]} if used else {}
            company.entities[code] = Entity(entity_id=code, name=_title(titles, code, "entity", notes),
                                            country=country, **extra)
        for code, titles in sorted(seen.pop(ACCOUNT, {}).items()):
            company.accounts[code] = Account(account_no=code, title=_title(titles, code, "account", notes))
        for key in sorted(seen):
            for code, titles in sorted(seen[key].items()):
                title = _title(titles, code, key, notes)
                if key == "vendor":
                    company.vendors[code] = Vendor(vendor_id=code, name=title)
                elif key == "customer":
                    company.customers[code] = Customer(customer_id=code, name=title)
                elif key == "employee":
                    company.employees[code] = Employee(employee_id=code, name=title)
                elif key == "project":
                    company.projects[code] = Project(project_id=code, name=title)
                else:
                    company.dimensions.setdefault(key, {})[code] = DimensionValue(
                        dimension=key, code=code, name=title)
        conflicts = len(notes)
        if conflicts > 10:
            notes = notes[:10] + [f"... and {conflicts - 10} more codes with several titles"]
        return company, notes


def _title(titles: dict[str, int], code: str, what: str, notes: list[str]) -> str:
    """Most frequent non-empty title; ties go to the first seen (Counter keeps insertion order)."""
    named = [(t, n) for t, n in Counter(titles).most_common() if t]
    if not named:
        return code
    # Spellings that differ only in case or spacing (AMAZON / Amazon) are one name, not a conflict.
    if len({normalize_name(t) for t, _ in named}) > 1:
        shown = ", ".join(f"{t!r} ({n})" for t, n in named[:3])
        notes.append(f"{what} {code} has {len(named)} titles: {shown}; kept {named[0][0]!r}")
    return named[0][0]
