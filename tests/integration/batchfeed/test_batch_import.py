"""Batch import end to end on the acme world: enrich, route to review, resume, malformed files, CLI."""

from __future__ import annotations

import csv
import io
import sys

import pytest
from sqlalchemy import func, select

from copilot.batch.checkpoint import Checkpoint, checkpoint_path, partial_path
from copilot.batch.runner import BatchImporter, ImportOptions, Interrupted
from copilot.batch.store import BatchReviewLink
from copilot.errors import Conflict, ParseError
from copilot.review.access import Principal
from copilot.review.context import ReviewContext
from copilot.review.models import ReviewRow
from tests.integration.batchfeed.support import AS_OF, ap_csv, je_csv

PAT = Principal("pat", "preparer", frozenset({"US", "UK"}))


@pytest.fixture(scope="module")
def reviews(world):
    ctx = ReviewContext.from_settings(world.settings, on_learn=None)
    yield ctx
    ctx.db.dispose()


def importer(world, reviews, principal=PAT):
    return BatchImporter(world.settings, principal, suggestions=world.service, reviews=reviews.reviews,
                         db=reviews.db)


def rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def review_count(reviews) -> int:
    with reviews.db.session() as s:
        return s.execute(select(func.count()).select_from(ReviewRow)).scalar_one()


def links(reviews, batch_id) -> list[tuple[int, int]]:
    with reviews.db.session() as s:
        return s.execute(select(BatchReviewLink.line, BatchReviewLink.review_id)
                         .where(BatchReviewLink.batch_id == batch_id)).all()


def test_journal_entries_are_enriched_and_doubtful_lines_queued(world, reviews, tmp_path):
    src = tmp_path / "je.csv"
    src.write_text(je_csv(12, comment_every=5))
    before = review_count(reviews)
    s = importer(world, reviews).run(src, ImportOptions(company="acme", entity="US", as_of=AS_OF, chunk_size=7))
    out = rows(tmp_path / "je.enriched.csv")
    header = out[0]
    assert header[:13] == next(csv.reader(io.StringIO(src.read_text())))  # input columns first, unchanged
    assert header[13:17] == ["AI_CONFIDENCE", "AI_REASON", "AI_ALTERNATIVES", "AI_PROMPT_VERSION"]
    assert out[1][0] == "Do not import" and out[1][13].startswith("Calibrated confidence")  # description row kept
    comments = [r for r in out if r[0].startswith("#")]
    assert len(comments) == 3 and all(r[1].startswith("note for entry") for r in comments)
    data = [dict(zip(header, r)) for r in out[2:] if not r[0].startswith("#")]
    assert len(data) == 36 == s.counters["lines"] == s.total
    expense = [d for d in data if d["LINE_NO"] in ("1", "2")]
    assert all(d["ACCT_NO"] in ("6100", "6110", "6400", "6500") for d in expense)  # filled from suggestions
    airfare = [d for d in expense if d["MEMO"].startswith("airfare client visit")]
    assert airfare and all(d["ACCT_NO"] == "6100" and d["DEPT_ID"] == "SALES" for d in airfare)
    assert all(d["ACCT_NO"] == "2000" for d in data if d["LINE_NO"] == "3")  # typed account never replaced
    for d in data:
        assert d["AI_STATUS"] in ("auto", "review")
        assert 0 <= float(d["AI_CONFIDENCE"]) <= 1 and d["AI_REASON"] and d["AI_PROMPT_VERSION"]
        assert d["AI_CODING"].split("|")[0] == d["ACCT_NO"] or d["LINE_NO"] == "3"
        assert (d["AI_STATUS"] == "review") == bool(d["AI_REVIEW_ID"])
    queued = [d for d in data if d["AI_STATUS"] == "review"]
    assert s.counters["review"] == len(queued) and s.counters["auto"] == len(data) - len(queued)
    assert review_count(reviews) - before == len(queued)
    assert sorted(int(d["AI_REVIEW_ID"]) for d in queued) == sorted(r for _, r in links(reviews, s.batch_id))
    low = [d for d in data if float(d["AI_CONFIDENCE"]) < world.settings.review_confidence_threshold]
    assert all(d["AI_STATUS"] == "review" and "below" in d["AI_REASON"] for d in low)
    assert not partial_path(tmp_path / "je.enriched.csv").exists()
    assert Checkpoint.load(tmp_path / "je.enriched.csv").done
    assert s.lines_per_s > 0 and "auto-coded" in s.render()


def test_ap_bills(world, reviews, tmp_path):
    src = tmp_path / "bills.csv"
    src.write_text(ap_csv(6).replace("BILL_NO,VENDOR_ID", "bill_no,Vendor_Id"))  # any letter case
    s = importer(world, reviews).run(src, ImportOptions(company="acme", as_of=AS_OF))
    assert s.kind == "apbill" and s.counters["lines"] == 12 and s.counters["entries"] == 6
    out = rows(tmp_path / "bills.enriched.csv")
    data = [dict(zip(out[0], r)) for r in out[1:]]
    assert all(d["ACCT_NO"] for d in data) and data[0]["ACCT_NO"] == "6100"
    assert data[1]["bill_no"] == "" and data[1]["AI_CODING"].endswith("vendor=V1")  # header carried forward
    assert {d["LOCATION_ID"] for d in data if d["ACCT_NO"] != "6400"} == {"NYC"}  # required dims filled


def test_resume_after_interruption_gives_identical_output_and_no_duplicate_reviews(world, reviews, tmp_path):
    text = je_csv(30, comment_every=4)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    straight, broken = tmp_path / "a" / "je.csv", tmp_path / "b" / "je.csv"
    straight.write_text(text)
    broken.write_text(text)
    opts = dict(company="acme", entity="US", as_of=AS_OF, chunk_size=10)
    ref = importer(world, reviews).run(straight, ImportOptions(**opts))

    with pytest.raises(Interrupted):
        importer(world, reviews).run(broken, ImportOptions(**opts, stop_after=25))
    out = broken.with_name("je.enriched.csv")
    ckpt = Checkpoint.load(out)
    assert not ckpt.done and 25 <= ckpt.counters["lines"] < 90 and not out.exists()
    queued_before = len(links(reviews, ckpt.batch_id))
    with pytest.raises(Conflict, match="--resume"):
        importer(world, reviews).run(broken, ImportOptions(**opts))
    total_before = review_count(reviews)
    s = importer(world, reviews).run(broken, ImportOptions(**opts, resume=True))
    assert s.batch_id == ckpt.batch_id and s.resumed_from == ckpt.counters["lines"]
    assert s.lines_this_run == 90 - ckpt.counters["lines"]

    def without_ids(path):
        return [r[:-1] for r in rows(path)]  # AI_REVIEW_ID differs between the two batches

    assert without_ids(out) == without_ids(straight.with_name("je.enriched.csv"))
    assert s.counters == {**ref.counters}
    mine = links(reviews, s.batch_id)
    assert len(mine) == ref.counters["review"] == len({r for _, r in mine})
    assert review_count(reviews) - total_before == len(mine) - queued_before
    # Once done, running it again does nothing new.
    again = importer(world, reviews).run(broken, ImportOptions(**opts, resume=True))
    assert again.lines_this_run == 0 and len(links(reviews, s.batch_id)) == len(mine)


def test_crash_between_writing_and_checkpoint_is_rolled_back(world, reviews, tmp_path, monkeypatch):
    text = je_csv(20)
    ref_dir, dir_ = tmp_path / "ref", tmp_path / "crash"
    ref_dir.mkdir()
    dir_.mkdir()
    (ref_dir / "je.csv").write_text(text)
    (dir_ / "je.csv").write_text(text)
    opts = dict(company="acme", entity="US", as_of=AS_OF, chunk_size=9)
    importer(world, reviews).run(ref_dir / "je.csv", ImportOptions(**opts))
    calls = {"n": 0}
    real = Checkpoint.save

    def flaky(self, out):
        calls["n"] += 1
        if calls["n"] == 3:  # rows of the second chunk are on disk, its checkpoint is not
            raise OSError("disk full")
        return real(self, out)

    monkeypatch.setattr(Checkpoint, "save", flaky)
    with pytest.raises(OSError):
        importer(world, reviews).run(dir_ / "je.csv", ImportOptions(**opts))
    monkeypatch.setattr(Checkpoint, "save", real)
    out = dir_ / "je.enriched.csv"
    ckpt = Checkpoint.load(out)
    assert partial_path(out).stat().st_size > ckpt.output_bytes  # uncommitted rows are there
    importer(world, reviews).run(dir_ / "je.csv", ImportOptions(**opts, resume=True))
    assert [r[:-1] for r in rows(out)] == [r[:-1] for r in rows(ref_dir / "je.enriched.csv")]
    ids = [r[-1] for r in rows(out)[1:] if r[-1]]
    assert len(ids) == len(set(ids))


def test_changed_input_is_not_resumed(world, reviews, tmp_path):
    src = tmp_path / "je.csv"
    src.write_text(je_csv(20))
    opts = dict(company="acme", entity="US", as_of=AS_OF, chunk_size=5)
    with pytest.raises(Interrupted):
        importer(world, reviews).run(src, ImportOptions(**opts, stop_after=10))
    src.write_text(je_csv(20).replace("bills 1,", "bills X,"))  # same size, different content
    with pytest.raises(Conflict, match="changed"):
        importer(world, reviews).run(src, ImportOptions(**opts, resume=True))
    s = importer(world, reviews).run(src, ImportOptions(**opts, restart=True))
    assert s.counters["lines"] == 60 and s.resumed_from == 0


@pytest.mark.parametrize("mutate,line,field", [
    (lambda t: t.replace("101.00,,V2", "1O1.00,,V2"), 5, "DEBIT"),                    # letter O in an amount
    (lambda t: t.replace("41.50,,V4", "41.50,3.00,V4"), 6, "DEBIT"),                  # debit and credit
    (lambda t: t.replace(",GJ,01/03/2025,", ",GJ,13/45/2025,"), 5, "DATE"),
    (lambda t: t.replace(",GJ,01/02/2025,", ",,01/02/2025,"), 2, "JOURNAL"),
    (lambda t: t.replace(",,,,,2,,NYC,,client lunch", ",,,,,x2,,NYC,,client lunch"), 6, "LINE_NO"),
    (lambda t: t.replace("AP 1,,142.50,V2", "AP 1,,142.50,V2,extra"), 7, None),       # more cells than columns
    (lambda t: t.replace("bills 2,REF2", '"bills 2,REF2'), None, None),              # unclosed quote
])
def test_malformed_files_name_the_line_and_field(world, reviews, tmp_path, mutate, line, field):
    src = tmp_path / "bad.csv"
    src.write_text(mutate(je_csv(3, description_row=False)))
    before = review_count(reviews)
    with pytest.raises(ParseError) as err:
        importer(world, reviews).run(src, ImportOptions(company="acme", entity="US", as_of=AS_OF))
    msg = err.value.message
    assert "bad.csv" in msg
    if field:
        assert err.value.field == field and f"field {field}" in msg
    if line is not None:
        assert err.value.line == line and f"line {line}" in msg
    assert not (tmp_path / "bad.enriched.csv").exists() and not checkpoint_path(tmp_path / "bad.enriched.csv").exists()
    assert review_count(reviews) == before  # nothing was done before the whole file was checked


@pytest.mark.parametrize("header,needle", [
    ("JOURNAL,DATE,LINE_NO,MEMO,DEBIT,CREDIT", "ACCT_NO"),
    ("FOO,BAR", "cannot tell the template"),
    ("ACCT_NO,DEBIT,ACCT_NO,CREDIT", "duplicate column"),
])
def test_wrong_headers(world, reviews, tmp_path, header, needle):
    src = tmp_path / "h.csv"
    src.write_text(header + "\n1,2,3,4,5,6\n")
    with pytest.raises(ParseError, match=needle):
        importer(world, reviews).run(src, ImportOptions(company="acme", entity="US"))


def test_entity_must_be_known(world, reviews, tmp_path):
    src = tmp_path / "e.csv"
    src.write_text(je_csv(2, description_row=False))
    with pytest.raises(ParseError, match="ENTITY"):  # acme has two entities and NYC is not restricted to one
        importer(world, reviews).run(src, ImportOptions(company="acme"))
    with pytest.raises(ParseError, match="'ZZ' is not in company"):
        importer(world, reviews).run(src, ImportOptions(company="acme", entity="ZZ"))


def test_lines_of_entities_outside_the_preparers_scope_are_errors(world, reviews, tmp_path):
    src = tmp_path / "scope.csv"
    src.write_text(je_csv(2, description_row=False))
    uk_only = Principal("ulla", "preparer", frozenset({"UK"}))
    s = importer(world, reviews, uk_only).run(src, ImportOptions(company="acme", entity="US", as_of=AS_OF))
    assert s.counters["error"] == 6 and s.counters["errors"] == {"forbidden": 6}
    data = rows(tmp_path / "scope.enriched.csv")[1:]
    assert {r[18] for r in data} == {"error"} and all("no access" in r[14] for r in data)


def test_cli_import_and_malformed_file_exit_code(world, tmp_path, monkeypatch, capsys):
    from copilot import cli
    from copilot.settings import get_settings

    for key, value in {"COPILOT_DATA_DIR": str(world.settings.data_dir), "COPILOT_VECTOR_BACKEND": "edge",
                       "COPILOT_EMBEDDING_BACKEND": "hashing", "COPILOT_DATABASE_URL": world.settings.db_url}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        src = tmp_path / "je.csv"
        src.write_text(je_csv(4))
        monkeypatch.setattr(sys, "argv", ["copilot", "import", str(src), "-c", "acme", "--entity", "US",
                                          "--as-of", AS_OF.isoformat(), "--no-progress", "--json"])
        with pytest.raises(SystemExit) as done:
            cli.main()
        assert done.value.code in (0, None)
        out = capsys.readouterr().out
        assert '"lines": 12' in out and (tmp_path / "je.enriched.csv").exists()

        bad = tmp_path / "bad.csv"
        bad.write_text(je_csv(2, description_row=False).replace("100.00", "abc"))
        monkeypatch.setattr(sys, "argv", ["copilot", "import", str(bad), "-c", "acme", "--entity", "US",
                                          "--no-progress"])
        with pytest.raises(SystemExit) as failed:
            cli.main()
        err = capsys.readouterr().err
        assert failed.value.code == 2
        assert "line 2" in err and "field DEBIT" in err and "Traceback" not in err

        latin = tmp_path / "latin.csv"  # saved by Excel as "CSV (Comma delimited)": Windows-1252
        latin.write_bytes(je_csv(2, description_row=False).replace("client lunch", "déjeuner").encode("cp1252"))
        monkeypatch.setattr(sys, "argv", ["copilot", "import", str(latin), "-c", "acme", "--entity", "US",
                                          "--no-progress"])
        with pytest.raises(SystemExit) as failed:
            cli.main()
        err = capsys.readouterr().err
        assert failed.value.code == 2 and "latin.csv, line 6: not UTF-8" in err and "Traceback" not in err
        assert not (tmp_path / "latin.enriched.csv").exists()
    finally:
        get_settings.cache_clear()


def test_a_large_import_searches_an_in_memory_copy_of_the_index_with_the_same_result(world, reviews, tmp_path,
                                                                                      monkeypatch):
    from copilot.engine.neighbours import SnapshotNeighbours

    src = tmp_path / "je.csv"
    src.write_text(je_csv(12, comment_every=5))
    calls = []
    real = SnapshotNeighbours.search_many
    monkeypatch.setattr(SnapshotNeighbours, "search_many",
                        lambda self, *a, **kw: calls.append(len(a[1])) or real(self, *a, **kw))
    outputs = {}
    for bulk in (0, 10):  # 0: never; 10: this 36-line file is "large"
        settings = world.settings.model_copy(update={"bulk_search_min_lines": bulk})
        out = tmp_path / f"bulk{bulk}.csv"
        BatchImporter(settings, PAT, suggestions=world.service, reviews=reviews.reviews, db=reviews.db).run(
            src, ImportOptions(company="acme", entity="US", as_of=AS_OF, chunk_size=7, out=str(out)))
        data = rows(out)
        drop = data[0].index("AI_REVIEW_ID")  # new review rows each run; everything else must match
        outputs[bulk] = [r[:drop] + r[drop + 1:] for r in data]
        if bulk == 0:
            assert not calls
    assert calls and sum(calls) > 0
    assert outputs[0] == outputs[10]


def parallel(world, **extra):
    """Settings under which this small file is "large": worker processes suggest its chunks."""
    return world.settings.model_copy(update={"bulk_search_min_lines": 1, "batch_parallel_min_lines": 1,
                                             "batch_workers": 2, **extra})


def without_review_ids(path):
    data = rows(path)
    drop = data[0].index("AI_REVIEW_ID")  # new review rows each run; everything else must match
    return [r[:drop] + r[drop + 1:] for r in data]


@pytest.mark.slow
def test_worker_processes_give_the_same_import_as_one_process(world, reviews, tmp_path, monkeypatch):
    from copilot.batch import parallel as par

    src = tmp_path / "je.csv"
    src.write_text(je_csv(40, comment_every=6))
    opts = dict(company="acme", entity="US", as_of=AS_OF, chunk_size=11)
    one = importer(world, reviews).run(src, ImportOptions(**opts, out=str(tmp_path / "one.csv")))
    pools = []
    real = par.SuggestPool.start.__func__

    def start(cls, *a, **kw):
        pools.append(real(cls, *a, **kw))
        return pools[-1]

    monkeypatch.setattr(par.SuggestPool, "start", classmethod(start))
    many = BatchImporter(parallel(world), PAT, suggestions=world.service, reviews=reviews.reviews,
                         db=reviews.db).run(src, ImportOptions(**opts, out=str(tmp_path / "many.csv")))
    assert [p.workers for p in pools] == [2]
    assert without_review_ids(tmp_path / "many.csv") == without_review_ids(tmp_path / "one.csv")
    assert many.counters == one.counters and many.counters["lines"] == 120
    assert len(links(reviews, many.batch_id)) == many.counters["review"] > 0
    assert not pools[0].workdir.exists()  # the exported snapshot is deleted with the workers


@pytest.mark.slow
def test_an_interrupted_parallel_import_resumes_to_the_same_file(world, reviews, tmp_path):
    src = tmp_path / "je.csv"
    src.write_text(je_csv(40))
    opts = dict(company="acme", entity="US", as_of=AS_OF, chunk_size=9)
    importer(world, reviews).run(src, ImportOptions(**opts, out=str(tmp_path / "ref.csv")))
    run = BatchImporter(parallel(world), PAT, suggestions=world.service, reviews=reviews.reviews, db=reviews.db)
    out = tmp_path / "par.csv"
    with pytest.raises(Interrupted):  # later chunks are in flight in the workers: they are dropped
        run.run(src, ImportOptions(**opts, out=str(out), stop_after=20))
    ckpt = Checkpoint.load(out)
    assert 20 <= ckpt.counters["lines"] < 120
    s = run.run(src, ImportOptions(**opts, out=str(out), resume=True))
    assert s.resumed_from == ckpt.counters["lines"] and s.counters["lines"] == 120
    assert without_review_ids(out) == without_review_ids(tmp_path / "ref.csv")
    ids = [r[-1] for r in rows(out)[1:] if r[-1].isdigit()]
    assert len(ids) == len(set(ids)) == s.counters["review"]


@pytest.mark.slow
def test_a_worker_that_cannot_start_is_a_clear_error_and_the_import_resumes(world, reviews, tmp_path, monkeypatch):
    from copilot.batch import parallel as par
    from copilot.errors import CopilotError

    src = tmp_path / "je.csv"
    src.write_text(je_csv(10))
    opts = dict(company="acme", entity="US", as_of=AS_OF, chunk_size=6)
    out = tmp_path / "je.enriched.csv"
    monkeypatch.setattr(par, "_model_file", lambda model, workdir: workdir / "no-such-model.pkl")
    run = BatchImporter(parallel(world), PAT, suggestions=world.service, reviews=reviews.reviews, db=reviews.db)
    with pytest.raises(CopilotError) as err:
        run.run(src, ImportOptions(**opts))
    assert err.value.code == "batch-worker-failed" and "--resume" in err.value.message
    assert Checkpoint.load(out).counters.get("lines", 0) == 0 and not out.exists()
    monkeypatch.undo()
    one = BatchImporter(world.settings, PAT, suggestions=world.service, reviews=reviews.reviews, db=reviews.db)
    s = one.run(src, ImportOptions(**opts, resume=True))
    assert s.counters["lines"] == 30 and Checkpoint.load(out).done
