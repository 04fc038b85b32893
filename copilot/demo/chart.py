"""The demo company's fixed master data: entities, chart of accounts, departments, locations, classes.

Every number here that a policy document states (thresholds, dates, percentages, floor plans) is
the single source for the generator; tests/unit/test_demo.py checks the policies/ text states the same.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from copilot.domain import Account, DimensionValue, Entity

COMPANY_NAME = "demo"

ENTITIES: dict[str, Entity] = {
    "US01": Entity(entity_id="US01", name="Harborview Analytics Inc.", currency="USD", country="US"),
    "UK01": Entity(entity_id="UK01", name="Harborview Analytics Ltd", currency="GBP", country="GB",
                   parent="US01"),
    "DE01": Entity(entity_id="DE01", name="Harborview Analytics GmbH", currency="EUR", country="DE",
                   parent="US01"),
}
CURRENCY = {k: e.currency for k, e in ENTITIES.items()}
VAT_RATE = {"US01": Decimal("0"), "UK01": Decimal("0.20"), "DE01": Decimal("0.19")}

# --- policy facts (policies/*.md) ---------------------------------------------------------------
POLICY_CHANGE = date(2024, 1, 1)  # CP-4.3 (SaaS account) and FA-2.1 (capitalization threshold)
CAP_THRESHOLD_OLD = {"US01": Decimal("2500"), "UK01": Decimal("2000"), "DE01": Decimal("2300")}
CAP_THRESHOLD_NEW = {"US01": Decimal("5000"), "UK01": Decimal("4000"), "DE01": Decimal("4600")}
USEFUL_LIFE_MONTHS = {"1500": 36, "1510": 60, "1520": 60}  # FA-3.1
PREPAID_THRESHOLD_USD = Decimal("10000")  # CP-5.1: annual invoices at or above go to prepaid
MGMT_FEE_SHARE = {"UK01": Decimal("0.15"), "DE01": Decimal("0.10")}  # IC-2.1
MGMT_FEE_MARKUP = Decimal("0.05")  # IC-2.2 cost plus 5 %
IC_TOLERANCE_USD = Decimal("50")  # IC-5.2
GA_DEPARTMENTS = ("EXEC", "FIN", "HR", "LEGAL", "IT")  # IC-2.1 cost pool
STANDARD_COST_RATE = {"US01": Decimal("85"), "UK01": Decimal("62"), "DE01": Decimal("70")}  # CA-5.1 per hour
BILL_RATE = {"US01": Decimal("210"), "UK01": Decimal("165"), "DE01": Decimal("180")}  # PS T&M hourly
MILEAGE_RATE = {"US01": Decimal("0.655"), "UK01": Decimal("0.45"), "DE01": Decimal("0.30")}  # TE-6.1
CLOSE_BUSINESS_DAY = 5  # PC-1.1: a month closes on its 5th following business day
YEAR_END_CLOSE_BUSINESS_DAY = 15  # PC-1.2

# Square footage by department at each office (CA-2.2). Rent and utilities follow it.
FLOOR_PLAN: dict[str, dict[str, int]] = {
    "NYC": {"EXEC": 1800, "FIN": 1600, "HR": 900, "LEGAL": 500, "IT": 900, "FAC": 600, "SALES": 3600,
            "MKTG": 1800, "CS": 1400, "PS": 1500, "SUP": 900, "ENG": 2200, "PROD": 800, "OPS": 500},
    "SFO": {"SALES": 2200, "ENG": 4200, "PROD": 1300, "OPS": 700, "FAC": 300},
    "AUS": {"CS": 1400, "SUP": 1600, "PS": 1200, "FIN": 600, "FAC": 200},
    "LON": {"EXEC": 600, "FIN": 500, "SALES": 2600, "MKTG": 900, "CS": 1200, "PS": 1300, "SUP": 400},
    "MAN": {"SUP": 900, "PS": 900, "CS": 700, "FAC": 100},
    "BER": {"EXEC": 400, "FIN": 300, "ENG": 3000, "PROD": 600, "SALES": 700},
    "MUC": {"SALES": 900, "PS": 900, "FAC": 100},
}

DEPARTMENTS: list[tuple[str, str, str]] = [  # code, title, status
    ("EXEC", "Executive", "active"), ("FIN", "Finance & Accounting", "active"),
    ("HR", "People & Talent", "active"), ("LEGAL", "Legal", "active"), ("IT", "IT & Security", "active"),
    ("FAC", "Facilities & Workplace", "active"), ("SALES", "Sales", "active"), ("MKTG", "Marketing", "active"),
    ("CS", "Customer Success", "active"), ("PS", "Professional Services", "active"),
    ("SUP", "Customer Support", "active"), ("ENG", "Engineering", "active"), ("PROD", "Product", "active"),
    ("OPS", "Cloud Operations", "active"), ("BIZOPS", "Business Operations (merged into FIN 2022)", "inactive"),
]
LOCATIONS: list[tuple[str, str, str, str]] = [  # code, name, entity, status
    ("NYC", "New York (HQ)", "US01", "active"), ("SFO", "San Francisco", "US01", "active"),
    ("AUS", "Austin", "US01", "active"), ("USR", "US Remote", "US01", "active"),
    ("BOS", "Boston (closed 2022)", "US01", "inactive"),
    ("LON", "London", "UK01", "active"), ("MAN", "Manchester", "UK01", "active"),
    ("BER", "Berlin", "DE01", "active"), ("MUC", "Munich", "DE01", "active"),
]
HQ_LOCATION = {"US01": "NYC", "UK01": "LON", "DE01": "BER"}
CLASSES = [("PLAT", "Platform"), ("ANLY", "Analytics Add-on"), ("SVCS", "Services"), ("CORP", "Corporate")]
CHANNELS = [("DIRECT", "Direct sales"), ("PARTNER", "Partner / reseller"), ("ONLINE", "Online self-serve")]

_OPEX = frozenset({"department", "location"})
_TRAVEL = _OPEX | {"employee"}
_MKTG = _OPEX | {"channel"}
_REV = frozenset({"customer", "location", "class", "channel"})
_COGS = _OPEX | {"class"}

# account_no, title, type (B/I), normal (D/C), required dims, status, category
_CHART: list[tuple[str, str, str, str, frozenset[str], str, str]] = [
    ("1000", "Cash - Operating", "B", "D", frozenset({"location"}), "active", "Cash"),
    ("1010", "Cash - Payroll", "B", "D", frozenset({"location"}), "active", "Cash"),
    ("1020", "Cash - Money Market", "B", "D", frozenset(), "active", "Cash"),
    ("1090", "Petty Cash", "B", "D", frozenset(), "inactive", "Cash"),
    ("1100", "Accounts Receivable", "B", "D", frozenset({"customer"}), "active", "Receivables"),
    ("1110", "Allowance for Doubtful Accounts", "B", "C", frozenset(), "active", "Receivables"),
    ("1150", "Unbilled Receivables", "B", "D", frozenset({"customer"}), "active", "Receivables"),
    ("1200", "Prepaid Expenses", "B", "D", frozenset(), "active", "Prepaids"),
    ("1210", "Prepaid Insurance", "B", "D", frozenset(), "active", "Prepaids"),
    ("1250", "Employee Advances", "B", "D", frozenset({"employee"}), "active", "Other current assets"),
    ("1310", "Due From US01", "B", "D", frozenset(), "active", "Intercompany"),
    ("1320", "Due From UK01", "B", "D", frozenset(), "active", "Intercompany"),
    ("1330", "Due From DE01", "B", "D", frozenset(), "active", "Intercompany"),
    ("1400", "VAT Receivable (Input VAT)", "B", "D", frozenset(), "active", "Other current assets"),
    ("1500", "Computer Equipment", "B", "D", frozenset({"location"}), "active", "Fixed assets"),
    ("1510", "Furniture & Fixtures", "B", "D", frozenset({"location"}), "active", "Fixed assets"),
    ("1520", "Leasehold Improvements", "B", "D", frozenset({"location"}), "active", "Fixed assets"),
    ("1590", "Accumulated Depreciation", "B", "C", frozenset({"location"}), "active", "Fixed assets"),
    ("1600", "Security Deposits", "B", "D", frozenset({"location"}), "active", "Other assets"),
    ("2000", "Accounts Payable", "B", "C", frozenset({"vendor"}), "active", "Payables"),
    ("2050", "Accrued Expenses", "B", "C", frozenset(), "active", "Accruals"),
    ("2100", "Accrued Payroll & Bonus", "B", "C", frozenset(), "active", "Accruals"),
    ("2110", "Payroll Taxes Payable", "B", "C", frozenset(), "active", "Payroll liabilities"),
    ("2120", "Benefits Payable", "B", "C", frozenset(), "active", "Payroll liabilities"),
    ("2150", "Corporate Card Payable", "B", "C", frozenset(), "active", "Payables"),
    ("2200", "Sales Tax Payable", "B", "C", frozenset(), "active", "Tax liabilities"),
    ("2210", "VAT Payable (Output VAT)", "B", "C", frozenset(), "active", "Tax liabilities"),
    ("2300", "Deferred Revenue", "B", "C", frozenset({"customer", "class"}), "active", "Deferred revenue"),
    ("2310", "Due To US01", "B", "C", frozenset(), "active", "Intercompany"),
    ("2320", "Due To UK01", "B", "C", frozenset(), "active", "Intercompany"),
    ("2330", "Due To DE01", "B", "C", frozenset(), "active", "Intercompany"),
    ("2400", "Employee Reimbursements Payable", "B", "C", frozenset({"employee"}), "active", "Payables"),
    ("2500", "Income Taxes Payable", "B", "C", frozenset(), "active", "Tax liabilities"),
    ("2700", "Term Loan (repaid 2021)", "B", "C", frozenset(), "inactive", "Long-term debt"),
    ("3000", "Common Stock", "B", "C", frozenset(), "active", "Equity"),
    ("3100", "Additional Paid-in Capital", "B", "C", frozenset(), "active", "Equity"),
    ("3200", "Retained Earnings", "B", "C", frozenset(), "active", "Equity"),
    ("4000", "Subscription Revenue", "I", "C", _REV, "active", "Revenue"),
    ("4100", "Professional Services Revenue", "I", "C", _REV | {"project"}, "active", "Revenue"),
    ("4200", "Training Revenue", "I", "C", _REV, "active", "Revenue"),
    ("4300", "Intercompany Service Income", "I", "C", frozenset({"location"}), "active", "Intercompany"),
    ("4900", "Hardware Resale Revenue", "I", "C", _REV, "inactive", "Revenue"),
    ("5000", "Cloud Hosting - Production", "I", "D", _COGS, "active", "Cost of revenue"),
    ("5100", "Third-party Data & Royalties", "I", "D", _COGS, "active", "Cost of revenue"),
    ("5200", "Subcontractor Costs", "I", "D", _COGS | {"project"}, "active", "Cost of revenue"),
    ("5250", "Cost of Services - Labor", "I", "D", _COGS | {"project"}, "active", "Cost of revenue"),
    ("5400", "Payment Processing Fees", "I", "D", _COGS, "active", "Cost of revenue"),
    ("6000", "Salaries & Wages", "I", "D", _OPEX, "active", "Personnel"),
    ("6010", "Bonuses & Commissions", "I", "D", _OPEX, "active", "Personnel"),
    ("6020", "Payroll Taxes", "I", "D", _OPEX, "active", "Personnel"),
    ("6030", "Employee Benefits", "I", "D", _OPEX, "active", "Personnel"),
    ("6040", "Retirement Plan Contributions", "I", "D", _OPEX, "active", "Personnel"),
    ("6100", "Travel - Airfare & Rail", "I", "D", _TRAVEL, "active", "Travel"),
    ("6110", "Travel - Lodging", "I", "D", _TRAVEL, "active", "Travel"),
    ("6120", "Travel - Ground Transportation", "I", "D", _TRAVEL, "active", "Travel"),
    ("6130", "Meals & Entertainment", "I", "D", _TRAVEL, "active", "Travel"),
    ("6140", "Staff Meals & Team Events", "I", "D", _OPEX, "active", "Personnel"),
    ("6200", "Rent", "I", "D", _OPEX, "active", "Occupancy"),
    ("6210", "Utilities", "I", "D", _OPEX, "active", "Occupancy"),
    ("6220", "Facility Services & Repairs", "I", "D", _OPEX, "active", "Occupancy"),
    ("6230", "Office Supplies", "I", "D", _OPEX, "active", "Office"),
    ("6240", "Postage & Shipping", "I", "D", _OPEX, "active", "Office"),
    ("6300", "Telecom & Internet", "I", "D", _OPEX, "active", "Office"),
    ("6400", "Software Licenses & Maintenance", "I", "D", _OPEX, "active", "Technology"),
    ("6410", "SaaS Subscriptions", "I", "D", _OPEX, "active", "Technology"),
    ("6420", "Cloud Hosting - Development", "I", "D", _OPEX, "active", "Technology"),
    ("6450", "Non-capitalized Equipment & Furniture", "I", "D", _OPEX, "active", "Technology"),
    ("6500", "Accounting, Audit & Payroll Services", "I", "D", _OPEX, "active", "Professional fees"),
    ("6510", "Legal Fees", "I", "D", _OPEX, "active", "Professional fees"),
    ("6520", "Consulting Fees", "I", "D", _OPEX, "active", "Professional fees"),
    ("6530", "Recruiting Fees", "I", "D", _OPEX, "active", "Personnel"),
    ("6600", "Marketing - Digital Advertising", "I", "D", _MKTG, "active", "Marketing"),
    ("6610", "Marketing - Events & Trade Shows", "I", "D", _MKTG, "active", "Marketing"),
    ("6620", "Marketing - Agencies & Content", "I", "D", _MKTG, "active", "Marketing"),
    ("6700", "Insurance", "I", "D", _OPEX, "active", "Insurance"),
    ("6710", "Bank Fees", "I", "D", _OPEX, "active", "Finance costs"),
    ("6720", "Dues & Memberships", "I", "D", _OPEX, "active", "Office"),
    ("6730", "Training & Education", "I", "D", _OPEX, "active", "Personnel"),
    ("6740", "Taxes, Licenses & Permits", "I", "D", _OPEX, "active", "Office"),
    ("6800", "Depreciation Expense", "I", "D", _OPEX, "active", "Depreciation"),
    ("6900", "R&D Materials & Prototypes", "I", "D", _OPEX | {"project"}, "active", "Research"),
    ("6910", "Bad Debt Expense", "I", "D", _OPEX, "active", "Finance costs"),
    ("6950", "Intercompany Service Fees", "I", "D", _OPEX, "active", "Intercompany"),
    ("6990", "Miscellaneous Expense (retired 2022)", "I", "D", _OPEX, "inactive", "Other"),
    ("7100", "Interest Income", "I", "C", frozenset({"location"}), "active", "Other income"),
    ("7200", "Foreign Exchange Gain/Loss", "I", "D", frozenset({"location"}), "active", "Other income"),
    ("8000", "Income Tax Expense", "I", "D", frozenset({"location"}), "active", "Taxes"),
    ("9999", "Suspense / Clearing", "B", "D", frozenset(), "active", "Suspense"),
]


def build_accounts() -> dict[str, Account]:
    accounts = {}
    for no, title, kind, normal, req, status, category in _CHART:
        accounts[no] = Account(
            account_no=no, title=title, status=status, category=category,
            account_type="balancesheet" if kind == "B" else "incomestatement",
            normal_balance="debit" if normal == "D" else "credit", required_dimensions=req)
    return accounts


def build_dimensions() -> dict[str, dict[str, DimensionValue]]:
    dims: dict[str, dict[str, DimensionValue]] = {"department": {}, "location": {}, "class": {}, "channel": {}}
    for code, title, status in DEPARTMENTS:
        dims["department"][code] = DimensionValue(dimension="department", code=code, name=title, status=status)
    for code, name, entity, status in LOCATIONS:
        dims["location"][code] = DimensionValue(dimension="location", code=code, name=name, status=status,
                                                entities=(entity,))
    for code, name in CLASSES:
        dims["class"][code] = DimensionValue(dimension="class", code=code, name=name)
    for code, name in CHANNELS:
        dims["channel"][code] = DimensionValue(dimension="channel", code=code, name=name)
    return dims


def cap_threshold(entity: str, on: date) -> Decimal:
    """FA-2.1: per-unit capitalization threshold in the entity's currency, by acquisition date."""
    return (CAP_THRESHOLD_NEW if on >= POLICY_CHANGE else CAP_THRESHOLD_OLD)[entity]


def saas_account(on: date) -> str:
    """CP-4.2 / CP-4.3: SaaS subscriptions moved from 6400 to 6410 on POLICY_CHANGE."""
    return "6410" if on >= POLICY_CHANGE else "6400"


def entity_locations(entity: str) -> list[str]:
    return [code for code, _n, ent, status in LOCATIONS if ent == entity and status == "active"]
