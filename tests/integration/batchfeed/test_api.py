"""POST /v1/batches and POST /v1/bank-feeds/match over HTTP: roles, uploads, status, problems."""

from __future__ import annotations

import csv
import io
import time

import pytest

from copilot.formats.company_dir import write_object_pages
from tests.integration.batchfeed.support import AS_OF, je_csv
from tests.review_support import open_api


def post_body(api, user, url, body, content_type):
    return api.client.post(url, content=body, headers={"content-type": content_type, **api.headers(user)})


@pytest.fixture(scope="module")
def api(world):
    with open_api(world.settings, app_state={"suggestions": world.service}) as a:
        yield a


def test_preparer_imports_and_auditor_may_not(api):
    body = je_csv(5)
    r = post_body(api, "auditor_all", "/v1/batches?company=acme&entity=US", body, "text/csv")
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert api.client.post("/v1/batches?company=acme", content=body).status_code == 401
    r = post_body(api, "approver_us", "/v1/batches?company=acme&entity=US", body, "text/csv")
    assert r.status_code == 403

    r = api.as_("preparer_us").post(f"/v1/batches?company=acme&entity=US&wait=true&as_of={AS_OF}",
                                    files={"file": ("je.csv", body, "text/csv")})
    assert r.status_code == 201, r.text
    b = r.json()
    assert b["status"] == "done" and b["filename"] == "je.csv" and b["submitted_by"] == "preparer_us"
    s = b["summary"]
    assert s["lines"] == 15 and s["auto_coded"] + s["sent_to_review"] == 15 and s["lines_per_s"] > 0
    got = api.as_("auditor_us").get(f"/v1/batches/{b['id']}")
    assert got.status_code == 200 and got.json()["summary"]["lines"] == 15
    out = api.as_("preparer_us").get(f"/v1/batches/{b['id']}/output")
    assert out.status_code == 200 and out.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(out.text)))
    assert rows[0][-7:][:4] == ["AI_CONFIDENCE", "AI_REASON", "AI_ALTERNATIVES", "AI_PROMPT_VERSION"]
    assert len(rows) == 17  # header + description row + 15 lines
    # Items the batch queued are in the review queue, visible to the US approver.
    queued = [r[-1] for r in rows[2:] if r[-1]]
    assert len(queued) == s["sent_to_review"]
    for rid in queued[:3]:
        assert api.as_("approver_us").get(f"/v1/reviews/{rid}").status_code == 200


def test_background_batch_and_its_status(api):
    r = post_body(api, "preparer_us", f"/v1/batches?company=acme&entity=US&as_of={AS_OF}", je_csv(8), "text/csv")
    assert r.status_code == 202 and r.json()["status"] in ("running", "done")
    bid = r.json()["id"]
    for _ in range(200):
        status = api.as_("preparer_us").get(f"/v1/batches/{bid}").json()
        if status["status"] != "running":
            break
        time.sleep(0.1)
    assert status["status"] == "done" and status["summary"]["lines"] == 24
    assert api.as_("preparer_uk").get(f"/v1/batches/{bid}").status_code == 404  # another scope: not disclosed
    assert api.as_("preparer_us").get("/v1/batches/nope").status_code == 404


@pytest.mark.slow
def test_a_large_upload_is_coded_by_worker_processes_as_by_the_server_itself(world, api, monkeypatch):
    from copilot.batch.parallel import SuggestPool

    started = []
    real = SuggestPool.start.__func__
    monkeypatch.setattr(SuggestPool, "start",
                        classmethod(lambda cls, *a, **kw: started.append(1) or real(cls, *a, **kw)))
    body = je_csv(30)
    url = f"/v1/batches?company=acme&entity=US&wait=true&as_of={AS_OF}"
    one = api.as_("preparer_us").post(url, files={"file": ("je.csv", body, "text/csv")}).json()
    settings = world.settings.model_copy(update={"bulk_search_min_lines": 1, "batch_parallel_min_lines": 1,
                                                 "batch_workers": 2})
    with open_api(settings, app_state={"suggestions": world.service}) as par:
        many = par.as_("preparer_us").post(url, files={"file": ("je.csv", body, "text/csv")})
        assert many.status_code == 201, many.text
        out = par.as_("preparer_us").get(f"/v1/batches/{many.json()['id']}/output").text
    ref = api.as_("preparer_us").get(f"/v1/batches/{one['id']}/output").text

    def cells(text):
        return [r[:-1] for r in csv.reader(io.StringIO(text))]  # review ids differ between the two

    assert started == [1]  # the server's own import above was too small to start workers
    assert cells(out) == cells(ref) and many.json()["summary"]["lines"] == one["summary"]["lines"] == 90


def test_malformed_upload_is_a_problem_naming_the_line(api):
    bad = je_csv(3, description_row=False).replace("101.00", "1O1.00")
    r = post_body(api, "preparer_us", "/v1/batches?company=acme&entity=US&wait=true", bad, "text/csv")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    p = r.json()
    assert p["line"] == 5 and p["field"] == "DEBIT" and "line 5" in p["detail"] and p["batch_id"]
    assert api.as_("preparer_us").get(f"/v1/batches/{p['batch_id']}").json()["status"] == "failed"
    r = post_body(api, "preparer_us", "/v1/batches?company=acme", b"{}", "application/json")
    assert r.status_code == 422


def test_an_upload_that_is_not_utf8_is_a_problem_naming_the_line(api):
    body = je_csv(3, description_row=False).replace("client lunch", "déjeuner client").encode("cp1252")
    r = post_body(api, "preparer_us", "/v1/batches?company=acme&entity=US&wait=true", body, "text/csv")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    p = r.json()
    assert p["line"] == 6 and "not UTF-8" in p["detail"] and "CSV UTF-8" in p["detail"]
    assert api.as_("preparer_us").get(f"/v1/batches/{p['batch_id']}").json()["status"] == "failed"


# --- bank feeds --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def open_items(world):
    base = world.settings.data_dir / "companies" / "acme" / "intacct"
    bills = [("501", "B-501", "V1", "Delta Air Lines", "01/05/2025", "02/04/2025", "480.00", "USD", "US"),
             ("502", "B-502", "V1", "Delta Air Lines", "01/12/2025", "02/11/2025", "120.00", "USD", "US"),
             ("503", "B-503", "V3", "Atlassian", "01/10/2025", "02/09/2025", "1500.00", "USD", "US"),
             ("504", "B-504", "V2", "Staples", "01/10/2025", "02/09/2025", "77.00", "GBP", "UK")]
    write_object_pages(base, "APBILL", [
        {"RECORDNO": r, "RECORDID": d, "VENDORID": v, "VENDORNAME": n, "WHENCREATED": on, "WHENDUE": due,
         "TOTALENTERED": amt, "TOTALPAID": "0", "TOTALDUE": amt, "STATE": "Posted", "CURRENCY": cur,
         "MEGAENTITYID": ent} for r, d, v, n, on, due, amt, cur, ent in bills])
    write_object_pages(base, "ARINVOICE", [])
    return bills


FEED = """date,description,amount,currency,entity,line_id
2025-02-03,WIRE TYPE:WIRE OUT DATE:250203 TRN:55512 BNF:DELTA AIR LINES INC,-600.00,USD,US,b1
2025-02-04,ACH DEBIT ATLASSIAN PTY CCD ID 12345,-500.00,USD,US,b2
2025-02-05,POS 4411 PRET A MANGER #221 NEW YORK NY,-14.20,USD,US,b3
2025-02-06,STAPLES BACS 991,-77.00,USD,US,b4
"""


def test_bank_feed_match(api, open_items):
    r = post_body(api, "preparer_us", "/v1/bank-feeds/match?company=acme", FEED, "text/csv")
    assert r.status_code == 200, r.text
    body = r.json()
    by_id = {ln["line_id"]: ln for ln in body["lines"]}
    assert by_id["b1"]["status"] == "matched" and [i["item_id"] for i in by_id["b1"]["items"]] == ["501", "502"]
    assert by_id["b2"]["status"] == "partial" and by_id["b2"]["items"][0]["amount"] == "500.00"
    assert by_id["b3"]["status"] == "unmatched" and by_id["b3"]["payee"] == "PRET A MANGER"
    assert by_id["b3"]["suggested_coding"] and by_id["b3"]["review_id"]
    assert by_id["b3"]["vendor"]["id"] == "V4"  # no open bill, but the vendor master knows Pret A Manger
    assert by_id["b4"]["status"] == "unmatched"  # Staples' open bill is the UK entity's, in GBP
    s = body["summary"]
    assert s["lines"] == 4 and s["auto_matched"] == 2 and s["review_items"] == 2
    # The same feed again queues nothing new.
    again = post_body(api, "preparer_us", "/v1/bank-feeds/match?company=acme", FEED, "text/csv").json()
    assert {ln["line_id"]: ln["review_id"] for ln in again["lines"]} == {k: v["review_id"] for k, v in by_id.items()}


def test_bank_feed_roles_and_errors(api, open_items):
    r = api.as_("auditor_all").post("/v1/bank-feeds/match?company=acme", files={"file": ("f.csv", FEED, "text/csv")},
)
    assert r.status_code == 403
    r = api.as_("preparer_uk").post("/v1/bank-feeds/match?company=acme", files={"file": ("f.csv", FEED, "text/csv")})
    assert r.status_code == 403 and "US" in r.json()["detail"]
    bad = FEED.replace("-14.20", "fourteen")
    r = api.as_("preparer_us").post("/v1/bank-feeds/match?company=acme", files={"file": ("f.csv", bad, "text/csv")})
    assert r.status_code == 422 and r.json()["line"] == 4 and r.json()["field"] == "AMOUNT"
    latin = FEED.replace("PRET A MANGER", "CAFÉ PRÊT").encode("cp1252")
    r = api.as_("preparer_us").post("/v1/bank-feeds/match?company=acme", files={"file": ("f.csv", latin, "text/csv")})
    assert r.status_code == 422 and r.json()["line"] == 4 and "not UTF-8" in r.json()["detail"]


def test_bankfeed_cli(world, open_items, tmp_path, monkeypatch, capsys):
    import sys

    from copilot import cli
    from copilot.settings import get_settings

    for key, value in {"COPILOT_DATA_DIR": str(world.settings.data_dir), "COPILOT_VECTOR_BACKEND": "edge",
                       "COPILOT_EMBEDDING_BACKEND": "hashing", "COPILOT_DATABASE_URL": world.settings.db_url}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        feed = tmp_path / "feed.csv"
        feed.write_text(FEED)
        monkeypatch.setattr(sys, "argv", ["copilot", "bankfeed", "match", str(feed), "-c", "acme", "--no-review"])
        with pytest.raises(SystemExit) as done:
            cli.main()
        assert done.value.code in (0, None)
        assert "4 lines: 2 auto-matched" in capsys.readouterr().out
        rows = list(csv.DictReader(open(tmp_path / "feed.matched.csv", newline="")))
        assert [r["status"] for r in rows] == ["matched", "partial", "unmatched", "unmatched"]
        assert rows[0]["items"] == "ap:B-501:480.00;ap:B-502:120.00" and rows[2]["suggested_coding"]

        feed.write_text(FEED.replace("2025-02-05", "02/30/2025"))
        with pytest.raises(SystemExit) as failed:
            cli.main()
        err = capsys.readouterr().err
        assert failed.value.code == 2 and "line 4" in err and "field DATE" in err and "Traceback" not in err
    finally:
        get_settings.cache_clear()
