"""The review loop through the HTTP API, as a preparer, an approver, an auditor and an admin would use it.

suggest-shaped payload -> submit -> approve / edit / reject -> the engine learns -> the audit trail
verifies -> someone tampers with the database -> verify names the record. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import text

from tests.review_support import Api, api, backend, make_suggestion, module_api, tamper  # noqa: F401

PROBLEM = "application/problem+json"


def submit(api: Api, user: str = "preparer_us", entity: str = "US", **kw) -> dict:
    r = api.as_(user).post("/v1/reviews", json=make_suggestion(entity, **kw).model_dump(mode="json"))
    assert r.status_code == 201, r.text
    return r.json()


def test_the_whole_review_loop(api: Api):
    # A preparer submits what POST /v1/suggestions returned.
    item = submit(api)
    assert item["status"] == "pending" and item["submitted_by"] == "preparer_us"
    assert item["suggestion"]["codings"][0]["confidence"] == 0.82

    # It waits in the approver's queue.
    queue = api.as_("approver_us").get("/v1/reviews", params={"status": "pending"}).json()
    assert [i["id"] for i in queue["items"]] == [item["id"]] and queue["total"] == 1

    # The approver corrects it; the engine's learning hook receives the human's coding at once.
    r = api.as_("approver_us").post(f"/v1/reviews/{item['id']}/edit", json={
        "final": {"account_no": "6450", "dims": {"department": "MKT", "location": "NYC"}},
        "reason": "Kickoff travel is booked to marketing events"})
    assert r.status_code == 200, r.text
    decided = r.json()
    assert decided["status"] == "edited" and decided["changed"] == ["account", "department"]
    [learned] = api.learned
    assert learned.final.key == "6450|department=MKT|location=NYC"
    assert (learned.vendor, learned.memo, str(learned.amount)) == ("Delta Air Lines", "Flight JFK-ORD sales kickoff",
                                                                  "412.30")

    # Deciding twice is a conflict.
    r = api.as_("approver_us").post(f"/v1/reviews/{item['id']}/approve", json={})
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM

    # The audit trail holds both events and verifies.
    audit = api.as_("auditor_us").get("/v1/audit").json()
    assert [(r["seq"], r["action"], r["user_id"]) for r in audit["records"]] == [
        (1, "submit", "preparer_us"), (2, "edit", "approver_us")]
    edit = audit["records"][1]
    assert edit["diff"]["account"] == {"from": "6400", "to": "6450"} and edit["role"] == "approver"
    assert [c["confidence"] for c in edit["suggested"]] == [0.82, 0.11, 0.04]
    assert edit["prompt_version"] == "reasoning-v1" and edit["evidence_ids"]
    history = api.as_("approver_us").get(f"/v1/reviews/{item['id']}/history").json()
    assert [h["seq"] for h in history] == [1, 2]
    verified = api.as_("auditor_us").get("/v1/audit/verify").json()
    assert verified["ok"] and verified["records"] == 2

    # The auditor finds the decision by meaning; the hit cites the item and the audit record.
    hits = api.as_("auditor_us").get("/v1/audit/search", params={"q": "marketing events travel"}).json()["hits"]
    assert hits[0]["review_id"] == item["id"] and hits[0]["audit_seq"] == 2
    assert hits[0]["audit_hash"] == edit["hash"]

    # Someone with database access rewrites the decision: verify names the record.
    tamper(api.context.db, "UPDATE audit_records SET body = replace(body, 'marketing', 'sales') WHERE seq = 2")
    verified = api.as_("auditor_us").get("/v1/audit/verify").json()
    assert not verified["ok"] and verified["first_bad_seq"] == 2 and "modified" in verified["reason"]


def test_deleting_an_audit_row_is_caught(api: Api):
    ids = [submit(api)["id"] for _ in range(3)]
    api.as_("approver_us").post(f"/v1/reviews/{ids[0]}/approve", json={"coding_index": 1})
    tamper(api.context.db, "DELETE FROM audit_records WHERE seq = 2")
    body = api.as_("admin").get("/v1/audit/verify").json()
    assert body["ok"] is False and body["first_bad_seq"] == 2 and "missing" in body["reason"]


def test_reject_and_bulk(api: Api):
    a, b, c = (submit(api)["id"] for _ in range(3))
    r = api.as_("approver_us").post(f"/v1/reviews/{a}/reject", json={"reason": "Duplicate of bill 881"})
    assert r.json()["status"] == "rejected" and r.json()["final"] is None
    r = api.as_("approver_us").post(f"/v1/reviews/{a}/reject", json={"reason": ""})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    r = api.as_("approver_us").post("/v1/reviews/bulk", json={"decisions": [
        {"id": b, "action": "approve"},
        {"id": c, "action": "approve", "coding_index": 2},
        {"id": a, "action": "approve"}]})
    body = r.json()
    assert r.status_code == 200 and (body["ok"], body["failed"]) == (2, 1)
    assert body["results"][1]["item"]["final_key"] == "6400|department=MKT|location=NYC"
    assert body["results"][2]["error"]["status"] == 409
    assert [x.review_id for x in api.learned] == [b, c]


def test_audit_export_csv_and_json(api: Api):
    item = submit(api)
    api.as_("approver_us").post(f"/v1/reviews/{item['id']}/approve", json={})
    submit(api, user="preparer_uk", entity="UK")
    r = api.as_("auditor_all").get("/v1/audit/export", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["seq"], x["action"], x["entity"]) for x in rows] == [("1", "submit", "US"), ("2", "approve", "US"),
                                                                   ("3", "submit", "UK")]
    assert rows[1]["final"] == rows[1]["suggested_top"] == "6400|department=SALES|location=NYC"
    r = api.as_("auditor_all").get("/v1/audit/export", params={"format": "json", "entity": "UK"})
    assert [x["seq"] for x in json.loads(r.text)["records"]] == [3]


# --- an edit is checked against the company's master data ------------------------------------------

# The app's default check reads the company directory (tests/review_support.py writes review_company()
# there): accounts 6400 (needs department + location), 6450 (needs department), 6900 inactive;
# department FIN and location LDN only in UK.
@pytest.mark.parametrize("final, expected", [
    ({"account_no": "6900", "dims": {"department": "SALES", "location": "NYC"}},
     [("final.account_no", "code.inactive_account", "account 6900 (Travel (old chart)) is inactive")]),
    ({"account_no": "6450", "dims": {"department": "MARKETING"}},
     [("final.dims.department", "code.unknown_dimension", "department MARKETING does not exist")]),
    ({"account_no": "6450", "dims": {"department": "FIN"}},
     [("final.dims.department", "code.wrong_entity", "department FIN is not valid in entity US (only in UK)")]),
    ({"account_no": "6400", "dims": {"department": "MKT"}},
     [("final.dims.location", "dimension.required_missing", "account 6400 (Travel) requires location")]),
    ({"account_no": "6400", "dims": {"location": "LDN"}},
     [("final.dims.location", "code.wrong_entity", "location LDN is not valid in entity US (only in UK)"),
      ("final.dims.department", "dimension.required_missing", "account 6400 (Travel) requires department")]),
], ids=["inactive-account", "unknown-dimension-value", "dimension-of-another-entity", "missing-required-dimension",
        "two-problems"])
def test_an_invalid_edit_is_422_and_leaves_no_trace(api: Api, final, expected):
    item = submit(api)
    r = api.as_("approver_us").post(f"/v1/reviews/{item['id']}/edit", json={"final": final, "reason": "fix"})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, r.text
    body = r.json()
    assert body["type"].endswith("/invalid-input") and body["field"] == "final"
    assert sorted((p["field"], p["rule"], p["message"]) for p in body["problems"]) == sorted(expected)
    assert f"review item {item['id']}: the edited coding" in body["detail"]
    # Nothing happened: still pending, no audit record beyond the submission, nothing learned.
    assert api.as_("approver_us").get(f"/v1/reviews/{item['id']}").json()["status"] == "pending"
    history = api.as_("approver_us").get(f"/v1/reviews/{item['id']}/history").json()
    assert [h["action"] for h in history] == ["submit"] and api.learned == []
    # ...and the item can still be decided with a coding the master data allows.
    good = {"account_no": "6450", "dims": {"department": "MKT"}}
    r = api.as_("approver_us").post(f"/v1/reviews/{item['id']}/edit", json={"final": good, "reason": "fix"})
    assert r.status_code == 200 and r.json()["status"] == "edited"
    [learned] = api.learned
    assert learned.final.key == "6450|department=MKT" and learned.review_id == item["id"]
    verified = api.as_("auditor_us").get("/v1/audit/verify").json()
    assert verified["ok"] and verified["records"] == 2  # submit + the valid edit, nothing for the refusal


def test_an_edit_valid_in_the_items_entity_passes_and_bulk_reports_each_invalid_one(api: Api):
    uk = submit(api, "preparer_uk", "UK")
    us = submit(api)
    uk_coding = {"account_no": "6400", "dims": {"department": "FIN", "location": "LDN"}}
    r = api.as_("admin").post("/v1/reviews/bulk", json={"decisions": [
        {"id": uk["id"], "action": "edit", "final": uk_coding, "reason": "finance trip"},
        {"id": us["id"], "action": "edit", "final": uk_coding, "reason": "finance trip"}]})
    body = r.json()
    assert r.status_code == 200 and (body["ok"], body["failed"]) == (1, 1)
    assert body["results"][0]["item"]["final_key"] == "6400|department=FIN|location=LDN"
    error = body["results"][1]["error"]
    assert error["status"] == 422 and {p["field"] for p in error["problems"]} == {"final.dims.department",
                                                                                  "final.dims.location"}
    assert [x.review_id for x in api.learned] == [uk["id"]]
    assert api.as_("admin").get(f"/v1/reviews/{us['id']}").json()["status"] == "pending"


# --- access control -------------------------------------------------------------------------------

def test_no_key_or_a_bad_key_is_401(api: Api):
    for url in ("/v1/reviews", "/v1/audit", "/v1/audit/verify", "/metrics", "/v1/metrics/summary"):
        r = api.client.get(url)
        assert r.status_code == 401 and r.headers["content-type"] == PROBLEM, url
        assert "API key" in r.json()["detail"]
        assert api.client.get(url, headers={"Authorization": "Bearer glc_not-a-key"}).status_code == 401
    # X-API-Key works as well as the bearer header.
    assert api.client.get("/v1/reviews", headers={"X-API-Key": api.keys["auditor_us"]}).status_code == 200


@pytest.mark.parametrize("user, method, url, body, allowed", [
    # preparers submit and read, never decide, audit or search
    ("preparer_us", "post", "/v1/reviews/{id}/approve", {}, False),
    ("preparer_us", "post", "/v1/reviews/{id}/reject", {"reason": "x"}, False),
    ("preparer_us", "post", "/v1/reviews/bulk", {"decisions": [{"id": 1, "action": "approve"}]}, False),
    ("preparer_us", "get", "/v1/audit", None, False),
    ("preparer_us", "get", "/v1/audit/export", None, False),
    ("preparer_us", "get", "/v1/audit/search?q=x", None, False),
    ("preparer_us", "get", "/v1/metrics/summary", None, False),
    ("preparer_us", "get", "/v1/reviews/{id}", None, True),
    # approvers decide and read, never submit or audit
    ("approver_us", "post", "/v1/reviews", "suggestion", False),
    ("approver_us", "get", "/v1/audit/verify", None, False),
    ("approver_us", "post", "/v1/reviews/{id}/approve", {}, True),
    # auditors read and search only
    ("auditor_all", "post", "/v1/reviews", "suggestion", False),
    ("auditor_all", "post", "/v1/reviews/{id}/approve", {}, False),
    ("auditor_all", "post", "/v1/reviews/{id}/edit", {"final": {"account_no": "1"}, "reason": "x"}, False),
    ("auditor_all", "get", "/v1/audit/search?q=flight", None, True),
    ("auditor_all", "get", "/metrics", None, True),
    # admin does everything
    ("admin", "post", "/v1/reviews", "suggestion", True),
    ("admin", "get", "/v1/audit/export?format=json", None, True),
])
def test_each_role_is_refused_what_it_may_not_do(module_api: Api, user, method, url, body, allowed):
    api = module_api
    item = submit(api)
    if body == "suggestion":
        body = make_suggestion("US").model_dump(mode="json")
    kw = {"json": body} if method == "post" else {}
    r = getattr(api.as_(user), method)(url.format(id=item["id"]), **kw)
    if allowed:
        assert r.status_code in (200, 201), r.text
    else:
        assert r.status_code == 403 and r.headers["content-type"] == PROBLEM, r.text
        assert "may not" in r.json()["detail"]


def test_a_preparer_of_one_entity_never_sees_another(api: Api):
    us = submit(api, "preparer_us", "US", memo="US flight")
    uk = submit(api, "preparer_uk", "UK", memo="UK flight")
    for item in (us, uk):
        api.as_("admin").post(f"/v1/reviews/{item['id']}/approve", json={})

    # list: only their own entity; asking for another is refused
    listed = api.as_("preparer_us").get("/v1/reviews").json()
    assert {i["entity"] for i in listed["items"]} == {"US"} and listed["total"] == 1
    assert api.as_("preparer_us").get("/v1/reviews", params={"entity": "UK"}).status_code == 403
    # get by id: not found (existence is not disclosed), history too
    assert api.as_("preparer_us").get(f"/v1/reviews/{uk['id']}").status_code == 404
    assert api.as_("preparer_us").get(f"/v1/reviews/{uk['id']}/history").status_code == 404
    # submitting for another entity is refused
    r = api.as_("preparer_us").post("/v1/reviews", json=make_suggestion("UK").model_dump(mode="json"))
    assert r.status_code == 403
    # deciding another entity's item: not found
    assert api.as_("approver_uk").post(f"/v1/reviews/{us['id']}/reject", json={"reason": "x"}).status_code == 404


def test_an_auditor_of_one_entity_never_sees_another(api: Api):
    us = submit(api, "preparer_us", "US", memo="Flight to Chicago for the kickoff")
    uk = submit(api, "preparer_uk", "UK", memo="Flight to Chicago for the kickoff")
    for item in (us, uk):
        api.as_("admin").post(f"/v1/reviews/{item['id']}/approve", json={})
    auditor = api.as_("auditor_us")
    assert {r["entity"] for r in auditor.get("/v1/audit").json()["records"]} == {"US"}
    assert auditor.get("/v1/audit", params={"entity": "UK"}).status_code == 403
    rows = list(csv.DictReader(io.StringIO(auditor.get("/v1/audit/export").text)))
    assert rows and {r["entity"] for r in rows} == {"US"}
    assert auditor.get("/v1/audit/export", params={"entity": "UK"}).status_code == 403
    hits = auditor.get("/v1/audit/search", params={"q": "Flight to Chicago for the kickoff"}).json()["hits"]
    assert [h["review_id"] for h in hits] == [us["id"]]
    assert auditor.get("/v1/audit/search", params={"q": "flight", "entity": "UK"}).status_code == 403
    summary = auditor.get("/v1/metrics/summary").json()
    assert summary["entities"] == ["US"] and summary["counts"]["submitted"] == 1
    assert 'entity="UK"' not in auditor.get("/metrics").text
    everything = api.as_("auditor_all").get("/v1/audit/search", params={"q": "Flight to Chicago"}).json()["hits"]
    assert {h["review_id"] for h in everything} == {us["id"], uk["id"]}


def test_search_filters_through_the_api(api: Api):
    cheap = submit(api, amount="99.99", memo="Taxi to the airport")
    dear = submit(api, amount="2500.00", memo="Taxi fleet contract")
    for item in (cheap, dear):
        api.as_("approver_us").post(f"/v1/reviews/{item['id']}/approve", json={})
    auditor = api.as_("auditor_us")
    hits = auditor.get("/v1/audit/search", params={"q": "taxi", "amount_min": "100"}).json()["hits"]
    assert [h["review_id"] for h in hits] == [dear["id"]]
    hits = auditor.get("/v1/audit/search", params={"q": "taxi", "user": "approver_us", "decision": "approved",
                                                    "date_from": "2025-03-14", "date_to": "2025-03-14"}).json()["hits"]
    assert {h["review_id"] for h in hits} == {cheap["id"], dear["id"]}
    assert auditor.get("/v1/audit/search", params={"q": "taxi", "decision": "rejected"}).json()["hits"] == []


def test_metrics_endpoints(api: Api):
    for i in range(3):
        item = submit(api)
        api.as_("approver_us").post(f"/v1/reviews/{item['id']}/approve", json={"coding_index": 0 if i else 1})
    summary = api.as_("approver_us").get("/v1/metrics/summary").json()
    assert summary["acceptance_rate"] == pytest.approx(2 / 3)
    assert summary["edit_rate"]["account"]["rate"] == pytest.approx(1 / 3)
    assert summary["alerts"] == []  # three decisions are too few to alert on
    r = api.as_("admin").get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert 'copilot_review_decisions_total{decision="approved",entity="US"} 3.0' in r.text


def test_the_audit_table_is_append_only_for_the_application_user(api: Api):
    submit(api)
    with pytest.raises(Exception, match="append-only"):
        with api.context.db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_records SET user_id = 'mallory'"))
    assert api.as_("admin").get("/v1/audit/verify").json()["ok"]
