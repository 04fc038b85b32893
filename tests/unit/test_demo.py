"""The demo company generator: deterministic, balanced, valid, and as hard as its docstring claims."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from copilot.demo.anomalies import close_date
from copilot.demo.chart import (CAP_THRESHOLD_NEW, CAP_THRESHOLD_OLD, FLOOR_PLAN, MGMT_FEE_MARKUP, MGMT_FEE_SHARE,
                                POLICY_CHANGE)
from copilot.demo.generator import generate_demo, write_demo
from copilot.demo.ledger import month_starts

POLICIES = Path(__file__).resolve().parents[2] / "policies"
# Four months across the policy change: Nov 2023 - Feb 2024.
START = date(2023, 11, 1)


@pytest.fixture(scope="module")
def demo():
    return generate_demo(seed=11, months=4, start=START)


@pytest.fixture(scope="module")
def by_record(demo):
    return {p.record_no: p for p in demo.postings}


@pytest.fixture(scope="module")
def anomalous(demo):
    return {r["record_no"] for r in demo.tables["anomaly_labels"]}


def _dims(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split(";") if part)


def test_same_seed_same_company_different_seed_different(demo):
    again = generate_demo(seed=11, months=4, start=START)
    assert again.postings == demo.postings
    assert again.tables == demo.tables
    assert again.extra_objects == demo.extra_objects
    other = generate_demo(seed=12, months=4, start=START)
    assert other.postings != demo.postings


def test_written_output_is_byte_identical(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_demo(generate_demo(seed=3, months=1, start=START), a)
    write_demo(generate_demo(seed=3, months=1, start=START), b)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) > 15
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_every_entry_balances_to_the_cent_per_entity(demo):
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    entity_of_batch: dict[str, str] = {}
    for p in demo.postings:
        assert p.amount == p.amount.quantize(Decimal("0.01")) and p.amount > 0
        totals[(p.entity, p.batch_no)] += p.signed_amount
        assert entity_of_batch.setdefault(p.batch_no, p.entity) == p.entity
    assert len(totals) == len(demo.ctx.book.entries)
    unbalanced = {k: v for k, v in totals.items() if v != 0}
    assert not unbalanced
    assert len({p.record_no for p in demo.postings}) == len(demo.postings)


def test_postings_use_active_codes_valid_for_their_entity(demo, anomalous):
    company, ctx = demo.company, demo.ctx
    last = ctx.months[-1]
    problems = []
    for p in demo.postings:
        if p.record_no in anomalous:
            continue
        if not company.is_active_account(p.account_no):
            problems.append((p.record_no, "account", p.account_no))
        for key, code in p.dims.items():
            if key in ("department", "location", "class", "channel"):
                ok = company.is_valid_code(key, code, p.entity)
            else:
                value = company.dimension_value(key, code)
                ok = value is not None and value.valid_in(p.entity)
            if not ok:
                problems.append((p.record_no, key, code))
        proj = company.projects.get(p.dims.get("project", ""))
        # Travel is booked up to three weeks ahead; trailing invoices arrive up to six weeks after the end.
        if proj and p.account_no[0] in "56" and not (
                proj.start_date - timedelta(days=21) <= p.entry_date <= proj.end_date + timedelta(days=42)):
            problems.append((p.record_no, "project dates", proj.project_id))
        emp = ctx.emp_by_id.get(p.dims.get("employee", ""))
        if emp and p.journal in ("CCJ", "EXP") and not emp.active(p.entry_date):
            problems.append((p.record_no, "employee not employed", emp.emp_id))
        vend = company.vendors.get(p.dims.get("vendor", ""))
        if vend and vend.status != "active" and p.journal == "APJ":
            offboard = next(v.offboard for v in ctx.vends if v.vendor_id == vend.vendor_id)
            if p.entry_date > offboard:
                problems.append((p.record_no, "vendor after offboarding", vend.vendor_id))
    assert not problems, problems[:10]
    assert last >= ctx.months[0]


def test_required_dimensions_are_present(demo, anomalous):
    missing = [(p.record_no, p.account_no, sorted(demo.company.accounts[p.account_no].required_dimensions - set(p.dims)))
               for p in demo.postings if p.record_no not in anomalous
               and not demo.company.accounts[p.account_no].required_dimensions <= set(p.dims)]
    assert not missing, missing[:10]


def test_the_saas_policy_change_shows_in_the_data(demo, by_record):
    rows = [r for r in demo.tables["coding_truth"] if r["rule"] in ("CP-4.2", "CP-4.3") and not r["anomaly"]]
    before = [r for r in rows if by_record[r["record_no"]].entry_date < POLICY_CHANGE]
    after = [r for r in rows if by_record[r["record_no"]].entry_date >= POLICY_CHANGE]
    assert before and after
    assert all(r["policy_account"] == "6400" for r in before)
    assert all(r["policy_account"] == "6410" for r in after)
    posted_after = [r["posted_account"] for r in after]
    # Most people switch at once, some keep the old account for a while (labelled noise).
    assert 0.6 < posted_after.count("6410") / len(posted_after) < 1.0
    assert all(r["noise"] for r in after if r["posted_account"] == "6400")


def test_the_capitalization_threshold_change_shows_in_the_data(demo, by_record):
    # A laptop between the old and new thresholds is capitalized in 2023 and expensed in 2024.
    pro = [(by_record[r["record_no"]], r) for r in demo.tables["coding_truth"]
           if "MacBook Pro 16" in by_record[r["record_no"]].memo and by_record[r["record_no"]].entity == "US01"
           and " x" not in by_record[r["record_no"]].memo and not r["anomaly"]]
    old = {r["policy_account"] for p, r in pro if p.entry_date < POLICY_CHANGE}
    new = {r["policy_account"] for p, r in pro if p.entry_date >= POLICY_CHANGE}
    assert old == {"1500"} and new == {"6450"}


def test_policy_documents_state_the_generators_numbers():
    cap = (POLICIES / "capitalization_policy.md").read_text()
    for ent, cur in (("US01", "USD"), ("UK01", "GBP"), ("DE01", "EUR")):
        assert f"{cur} {CAP_THRESHOLD_OLD[ent]:,}" in cap and f"{cur} {CAP_THRESHOLD_NEW[ent]:,}" in cap
    assert POLICY_CHANGE.isoformat() in cap
    assert POLICY_CHANGE.isoformat() in (POLICIES / "coding_policy.md").read_text()
    ic = (POLICIES / "intercompany_policy.md").read_text()
    for ent, share in MGMT_FEE_SHARE.items():
        assert f"{ent} {int(share * 100)} %" in ic
    assert f"{int(MGMT_FEE_MARKUP * 100)} %" in ic
    ca = (POLICIES / "cost_allocation_policy.md").read_text()
    for loc, plan in FLOOR_PLAN.items():
        row = re.search(rf"^\s*\| {loc} \| (.+?) \| (\d+) \|$", ca, re.M)
        assert row, loc
        stated = {d: int(n) for d, n in (part.split() for part in row.group(1).split(", "))}
        assert stated == plan and int(row.group(2)) == sum(plan.values())
    pc = (POLICIES / "period_close_policy.md").read_text()
    for m in month_starts(date(2023, 1, 1), 24):
        assert re.search(rf"\| {m:%Y-%m} \| {close_date(m):%Y-%m-%d} \|", pc), m


def test_clauses_cited_by_the_data_exist_in_the_policies(demo):
    text = "".join(p.read_text() for p in POLICIES.glob("*.md"))
    rules = {r["rule"] for r in demo.tables["coding_truth"]}
    assert rules and all(f"**{rule}**" in text for rule in rules), sorted(r for r in rules if f"**{r}**" not in text)


def test_vendors_appear_over_time(demo):
    first_seen: dict[str, date] = {}
    for p in demo.postings:
        v = p.dims.get("vendor")
        if v and p.journal == "APJ":
            first_seen[v] = min(first_seen.get(v, p.entry_date), p.entry_date)
    last_month = demo.ctx.months[-1]
    new_late = [v for v, d in first_seen.items() if d >= last_month
                and next(x for x in demo.ctx.vends if x.vendor_id == v).onboard > demo.ctx.months[0]]
    assert len(new_late) >= 3
    assert len(demo.company.vendors) >= 300


def test_noise_rate_is_between_two_and_five_percent(demo):
    rows = demo.tables["coding_truth"]
    noisy = [r for r in rows if r["noise"]]
    rate = len(noisy) / len(rows)
    assert 0.02 <= rate <= 0.05, rate
    assert all((r["posted_account"], r["posted_dims"]) != (r["policy_account"], r["policy_dims"]) for r in noisy)
    assert {"wrong_department", "wrong_account"} <= {r["noise"] for r in noisy}


def test_anomaly_labels_point_at_real_records(demo, by_record):
    labels = demo.tables["anomaly_labels"]
    assert labels and all(r["record_no"] in by_record for r in labels)
    for r in labels:
        p = by_record[r["record_no"]]
        assert (p.account_no, p.entity, p.batch_no) == (r["account"], r["entity"], r["batch_no"])
    kinds = {r["kind"] for r in labels}
    assert {"duplicate", "amount_outlier", "suspense", "round_amount", "unusual_combination", "wrong_entity",
            "weekend_posting"} <= kinds
    assert 0.004 <= len(labels) / len(demo.postings) <= 0.012
    for r in labels:
        p = by_record[r["record_no"]]
        if r["kind"] == "suspense":
            assert p.account_no == "9999"
        if r["kind"] == "wrong_entity":
            assert not demo.company.is_valid_code("location", p.dims["location"], p.entity)
        if r["kind"] == "weekend_posting":
            assert p.entry_date.weekday() >= 5


def test_unusual_combinations_are_never_seen_elsewhere(demo):
    labelled = {r["record_no"] for r in demo.tables["anomaly_labels"] if r["kind"] == "unusual_combination"}
    combos = defaultdict(set)
    for p in demo.postings:
        combos[(p.account_no, p.dims.get("department"))].add(p.record_no)
    for rec in labelled:
        p = next(x for x in demo.postings if x.record_no == rec)
        assert combos[(p.account_no, p.dims["department"])] <= labelled


def test_travel_of_consultants_follows_their_timesheet(demo, by_record):
    """TE-3.2: expense-report lines by the week of the expense, agency lines by the week the trip starts."""
    ts = demo.ctx.ts
    checked = 0
    for r in demo.tables["coding_truth"]:
        dims = _dims(r["policy_dims"])
        emp = demo.ctx.emp_by_id.get(dims.get("employee", ""))
        if emp is None or emp.dept != "PS":
            continue
        p = by_record[r["record_no"]]
        if r["source"] == "expense" and r["rule"] in ("TE-6.1", "TE-2.2", "TE-4.1"):
            day = p.entry_date
        elif r["source"] == "ap_bill" and r["rule"] == "TE-2.1":
            month, dom = map(int, re.search(r" (\d\d)/(\d\d) ", p.memo).groups())
            day = date(p.entry_date.year - (month > p.entry_date.month), month, dom)
        else:
            continue
        assert dims.get("project") == ts.week_project(emp.emp_id, day), (r, p.memo)
        checked += "project" in dims
    assert checked > 5


def test_bank_feed_labels_add_up(demo):
    bills = {b["bill_id"] for b in demo.tables["ap_bills"]}
    invoices = {i["invoice_id"] for i in demo.tables["ar_invoices"]}
    batches = {p.batch_no for p in demo.postings}
    kinds = defaultdict(int)
    multi = partial = 0
    paid_parts = defaultdict(int)
    for line in demo.tables["bank_feed"]:
        kinds[line["match_kind"]] += 1
        amount = Decimal(line["amount"])
        if line["match_kind"] == "unmatched":
            assert not line["batch_no"]
            continue
        assert line["batch_no"] in batches
        if line["ap_bills"]:
            parts = [x.split(":") for x in line["ap_bills"].split(";")]
            assert all(b in bills for b, _ in parts)
            assert -amount == sum(Decimal(a) for _, a in parts)
            multi += len(parts) > 1
            for b, _ in parts:
                paid_parts[b] += 1
        if line["ar_invoices"]:
            parts = [x.split(":") for x in line["ar_invoices"].split(";")]
            assert all(i in invoices for i, _ in parts)
            if line["note"] != "net of processing fees":
                assert amount == sum(Decimal(a) for _, a in parts)
    partial = sum(1 for n in paid_parts.values() if n > 1)
    assert multi > 0 and kinds["unmatched"] > 0 and kinds["ar_receipt"] > 0
    assert partial > 0 or any(b["state"] == "Partially Paid" for b in demo.tables["ap_bills"])
    assert all("POS" in line["description"] or "DEBIT CARD" in line["description"]
               for line in demo.tables["bank_feed"] if line["match_kind"] == "debit_card")


def test_intercompany_pairs_are_labelled_and_mostly_match(demo):
    pairs = demo.tables["intercompany_pairs"]
    statuses = defaultdict(int)
    for p in pairs:
        statuses[p["status"]] += 1
        if p["status"] == "matched":
            assert abs(Decimal(p["usd_difference"])) < 1
            assert p["buyer_account"] in ("2310", "2320", "2330")
        if p["status"] == "missing_side":
            assert not p["buyer_batch"]
    assert statuses["matched"] > len(pairs) / 2


def test_round_trip_through_the_company_directory(tmp_path):
    from copilot.formats.company_dir import read_company_dir

    d = generate_demo(seed=5, months=1, start=START)
    root = write_demo(d, tmp_path / "demo")
    data = read_company_dir(root, "demo")
    assert data.postings == d.postings
    assert data.company.accounts == d.company.accounts and data.company.vendors == d.company.vendors
    assert data.company.projects == d.company.projects
    assert {"APBILL", "ARINVOICE"} <= set(data.other_objects)
    for name in ("bank_feed", "anomaly_labels", "timesheets", "intercompany_pairs", "coding_truth"):
        assert (root / "extras" / f"{name}.csv").read_text().count("\n") >= 2


def test_cli_demo_init(tmp_path):
    from typer.testing import CliRunner

    from copilot.cli import app

    out = tmp_path / "c"
    result = CliRunner().invoke(app, ["demo", "init", "--months", "1", "--seed", "2", "--out", str(out),
                                      "--no-progress", "--start", "2024-01-01"])
    assert result.exit_code == 0, result.output
    assert "postings" in result.output
    assert (out / "intacct" / "GLDETAIL" / "page-0001.xml").is_file()
    bad = CliRunner().invoke(app, ["demo", "init", "--start", "soon", "--out", str(out), "--no-progress"])
    assert bad.exit_code != 0


@pytest.mark.slow
def test_full_size_has_at_least_100k_posting_lines():
    d = generate_demo()
    assert len(d.postings) >= 100_000
    assert len(d.company.projects) >= 40 and len(d.company.vendors) >= 300
    assert 75 <= len(d.company.accounts) <= 95
    assert sum(1 for a in d.company.accounts.values() if not a.active) >= 3
