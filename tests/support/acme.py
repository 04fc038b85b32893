"""A small company whose right coding depends on vendor AND memo, in two entities."""

import random
from datetime import date, timedelta

from copilot.domain import Account, Company, DimensionValue, Entity, Posting, Vendor

DEPTS = ["SALES", "ENG", "G&A"]


def make_company() -> Company:
    dv = lambda d, c, ents=(): DimensionValue(dimension=d, code=c, name=c.title(), entities=ents)  # noqa: E731
    return Company(
        name="acme",
        entities={"US": Entity(entity_id="US", name="Acme US"), "UK": Entity(entity_id="UK", name="Acme UK", currency="GBP")},
        accounts={
            "6100": Account(account_no="6100", title="Travel", required_dimensions=frozenset({"department", "location"})),
            "6110": Account(account_no="6110", title="Meals and Entertainment", required_dimensions=frozenset({"department", "location"})),
            "6400": Account(account_no="6400", title="Software Subscriptions", required_dimensions=frozenset({"department"})),
            "6500": Account(account_no="6500", title="Office Supplies", required_dimensions=frozenset({"department", "location"})),
            "6900": Account(account_no="6900", title="Legacy Expense", status="inactive"),
        },
        dimensions={
            "department": {d: dv("department", d) for d in DEPTS},
            "location": {"NYC": dv("location", "NYC", ("US",)), "LON": dv("location", "LON", ("UK",))},
        },
        vendors={v: Vendor(vendor_id=v, name=n) for v, n in [
            ("V1", "Delta Air Lines"), ("V2", "Staples"), ("V3", "Atlassian"), ("V4", "Pret A Manger")]},
    )


RULES = [  # vendor, memo words, account, department
    ("V1", "airfare client visit", "6100", "SALES"),
    ("V1", "airfare conference engineering", "6100", "ENG"),
    ("V2", "printer paper toner", "6500", "G&A"),
    ("V2", "team lunch catering", "6110", "SALES"),
    ("V3", "jira confluence licences", "6400", "ENG"),
    ("V4", "client lunch", "6110", "SALES"),
]


def make_postings(n: int = 1500, seed: int = 1) -> list[Posting]:
    rng = random.Random(seed)
    out = []
    start = date(2024, 1, 1)
    for i in range(n):
        vendor, memo, acct, dept = rng.choice(RULES)
        entity = "US" if rng.random() < 0.7 else "UK"
        loc = "NYC" if entity == "US" else "LON"
        dims = {"department": dept, "vendor": vendor}
        if acct != "6400":
            dims["location"] = loc
        out.append(Posting(record_no=f"R{i}", entity=entity, entry_date=start + timedelta(days=i // 5),
                           account_no=acct, amount=f"{rng.randint(20, 900)}.00", memo=f"{memo} inv {rng.randint(1000, 9999)}",
                           dims=dims))
    return out


