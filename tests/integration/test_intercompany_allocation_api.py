"""POST /v1/intercompany/reconcile, POST /v1/allocations and the CLI, on a small group written to disk."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from copilot.errors import CopilotError
from copilot.review.access import KeyStore
from copilot.settings import ROOT, Settings, get_settings
from tests.support.group import Ledger, make_group, write_group

D = Decimal
RULES = """
version: 1
defaults: {journal: GJ, state: Draft}
rules:
  - id: rent
    clause: CA-2
    entity: US1
    basis: square_footage
    pool: {accounts: ["6200"], dims: {department: FAC, location: NYC}}
    target: {dimension: department}
    drivers: {ENG: 1, SALES: 1, FIN: 1}
  - id: nobody
    clause: CA-3
    entity: US1
    basis: fixed
    pool: {accounts: ["6200"], dims: {department: FAC, location: NYC}}
    target: {dimension: department}
    drivers: {ENG: 0, SALES: 100}
  - id: uk-rent
    entity: GB1
    basis: fixed
    pool: {accounts: ["6200"], amount: "10.00"}
    target: {dimension: department}
    drivers: {FIN: 100}
"""


def ledger() -> Ledger:
    led = Ledger()
    d = date(2025, 3, 31)
    led.charge("US1", "GB1", d, "1200.00", "1000.00", doc="IC-1")
    led.charge("US1", "EU1", d, "2160.00", None, doc="IC-2")
    led.book("US1", date(2025, 3, 1), [("6200", "100.00", {"department": "FAC", "location": "NYC"}),
                                        ("1000", "-100.00", {"location": "NYC"})], memo="Rent")
    return led


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    company = make_group()
    root = write_group(data, company, ledger())
    (root / "policies").mkdir()
    (root / "policies" / "allocation_rules.yaml").write_text(RULES)
    settings = Settings(data_dir=data, policies_dir=ROOT / "policies", api_keys_file=data / "keys.yaml")
    store = KeyStore(settings.api_keys_path)
    keys = {name: store.create(name, role, ents)[0] for name, (role, ents) in {
        "ann": ("preparer", "*"), "aud": ("auditor", "*"), "usonly": ("preparer", "US1"),
        "gbonly": ("approver", "GB1")}.items()}
    from copilot.api.app import create_app

    with TestClient(create_app(settings)) as client:
        yield client, keys, data


def post(world, path, body, user="ann"):
    client, keys, _ = world
    headers = {"Authorization": f"Bearer {keys[user]}"} if user else {}
    return client.post(path, json=body, headers=headers)


def test_reconcile_returns_findings_reasons_and_balanced_eliminations(world):
    r = post(world, "/v1/intercompany/reconcile", {"company": "grp", "period": "2025-03"}, user="aud")
    assert r.status_code == 200, r.text
    body = r.json()
    statuses = {f["a"]["reference"]: f["status"] for f in body["findings"]}
    assert statuses == {"IC-1": "matched", "IC-2": "missing_side"}
    assert body["rates_source"] == "fx_rates.csv" and body["base_currency"] == "USD"
    assert body["summary"]["by_status"] == {"matched": 1, "missing_side": 1}
    assert len(body["eliminations"]) == 2
    for e in body["eliminations"]:
        lines = e["entry"]["lines"]
        dr = sum(D(ln["amount"]) for ln in lines if ln["tr_type"] == 1)
        cr = sum(D(ln["amount"]) for ln in lines if ln["tr_type"] == -1)
        assert dr == cr and e["problems"] == []
        assert "<create><GLBATCH><JOURNAL>ELIM</JOURNAL>" in e["payload_xml"]
        assert e["payload_json"]["operation"]["content"]["function"]["create"]["GLBATCH"]["JOURNAL"] == "ELIM"
    slim = post(world, "/v1/intercompany/reconcile", {"company": "grp", "period": "2025-03", "include_payloads": False})
    assert all(e["payload_xml"] is None for e in slim.json()["eliminations"])


def test_reconcile_errors_are_problems(world):
    assert post(world, "/v1/intercompany/reconcile", {"company": "grp", "period": "2025-03"}, user=None).status_code == 401
    limited = post(world, "/v1/intercompany/reconcile", {"company": "grp", "period": "2025-03"}, user="usonly")
    assert limited.status_code == 403 and "GB1" in limited.json()["detail"]
    bad = post(world, "/v1/intercompany/reconcile", {"company": "grp", "period": "March"})
    assert bad.status_code == 422 and bad.json()["field"] == "period"
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert post(world, "/v1/intercompany/reconcile", {"company": "nope", "period": "2025-03"}).status_code == 404
    neg = post(world, "/v1/intercompany/reconcile", {"company": "grp", "period": "2025-03", "tolerance": -1})
    assert neg.status_code == 422


def test_allocation_by_rule_id_and_inline(world):
    r = post(world, "/v1/allocations", {"company": "grp", "rule": "rent", "period": "2025-03"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ready"] is True and D(body["pool_total"]) == D("100.00")
    assert sorted(D(t["amount"]) for t in body["targets"]) == [D("33.33"), D("33.33"), D("33.34")]
    assert "<TRX_AMOUNT>33.34</TRX_AMOUNT>" in body["payload_xml"] and "<DEPARTMENT>ENG</DEPARTMENT>" in body["payload_xml"]
    glbatch = body["payload_json"]["operation"]["content"]["function"]["create"]["GLBATCH"]
    assert glbatch["BATCH_DATE"] == "03/31/2025" and len(glbatch["ENTRIES"]["GLENTRY"]) == 4
    inline = {"id": "adhoc", "entity": "US1", "basis": "fixed", "pool": {"accounts": ["6200"], "amount": "0.05",
              "dims": {"department": "FAC", "location": "NYC"}}, "target": {"dimension": "department"},
              "drivers": {"ENG": 50, "SALES": 50}}
    r2 = post(world, "/v1/allocations", {"company": "grp", "rule": inline, "period": "2025-03"})
    assert r2.status_code == 200 and [D(t["amount"]) for t in r2.json()["targets"]] == [D("0.03"), D("0.02")]
    amt = post(world, "/v1/allocations", {"company": "grp", "rule": "rent", "period": "2025-03", "amount": "-7.00"})
    assert amt.status_code == 200 and D(amt.json()["pool_total"]) == D("-7.00")


def test_allocation_errors(world):
    zero = post(world, "/v1/allocations", {"company": "grp", "rule": "nobody", "period": "2025-03",
                                           "amount": "5.00"})
    assert zero.status_code == 200  # some zero: excluded, not an error
    assert zero.json()["excluded"] == ["ENG"]
    empty = post(world, "/v1/allocations", {"company": "grp", "rule": "rent", "period": "2025-02"})
    assert empty.status_code == 422 and "nothing to allocate" in empty.json()["detail"]
    unknown = post(world, "/v1/allocations", {"company": "grp", "rule": "nope", "period": "2025-03"})
    assert unknown.status_code == 404 and "rent" in unknown.json()["detail"]
    assert post(world, "/v1/allocations", {"company": "grp", "rule": "rent", "period": "2025-03"},
                user="aud").status_code == 403  # auditors read, they do not prepare entries
    assert post(world, "/v1/allocations", {"company": "grp", "rule": "rent", "period": "2025-03"},
                user="gbonly").status_code == 403
    assert post(world, "/v1/allocations", {"company": "grp", "rule": "uk-rent", "period": "2025-03"},
                user="gbonly").status_code == 200
    bad_inline = post(world, "/v1/allocations", {"company": "grp", "rule": {"id": "x"}, "period": "2025-03"})
    assert bad_inline.status_code == 422 and bad_inline.json()["field"].startswith("rule.")


# --- CLI -------------------------------------------------------------------------------------------------

@pytest.fixture()
def cli(world, monkeypatch):
    _, _, data = world
    monkeypatch.setenv("COPILOT_DATA_DIR", str(data))
    get_settings.cache_clear()
    from copilot.allocation import commands as alloc
    from copilot.intercompany import commands as ic

    app = typer.Typer()
    ic.register(app)
    alloc.register(app)
    yield app
    get_settings.cache_clear()


def test_cli_intercompany_writes_reports_and_intacct_payloads(cli, tmp_path):
    out = tmp_path / "ic"
    result = CliRunner().invoke(cli, ["intercompany", "--company", "grp", "--period", "2025-03", "--out", str(out)])
    assert result.exit_code == 1, result.output  # a mismatch to look at
    assert "missing_side" in result.output and "IC-2" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["eliminations.json", "eliminations.xml", "reconciliation.json",
                                                     "report.md"]
    from copilot.formats.intacct_xml import parse_glbatch_xml

    entries = parse_glbatch_xml((out / "eliminations.xml").read_bytes())
    assert len(entries) == 2 and all(e.is_balanced for e in entries)
    assert len(json.loads((out / "eliminations.json").read_text())) == 2
    assert json.loads((out / "reconciliation.json").read_text())["period"] == "2025-03"
    clean = CliRunner().invoke(cli, ["intercompany", "--company", "grp", "--period", "2025-03", "--tolerance", "0",
                                     "--json"])
    assert json.loads(clean.output)["tolerance"] == "0"
    bad = CliRunner().invoke(cli, ["intercompany", "--company", "grp", "--period", "03/2025"])
    assert isinstance(bad.exception, CopilotError) and bad.exception.exit_code == 2


def test_cli_allocate(cli, tmp_path):
    out = tmp_path / "alloc"
    result = CliRunner().invoke(cli, ["allocate", "--company", "grp", "--rule", "rent", "--period", "2025-03",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "33.34" in result.output and "Ready to post: yes" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["allocation.json", "glbatch.json", "glbatch.xml", "report.md"]
    listed = CliRunner().invoke(cli, ["allocate", "--company", "grp", "--list"])
    assert listed.exit_code == 0 and "rent" in listed.output and "nobody" in listed.output
    missing = CliRunner().invoke(cli, ["allocate", "--company", "grp", "--rule", "rent"])
    assert isinstance(missing.exception, CopilotError) and "--period" in missing.exception.message
    amount = CliRunner().invoke(cli, ["allocate", "--company", "grp", "--rule", "rent", "--period", "2025-03",
                                      "--amount", "ten"])
    assert isinstance(amount.exception, CopilotError) and "--amount" in amount.exception.message


def test_every_command_has_help(cli):
    for args, words in ((["intercompany", "--help"], "elimination"), (["allocate", "--help"], "square footage"),
                        (["eval-intercompany", "--help"], "precision"), (["eval-allocation", "--help"], "posted")):
        out = CliRunner().invoke(cli, args)
        assert out.exit_code == 0 and words in " ".join(out.output.lower().split()), out.output
