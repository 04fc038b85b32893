"""The cheap parts of the scale run: the company it writes, how it measures a child, what it reports.
(The run itself, `python -m eval.scale`, embeds and trains for minutes: not a unit test.)"""

import json
import sys
from datetime import date
from decimal import Decimal

import pytest

from copilot.domain import Posting
from copilot.formats.company_dir import read_company_dir
from eval import scale, scale_company
from eval.measure import Measured, run_measured


def _entry(batch: str, n: int, day: int, entity: str = "US1") -> list[Posting]:
    return [Posting(record_no=f"{batch}-{i}", entity=entity, entry_date=date(2024, 1, day), batch_no=batch,
                    account_no="6000", amount=Decimal("1.00"), tr_type=1 if i % 2 else -1) for i in range(n)]


def test_recent_entries_keeps_the_newest_whole_entries_that_fit():
    postings = _entry("1", 4, 1) + _entry("2", 3, 2) + _entry("2", 2, 2, entity="UK1") + _entry("3", 5, 3)
    # Newest first: batch 3 (5 lines), UK1's batch 2 (2), US1's batch 2 (3), batch 1 (4).
    assert scale_company.recent_entries(postings, 9) == postings[-7:]
    assert scale_company.recent_entries(postings, 10) == postings[-10:]
    assert scale_company.recent_entries(postings, 13) == postings[-10:]
    assert scale_company.recent_entries(postings, 14) == postings
    assert scale_company.recent_entries(postings, 4) == []  # the newest entry alone is too big


def test_scale_company_writes_an_export_of_about_n_lines(tmp_path):
    out = tmp_path / "export"
    scale_company.main(["--lines", "1500", "--out", str(out), "--summary", str(tmp_path / "s.json")])
    summary = json.loads((tmp_path / "s.json").read_text())
    data = read_company_dir(out, "scale")
    assert len(data.postings) == summary["lines"] and 1400 <= summary["lines"] <= 1500
    assert str(min(p.entry_date for p in data.postings)) == summary["first_date"]
    assert len(data.company.entities) == 3 and data.other_objects == []  # no demo extras (APBILL...)
    by_entry: dict = {}
    for p in data.postings:  # every entry whole, so each balances
        by_entry[(p.entity, p.batch_no)] = by_entry.get((p.entity, p.batch_no), 0) + p.signed_amount
    assert set(by_entry.values()) == {0}


def test_run_measured_reports_the_childs_own_peak_memory(tmp_path):
    # A parent this big (pages touched, so resident) must not show up in the child's peak.
    ballast = bytearray(160 * 2**20)
    ballast[::4096] = b"1" * len(range(0, len(ballast), 4096))
    grow = "x = bytearray(40 * 2**20); x[::4096] = b'1' * len(range(0, len(x), 4096))"
    m = run_measured([sys.executable, "-c", grow], log=tmp_path / "log")
    assert m.returncode == 0 and 40 <= m.peak_mib < 120 and m.seconds > 0
    failed = run_measured([sys.executable, "-c", "print('boom'); raise SystemExit(3)"], log=tmp_path / "log2")
    assert failed.returncode == 3
    with pytest.raises(RuntimeError, match="boom"):
        failed.check()
    del ballast


def test_report_reads_the_commands_output():
    ingest_log = 'reading x ...\n{\n  "company": "scale",\n  "texts_embedded": 12,\n  "unique_texts": 20,\n' \
                 '  "seconds": 3.5,\n  "embed_seconds": 2.0\n}\ntrain: fitting\n'
    eval_log = "noise\n## Suggestion engine\n\nTime split at **2024-10-01**: 9 training lines\n\n| method |\n" \
               "| engine |\n\n- Engine training time on the training split: 1.0 s\n\n| confidence bin |\n"
    ingest = scale.ingest_report(ingest_log)
    evaluation = scale.eval_summary(eval_log)
    assert ingest["texts_embedded"] == 12 and evaluation[0].startswith("Time split")
    assert evaluation[-1].startswith("- Engine training time") and "| engine |" in evaluation
    stages = [scale.Stage("import", Measured(["x"], 2.0, 1.5, 80.0, 0), lines=1000),
              scale.Stage("eval", Measured(["y"], 10.0, 9.0, 500.0, 0))]
    summary = {"lines": 1000, "months_generated": 2, "first_date": "2024-08-01", "last_date": "2024-12-31",
               "entities": 3, "accounts": 88, "vendors": 300}
    md = scale.render(stages, summary, test_months=3, max_test=None, ingest=ingest, evaluation=evaluation,
                      threads="OMP_NUM_THREADS=1", load=1.0)
    assert "| import | 2.0 | 1.5 | 80 | 500 |" in md and "| eval | 10.0 | 9.0 | 500 | - |" in md
    assert "| **total** | **12.0** | 10.5 | 500 | |" in md and "12 texts through the embedding model" in md
