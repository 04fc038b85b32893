"""The stream monitor (CSV, JSON lines, GLDETAIL XML) and the seeded anomaly injector."""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest

from copilot.validate.injector import inject
from copilot.validate.monitor import Bad, StreamMonitor, read_postings
from copilot.validate.service import Validator

from .conftest import build_company


def _rows():
    good = {"RECORDNO": "S1", "ENTRY_DATE": "07/01/2025", "ACCOUNTNO": "6230", "TR_TYPE": "1", "TRX_AMOUNT": "150.00",
            "DEPARTMENTID": "SALES", "LOCATIONID": "NYC", "VENDORID": "V1", "MEGAENTITYID": "US01",
            "DESCRIPTION": "office supplies order"}
    odd = {**good, "RECORDNO": "S2", "ACCOUNTNO": "5200", "PROJECTID": "P1", "DEPARTMENTID": ""}  # V1 never on 5200
    broken = {**good, "RECORDNO": "S3", "TRX_AMOUNT": "lots"}
    dup = {**good, "RECORDNO": "S4", "ENTRY_DATE": "07/02/2025"}  # same vendor and amount as S1, next day
    return [good, odd, broken, dup]


def _csv(rows) -> str:
    fields = sorted({k for r in rows for k in r})
    out = io.StringIO()
    out.write(",".join(fields) + "\n")
    for r in rows:
        out.write(",".join(r.get(f, "") for f in fields) + "\n")
    return out.getvalue()


def _gldetail_xml(rows) -> str:
    recs = "".join("<gldetail>" + "".join(f"<{k}>{v}</{k}>" for k, v in r.items()) + "</gldetail>" for r in rows)
    return (f'<?xml version="1.0" encoding="UTF-8"?><response><operation><result><status>success</status>'
            f'<data listtype="gldetail" count="{len(rows)}">{recs}</data></result></operation></response>')


def _run(text, policy, calendar, company, profile):
    monitor = StreamMonitor(Validator(policy, calendar, company=company, profile=profile), learn=False)
    out = []
    for item in read_postings(io.StringIO(text)):
        out.append(item if isinstance(item, Bad) else monitor.feed(item))
    return out, monitor


def test_monitor_flags_lines_in_every_format(policy, calendar, company, profile):
    texts = {"csv": _csv(_rows()), "jsonl": "\n".join(json.dumps(r) for r in _rows()) + "\n",
             "xml": _gldetail_xml(_rows())}
    for fmt, text in texts.items():
        out, monitor = _run(text, policy, calendar, company, profile)
        assert [type(o).__name__ for o in out] == ["Scored", "Scored", "Bad", "Scored"], fmt
        normal, odd, bad, dup = out
        assert not normal.flagged, (fmt, [(f.rule_id, f.message) for f in normal.findings])
        assert odd.flagged and "anomaly.rare_combination" in {f.rule_id for f in odd.findings}
        assert "TRX_AMOUNT" in bad.message
        assert "duplicate.vendor_amount" in {f.rule_id for f in dup.findings}  # against the stream so far
        assert monitor.stats.read == 3 and monitor.stats.flagged == 2


def test_monitor_follow_stops_and_learns(policy, calendar, company, history):
    from copilot.validate.profile import HistoryProfile

    prof = HistoryProfile.build(history)
    before = prof.count("vendor", "V1")
    monitor = StreamMonitor(Validator(policy, calendar, company=company, profile=prof), learn=True)
    calls = []
    lines = list(read_postings(io.StringIO(_csv(_rows()[:2])), fmt="csv", follow=True, poll_s=0,
                               stop=lambda: calls.append(1) or True))
    for p in lines:
        monitor.feed(p)
    assert calls and prof.count("vendor", "V1") == before + 2


def test_injector_is_seeded_labelled_and_leaves_the_original_alone(history):
    company = build_company()
    snapshot = [p.model_dump() for p in history[:50]]
    a = inject(history, seed=4, global_rate=0.01, local_rate=0.01, company=company)
    b = inject(history, seed=4, global_rate=0.01, local_rate=0.01, company=company)
    c = inject(history, seed=5, global_rate=0.01, local_rate=0.01, company=company)
    assert [p.model_dump() for p in history[:50]] == snapshot
    assert a.labels == b.labels and a.labels != c.labels
    kinds = Counter(lab.kind for lab in a.labels)
    assert kinds["global"] == round(len(history) * 0.01)
    # The tiny fixture has few unseen combinations of common values; each is injected once at most.
    assert 0 < kinds["local"] <= round(len(history) * 0.01)
    assert len(a.postings) == len(history) + len(a.labels)
    by_record = {p.record_no: p for p in a.postings}
    values = lambda p: {"account": p.account_no, **p.dims}
    seen_pairs = {(values(p).get(x), values(p).get(y)) for p in history
                  for x, y in (("account", "department"), ("account", "location"), ("account", "project"),
                               ("vendor", "account"))}
    counts = Counter((k, v) for p in history for k, v in values(p).items())
    for lab in a.labels:
        p = by_record[lab.record_no]
        base = by_record[lab.base_record]
        assert p.batch_no == lab.record_no and p.entry_date == base.entry_date
        if lab.subtype == "extreme_amount":
            top = max(q.amount for q in history if q.account_no == p.account_no)
            assert p.amount >= 3 * top
        elif lab.kind == "global":
            assert counts[(lab.attribute, lab.injected)] <= 2
        else:
            context, target = lab.subtype.split("_")
            assert (values(p)[context], values(p)[target]) not in seen_pairs
            assert counts[(target, lab.injected)] >= 20 and counts[(context, values(p)[context])] >= 20


@pytest.mark.slow
def test_injected_anomalies_outscore_normal_lines(history):
    import numpy as np

    from copilot.validate.evaluation import injection_benchmark

    res = injection_benchmark(history, company=build_company(), seeds=(1,), global_rate=0.01, local_rate=0.01)
    auc = res.metrics["copilot score"]["all"]["auc_roc"][0]
    assert auc > 0.85 and np.isfinite(res.metrics["Isolation Forest (same features)"]["all"]["auc_pr"][0])
