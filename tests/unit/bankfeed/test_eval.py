"""The bank-feed evaluation scores pairs against the labels exactly as documented."""

from pathlib import Path

from copilot.evaluation.bankfeed_eval import evaluate, render
from copilot.formats.company_dir import write_object_pages


def company(tmp_path: Path) -> Path:
    root = tmp_path / "co"
    base = root / "intacct"
    bills = [("1", "B-1", "V1", "Slack Technologies LLC", "01/05/2025", "100.00"),
             ("2", "B-2", "V1", "Slack Technologies LLC", "01/06/2025", "50.00"),
             ("3", "B-3", "V2", "Staples Inc", "01/07/2025", "70.00")]
    write_object_pages(base, "APBILL", [
        {"RECORDNO": r, "RECORDID": d, "VENDORID": v, "VENDORNAME": n, "WHENCREATED": on, "WHENDUE": on,
         "TOTALENTERED": amt, "TOTALPAID": amt, "TOTALDUE": "0", "WHENPAID": "02/01/2025", "STATE": "Paid",
         "CURRENCY": "USD", "MEGAENTITYID": "US01"} for r, d, v, n, on, amt in bills])
    write_object_pages(base, "ARINVOICE", [])
    (root / "extras").mkdir(parents=True)
    (root / "extras" / "bank_feed.csv").write_text(
        "line_id,entity,bank_account,date,amount,currency,description,match_kind,ap_bills,ar_invoices,batch_no,note\n"
        "L1,US01,1000,2025-01-20,-150.00,USD,ACH DEBIT SLACK TECHNOLOGI CCD ID 1,ap_payment,1:100.00;2:50.00,,,\n"
        "L2,US01,1000,2025-01-21,-70.00,USD,CHECK 1001,ap_payment,3:70.00,,,\n"
        "L3,US01,1000,2025-01-22,-12.00,USD,POS 4411 DUANE READE #1 NEW YORK NY,debit_card,,,,\n"
        "L4,US01,1000,2025-01-31,-1000.00,USD,ADP PAYROLL FEES ADP - PAYROLL 1 CCD ID 9,payroll,,,,\n")
    return root


def test_scores(tmp_path):
    rep = evaluate(company(tmp_path))
    assert rep.lines == 4 and rep.pairs_true == 3
    assert rep.auto_pairs == 3 and rep.auto_correct == 3 and rep.auto_lines == 2  # L1 both bills, L2 by amount
    assert rep.by_kind["ap_payment"]["auto_exact"] == 2 and rep.by_kind["debit_card"]["exact"] == 1
    md = render(rep, "co")
    assert "| auto-matched (no human) | 3 | 1.000 | 1.000 |" in md and "Share auto-matched: 50.0%" in md
