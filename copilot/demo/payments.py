"""Cash: AP payment runs, customer receipts, card and payroll settlements, bank-coded items, and the
bank statement lines they produce (labelled with what each line pays; see extras/bank_feed.csv).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from copilot.demo import vocab
from copilot.demo.context import BankLine, Ctx
from copilot.demo.ledger import ZERO, Entry, Line, business_day, dec, month_end, q

CARD_NO = {"US01": "4411", "UK01": "8120", "DE01": "3307"}


def _name(v: str, width: int = 22) -> str:
    return "".join(ch for ch in v.upper() if ch.isalnum() or ch in " &.-")[:width].strip()


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _pay_text(rng: random.Random, entity: str, vendor_id: str, name: str, docs: list[str], on: date) -> str:
    method = int(vendor_id[1:]) % 10
    if entity == "UK01":
        return f"{_name(name, 18)} BACS {docs[0][:12]}" if method < 6 else f"FASTER PAYMENT TO {_name(name, 18)} REF {docs[0][:14]}"
    if entity == "DE01":
        return f"SEPA-UEBERWEISUNG {_name(name, 24)} RE {' '.join(d[:14] for d in docs[:2])}"
    if method < 5:
        return f"ACH DEBIT {_name(name, 16)} CCD ID {_digits(rng, 10)}"
    if method < 7:
        return f"CHECK {10000 + rng.randint(0, 8999)}"
    if method < 9:
        return f"BILL PAY {_name(name, 16)} ON-LINE xxxxx{_digits(rng, 5)} ON {on:%m/%d}"
    return f"WIRE TYPE:WIRE OUT DATE:{on:%y%m%d} TRN:{_digits(rng, 14)} BNF:{_name(name, 20)}"


def run_ap_payments(ctx: Ctx) -> None:
    """Weekly runs (Thursdays): every bill due within a week is paid, one payment per vendor.
    Disputed bills (3 %) are paid in two parts; bills due after the history stay open."""
    rng = ctx.rng("ap-payments")
    last = month_end(ctx.months[-1])
    for b in ctx.bills:
        b.hold = rng.random() < 0.03
    queue = sorted(ctx.bills, key=lambda b: (b.due, int(b.bill_id)))
    pos = 0
    held: list = []  # disputed bills waiting for their second payment
    d = ctx.months[0]
    while d.weekday() != 3:
        d += timedelta(days=1)
    while d <= last:
        horizon = d + timedelta(days=7)
        batch: dict[tuple[str, str], list[tuple]] = {}
        while pos < len(queue) and queue[pos].due <= horizon:
            b = queue[pos]
            pos += 1
            if b.hold:
                amount = q(b.total * Decimal(str(round(rng.uniform(0.5, 0.8), 2))))
                held.append(b)
            else:
                amount = b.total
            batch.setdefault((b.entity, b.vendor.vendor_id), []).append((b, amount))
        still = []
        for b in held:
            if b.payments and (d - b.payments[-1][0]).days >= 30:
                batch.setdefault((b.entity, b.vendor.vendor_id), []).append((b, b.total - b.payments[0][1]))
            else:
                still.append(b)
        held = still
        for (entity, vid), items in sorted(batch.items()):
            total = sum((a for _, a in items), ZERO)
            v = items[0][0].vendor
            lines = [Line("2000", a, f"Payment {b.doc_no}", {"vendor": vid}) for b, a in items]
            lines.append(Line("1000", -total, f"AP payment {v.name[:40]}", {"location": ctx.hq(entity)}))
            e = ctx.book.add(Entry(entity, d, "CDJ", f"AP payment {v.name}"[:80], lines, source="ap_payment",
                                   created=datetime(d.year, d.month, d.day, 10), user="ap.clerk"))
            ref = f"PAY-{len(ctx.bank) + 1:06d}"
            for b, a in items:
                b.payments.append((d, a, ref))
            value = business_day(d + timedelta(days=rng.choice([0, 0, 1, 1, 2])))
            ctx.bank.append(BankLine(entity, value, -total, _pay_text(rng, entity, vid, v.name,
                                                                      [b.doc_no for b, _ in items], d),
                                     "ap_payment", bills=[(b.bill_id, a) for b, a in items], entry=e))
        d += timedelta(days=7)


def run_ar_receipts(ctx: Ctx) -> None:
    rng = ctx.rng("ar-receipts")
    last = month_end(ctx.months[-1])
    plans: dict[date, list] = {}
    stripe: dict[tuple[str, date], list] = {}
    for inv in ctx.invoices:
        c = inv.cust
        if c.channel == "ONLINE":
            stripe.setdefault((inv.entity, business_day(inv.on + timedelta(days=2))), []).append(inv)
            continue
        r = random.Random(f"{ctx.seed}-pay-{inv.inv_id}")
        if r.random() < 0.015:  # never pays: written off after 150 days (CP-13.4)
            off = business_day(inv.on + timedelta(days=150))
            if off <= last:
                inv.written_off = off
                ctx.book.add(Entry(inv.entity, off, "GJ", f"Write-off {inv.doc_no} {c.name}",
                                   [Line("6910", inv.total, f"Bad debt write-off {inv.doc_no}",
                                         {"department": "FIN", "location": ctx.hq(inv.entity)}),
                                    Line("1100", -inv.total, f"Write-off {inv.doc_no}", {"customer": c.cust_id})],
                                   source="write_off", user="controller", document=inv.doc_no,
                                   created=datetime(off.year, off.month, off.day, 15)))
            continue
        pay = business_day(inv.on + timedelta(days=max(3, c.pay_days + int(r.gauss(0, 6)))))
        if c.consolidates:  # pays everything open on the 20th of every other month
            m = pay.replace(day=1)
            if m.month % 2:
                m = month_end(m) + timedelta(days=1)
            pay = business_day(m.replace(day=20))
        if r.random() < 0.04:
            first = q(inv.total * Decimal(str(round(r.uniform(0.4, 0.7), 2))))
            plans.setdefault(pay, []).append((inv, first))
            plans.setdefault(business_day(pay + timedelta(days=r.randint(20, 45))), []).append((inv, inv.total - first))
        else:
            plans.setdefault(pay, []).append((inv, inv.total))
    for day in sorted(plans):
        if day > last:
            continue
        groups: dict[tuple[str, str], list] = {}
        for inv, amt in plans[day]:
            groups.setdefault((inv.entity, inv.cust.cust_id), []).append((inv, amt))
        for (entity, cid), items in sorted(groups.items()):
            c = items[0][0].cust
            total = sum((a for _, a in items), ZERO)
            lines = [Line("1000", total, f"Receipt {c.name[:40]}", {"location": ctx.hq(entity)})]
            lines += [Line("1100", -a, f"Receipt {inv.doc_no}", {"customer": cid}) for inv, a in items]
            e = ctx.book.add(Entry(entity, day, "CRJ", f"Customer receipt {c.name}"[:80], lines, source="ar_receipt",
                                   created=datetime(day.year, day.month, day.day, 11), user="ar.clerk"))
            for inv, a in items:
                inv.payments.append((day, a, e.title))
            ctx.bank.append(BankLine(entity, day, total, _receipt_text(rng, entity, c.name, [i.doc_no for i, _ in items]),
                                     "ar_receipt", invoices=[(i.inv_id, a) for i, a in items], entry=e))
    for (entity, day), invs in sorted(stripe.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if day > last:
            continue
        gross = sum((i.total for i in invs), ZERO)
        fee = sum((q(i.total * Decimal("0.029")) + ctx.local(Decimal("0.30"), entity) for i in invs), ZERO)
        lines = [Line("1000", gross - fee, "Stripe payout", {"location": ctx.hq(entity)}),
                 Line("5400", fee, "Stripe processing fees", {"department": "FIN", "location": ctx.hq(entity),
                                                              "class": "PLAT"})]
        lines += [Line("1100", -i.total, f"Stripe {i.doc_no}", {"customer": i.cust.cust_id}) for i in invs]
        e = ctx.book.add(Entry(entity, day, "CRJ", "Stripe payout", lines, source="ar_receipt",
                               created=datetime(day.year, day.month, day.day, 9), user="stripe.sync"))
        for i in invs:
            i.payments.append((day, i.total, e.title))
        ctx.bank.append(BankLine(entity, day, gross - fee, f"STRIPE TRANSFER ST-{_digits(rng, 4)}{rng.choice('ABCDEFGH')}"
                                 f"{_digits(rng, 6)} {'STRIPE' if entity == 'US01' else 'STRIPE PAYMENTS EUROPE'}",
                                 "ar_receipt", invoices=[(i.inv_id, i.total) for i in invs], entry=e,
                                 note="net of processing fees"))


def _receipt_text(rng: random.Random, entity: str, name: str, docs: list[str]) -> str:
    ref = docs[0] if rng.random() < 0.65 else ("" if rng.random() < 0.6 else f"PO{_digits(rng, 6)}")
    if entity == "UK01":
        return f"FASTER PAYMENT {_name(name, 18)} {ref}".strip()
    if entity == "DE01":
        return f"SEPA GUTSCHRIFT {_name(name, 24)} {('RE ' + ref) if ref else 'ZAHLUNG'}"
    k = rng.randrange(4)
    if k == 0:
        return f"WIRE TYPE:WIRE IN DATE: ORG:{_name(name, 20)} OBI:{ref}"
    if k == 1:
        return f"REMOTE DEPOSIT CHECK {_digits(rng, 6)}"
    return f"ACH CREDIT {_name(name, 16)} CCD {ref or _digits(rng, 9)}"


def run_card_and_reimbursements(ctx: Ctx) -> None:
    rng = ctx.rng("card-payments")
    last = month_end(ctx.months[-1])
    texts = {"US01": "AMEX EPAYMENT ACH PMT W{n}", "UK01": "AMERICAN EXPRESS DD {n}",
             "DE01": "AMERICAN EXPRESS EUROPE SEPA-LASTSCHRIFT {n}"}
    for (entity, m), total in sorted(ctx.card_totals.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        on = business_day(month_end(m) + timedelta(days=18))
        if on > last:
            continue
        e = ctx.book.add(Entry(entity, on, "CDJ", f"Card statement {m:%b %Y}",
                               [Line("2150", total, f"Card statement {m:%b %Y}", {}),
                                Line("1000", -total, "Amex payment", {"location": ctx.hq(entity)})],
                               source="card_payment", user="treasury", created=datetime(on.year, on.month, on.day, 9)))
        ctx.bank.append(BankLine(entity, on, -total, texts[entity].format(n=_digits(rng, 7)), "card_payment", entry=e))
    # Expense reports are reimbursed in a weekly batch (Friday after approval).
    batches: dict[tuple[str, date], list[Entry]] = {}
    for e in ctx.book.entries:
        if e.source != "expense":
            continue
        d = e.date + timedelta(days=5)
        while d.weekday() != 4:
            d += timedelta(days=1)
        batches.setdefault((e.entity, d), []).append(e)
    for (entity, d), reports in sorted(batches.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if d > last:
            continue
        lines = []
        for r in reports:
            cr = next(ln for ln in r.lines if ln.account == "2400")
            lines.append(Line("2400", -cr.amount, f"Reimburse {r.document}", {"employee": r.meta["employee"]}))
        total = sum((ln.amount for ln in lines), ZERO)
        lines.append(Line("1000", -total, "Expense reimbursements", {"location": ctx.hq(entity)}))
        e = ctx.book.add(Entry(entity, d, "CDJ", f"Expense reimbursements {d:%m/%d/%Y}", lines, source="reimbursement",
                               user="ap.clerk", created=datetime(d.year, d.month, d.day, 8)))
        text = {"US01": f"EXPENSIFY INC ACH {_digits(rng, 8)} REIMBURSEMENTS",
                "UK01": f"BULK PAYMENT EXPENSES {d:%d%b}".upper(), "DE01": f"SAMMELUEBERWEISUNG SPESEN {d:%d.%m.}"}[entity]
        ctx.bank.append(BankLine(entity, d, -total, text, "reimbursement", entry=e))


def run_payroll_cash(ctx: Ctx) -> None:
    rng = ctx.rng("payroll-cash")
    last = month_end(ctx.months[-1])
    monthly_tax: dict[tuple[str, date], Decimal] = {}
    for entity, on, net, taxes, k401, entry in ctx.payroll_runs:
        text = {"US01": f"ADP PAYROLL FEES ADP - PAYROLL {_digits(rng, 6)} CCD ID 9659605001",
                "UK01": "BACS PAYROLL SALARIES", "DE01": "SAMMELUEBERWEISUNG GEHAELTER"}[entity]
        ctx.bank.append(BankLine(entity, on, -net, text, "payroll", entry=entry, account="1010"))
        if entity == "US01":
            te = ctx.book.add(Entry(entity, on, "CDJ", f"Payroll taxes {on:%m/%d/%Y}",
                                    [Line("2110", taxes, "ADP tax remittance", {}),
                                     Line("1010", -taxes, "ADP tax remittance", {"location": "NYC"})],
                                    source="tax", user="payroll.import", created=datetime(on.year, on.month, on.day, 9)))
            ctx.bank.append(BankLine(entity, on, -taxes, f"ADP TAX ADP - TAX {_digits(rng, 6)} CCD ID 9659605001",
                                     "tax", entry=te, account="1010"))
            if k401:
                d = business_day(on + timedelta(days=2))
                if d <= last:
                    ke = ctx.book.add(Entry(entity, d, "CDJ", f"401k remittance {on:%m/%d/%Y}",
                                            [Line("2120", k401, "401k deferrals + match", {}),
                                             Line("1010", -k401, "401k remittance", {"location": "NYC"})],
                                            source="tax", user="payroll.import",
                                            created=datetime(d.year, d.month, d.day, 9)))
                    ctx.bank.append(BankLine(entity, d, -k401, "FIDELITY INVESTM 401K CONTR CCD", "benefits",
                                             entry=ke, account="1010"))
        else:
            key = (entity, on.replace(day=1))
            monthly_tax[key] = monthly_tax.get(key, ZERO) + taxes
    for (entity, m), taxes in sorted(monthly_tax.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        on = business_day((month_end(m) + timedelta(days=22 if entity == "UK01" else 10)))
        if on > last:
            continue
        if entity == "UK01":
            e = ctx.book.add(Entry(entity, on, "CDJ", f"HMRC PAYE/NIC {m:%b %Y}",
                                   [Line("2110", taxes, "PAYE/NIC", {}), Line("1010", -taxes, "HMRC", {"location": "LON"})],
                                   source="tax", user="payroll.import", created=datetime(on.year, on.month, on.day, 9)))
            ctx.bank.append(BankLine(entity, on, -taxes, f"HMRC PAYE {_digits(rng, 3)}PA{_digits(rng, 8)}", "tax",
                                     entry=e, account="1010"))
        else:
            wage_tax = q(taxes * Decimal("0.45"))
            social = taxes - wage_tax
            e = ctx.book.add(Entry(entity, on, "CDJ", f"Lohnsteuer & SV {m:%b %Y}",
                                   [Line("2110", taxes, "Lohnsteuer + Sozialversicherung", {}),
                                    Line("1010", -wage_tax, "Finanzamt", {"location": "BER"}),
                                    Line("1010", -social, "Krankenkassen", {"location": "BER"})],
                                   source="tax", user="payroll.import", created=datetime(on.year, on.month, on.day, 9)))
            ctx.bank.append(BankLine(entity, on, -wage_tax, f"FINANZAMT BERLIN LOHNSTEUER {m:%m/%Y}", "tax", entry=e,
                                     account="1010"))
            ctx.bank.append(BankLine(entity, on, -social, f"AOK NORDOST BEITRAEGE {m:%m/%Y}", "tax", entry=e,
                                     account="1010"))


POS = [("STAPLES", "6230", "CP-7.1"), ("WHOLE FOODS MKT", "6140", "CP-7.2"), ("COSTCO WHSE", "6140", "CP-7.2"),
       ("USPS PO", "6240", "CP-7.6"), ("HOME DEPOT", "6220", "CP-7.6"), ("ACE HARDWARE", "6220", "CP-7.6"),
       ("TRADER JOE S", "6140", "CP-7.2"), ("DUANE READE", "6230", "CP-7.1"), ("FEDEX OFFICE", "6240", "CP-7.6")]


def run_bank_coded(ctx: Ctx) -> None:
    """Items coded straight from the bank statement: the office debit card, bank fees, interest;
    plus a few lines nobody has recorded (unmatched)."""
    rng = ctx.rng("bank-coded")
    last = month_end(ctx.months[-1])
    for m in ctx.months:
        end = month_end(m)
        for _ in range(rng.randint(14, 26)):
            on = business_day(m + timedelta(days=rng.randint(0, end.day - 1)))
            if on > end:
                continue
            merchant, acct, rule = rng.choice(POS)
            amt = dec(rng.uniform(6, 240))
            store = _digits(rng, 4)
            city = rng.choice(["NEW YORK NY", "NEW YORK NY", "BROOKLYN NY", "JERSEY CITY NJ"])
            text = rng.choice([f"POS {CARD_NO['US01']} {merchant} #{store} {city}",
                               f"DEBIT CARD PURCHASE XXXXXXXXXXXX{CARD_NO['US01']} {merchant} {store} {city}"])
            ln = ctx.coded(acct, amt, text, {"department": "FAC", "location": "NYC"}, rule, "US01", on, rng)
            e = ctx.book.add(Entry("US01", on, "CDJ", f"Debit card {merchant}", [ln, Line("1000", -amt, text,
                                                                                           {"location": "NYC"})],
                                   source="bank_coded", user="office.manager",
                                   created=datetime(on.year, on.month, on.day, 16) + timedelta(days=rng.randint(1, 9))))
            ctx.bank.append(BankLine("US01", on, -amt, text, "debit_card", entry=e))
        for entity in ("US01", "UK01", "DE01"):
            on = business_day(end + timedelta(days=3))
            if on > last:
                continue
            fee = ctx.local(rng.uniform(140, 520), entity)
            text = {"US01": "ACCOUNT ANALYSIS FEE", "UK01": "SERVICE CHARGES", "DE01": "ENTGELTABSCHLUSS"}[entity]
            ln = ctx.coded("6710", fee, f"{text} {m:%b %Y}", {"department": "FIN", "location": ctx.hq(entity)},
                           "CP-7.9", entity, on, rng)
            e = ctx.book.add(Entry(entity, on, "CDJ", f"Bank fees {m:%b %Y}", [ln, Line("1000", -fee, text,
                                                                                       {"location": ctx.hq(entity)})],
                                   source="bank_coded", user="treasury", created=datetime(on.year, on.month, on.day, 12)))
            ctx.bank.append(BankLine(entity, on, -fee, text, "bank_fee", entry=e))
        on = business_day(end, back=True)
        interest = dec(rng.uniform(9000, 16000))
        e = ctx.book.add(Entry("US01", on, "CRJ", f"Interest {m:%b %Y}",
                               [Line("1000", interest, "Interest", {"location": "NYC"}),
                                Line("7100", -interest, f"Money market interest {m:%b %Y}", {"location": "NYC"})],
                               source="bank_coded", user="treasury", created=datetime(on.year, on.month, on.day, 12)))
        ctx.bank.append(BankLine("US01", on, interest, "INTEREST PAYMENT MMDA SWEEP", "interest", entry=e))
        for _ in range(rng.randint(1, 3)):  # unmatched: nothing in the GL explains these
            entity = rng.choice(["US01", "US01", "UK01", "DE01"])
            on = business_day(m + timedelta(days=rng.randint(0, end.day - 1)))
            if on > last:
                continue
            kind = rng.randrange(5)
            if kind == 0:
                text, amt = f"POS {CARD_NO[entity]} {vocab.descriptor(rng, rng.choice(vocab.MERCHANTS[entity])[0], entity)}", \
                    -dec(rng.uniform(8, 180))
            elif kind == 1:
                text, amt = "WIRE TRANSFER FEE", -dec(rng.choice([15, 25, 35, 45]))
            elif kind == 2:
                text, amt = f"MISC DEPOSIT REF {_digits(rng, 8)}", dec(rng.uniform(50, 4000))
            elif kind == 3:
                text, amt = "RETURNED ITEM CHARGEBACK", -dec(rng.uniform(100, 2500))
            else:
                text, amt = f"ZELLE FROM {vocab.person_name(rng, 'US').upper()} {_digits(rng, 8)}", dec(rng.uniform(20, 400))
            ctx.bank.append(BankLine(entity, on, amt, text, "unmatched", note="no GL entry yet"))


def run_treasury(ctx: Ctx) -> None:
    """Funding the payroll account before each run, tax remittances (VAT, sales tax) and the Series C."""
    rng = ctx.rng("treasury")
    last = month_end(ctx.months[-1])
    names = {"US01": "JPMORGAN CHASE", "UK01": "BARCLAYS", "DE01": "DEUTSCHE BANK"}
    for entity, on, net, taxes, k401, _entry in ctx.payroll_runs:
        amount = net + taxes + k401
        d = business_day(on - timedelta(days=1), back=True)
        e = ctx.book.add(Entry(entity, d, "GJ", f"Fund payroll account {on:%m/%d/%Y}",
                               [Line("1010", amount, "Transfer from operating", {"location": ctx.hq(entity)}),
                                Line("1000", -amount, "Transfer to payroll account", {"location": ctx.hq(entity)})],
                               source="transfer", user="treasury", created=datetime(d.year, d.month, d.day, 9)))
        ref = _digits(rng, 8)
        ctx.bank.append(BankLine(entity, d, -amount, f"BOOK TRANSFER DEBIT A/C XXXXXX{_digits(rng, 4)} PAYROLL {ref}",
                                 "transfer", entry=e))
        ctx.bank.append(BankLine(entity, d, amount, f"BOOK TRANSFER CREDIT {names[entity]} OPERATING {ref}",
                                 "transfer", entry=e, account="1010"))
    # VAT returns: UK01 quarterly, DE01 monthly; US01 sales tax monthly. Net of input VAT.
    balances: dict[tuple[str, str], Decimal] = {}
    entries_by_month: dict[date, list[Entry]] = {}
    for e in ctx.book.entries:
        entries_by_month.setdefault(e.date.replace(day=1), []).append(e)
    for m in ctx.months:
        for e in entries_by_month.get(m, []):
            for ln in e.lines:
                if ln.account in ("1400", "2210", "2200"):
                    balances[(e.entity, ln.account)] = balances.get((e.entity, ln.account), ZERO) + ln.amount
        for entity, due in (("UK01", m.month % 3 == 0), ("DE01", True), ("US01", True)):
            if not due:
                continue
            on = business_day(month_end(m) + timedelta(days={"UK01": 37, "DE01": 10, "US01": 20}[entity]))
            if on > last:
                continue
            if entity == "US01":
                owed = -balances.get(("US01", "2200"), ZERO)
                lines = [Line("2200", owed, f"Sales tax return {m:%b %Y}", {})]
                text = f"NYS DTF SALES TAX {_digits(rng, 9)}"
                balances[("US01", "2200")] = ZERO
            else:
                out_vat = -balances.get((entity, "2210"), ZERO)
                in_vat = balances.get((entity, "1400"), ZERO)
                owed = out_vat - in_vat
                lines = [Line("2210", out_vat, f"VAT return {m:%b %Y}", {}),
                         Line("1400", -in_vat, f"VAT return {m:%b %Y}", {})]
                text = f"HMRC VAT {_digits(rng, 9)}" if entity == "UK01" else f"FINANZAMT UST-VA {m:%m/%Y}"
                balances[(entity, "2210")] = ZERO
                balances[(entity, "1400")] = ZERO
            if owed == 0:
                continue
            lines.append(Line("1000", -owed, text, {"location": ctx.hq(entity)}))
            e = ctx.book.add(Entry(entity, on, "CDJ", f"Tax return {m:%b %Y}", lines, source="tax", user="treasury",
                                   created=datetime(on.year, on.month, on.day, 11)))
            ctx.bank.append(BankLine(entity, on, -owed, text, "tax", entry=e))
    series_c = date(2023, 9, 15)
    if ctx.months[0] <= series_c <= last:  # a one-off: the Series C closes (see legal matters, CP-9.2)
        amt = Decimal("35000000.00")
        e = ctx.book.add(Entry("US01", series_c, "CRJ", "Series C preferred stock issuance",
                               [Line("1000", amt, "Series C proceeds", {"location": "NYC"}),
                                Line("3100", -amt, "Series C preferred stock", {})], source="financing",
                               user="cfo", created=datetime(2023, 9, 15, 16)))
        ctx.bank.append(BankLine("US01", series_c, amt, "WIRE IN ORG:NORTHGATE VENTURE PARTNERS IV LP OBI:SERIES C",
                                 "financing", entry=e))
