"""The labelled side tables written to ``<company>/extras/`` (and APBILL / ARINVOICE pages).

Every table is a list of ``dict[str, str]`` with a fixed column order, so the CSV files are
byte-identical for the same seed. extras/README.md (written alongside) documents each file.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from copilot.demo.anomalies import Label, close_date
from copilot.demo.chart import CURRENCY
from copilot.demo.context import Ctx

README = """# Demo company extras

Side tables of the generated demo company (`copilot demo init`). They are ground truth for
evaluations; the suggestion engine must not read them. Amounts are in the entity's currency,
dates ISO (YYYY-MM-DD), record numbers refer to GLDETAIL RECORDNO.

| File | One row per | Columns |
|---|---|---|
| ap_bills.csv | AP bill (also `intacct/APBILL` pages) | bill_id, doc_no, entity, vendor_id, vendor_name, date, due_date, currency, total, paid, state, description, batch_no, duplicate_of |
| ap_bill_lines.csv | expense line of an AP bill | bill_id, record_no, account, amount, memo, dims (key=value;...) |
| ar_invoices.csv | AR invoice (also `intacct/ARINVOICE` pages) | invoice_id, doc_no, entity, customer_id, customer_name, date, due_date, currency, total, paid, state, written_off, batch_no |
| bank_feed.csv | bank statement line | line_id, entity, bank_account, date, amount (signed: negative = out), currency, description (raw), match_kind, ap_bills (bill_id:amount;...), ar_invoices (invoice_id:amount;...), batch_no (GL entry it matches), note |
| intercompany_pairs.csv | intercompany charge | pair_id, kind, status (matched, fx_difference, timing_difference, missing_side, wrong_account), seller/buyer dates, amounts, currencies, buyer_account, usd_difference, seller_batch, buyer_batch |
| timesheets.csv | employee-day-project | entity, employee_id, date, project_id, hours, billable |
| employees.csv | employee | employee_id, name, entity, department, location, role, hired, left, cardholder |
| anomaly_labels.csv | labelled anomalous posting line | record_no, kind, batch_no, entity, date, account, detail |
| coding_truth.csv | human-coded posting line | record_no, source, rule (policy clause), noise (kind, empty when coded per policy), anomaly, posted_account, posted_dims, policy_account, policy_dims |
| fx_rates.csv | month x currency | month, currency, usd_per_unit |
| close_calendar.csv | period | period, closed_on (PC-1.1 / PC-1.2) |
| manifest.json | the run | seed, months, start, counts, noise and anomaly rates |

match_kind in bank_feed.csv: ap_payment (one payment may settle several bills, or part of one),
ar_receipt (several invoices or a partial payment; Stripe payouts are net of fees), payroll, tax,
benefits, card_payment, reimbursement, intercompany, debit_card, bank_fee, interest, unmatched
(nothing in the GL explains it).
"""


def dims_text(dims: dict[str, str]) -> str:
    return ";".join(f"{k}={dims[k]}" for k in sorted(dims))


def _state(total: Decimal, paid: Decimal) -> str:
    if paid == 0:
        return "Posted"
    return "Paid" if paid >= total else "Partially Paid"


def _mdY(d: date | None) -> str:
    return f"{d:%m/%d/%Y}" if d else ""


def bill_tables(ctx: Ctx) -> tuple[list[dict], list[dict], list[dict]]:
    bills, lines, rows = [], [], []
    for b in sorted(ctx.bills, key=lambda b: int(b.bill_id)):
        paid = sum((p[1] for p in b.payments), Decimal(0))
        state = _state(b.total, paid)
        cur = CURRENCY[b.entity]
        bills.append({"bill_id": b.bill_id, "doc_no": b.doc_no, "entity": b.entity, "vendor_id": b.vendor.vendor_id,
                      "vendor_name": b.vendor.name, "date": b.on.isoformat(), "due_date": b.due.isoformat(),
                      "currency": cur, "total": str(b.total), "paid": str(paid), "state": state,
                      "description": b.description, "batch_no": b.entry.batch_no, "duplicate_of": b.duplicate_of or ""})
        for ln in b.lines:
            lines.append({"bill_id": b.bill_id, "record_no": ln.record_no, "account": ln.account,
                          "amount": str(ln.amount), "memo": ln.memo, "dims": dims_text(ln.dims)})
        last_paid = max((p[0] for p in b.payments), default=None)
        rows.append({"RECORDNO": b.bill_id, "RECORDID": b.doc_no, "VENDORID": b.vendor.vendor_id,
                     "VENDORNAME": b.vendor.name, "WHENCREATED": _mdY(b.on), "WHENPOSTED": _mdY(b.on),
                     "WHENDUE": _mdY(b.due), "WHENPAID": _mdY(last_paid) if state == "Paid" else "",
                     "TOTALENTERED": str(b.total), "TOTALPAID": str(paid), "TOTALDUE": str(b.total - paid),
                     "STATE": state, "CURRENCY": cur, "BASECURR": cur, "DESCRIPTION": b.description,
                     "MEGAENTITYID": b.entity})
    return bills, lines, rows


def invoice_tables(ctx: Ctx) -> tuple[list[dict], list[dict]]:
    out, rows = [], []
    for inv in sorted(ctx.invoices, key=lambda i: int(i.inv_id)):
        paid = sum((p[1] for p in inv.payments), Decimal(0))
        state = "Written Off" if inv.written_off else _state(inv.total, paid)
        cur = CURRENCY[inv.entity]
        out.append({"invoice_id": inv.inv_id, "doc_no": inv.doc_no, "entity": inv.entity,
                    "customer_id": inv.cust.cust_id, "customer_name": inv.cust.name, "date": inv.on.isoformat(),
                    "due_date": inv.due.isoformat(), "currency": cur, "total": str(inv.total), "paid": str(paid),
                    "state": state, "written_off": inv.written_off.isoformat() if inv.written_off else "",
                    "batch_no": inv.entry.batch_no})
        last_paid = max((p[0] for p in inv.payments), default=None)
        rows.append({"RECORDNO": inv.inv_id, "RECORDID": inv.doc_no, "CUSTOMERID": inv.cust.cust_id,
                     "CUSTOMERNAME": inv.cust.name, "WHENCREATED": _mdY(inv.on), "WHENPOSTED": _mdY(inv.on),
                     "WHENDUE": _mdY(inv.due), "WHENPAID": _mdY(last_paid) if state == "Paid" else "",
                     "TOTALENTERED": str(inv.total), "TOTALPAID": str(paid), "TOTALDUE": str(inv.total - paid),
                     "STATE": state, "CURRENCY": cur, "BASECURR": cur, "DESCRIPTION": inv.description,
                     "MEGAENTITYID": inv.entity})
    return out, rows


def bank_table(ctx: Ctx) -> list[dict]:
    out = []
    lines = sorted(ctx.bank, key=lambda b: (b.on, b.entity, b.account, b.description, str(b.amount)))
    for n, b in enumerate(lines, 1):
        out.append({"line_id": f"BNK-{n:07d}", "entity": b.entity, "bank_account": b.account,
                    "date": b.on.isoformat(), "amount": str(b.amount), "currency": CURRENCY[b.entity],
                    "description": b.description, "match_kind": b.kind,
                    "ap_bills": ";".join(f"{i}:{a}" for i, a in b.bills),
                    "ar_invoices": ";".join(f"{i}:{a}" for i, a in b.invoices),
                    "batch_no": b.entry.batch_no if b.entry else "", "note": b.note})
    return out


def ic_table(ctx: Ctx) -> list[dict]:
    out = []
    for p in ctx.ic_pairs:
        row = {k: v for k, v in p.items() if not k.startswith("_")}
        row["seller_batch"] = p["_seller_entry"].batch_no
        row["buyer_batch"] = p["_buyer_entry"].batch_no if p["_buyer_entry"] is not None else ""
        out.append(row)
    return out


def timesheet_table(ctx: Ctx) -> list[dict]:
    return [{"entity": ent, "employee_id": eid, "date": d.isoformat(), "project_id": pid, "hours": str(h),
             "billable": "true" if bill else "false"}
            for ent, eid, d, pid, h, bill in sorted(ctx.ts.rows, key=lambda r: (r[2], r[1], r[3]))]


def employee_table(ctx: Ctx) -> list[dict]:
    return [{"employee_id": e.emp_id, "name": e.name, "entity": e.entity, "department": e.dept, "location": e.loc,
             "role": e.role, "hired": e.hired.isoformat(), "left": e.left.isoformat() if e.left else "",
             "cardholder": "true" if e.cardholder else "false"} for e in ctx.emps]


def anomaly_table(labels: list[Label]) -> list[dict]:
    rows = [{"record_no": lb.line.record_no, "kind": lb.kind, "batch_no": lb.entry.batch_no, "entity": lb.entry.entity,
             "date": lb.entry.date.isoformat(), "account": lb.line.account, "detail": lb.detail} for lb in labels]
    return sorted(rows, key=lambda r: int(r["record_no"]))


def truth_table(ctx: Ctx, labels: list[Label]) -> list[dict]:
    anomaly = {id(lb.line): lb.kind for lb in labels}
    out = []
    for e in ctx.book.entries:
        for ln in e.lines:
            if not ln.codable:
                continue
            policy_acct, policy_dims = ln.truth if ln.truth else (ln.account, ln.dims)
            out.append({"record_no": ln.record_no, "source": e.source, "rule": ln.rule, "noise": ln.noise,
                        "anomaly": anomaly.get(id(ln), ""), "posted_account": ln.account,
                        "posted_dims": dims_text(ln.dims), "policy_account": policy_acct,
                        "policy_dims": dims_text(policy_dims)})
    return out


def fx_table(ctx: Ctx) -> list[dict]:
    return [{"month": m.isoformat(), "currency": cur, "usd_per_unit": str(rate)}
            for (cur, m), rate in sorted(ctx.fx.monthly.items(), key=lambda kv: (kv[0][1], kv[0][0]))]


def close_table(ctx: Ctx) -> list[dict]:
    return [{"period": f"{m:%Y-%m}", "closed_on": close_date(m).date().isoformat()} for m in ctx.months]


def to_csv(rows: list[dict]) -> str:
    if not rows:
        return ""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
