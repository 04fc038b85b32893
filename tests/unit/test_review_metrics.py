"""Monitoring: what reviewers decide, turned into rates, calibration, drift and alerts."""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from copilot.domain import DimensionCombination
from copilot.errors import PermissionDenied
from copilot.review.metrics import (Monitor, Observation, Thresholds, acceptance_rate, calibration,
                                    confidence_histogram, edit_rates, psi, summarize)
from copilot.review.queue import ReviewService
from tests.review_support import (ADMIN, APPROVER_US, AUDITOR_US, PREPARER_US, backend, database,  # noqa: F401
                                  make_suggestion, ranked)

NOW = datetime(2025, 6, 30, 12)
TOP = "6400|department=SALES|location=NYC"


def obs(status="approved", conf=0.8, final=TOP, changed=(), days_ago=1, entity="US", top=TOP) -> Observation:
    when = NOW - timedelta(days=days_ago)
    return Observation(entity, status, when - timedelta(hours=1), conf, top, final if status != "rejected" else None,
                       tuple(changed), when if status != "pending" else None)


def test_acceptance_counts_rejects_and_second_choices_as_not_accepted():
    data = [obs(), obs(), obs(status="edited", final="6410|department=SALES|location=NYC", changed=["account"]),
            obs(status="rejected"), obs(status="pending")]
    assert acceptance_rate(data) == pytest.approx(2 / 4)
    assert acceptance_rate([obs(status="pending")]) is None


def test_edit_rate_per_dimension_over_decisions_where_it_appears():
    data = [obs(), obs(status="edited", final="6400|department=MKT|location=NYC", changed=["department"]),
            obs(status="edited", final="6400|department=SALES|location=NYC|project=P1", changed=["project"]),
            obs(status="rejected")]
    rates = edit_rates(data)
    assert rates["department"] == {"rate": pytest.approx(1 / 3), "n": 3, "edited": 1}
    assert rates["project"] == {"rate": 1.0, "n": 1, "edited": 1}
    assert rates["account"]["rate"] == 0.0


def test_confidence_histogram_has_ten_bins_and_keeps_1_0_in_the_last():
    h = confidence_histogram([0.0, 0.05, 0.55, 0.99, 1.0])
    assert h["counts"] == [2, 0, 0, 0, 0, 1, 0, 0, 0, 2] and len(h["edges"]) == 11


def test_calibration_and_ece():
    # 10 items at 0.9 of which 9 accepted: calibrated. 10 at 0.75 of which 4 accepted: overconfident.
    data = [obs(conf=0.9, status="approved" if i < 9 else "rejected") for i in range(10)]
    data += [obs(conf=0.75, status="approved" if i < 4 else "rejected") for i in range(10)]
    cal = calibration(data)
    b9, b7 = cal["bins"][9], cal["bins"][7]
    assert (b9["n"], b9["accuracy"]) == (10, 0.9) and (b7["n"], b7["accuracy"]) == (10, 0.4)
    assert cal["ece"] == pytest.approx(0.5 * 0.0 + 0.5 * 0.35)


def test_psi():
    same = Counter({"6400": 50, "6500": 50})
    assert psi(same, same) == pytest.approx(0.0)
    shifted = psi(same, Counter({"6400": 90, "6500": 10}))
    expected = (0.9 - 0.5) * math.log(0.9 / 0.5) + (0.1 - 0.5) * math.log(0.1 / 0.5)
    assert shifted == pytest.approx(expected)
    assert psi(Counter(), same) is None
    assert psi(Counter({"a": 10}), Counter({"b": 10})) > 10  # disjoint: very large, still finite


def test_alerts_fire_only_past_thresholds_with_enough_samples():
    t = Thresholds(min_samples=20, window_days=7, baseline_days=60)
    baseline = [obs(conf=0.9, days_ago=30, final="6400|department=SALES|location=NYC") for _ in range(40)]
    healthy = [obs(conf=0.9, days_ago=2) for _ in range(40)]
    assert summarize(baseline + healthy, NOW, t)["alerts"] == []

    # Recent: the engine is as confident as ever but reviewers move half the items to 6500 / MKT.
    bad = [obs(conf=0.9, days_ago=2) for _ in range(20)]
    bad += [obs(conf=0.9, days_ago=2, status="edited", final="6500|department=MKT|location=NYC",
                changed=["account", "department"]) for _ in range(20)]
    s = summarize(baseline + bad, NOW, t)
    names = {a["alert"] for a in s["alerts"]}
    assert names == {"low_acceptance", "high_edit_rate:account", "high_edit_rate:department",
                     "calibration_drift", "account_drift"}
    assert s["acceptance_rate_recent"] == 0.5 and s["account_drift"]["psi"] > 0.2
    assert s["calibration_drift"]["baseline_ece"] == pytest.approx(0.1)
    assert s["calibration_drift"]["recent_ece"] == pytest.approx(0.4)

    few = summarize(baseline + bad[-10:], NOW, t)  # 10 recent decisions < min_samples: no alerts
    assert few["alerts"] == []


def test_summary_windows_and_timeline():
    t = Thresholds(window_days=7, baseline_days=30)
    data = [obs(days_ago=1), obs(days_ago=1, status="rejected"), obs(days_ago=10), obs(days_ago=100)]
    s = summarize(data, NOW, t)
    assert s["window"]["recent_decisions"] == 2 and s["window"]["baseline_decisions"] == 1
    assert s["counts"]["approved"] == 3 and s["counts"]["rejected"] == 1
    day = (NOW - timedelta(days=1)).date().isoformat()
    assert {"date": day, "decided": 2, "accepted": 1, "rate": 0.5} in s["acceptance_over_time"]


def test_monitor_reads_the_database_per_entity_and_exposes_prometheus(database):
    clock = [datetime(2025, 6, 1, 9)]
    svc = ReviewService(database, clock=lambda: clock[0])
    monitor = Monitor(database, Thresholds(), clock=lambda: clock[0])
    for entity, n in (("US", 3), ("UK", 2)):
        for i in range(n):
            item = svc.submit(make_suggestion(entity), ADMIN)
            if i == 0:
                svc.edit(item.id, ADMIN, DimensionCombination(account_no="6500", dims={"department": "MKT"}),
                         reason="marketing")
            else:
                svc.approve(item.id, ADMIN, coding_index=1 if i == 2 else 0)
    svc.submit(make_suggestion("US", codings=[ranked("6400", 0.35)]), ADMIN)  # pending

    us = monitor.summary(AUDITOR_US)
    assert us["entities"] == ["US"] and us["counts"]["submitted"] == 4 and us["counts"]["pending"] == 1
    assert us["acceptance_rate"] == pytest.approx(1 / 3)  # one top-1 approval of three decisions
    assert us["top3_hit_rate"] == pytest.approx(2 / 3)  # the edit to 6500 was not among the three
    assert sum(us["confidence_histogram"]["counts"]) == 4
    assert monitor.summary(ADMIN)["counts"]["submitted"] == 6
    with pytest.raises(PermissionDenied):
        monitor.summary(PREPARER_US)
    with pytest.raises(PermissionDenied):
        monitor.summary(AUDITOR_US, entity="UK")

    families = {f.name: f for f in text_string_to_metric_families(monitor.prometheus(APPROVER_US).decode())}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    assert samples[("copilot_review_items", (("entity", "US"), ("status", "pending")))] == 1
    assert samples[("copilot_acceptance_rate", (("entity", "US"), ("window", "all")))] == pytest.approx(1 / 3)
    assert samples[("copilot_suggestion_confidence_count", (("entity", "US"),))] == 4
    assert samples[("copilot_suggestion_confidence_bucket", (("entity", "US"), ("le", "0.4")))] == 1
    assert all(dict(labels).get("entity") != "UK" for _, labels in samples)  # US approver: US only
    admin_text = monitor.prometheus(ADMIN).decode()
    assert 'entity="UK"' in admin_text
