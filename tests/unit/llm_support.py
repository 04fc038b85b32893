"""A small company, a travel line and the evidence the engine would pass for it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from copilot.domain import Account, Company, DimensionCombination, DimensionValue
from copilot.domain.master import Employee, Entity, Vendor
from copilot.domain.suggestions import Evidence, RankedCoding, SuggestionRequest

TRAVEL = DimensionCombination(account_no="6100", dims={"department": "SALES", "location": "NYC"})
MEALS = DimensionCombination(account_no="6200", dims={"department": "SALES", "location": "NYC"})
TRAVEL_OPS = DimensionCombination(account_no="6100", dims={"department": "OPS", "location": "NYC"})


def company() -> Company:
    dims = {
        "department": {c: DimensionValue(dimension="department", code=c, name=n)
                       for c, n in [("SALES", "Sales"), ("OPS", "Operations"), ("FIN", "Finance")]},
        "location": {c: DimensionValue(dimension="location", code=c, name=n)
                     for c, n in [("NYC", "New York"), ("LDN", "London")]},
    }
    accounts = {a: Account(account_no=a, title=t) for a, t in
                [("6100", "Travel"), ("6200", "Meals and Entertainment"), ("6300", "Software"),
                 ("9999", "Suspense")]}
    return Company(name="acme", entities={"US01": Entity(entity_id="US01", name="Acme US")},
                   accounts=accounts, dimensions=dims,
                   vendors={"V-DELTA": Vendor(vendor_id="V-DELTA", name="Delta Air Lines")},
                   employees={"E-7": Employee(employee_id="E-7", name="Dana Reyes")})


def request(amount: str = "1180.00", memo: str = "Delta flight NYC-SFO client visit") -> SuggestionRequest:
    return SuggestionRequest(entity="US01", vendor="V-DELTA", memo=memo, amount=Decimal(amount),
                             entry_date=date(2024, 3, 3), employee="E-7")


def evidence() -> list[Evidence]:
    ev = []
    for i in range(14):
        ev.append(Evidence(kind="posting", ref=f"GL-{10400 + i}", text="Delta airfare", score=0.9,
                           data={"date": date(2024, 2, 1 + i), "amount": Decimal("1100.00") + i,
                                 "combo": TRAVEL.key, "vendor": "V-DELTA"}))
    ev.append(Evidence(kind="posting", ref="GL-10500", text="Delta lounge lunch", score=0.7,
                       data={"date": "2024-01-15", "amount": "84.20", "combo": MEALS.key, "vendor": "V-DELTA"}))
    ev.append(Evidence(kind="posting", ref="GL-10501", text="Delta flight ops", score=0.6,
                       data={"date": "2024-01-20", "amount": "990.00", "combo": TRAVEL_OPS.key,
                             "vendor": "V-DELTA"}))
    ev.append(Evidence(kind="vendor_history", ref="V-DELTA", text="",
                       data={"vendor_name": "Delta Air Lines", "total": 41,
                             "by_combo": {TRAVEL.key: 37, MEALS.key: 3, TRAVEL_OPS.key: 1},
                             "top_share": 0.902}))
    ev.append(Evidence(kind="policy", ref="TE-2.1", text="Airfare is coded to 6100 Travel with the "
                       "traveller's department.", score=0.8))
    ev.append(Evidence(kind="amount", ref="6100", text="",
                       data={"median": Decimal("950.00"), "p05": Decimal("180.00"), "p95": Decimal("2400.00"),
                             "n": 212}))
    return ev


def codings() -> list[RankedCoding]:
    return [
        RankedCoding(combination=TRAVEL, confidence=0.82,
                     evidence_ids=["posting:GL-10400", "vendor_history:V-DELTA", "policy:TE-2.1", "amount:6100"]),
        RankedCoding(combination=MEALS, confidence=0.11, evidence_ids=["posting:GL-10500"]),
        RankedCoding(combination=TRAVEL_OPS, confidence=0.05, evidence_ids=["posting:GL-10501"]),
    ]


def engine_shaped() -> tuple[list[RankedCoding], list[Evidence]]:
    """Evidence as copilot/engine/engine.py builds it: a few postings per coding carrying the neighbour
    counts, vendor shares of a recency-weighted total, amount z-scores keyed by coding, a bare
    timesheet hint, and codings that carry the typed counterparties (vendor, employee)."""
    counterparties = {"vendor": "V-DELTA", "employee": "E-7"}
    travel = DimensionCombination(account_no="6100", dims={**TRAVEL.dims, **counterparties})
    meals = DimensionCombination(account_no="6200", dims={**MEALS.dims, **counterparties})
    ev = [Evidence(kind="posting", ref=f"GL-{10400 + i}", text="Delta airfare", score=0.91,
                   data={"date": f"2024-02-0{i + 1}", "amount": Decimal("1100.00") + i, "combo": TRAVEL.key,
                         "vendor": "V-DELTA", "similar_count": 44, "neighbours": 50}) for i in range(3)]
    ev.append(Evidence(kind="posting", ref="GL-10500", text="Delta lounge lunch", score=0.7,
                       data={"date": "2024-01-15", "amount": Decimal("84.20"), "combo": MEALS.key,
                             "vendor": "V-DELTA", "similar_count": 4, "neighbours": 50}))
    ev.append(Evidence(kind="vendor_history", ref="V-DELTA", text="",
                       data={"vendor_name": "Delta Air Lines", "total": 40.63,
                             "by_combo": {TRAVEL.key: 0.9024, MEALS.key: 0.0731}, "top_share": 0.9024}))
    ev.append(Evidence(kind="amount", ref=TRAVEL.key, text="",
                       data={"n": 212, "typical_log10_mean": 2.978, "z": 3.41}))
    ev.append(Evidence(kind="amount", ref=MEALS.key, text="",
                       data={"n": 31, "typical_log10_mean": 1.93, "z": 1.2}))
    ev.append(Evidence(kind="timesheet", ref="P-100", text="", data={"employee": "E-7"}))
    ev.append(Evidence(kind="policy", ref="TE-2.1", text="Airfare is coded to 6100 Travel.", score=0.8))
    ev.append(Evidence(kind="policy", ref="TE-4", text="Client entertainment over $250 needs a guest list.",
                       score=0.5))
    every = [e.id for e in ev]
    return ([RankedCoding(combination=travel, confidence=0.87, evidence_ids=every),
             RankedCoding(combination=meals, confidence=0.08, evidence_ids=every)], ev)
