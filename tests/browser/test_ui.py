"""The three pages in headless Chromium, against the real API (tests/browser/conftest.py).

Every decision made in a page is checked where it must land: the audit trail, read back through the API.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.browser.conftest import expect, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def api(world, user: str, method: str, path: str, **kw) -> httpx.Response:
    headers = {"Authorization": f"Bearer {world.keys[user]}"}
    return httpx.request(method, world.url(path), headers=headers, timeout=30, **kw)


def records_of(world, review_id: int) -> list[dict]:
    r = api(world, "auditor", "GET", "/v1/audit", params={"review_id": review_id})
    assert r.status_code == 200, r.text
    return r.json()["records"]


def suggestion_posts(page) -> list[dict]:
    """Record the bodies of POST /v1/suggestions the page sends (to check debouncing)."""
    seen: list[dict] = []
    page.on("request", lambda req: seen.append(json.loads(req.post_data or "{}"))
            if req.method == "POST" and req.url.endswith("/v1/suggestions") else None)
    return seen


def test_sidebar_type_a_line_accept_and_see_it_in_the_audit_log(browser, world):
    page = open_page(browser, world, "/ui/sidebar?date=2024-09-01")
    # Sign in with the preparer's key, then add an approver key from the menu.
    page.fill("#api-key", world.keys["preparer_us"])
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ready]")
    page.click(".who-btn")
    page.fill("#approver-key", world.keys["approver"])
    page.click(".approver-form button[type=submit]")
    page.wait_for_selector(".who-btn .role >> text=preparer + approver")
    assert page.input_value("#entity") == "US"  # the preparer's only entity

    posts = suggestion_posts(page)
    page.fill("#l1-vendor", "Delta Air Lines")
    page.type("#l1-memo", "airfare conference engineering", delay=15)
    page.fill("#l1-amount", "512.30")
    options = page.locator("[data-line='1'] .option")
    options.nth(2).wait_for()
    assert options.count() == 3
    expect(page.locator("[data-line='1'] .results")).to_have_attribute("aria-busy", "false")
    # Debounced: typing 30 characters sent a handful of requests, not one per key.
    assert 1 <= len(posts) <= 6, len(posts)
    assert posts[-1]["line"] == {"vendor": "Delta Air Lines", "memo": "airfare conference engineering",
                                 "amount": "512.30", "tr_type": 1, "date": "2024-09-01", "dims": {}}
    top = options.nth(0)
    assert "6100" in top.inner_text() and "Travel" in top.inner_text()
    assert re.search(r"\d+%", top.locator(".conf-value").inner_text())
    assert top.locator(".reasoning").inner_text().strip()
    assert page.locator(".llm-note").inner_text() == "Explanations from templates; no LLM configured."
    assert page.locator("[data-line='1'] .results").get_attribute("aria-live") == "polite"

    # Keyboard: focus the suggestions (Enter from the amount field), press 1.
    page.focus("#l1-amount")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.classList.contains('options')")
    page.keyboard.press("1")
    decided = page.locator("[data-line='1'] .decided")
    decided.wait_for()
    assert "Approved" in decided.inner_text() and "by amy" in decided.inner_text()
    review_id = int(re.search(r"review #(\d+)", decided.inner_text()).group(1))

    records = records_of(world, review_id)
    assert [(r["action"], r["user_id"]) for r in records] == [("submit", "pat"), ("approve", "amy")]
    assert records[1]["final"]["account_no"] == "6100" and records[1]["coding_index"] == 0
    assert records[1]["final"]["dims"]["department"] == "ENG"
    assert f"audit record {records[1]['seq']}" in decided.inner_text()
    assert not page.js_errors


def test_sidebar_entry_by_postmessage_edit_reject_and_problem_states(browser, world):
    page = open_page(browser, world, "/ui/sidebar", key=world.keys["preparer_us"], approver=world.keys["approver"])
    page.wait_for_selector("body[data-ready]")
    # The host page hands over a draft entry (docs/ui.md, postMessage contract).
    page.evaluate("""window.postMessage({type: 'glcopilot:entry', entry: {entity: 'US', date: '2024-10-02', lines: [
        {vendor: 'Atlassian', memo: 'jira confluence licences', amount: '1200.00'},
        {vendor: 'Pret A Manger', memo: 'client lunch', amount: '64.20'}]}}, location.origin)""")
    page.locator("[data-line] .option").nth(5).wait_for()
    lines = page.locator("li.line")
    assert lines.count() == 2 and page.input_value(".line >> nth=1 >> [data-field=vendor]") == "Pret A Manger"

    # Line 1: E opens the editor; change the department, give a reason, save.
    first = lines.nth(0)
    first.locator(".options").focus()
    page.keyboard.press("ArrowDown")
    assert first.locator(".option").nth(1).get_attribute("aria-selected") == "true"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("e")
    first.locator(".edit-form").wait_for()
    suggested = first.locator(".option").nth(0).locator(".chip").all_inner_texts()
    dept_now = next(t.split()[-1] for t in suggested if t.startswith("Dept"))
    new_dept = "SALES" if dept_now != "SALES" else "G&A"
    first.locator("[data-dim=department]").fill(new_dept)
    first.locator(".edit-form textarea").fill("licences moved to the sales budget")
    first.locator(".edit-form button[type=submit]").click()
    first.locator(".decided.edited").wait_for()

    # Line 2: R, a reason, Enter.
    second = lines.nth(1)
    second.locator(".options").focus()
    page.keyboard.press("r")
    second.locator(".reject-form input").fill("personal expense, not the company's")
    page.keyboard.press("Enter")
    second.locator(".decided.rejected").wait_for()

    edited = records_of(world, int(re.search(r"review #(\d+)", first.inner_text()).group(1)))
    assert edited[-1]["action"] == "edit" and edited[-1]["diff"]["department"]["to"] == new_dept
    assert edited[-1]["reason"] == "licences moved to the sales budget"
    rejected = records_of(world, int(re.search(r"review #(\d+)", second.inner_text()).group(1)))
    assert rejected[-1]["action"] == "reject" and rejected[-1]["final"] is None

    # Low confidence: the same answer with its confidences scaled down shows the warning state.
    def lower(route):
        body = route.fetch().json()
        for c in body["suggestions"][0]["codings"]:
            c["confidence"] = round(c["confidence"] * 0.4, 4)
        route.fulfill(json=body)

    page.route("**/v1/suggestions", lower)
    page.click("text=Add line")
    page.fill("#l3-vendor", "Staples")
    page.fill("#l3-memo", "printer paper toner")
    warn = page.locator("[data-line='3'] .notice.warn")
    warn.wait_for()
    assert "Low confidence" in warn.inner_text()
    assert page.locator("[data-line='3'] .option .conf.low").count() >= 1

    # A server error: its problem+json detail is shown, with a retry.
    page.unroute("**/v1/suggestions")
    page.route("**/v1/suggestions", lambda route: route.fulfill(
        status=503, content_type="application/problem+json",
        body=json.dumps({"title": "UpstreamError", "status": 503, "detail": "the vector store is not reachable"})))
    page.fill("#l3-memo", "printer paper toner and ink")
    error = page.locator("[data-line='3'] .notice.error")
    error.wait_for()
    assert "the vector store is not reachable" in error.inner_text()
    assert error.locator("button", has_text="Try again").count() == 1
    assert not page.js_errors


def decide_through_api(world, vendor: str, memo: str, reason: str) -> dict:
    """A suggestion submitted by the preparer and edited by the approver, through the API."""
    ask = {"company": "acme", "entity": "US", "line": {"vendor": vendor, "memo": memo, "amount": "350.00",
                                                       "date": "2024-08-15"}}
    s = api(world, "preparer_us", "POST", "/v1/suggestions", json=ask).json()["suggestions"][0]
    item = api(world, "preparer_us", "POST", "/v1/reviews", params={"company": "acme"}, json=s).json()
    top = s["codings"][0]["combination"]
    final = {**top, "dims": {**top["dims"], "department": "G&A" if top["dims"]["department"] != "G&A" else "SALES"}}
    r = api(world, "approver", "POST", f"/v1/reviews/{item['id']}/edit", json={"final": final, "reason": reason})
    assert r.status_code == 200, r.text
    return r.json()


def test_auditor_searches_and_sees_narrative_reasoning_history_and_chain(browser, world):
    item = decide_through_api(world, "Staples", "printer paper toner", "copier costs belong to the shared services pool")
    page = open_page(browser, world, "/ui/auditor", width=1280, height=1000)
    page.fill("#api-key", world.keys["auditor"])
    page.click("button[type=submit]")
    page.wait_for_selector(".chain.ok")
    assert "Audit chain verified" in page.inner_text(".chain")

    page.fill("#q", "shared services pool copier")
    page.select_option("#f-decision", "edited")
    page.fill("#f-from", "2024-08-01")
    page.fill("#f-to", "2024-08-31")
    page.click("form.search button[type=submit]")
    hit = page.locator(f"#hit-{item['id']}")
    hit.wait_for()
    assert "Edited" in hit.locator(".badge").first.inner_text()
    assert "copier costs belong to the shared services pool" in hit.locator(".reason").inner_text()
    assert hit.locator(".prose h3", has_text="Reasoning").count() == 1

    records = records_of(world, item["id"])
    decision = records[-1]
    record = hit.locator(".record")
    assert f"#{decision['seq']}" in record.inner_text()
    assert decision["hash"][:16] in record.inner_text()
    expect(record.locator(".prev-hash")).not_to_have_text("…")
    assert decision["prev_hash"][:16] in record.locator(".prev-hash").inner_text()
    assert "verified" in record.inner_text()

    hit.locator(".history summary").click()
    rows = hit.locator(".history-table tbody tr")
    assert rows.count() == 2
    assert "submit" in rows.nth(0).inner_text() and "pat" in rows.nth(0).inner_text()
    assert "edit" in rows.nth(1).inner_text() and "amy" in rows.nth(1).inner_text()
    # The filters are in the address, so a search can be shared.
    assert "decision=edited" in page.url and "date_from=2024-08-01" in page.url
    assert not page.js_errors


def test_a_us_preparer_cannot_see_uk_data(browser, world):
    # Sidebar opened on the UK entity: the API refuses, the page says so and asks for nothing.
    page = open_page(browser, world, "/ui/sidebar?entity=UK&vendor=Delta%20Air%20Lines&memo=airfare",
                     key=world.keys["preparer_us"])
    posts = suggestion_posts(page)
    refusal = page.locator("#entry-status .notice.error")
    refusal.wait_for()
    assert "Access denied" in refusal.inner_text()
    assert "no access to entity 'UK'" in refusal.inner_text()
    assert page.locator("[data-line] .option").count() == 0 and posts == []
    assert page.is_disabled("#l1-memo")
    assert [o.strip() for o in page.locator("#entity option").all_inner_texts()] == ["UK", "US · Acme US"]

    # Auditor page with the preparer's key: the role is refused.
    page = open_page(browser, world, "/ui/auditor?q=airfare", key=world.keys["preparer_us"], width=1280)
    refusal = page.locator("#results .notice.error")
    refusal.wait_for()
    assert "Access denied" in refusal.inner_text() and "role 'preparer' may not do this" in refusal.inner_text()

    # An auditor of US asking for UK: refused by entity.
    page = open_page(browser, world, "/ui/auditor?q=airfare&entity=UK", key=world.keys["auditor_us"], width=1280)
    refusal = page.locator("#results .notice.error")
    refusal.wait_for()
    assert "no access to entity 'UK'" in refusal.inner_text()


def test_monitoring_dashboard_draws_the_summary(browser, world):
    decide_through_api(world, "Delta Air Lines", "airfare client visit", "sales trip booked by engineering")
    summary = api(world, "approver", "GET", "/v1/metrics/summary").json()
    page = open_page(browser, world, "/ui/monitoring", key=world.keys["approver"], width=1280, height=1000)
    page.wait_for_selector(".tiles")
    tiles = page.locator(".tile")
    assert tiles.count() == 5
    assert page.locator(".tile", has_text="Decisions").locator(".tile-value").inner_text() == f"{summary['counts']['decided']:,}"
    charts = page.locator("svg.chart")
    assert charts.count() == 5
    labels = [charts.nth(i).get_attribute("aria-label") for i in range(5)]
    assert labels[0].startswith("Acceptance rate by day") and labels[2].startswith("Calibration")
    # The histogram draws one bar per non-empty bin, and the counts add up to the submissions.
    bars = page.locator("svg.chart").nth(1).locator("rect title")
    counted = sum(int(re.search(r": (\d+) suggestions", t).group(1)) for t in bars.all_text_contents())
    assert counted == sum(summary["confidence_histogram"]["counts"])
    # Entity scope: a US-only view reloads the numbers for US.
    page.select_option("#entity", "US")
    page.wait_for_url(re.compile(r"entity=US"))
    expect(page.locator("#content")).to_have_attribute("aria-busy", "false")
    assert not page.js_errors
