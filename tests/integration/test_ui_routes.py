"""The UI routes without a browser: pages and static files, headers, and the /ui/api helpers' scoping."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from copilot.api.app import create_app
from copilot.review.access import KeyStore
from copilot.settings import Settings
from tests.support.acme import make_company


class _Service:
    """Just enough of SuggestionService for /ui/api/lookup: engine(company).model.company."""

    def engine(self, company: str):
        if company != "acme":
            from copilot.errors import NotFound
            raise NotFound(f"company {company!r} has no trained model", field="company")
        return SimpleNamespace(model=SimpleNamespace(company=make_company()))


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    data = tmp_path_factory.mktemp("ui")
    settings = Settings(data_dir=data, default_company="acme", ui_host_origins=["https://www.intacct.com"])
    store = KeyStore(settings.api_keys_path)
    keys = {"us": store.create("pat", "preparer", "US")[0], "all": store.create("avery", "auditor", "*")[0]}
    app = create_app(settings)
    app.state.suggestions = _Service()
    with TestClient(app) as client:
        yield client, keys


@pytest.mark.parametrize("path", ["/ui/", "/ui", "/ui/sidebar", "/ui/auditor", "/ui/monitoring"])
def test_pages_are_served_with_a_strict_policy(ui, path):
    client, _ = ui
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'self' https://www.intacct.com" in csp
    # Offline: no page loads anything from another host.
    assert "http://" not in r.text.replace("http://www.w3.org", "") and "https://" not in r.text


def test_static_files_and_no_way_out(ui):
    client, _ = ui
    r = client.get("/ui/static/sidebar.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    # A slash (even encoded) never matches the route; the rest reach it and are refused by name.
    assert client.get("/ui/static/..%2F..%2Fsettings.py").status_code == 404
    for bad in ["/ui/static/.hidden.js", "/ui/static/__init__.py", "/ui/static/nope.css", "/ui/nope"]:
        r = client.get(bad)
        assert r.status_code == 404, bad
        assert r.headers["content-type"].startswith("application/problem+json")


def test_config_has_the_thresholds_and_no_secrets(ui):
    client, _ = ui
    body = client.get("/ui/api/config").json()
    assert body["review_confidence_threshold"] == 0.6 and body["materiality_threshold"] == "10000"
    assert body["llm_configured"] is False and body["host_origins"] == ["https://www.intacct.com"]
    assert "key" not in str(body).lower()


def test_me_names_the_key_and_needs_one(ui):
    client, keys = ui
    assert client.get("/ui/api/me", headers={"X-API-Key": keys["us"]}).json() == {
        "user": "pat", "role": "preparer", "entities": ["US"]}
    r = client.get("/ui/api/me")
    assert r.status_code == 401 and r.json()["detail"].startswith("an API key is required")


def test_lookup_is_limited_to_the_keys_entities(ui):
    client, keys = ui
    us = {"Authorization": f"Bearer {keys['us']}"}
    body = client.get("/ui/api/lookup", headers=us).json()
    assert [e["id"] for e in body["entities"]] == ["US"]
    assert "6900" not in [a["no"] for a in body["accounts"]]  # inactive accounts are not offered
    body = client.get("/ui/api/lookup", headers=us, params={"entity": "US"}).json()
    assert [v["code"] for v in body["dimensions"]["location"]] == ["NYC"]  # LON is UK-only
    assert {"code": "V1", "name": "Delta Air Lines"} in body["dimensions"]["vendor"]
    r = client.get("/ui/api/lookup", headers=us, params={"entity": "UK"})
    assert r.status_code == 403 and "no access to entity 'UK'" in r.json()["detail"]
    everyone = {"Authorization": f"Bearer {keys['all']}"}
    assert [e["id"] for e in client.get("/ui/api/lookup", headers=everyone).json()["entities"]] == ["UK", "US"]
    assert client.get("/ui/api/lookup", headers=everyone, params={"entity": "FR"}).status_code == 404
    assert client.get("/ui/api/lookup", headers=everyone, params={"company": "nope"}).status_code == 404
