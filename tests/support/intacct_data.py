"""A small, deterministic Intacct company for the test server.

Rows are dicts keyed by Intacct's XML field names (the readByQuery/GLDETAIL read forms of FORMATS.md
section 2.3), values are strings exactly as the XML carries them. The REST flavour of the simulator
derives its JSON records from these same rows, so both APIs serve the same company.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

MODIFIED = "01/15/2024 09:30:00"


def _master() -> dict[str, list[dict[str, str]]]:
    accounts = [
        ("1000", "Operating Cash", "balancesheet", "debit", {}),
        ("2000", "Accounts Payable", "balancesheet", "credit", {}),
        ("2100", "Accrued Liabilities", "balancesheet", "credit", {}),
        ("6000", "Office Supplies", "incomestatement", "debit", {"REQUIREDEPT": "true"}),
        ("6100", "Travel", "incomestatement", "debit", {"REQUIREDEPT": "true", "REQUIRELOC": "true"}),
        ("6200", "Software Subscriptions", "incomestatement", "debit", {}),
        ("6300", "Professional Fees", "incomestatement", "debit", {"REQUIREPROJECT": "true"}),
        ("7000", "Marketing", "incomestatement", "debit", {"REQUIREDEPT": "true"}),
        ("6999", "Old Suspense", "incomestatement", "debit", {}),
    ]
    glaccount = []
    for i, (no, title, typ, bal, req) in enumerate(accounts, start=1):
        row = {"RECORDNO": str(i), "ACCOUNTNO": no, "TITLE": title, "ACCOUNTTYPE": typ,
               "NORMALBALANCE": bal, "CLOSINGTYPE": "non-closing account", "CATEGORY": "",
               "STATUS": "inactive" if no == "6999" else "active",
               "REQUIREDEPT": "false", "REQUIRELOC": "false", "REQUIREPROJECT": "false",
               "WHENMODIFIED": MODIFIED}
        row.update(req)
        glaccount.append(row)
    department = [
        {"RECORDNO": str(i), "DEPARTMENTID": d, "TITLE": t, "PARENTID": "", "STATUS": "active",
         "WHENMODIFIED": MODIFIED}
        for i, (d, t) in enumerate([("ADMIN", "Administration"), ("SALES", "Sales"), ("ENG", "Engineering")], 1)
    ]
    location = [
        {"RECORDNO": str(i), "LOCATIONID": l, "NAME": n, "PARENTID": "", "STATUS": "active", "CURRENCY": "USD",
         "WHENMODIFIED": MODIFIED}
        for i, (l, n) in enumerate([("100", "New York"), ("200", "London")], 1)
    ]
    project = [
        {"RECORDNO": "1", "PROJECTID": "P100", "NAME": "Website Rebuild", "PROJECTSTATUS": "In Progress",
         "STATUS": "active", "CUSTOMERID": "C100", "DEPARTMENTID": "ENG", "LOCATIONID": "100",
         "BUDGETAMOUNT": "50000.00", "WHENMODIFIED": MODIFIED},
    ]
    klass = [{"RECORDNO": "1", "CLASSID": "RETAIL", "NAME": "Retail", "DESCRIPTION": "", "STATUS": "active",
              "WHENMODIFIED": MODIFIED}]
    vendor = [
        {"RECORDNO": str(i), "VENDORID": v, "NAME": n, "STATUS": "active", "VENDTYPE": "", "APACCOUNT": "2000",
         "WHENMODIFIED": MODIFIED}
        for i, (v, n) in enumerate([("V100", "Staples"), ("V200", "Delta Air Lines"), ("V300", "Amazon Web Services"),
                                    ("V400", "Baker & Co LLP")], 1)
    ]
    customer = [{"RECORDNO": "1", "CUSTOMERID": "C100", "NAME": "Acme Retail", "STATUS": "active",
                 "WHENMODIFIED": MODIFIED}]
    employee = [{"RECORDNO": "1", "EMPLOYEEID": "E100", "PERSONALINFO.CONTACTNAME": "Jane Doe",
                 "DEPARTMENTID": "SALES", "LOCATIONID": "100", "STATUS": "active", "WHENMODIFIED": MODIFIED}]
    # A single-entity company: the entity object exists but has no rows.
    return {"LOCATIONENTITY": [], "GLACCOUNT": glaccount, "DEPARTMENT": department, "LOCATION": location, "PROJECT": project,
            "CLASS": klass, "VENDOR": vendor, "CUSTOMER": customer, "EMPLOYEE": employee}


# (vendor, account, department, location, project, memo words)
_PATTERNS = [
    ("V100", "6000", "ADMIN", "100", "", ["Printer paper", "Toner cartridges", "Office supplies"]),
    ("V200", "6100", "SALES", "100", "", ["Flight to client meeting", "Airfare conference", "Travel JFK-LHR"]),
    ("V300", "6200", "ENG", "200", "", ["AWS monthly hosting", "Cloud compute invoice", "S3 storage"]),
    ("V400", "6300", "ADMIN", "100", "P100", ["Legal review", "Consulting hours website", "Audit fees"]),
]


def gldetail_rows(count: int, *, start_recordno: int = 1, start_date: date = date(2024, 1, 2),
                  seed: int = 11) -> list[dict[str, str]]:
    """``count`` GLDETAIL lines (an even number: each batch is one expense debit + one AP credit)."""
    rng = random.Random(seed + start_recordno)
    rows: list[dict[str, str]] = []
    recordno = start_recordno
    batch = 1000 + start_recordno
    while len(rows) < count:
        vendor, account, dept, loc, proj, memos = _PATTERNS[rng.randrange(len(_PATTERNS))]
        amount = Decimal(rng.randrange(1500, 250000)) / 100
        day = start_date + timedelta(days=(recordno // 2) % 360)
        modified = datetime.combine(day, datetime.min.time()) + timedelta(hours=18)
        memo = rng.choice(memos)
        for line_no, (acct, tr, d, l, p) in enumerate(
                [(account, "1", dept, loc, proj), ("2000", "-1", "", loc, "")], start=1):
            if len(rows) >= count:
                break
            rows.append({
                "RECORDNO": str(recordno), "BATCHKEY": str(batch), "BATCH_NO": str(batch),
                "BATCH_DATE": day.strftime("%m/%d/%Y"), "BATCH_TITLE": f"Bill {vendor}-{batch}",
                "SYMBOL": "APJ", "LINE_NO": str(line_no), "ENTRY_DATE": day.strftime("%m/%d/%Y"),
                "TR_TYPE": tr, "DOCUMENT": f"INV-{batch}", "ACCOUNTNO": acct,
                "DEPARTMENTID": d, "LOCATIONID": l, "PROJECTID": p, "CLASSID": "",
                "VENDORID": vendor, "CUSTOMERID": "", "EMPLOYEEID": "",
                "CURRENCY": "USD", "BASECURR": "USD", "DESCRIPTION": memo,
                "DEBITAMOUNT": f"{amount:.2f}" if tr == "1" else "0.00",
                "CREDITAMOUNT": f"{amount:.2f}" if tr == "-1" else "0.00",
                "AMOUNT": f"{amount:.2f}", "TRX_AMOUNT": f"{amount:.2f}",
                "WHENMODIFIED": modified.strftime("%m/%d/%Y %H:%M:%S"),
            })
            recordno += 1
        batch += 1
    return rows


def apbill_rows(count: int = 5) -> list[dict[str, str]]:
    return [{"RECORDNO": str(i), "RECORDID": f"INV-{2000 + i}", "VENDORID": "V100", "VENDORNAME": "Staples",
             "WHENCREATED": "01/10/2024", "TOTALENTERED": f"{100 + i}.00", "STATE": "Posted",
             "DESCRIPTION": "Office supplies", "WHENMODIFIED": MODIFIED}
            for i in range(1, count + 1)]


def seed_company(gldetail: int = 120) -> dict[str, list[dict[str, str]]]:
    data = _master()
    data["GLDETAIL"] = gldetail_rows(gldetail)
    data["APBILL"] = apbill_rows()
    return data
