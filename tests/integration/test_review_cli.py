"""The CLI as an operator uses it: keys, review decisions, audit verify and export. Both databases."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from copilot.review.access import KeyStore
from copilot.review.audit import AuditFilter
from copilot.review.context import ReviewContext
from copilot.settings import get_settings
from tests.review_support import (PREPARER_US, backend, db_settings, make_suggestion, tamper,  # noqa: F401
                                  write_review_company)


@pytest.fixture
def cli(backend, tmp_path, monkeypatch):
    """Run `copilot ...` against a fresh database; yields (invoke, context for checking and tampering)."""
    from copilot.cli import app

    settings = db_settings(backend, tmp_path, embedding_backend="hashing", vector_backend="memory")
    for name in ("data_dir", "database_url", "database_schema", "embedding_backend", "vector_backend"):
        value = getattr(settings, name)
        if value is not None:
            monkeypatch.setenv(f"COPILOT_{name.upper()}", str(value))
    get_settings.cache_clear()
    write_review_company(tmp_path)
    ctx = ReviewContext.from_settings(settings, on_learn=None)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    try:
        yield invoke, ctx
    finally:
        get_settings.cache_clear()
        ctx.db.drop_schema()
        ctx.close()


def test_keys_create_prints_the_key_once(cli, tmp_path):
    invoke, _ = cli
    result = invoke("keys", "create", "--user", "amy", "--role", "approver", "--entities", "US,UK")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("glc_") and "not shown again" in result.stderr
    principal = KeyStore(tmp_path / "api_keys.yaml").authenticate(key)
    assert (principal.user_id, principal.role, principal.entities) == ("amy", "approver", frozenset({"US", "UK"}))
    listing = invoke("keys", "list").stdout
    assert "amy" in listing and key not in listing
    assert invoke("keys", "create", "--user", "x", "--role", "boss", "--entities", "*").exit_code != 0


def test_decide_verify_tamper_and_export(cli, tmp_path):
    invoke, ctx = cli
    item = ctx.reviews.submit(make_suggestion(), PREPARER_US)
    path = tmp_path / "s.json"
    path.write_text(make_suggestion("UK").model_dump_json())
    assert invoke("review", "submit", str(path), "--user", "olga").exit_code == 0

    result = invoke("review", "edit", str(item.id), "--account", "6450", "--dim", "department=MKT",
                    "--reason", "marketing event", "--user", "olga")
    assert result.exit_code == 0, result.output
    assert "edited" in result.stdout
    listed = json.loads(invoke("review", "list", "--json").stdout)
    assert [(i["status"], i["entity"]) for i in listed["items"]] == [("edited", "US"), ("pending", "UK")]

    ok = invoke("audit", "verify")
    assert ok.exit_code == 0 and "audit chain OK: 3 records" in ok.stdout

    out = tmp_path / "audit.csv"
    exported = invoke("audit", "export", "--format", "csv", "--out", str(out), "--entity", "US")
    assert exported.exit_code == 0 and "wrote 2 records" in exported.stdout
    rows = list(csv.DictReader(out.open()))
    assert [r["action"] for r in rows] == ["submit", "edit"] and rows[1]["user_id"] == "cli:olga"
    assert rows[1]["final"] == "6450|department=MKT"

    tamper(ctx.db, "UPDATE audit_records SET user_id = 'someone-else' WHERE seq = 3")
    broken = invoke("audit", "verify")
    assert broken.exit_code == 8
    assert broken.stderr.strip() == ("audit chain BROKEN at seq 3: record 3 was modified "
                                     "(column user_id differs from the hashed content)")


def test_an_invalid_edit_exits_2_with_one_line_and_records_nothing(cli, monkeypatch, capsys):
    import sys

    from copilot import cli as cli_module

    _, ctx = cli
    item = ctx.reviews.submit(make_suggestion(), PREPARER_US)
    monkeypatch.setattr(sys, "argv", ["copilot", "review", "edit", str(item.id), "--account", "6900",
                                      "--dim", "department=FIN", "--reason", "old habit", "--user", "olga"])
    with pytest.raises(SystemExit) as refused:
        cli_module.main()
    err = capsys.readouterr().err
    assert refused.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: review item {item.id}: the edited coding 6900|department=FIN cannot be used")
    assert "account 6900 (Travel (old chart)) is inactive" in err
    assert "department FIN is not valid in entity US (only in UK)" in err
    assert ctx.reviews.get(item.id, PREPARER_US).status.value == "pending"
    assert [r.action for r in ctx.audit.records(AuditFilter())] == ["submit"]
