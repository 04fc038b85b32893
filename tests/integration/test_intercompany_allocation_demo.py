"""On a generated three-month demo company: the labelled intercompany pairs are found and explained, and
the controller's posted allocations (CA-2, CA-3, CA-4) are reproduced line for line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from copilot.allocation.books import Books, Period
from copilot.allocation.service import rulebook_for
from copilot.allocation.allocate import allocate
from copilot.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from copilot.demo import extras
    from copilot.demo.generator import generate_demo

    d = generate_demo(months=3, start=date(2024, 1, 1))
    root = tmp_path_factory.mktemp("demo")
    (root / "extras").mkdir()
    for name in ("employees", "fx_rates", "timesheets", "intercompany_pairs"):
        (root / "extras" / f"{name}.csv").write_text(extras.to_csv(d.tables[name]), encoding="utf-8")
    return Books(name="demo", company=d.company, postings=d.postings, root=root), d


def test_labelled_pairs_are_paired_and_explained(demo):
    from copilot.evaluation.intercompany_eval import evaluate, read_labels
    from copilot.intercompany.service import rates_for, rules_for

    books, _ = demo
    settings = Settings(data_dir=books.root)
    rules = rules_for(settings)
    labels = read_labels(books.root / "extras" / "intercompany_pairs.csv")
    result = evaluate(books, labels, rules, rates_for(books, rules), label="demo")
    assert result.labelled == len(labels) >= 10
    assert result.pair_precision == 1.0 and result.pair_recall == 1.0
    assert result.eliminations > 0 and result.unbalanced == 0
    # a timing pair whose second side falls after the books end can only be seen as a missing side
    late = {r["pair_id"] for r in labels if r["status"] == "timing_difference" and not r["buyer_batch"]}
    assert {m[0] for m in result.misses} <= late | {r["pair_id"] for r in labels
                                                    if abs(Decimal(r["usd_difference"])) <= rules.matching.tolerance}


@pytest.mark.parametrize("rule_id,prefix", [("rent-nyc", "CA-2"), ("rent-lon", "CA-2"), ("software-us01", "CA-3"),
                                            ("data-us01", "CA-4")])
def test_allocation_reproduces_the_posted_allocation_to_the_cent(demo, rule_id, prefix):
    books, _ = demo
    book = rulebook_for(Settings(data_dir=books.root))
    rule = book.rule(rule_id)
    period = Period(2024, 3)
    result = allocate(rule, books, period, book.defaults)
    assert result.entry.is_balanced and result.ready, result.problems
    ours = {(ln.account_no, tuple(sorted(ln.dims.items())), ln.tr_type): ln.amount for ln in result.entry.lines}
    posted: dict = {}
    for p in books.postings:
        if p.entity == rule.entity and p.entry_date == period.end and p.memo.startswith(prefix):
            key = (p.account_no, tuple(sorted(p.dims.items())), p.tr_type)
            if key in ours:
                posted[key] = posted.get(key, Decimal(0)) + p.amount
    assert posted.keys() == ours.keys()  # the same lines: accounts, dimensions, sides
    for side in (1, -1):  # the same totals, to the cent
        assert sum(a for k, a in posted.items() if k[2] == side) == sum(a for k, a in ours.items() if k[2] == side)
    # The generator gives the whole rounding remainder to the largest share; the largest-remainder
    # method spreads it a cent at a time, so lines may differ by a few cents, never more.
    assert max(abs(posted[k] - ours[k]) for k in ours) <= Decimal("0.05")
    assert result.history and not any(h.flagged for h in result.history)  # the same policy as January-February
