"""Every rule on a minimal entry: it fires on its trigger, stays silent on a clean entry, and switching
it off in the policy removes it (so each of these tests fails without its rule)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from copilot.domain import RankedCoding, Suggestion, SuggestionRequest
from copilot.domain.suggestions import DimensionCombination
from copilot.validate.policy import RulesPolicy
from copilot.validate.rules import all_rule_ids
from copilot.validate.service import Validator

from .conftest import AS_OF, balanced, entry, line


def _benford_batch():
    lines = []
    for i in range(200):
        amount = f"{900 + i % 97}.{i % 89:02d}"
        lines.append(line("6230", amount, 1, "supplies", vendor="V1", location="NYC", department="SALES"))
        lines.append(line("2000", amount, -1, "supplies", vendor="V1", location="NYC"))
    return [entry(*lines)]


# rule id -> (entries that must trigger it, as_of)
SCENARIOS = {
    "entry.unbalanced": lambda: [entry(line("6230", "100.00", 1, vendor="V1", location="NYC", department="SALES"),
                                       line("2000", "90.00", -1, vendor="V1", location="NYC"))],
    "entry.too_few_lines": lambda: [entry(line("6230", "100.00", 1, vendor="V1", location="NYC", department="SALES"))],
    "code.unknown_account": lambda: [balanced("7777", "120.00", "supplies", vendor="V1")],
    "code.inactive_account": lambda: [balanced("6990", "120.00", "misc", vendor="V1")],
    "code.unknown_dimension": lambda: [balanced("6230", "120.00", "supplies", vendor="V1", department="XYZ")],
    "code.inactive_dimension": lambda: [balanced("6230", "120.00", "supplies", vendor="V1", department="OLD")],
    "code.wrong_entity": lambda: [entry(line("6230", "120.00", 1, vendor="V1", location="LON", department="SALES"),
                                        line("2000", "120.00", -1, vendor="V1", location="LON"))],
    "dimension.required_missing": lambda: [balanced("6000", "45000.00", "payroll", credit="2050")],
    "period.closed": lambda: [balanced("6230", "120.00", "supplies", vendor="V1", department="SALES",
                                       day=date(2025, 2, 14))],
    "period.after_close": lambda: [balanced("6230", "120.00", "supplies", vendor="V1", department="SALES",
                                            day=date(2025, 5, 20))],
    "period.future": lambda: [balanced("6230", "120.00", "supplies", vendor="V1", department="SALES",
                                       day=date(2025, 9, 15))],
    "date.weekend": lambda: [balanced("6230", "120.00", "supplies", vendor="V1", department="SALES",
                                      day=date(2025, 7, 5))],
    "policy.capitalization": lambda: [balanced("6450", "8000.00", "Dell PowerEdge R760 server", vendor="V2",
                                               department="ENG")],
    "account.suspense": lambda: [balanced("9999", "120.00", "unknown receipt", credit="2050")],
    "amount.round": lambda: [balanced("6450", "6500.00", "year-end true-up", vendor="V2", department="ENG")],
    "duplicate.vendor_amount": lambda: [balanced("6230", "432.10", "supplies", vendor="V3", department="SALES",
                                                 day=date(2025, 6, 12))],
    "duplicate.document": lambda: [entry(line("6230", "99.00", 1, "x", vendor="V3", location="NYC", department="SALES"),
                                         line("2000", "99.00", -1, "x", vendor="V3", location="NYC"),
                                         day=date(2025, 6, 20), reference_no="inv 0777")],
    "duplicate.near": lambda: [balanced("6230", "433.00", "office supplies - june order", vendor="V3",
                                        department="SALES", day=date(2025, 6, 13))],
    "anomaly.rare_value": lambda: [balanced("6230", "150.00", "supplies", vendor="V1", department="LEGAL")],
    "anomaly.rare_combination": lambda: [balanced("5200", "2500.00", "subcontractor invoice", vendor="V1",
                                                  project="P1")],
    "anomaly.amount_outlier": lambda: [balanced("6230", "90000.00", "office supplies order", vendor="V1",
                                                department="SALES")],
    "anomaly.score": lambda: [balanced("6230", "90000.00", "office supplies order", vendor="V1",
                                       department="SALES")],
    "project.unusual_account": lambda: [balanced("6230", "150.00", "supplies", vendor="V1", department="SALES",
                                                 project="P1")],
    "project.allocation_split": lambda: [entry(line("5250", "850.00", 1, "labor", location="NYC", project="P1"),
                                               line("5250", "7650.00", 1, "labor", location="NYC", project="P2"),
                                               line("2050", "8500.00", -1, "labor", location="NYC"))],
    "project.over_budget": lambda: [balanced("5200", "500.00", "subcontractor invoice", vendor="V5", project="P3")],
    "batch.benford": _benford_batch,
}


def _clean():
    return [balanced("6230", "150.37", "office supplies order", vendor="V1", department="SALES")]


def _without(policy: RulesPolicy, rule_id: str) -> RulesPolicy:
    rules = {k: v.model_copy(update={"enabled": False}) if k == rule_id else v for k, v in policy.rules.items()}
    return policy.model_copy(update={"rules": rules})


def test_every_rule_has_a_scenario(policy):
    assert set(SCENARIOS) == all_rule_ids()
    assert set(policy.rules) == all_rule_ids()


@pytest.mark.parametrize("rule_id", sorted(SCENARIOS))
def test_rule_fires_and_can_be_switched_off(rule_id, policy, calendar, company, profile):
    entries = SCENARIOS[rule_id]()
    report = Validator(policy, calendar, company=company, profile=profile).validate(entries, as_of=AS_OF)
    hits = [f for f in report.findings if f.rule_id == rule_id]
    assert hits, f"{rule_id} did not fire: {[(f.rule_id, f.message) for f in report.findings]}"
    assert all(f.severity == policy.rules[rule_id].severity for f in hits)
    assert all(f.message and isinstance(f.evidence, dict) for f in hits)

    off = Validator(_without(policy, rule_id), calendar, company=company, profile=profile)
    assert not [f for f in off.validate(entries, as_of=AS_OF).findings if f.rule_id == rule_id]


def test_clean_entry_passes(policy, calendar, company, profile):
    report = Validator(policy, calendar, company=company, profile=profile).validate(_clean(), as_of=AS_OF)
    assert report.verdict == "pass", [(f.rule_id, f.message) for f in report.findings]
    assert not [f for f in report.findings if f.severity != "info"]
    assert report.entries[0].line_scores and report.entries[0].line_scores[0].score < 0.99


def test_unbalanced_is_checked_per_entity_and_currency(policy, calendar, company):
    e = entry(line("6230", "100.00", 1, location="NYC"), line("2050", "100.00", -1, location="LON"), entity=None)
    report = Validator(policy, calendar, company=company).validate([e], as_of=AS_OF)
    found = [f for f in report.findings if f.rule_id == "entry.unbalanced"]
    assert {f.evidence["entity"] for f in found} == {"US01", "UK01"}
    assert {f.evidence["currency"] for f in found} == {"USD", "GBP"}


def test_capitalization_threshold_follows_entity_and_date(policy, calendar, company):
    v = Validator(policy, calendar, company=company)
    # US01 threshold was 2,500 before 2024 and 5,000 since: 3,000 is capitalizable only before.
    old = balanced("6450", "3000.00", "Lenovo laptop", vendor="V2", department="ENG", day=date(2023, 12, 1))
    new = balanced("6450", "3000.00", "Lenovo laptop", vendor="V2", department="ENG", day=date(2025, 7, 1))
    cap = lambda e: [f for f in v.validate([e], as_of=AS_OF).findings if f.rule_id == "policy.capitalization"]
    assert cap(old) and not cap(new)
    fix = cap(old)[0].corrections
    assert fix and fix[0].account_no in {"1500", "1510"}


def test_capitalization_is_per_unit_and_skips_services(policy, calendar, company):
    v = Validator(policy, calendar, company=company)
    cap = lambda memo: [f for f in v.validate([balanced("6450", "9000.00", memo, vendor="V2", department="ENG")],
                                              as_of=AS_OF).findings if f.rule_id == "policy.capitalization"]
    assert not cap("Aeron chair x6 @ 1,500.00")  # six chairs below the threshold each: expensed correctly
    found = cap("Cisco appliance x2 @ 4,500.00 - NYC office") + cap("Dell server, 2 units")
    assert not found  # 4,500 per unit is below US01's 5,000 since 2024
    assert cap("Dell PowerEdge server x1 @ 9,000.00")
    assert not cap("Laptop imaging & setup, 40 laptops")  # a service, not an asset
    dep = [f for f in v.validate([balanced("6800", "9000.00", "Depreciation - Computer Equipment", credit="2050",
                                           department="ENG")], as_of=AS_OF).findings
           if f.rule_id == "policy.capitalization"]
    assert not dep


def test_weekend_and_round_amounts_concern_manual_journals(policy, calendar, company, profile):
    v = Validator(policy, calendar, company=company, profile=profile)
    sat = balanced("6450", "6500.00", "true-up", vendor="V2", department="ENG", day=date(2025, 6, 14))
    card = sat.model_copy(update={"journal": "CCJ"})
    month_end = balanced("6450", "1234.56", "accrual", vendor="V2", department="ENG", day=date(2025, 5, 31))
    rules = lambda e: {f.rule_id for f in v.validate([e], as_of=AS_OF).findings}
    assert {"date.weekend", "amount.round"} <= rules(sat)
    assert not {"date.weekend", "amount.round"} & rules(card)
    assert "date.weekend" not in rules(month_end)  # a Saturday, but the period-end date


def test_unknown_rule_id_in_policy_is_refused(policy, calendar):
    from copilot.errors import ConfigurationError
    from copilot.validate.policy import RuleConfig

    bad = policy.model_copy(update={"rules": {**policy.rules, "entry.unbalancd": RuleConfig(severity="error")}})
    with pytest.raises(ConfigurationError):
        Validator(bad, calendar)


def test_missing_threshold_is_a_configuration_error(policy, calendar, company, profile):
    from copilot.errors import ConfigurationError
    from copilot.validate.policy import RuleConfig

    rules = dict(policy.rules)
    rules["amount.round"] = RuleConfig(rule_id="amount.round", severity="info")  # no min_amount / multiple
    v = Validator(policy.model_copy(update={"rules": rules}), calendar, company=company, profile=profile)
    with pytest.raises(ConfigurationError, match="min_amount"):
        v.validate(_clean(), as_of=AS_OF)


class FakeEngine:
    def __init__(self):
        self.requests: list[SuggestionRequest] = []

    def __call__(self, request: SuggestionRequest) -> Suggestion:
        self.requests.append(request)
        codings = [RankedCoding(combination=DimensionCombination(account_no=a, dims={"department": "SALES"}),
                                confidence=c, evidence_ids=[f"posting:H{i}"])
                   for i, (a, c) in enumerate([("6230", 0.8), ("6450", 0.1), ("6000", 0.05), ("6200", 0.01)])]
        return Suggestion(request=request, codings=codings)


def test_coding_findings_get_the_engines_top3(policy, calendar, company, profile):
    fake = FakeEngine()
    v = Validator(policy, calendar, company=company, profile=profile, suggester=fake)
    report = v.validate([balanced("7777", "120.00", "office supplies order", vendor="V1", department="SALES")],
                        as_of=AS_OF)
    f = next(f for f in report.findings if f.rule_id == "code.unknown_account")
    assert [c.account_no for c in f.corrections] == ["6230", "6450", "6000"]
    assert f.corrections[0].confidence == 0.8 and f.corrections[0].dims["vendor"] == "V1"
    assert len(fake.requests) == 1  # one call per line, not per finding
    req = fake.requests[0]
    assert req.entity == "US01" and req.vendor == "V1" and req.memo == "office supplies order"
    assert req.amount == Decimal("120.00") and req.account_no is None
    # Non-coding findings get no engine corrections.
    assert not any(c.kind == "coding" for f in report.findings if f.rule_id == "amount.round" for c in f.corrections)


def test_failing_suggester_does_not_break_validation(policy, calendar, company):
    def boom(_):
        raise RuntimeError("engine down")

    report = Validator(policy, calendar, company=company, suggester=boom).validate(
        [balanced("7777", "120.00", "x", vendor="V1")], as_of=AS_OF)
    assert report.verdict == "block"


def test_duplicates_inside_one_request(policy, calendar, company, profile):
    a = balanced("6230", "211.11", "office supplies order", vendor="V2", department="ENG", day=date(2025, 7, 1))
    b = balanced("6230", "211.11", "office supplies order", vendor="V2", department="ENG", day=date(2025, 7, 2))
    report = Validator(policy, calendar, company=company, profile=profile).validate([a, b], as_of=AS_OF)
    dups = [f for f in report.findings if f.rule_id == "duplicate.vendor_amount"]
    assert [f.entry_index for f in dups] == [1, 1]  # the second copy, both its lines (expense and AP)
    # A bill split into two equal lines is not a duplicate of itself.
    split = entry(line("6230", "50.00", 1, "x", vendor="V2", location="NYC", department="ENG"),
                  line("6230", "50.00", 1, "x", vendor="V2", location="NYC", department="SALES"),
                  line("2000", "100.00", -1, "x", vendor="V2", location="NYC"))
    assert not [f for f in Validator(policy, calendar, company=company).validate([split], as_of=AS_OF).findings
                if f.rule_id.startswith("duplicate.")]


def test_history_is_judged_by_the_status_at_the_time(policy, calendar, company, history):
    """V9 is inactive today; its regular use in 2024 was fine, a use months after the last one is not."""
    from datetime import timedelta

    from copilot.domain import Posting
    from copilot.validate.profile import HistoryProfile

    def gone(i, day):
        return Posting(record_no=f"G{i}", entity="US01", entry_date=day, batch_no=f"G{i}", account_no="6230",
                       amount=Decimal("150.00"), memo="supplies", dims={"vendor": "V9", "location": "NYC"})

    regular = [gone(i, date(2024, 7, 1) + timedelta(days=14 * i)) for i in range(10)]
    late = gone(99, date(2025, 6, 2))
    postings = history + regular + [late]
    v = Validator(policy, calendar, company=company, profile=HistoryProfile.build(postings))
    flagged = {p.record_no for p, fs, _ in v.validate_history(regular + [late])
               if any(f.rule_id == "code.inactive_dimension" for f in fs)}
    assert flagged == {"G99"}
    # A new entry is always checked against today's status.
    new = balanced("6230", "150.00", "supplies", vendor="V9", department="SALES")
    assert "code.inactive_dimension" in {f.rule_id for f in v.validate([new], as_of=AS_OF).findings}
