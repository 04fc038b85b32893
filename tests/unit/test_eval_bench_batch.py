"""The batch benchmark's report: rendered from measured runs, with the target stated."""

from argparse import Namespace

from copilot.settings import Settings
from eval.bench_batch import render

INFO = {"lines": 100_001, "entries": 36_213, "to_code": 46_656, "bytes": 8_283_750}


def _run(lines_s: float) -> dict:
    summary = {"lines": 100_001, "auto_coded": 72_235, "sent_to_review": 27_766, "errors": 0,
               "review_reasons": {"low_confidence": 23_885, "account.suspense": 11}}
    return {"wall": 100_001 / lines_s, "lines_s": lines_s, "reference": 0.34, "summary": summary,
            "embedded": 0, "load": 2.9}


def _args(**kw) -> Namespace:
    return Namespace(**{"company": "demo", "fresh_text": False, "chunk_size": 5000, "no_validate": False, **kw})


def test_the_report_states_each_run_and_whether_the_target_was_met():
    runs = [_run(1145.0), _run(980.0), _run(1101.0)]
    md = render(_args(), INFO, runs, workers=2, median=1101.0, peak_child=1342.0, base=Settings())
    assert "| 2 | 100,001 | 102.0 | **980** |" in md
    assert "**Target 1,000 lines/s: met (median of 3 runs 1,101 lines/s).**" in md
    assert "low_confidence 23,885, account.suspense 11." in md
    assert "2 worker processes" in md and "Peak memory of a worker process 1,342 MiB" in md
    slow = render(_args(), INFO, runs, workers=2, median=980.0, peak_child=1342.0, base=Settings())
    assert "Target 1,000 lines/s: not met" in slow


def test_a_one_process_run_is_reported_as_the_comparison_not_against_the_target():
    md = render(_args(no_validate=True), INFO, [_run(667.0)], workers=1, median=667.0, peak_child=0.0,
                base=Settings())
    assert "one process" in md and "median of 1 runs 667 lines/s" in md
    assert "Target" not in md and "Peak memory" not in md and "validation off" in md
