"""The learning evaluation: the test period replayed as a stream of reviewed lines.

Acme's history codes Staples' "printer paper toner" to G&A; from the split date on, the same bills go to
ENG (the printers moved to engineering). A static engine keeps saying G&A; the learning engine is taught
each line's true coding and must be right from the second such bill in each entity on.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import pytest

from copilot.domain import Posting
from copilot.engine.neighbours import ArrayNeighbours, GrowingNeighbours
from copilot.evaluation.learning_eval import render, replay
from copilot.index.embeddings import HashingEmbedder
from tests.support.acme import RULES, make_company, make_postings

SPLIT = date(2024, 7, 1)
MOVED = ("V2", "printer paper toner")


def stream(n: int = 240, seed: int = 7) -> list[Posting]:
    """Lines after the split, coded by the same rules except the moved one."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        vendor, memo, acct, dept = rng.choice(RULES)
        if (vendor, memo) == MOVED:
            dept = "ENG"
        entity = "US" if rng.random() < 0.7 else "UK"
        dims = {"department": dept, "vendor": vendor}
        if acct != "6400":
            dims["location"] = "NYC" if entity == "US" else "LON"
        out.append(Posting(record_no=f"T{i}", entity=entity, entry_date=SPLIT + timedelta(days=i // 4),
                           account_no=acct, amount=f"{rng.randint(20, 900)}.00",
                           memo=f"{memo} inv {rng.randint(1000, 9999)}", dims=dims))
    return out


@pytest.fixture(scope="module")
def report():
    history = [p for p in make_postings(900) if p.entry_date < SPLIT]
    return replay("acme", make_company(), history + stream(), HashingEmbedder(dim=256).embed,
                  split_date=SPLIT, window_days=14, progress=lambda _: None)


def _moved(report) -> list:
    return [ln for ln in report.lines if ln.truth.startswith("6500|department=ENG")]


def test_a_vendor_whose_coding_changed_is_right_after_its_first_correction_only_when_learning(report):
    moved = _moved(report)
    assert len(moved) > 10 and {ln.entity for ln in moved} == {"US", "UK"}
    # Without feedback the engine never catches up with the change.
    assert not any(ln.static[:1] == [ln.truth] for ln in moved)
    # With feedback, each entity's first such bill is still wrong (nothing has been taught yet) and every
    # later one is right: the correction is remembered per entity, vendor and memo.
    for entity in ("US", "UK"):
        mine = [ln for ln in moved if ln.entity == entity]
        assert mine[0].learning[:1] != [mine[0].truth] and not mine[0].repeat
        assert all(ln.learning[:1] == [ln.truth] and ln.repeat for ln in mine[1:]), entity


def test_the_report_adds_up_and_learning_gains_on_repeats(report):
    assert report.n_scored == report.n_stream == 240 and report.n_train > 0
    assert report.repeat.n + report.fresh.n == report.total.n
    assert sum(t.n for t in report.windows.values()) == report.total.n
    assert report.repeat.learn1 > report.repeat.static1
    # acme's codings follow vendor + memo: every repeat carries the coding taught last for it.
    assert report.repeat_same == report.repeat.n
    assert report.total.learn1 - report.total.static1 >= len(_moved(report)) - 2
    # Lines the history already codes right stay right: learning does not cost the unchanged vendors.
    unchanged = [ln for ln in report.lines if not ln.truth.startswith("6500|department=ENG")]
    assert sum(ln.learning[:1] == [ln.truth] for ln in unchanged) >= sum(ln.static[:1] == [ln.truth]
                                                                          for ln in unchanged)


def test_render_has_totals_windows_and_the_chart(report):
    md = render(report)
    assert md.startswith("## Learning from corrections — company `acme`")
    assert "| vendor + memo fed back earlier in the stream |" in md
    n_windows = len(report.windows)
    assert n_windows >= 4 and md.count(" static   ") == n_windows and "█" in md
    assert "Every line is scored and fed back." in md
    assert "| GJ | 240 |" in md  # acme's lines are all general-journal lines


def test_a_sample_is_scored_but_every_line_is_fed_back():
    history = [p for p in make_postings(900) if p.entry_date < SPLIT]
    r = replay("acme", make_company(), history + stream(), HashingEmbedder(dim=256).embed,
               split_date=SPLIT, max_test=60, progress=lambda _: None)
    assert r.n_stream == 240 and r.n_scored == 60
    assert "60 of the lines (a seeded sample) are scored; every line is fed back." in render(r)
    # Lines never scored still taught the engine: later sampled bills of the moved vendor are right.
    late = [ln for ln in r.lines if ln.truth.startswith("6500|department=ENG") and ln.repeat]
    assert late and all(ln.learning[:1] == [ln.truth] for ln in late)


def test_growing_neighbours_search_the_base_and_the_additions_together():
    emb = HashingEmbedder(dim=64)
    old = make_postings(20)
    texts = [p.memo for p in old]
    base = ArrayNeighbours(old, texts, dict(zip(texts, emb.embed(texts))))
    grown = GrowingNeighbours(base)
    query = emb.embed(["printer paper toner inv 1"])[0]
    assert grown.search("US", query, 5) == base.search("US", query, 5)  # nothing added yet
    for i in range(40):  # past the first growth of the matrix
        grown.add(old[0].model_copy(update={"record_no": f"C{i}", "entity": "US", "memo": "printer paper toner inv 1",
                                            "entry_date": date(2030, 1, 1) + timedelta(days=i)}), query)
    hits = grown.search("US", query, 5)
    # The added text is the query itself: the newest additions come first, base hits follow when k allows.
    assert [h.record_no for h in hits] == ["C39", "C38", "C37", "C36", "C35"]
    assert np.isclose(hits[0].score, 1.0, atol=1e-5)
    assert grown.search("UK", query, 3) == base.search("UK", query, 3)
    # Two taught the same day: the later one first, as the index keeps a text's postings newest first.
    for name in ("D1", "D2"):
        grown.add(old[0].model_copy(update={"record_no": name, "entity": "UK", "memo": "x",
                                            "entry_date": date(2031, 1, 1)}), query)
    assert [h.record_no for h in grown.search("UK", query, 2)] == ["D2", "D1"]
    # Only the request's side of the ledger: a credit addition is never a debit line's neighbour.
    grown.add(old[0].model_copy(update={"record_no": "K1", "entity": "UK", "tr_type": -1,
                                        "entry_date": date(2032, 1, 1)}), query)
    debit = grown.search("UK", query, 50, side=1)
    assert "K1" not in {h.record_no for h in debit} and all(np.isfinite(h.score) for h in debit)
    assert grown.search("UK", query, 1, side=-1)[0].record_no == "K1"


def test_copilot_eval_replay_from_the_cli(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from copilot.cli import app
    from copilot.formats.company_dir import write_company_dir
    from copilot.settings import get_settings

    history = [p for p in make_postings(900) if p.entry_date < SPLIT]
    write_company_dir(tmp_path / "companies" / "acme", make_company(), history + stream())
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COPILOT_EMBEDDING_BACKEND", "hashing")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(app, ["eval", "--company", "acme", "--split-date", "2024-07-01", "--replay",
                                     "--max-test", "100", "--window-days", "14", "--no-write"])
        assert result.exit_code == 0, result.output
        assert "## Learning from corrections — company `acme`" in result.stdout
        assert "100 of the lines (a seeded sample) are scored" in result.stdout
        assert "Per 14-day window of the test period" in result.stdout
        bad = runner.invoke(app, ["eval", "--company", "acme", "--replay", "--window-days", "0", "--no-write"])
        assert bad.exit_code != 0 and "--window-days must be at least 1" in str(bad.exception)
    finally:
        get_settings.cache_clear()
