from typer.testing import CliRunner

from copilot.review.access import KeyStore


def test_demo_keys_are_created_once_and_authenticate(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    from copilot.settings import get_settings

    get_settings.cache_clear()
    try:
        from copilot.cli import app

        first = CliRunner().invoke(app, ["demo", "keys"])
        again = CliRunner().invoke(app, ["demo", "keys"])
        assert first.exit_code == 0 and first.output == again.output
        lines = [ln.split() for ln in (tmp_path / "demo_keys.txt").read_text().splitlines()]
        assert [ln[0] for ln in lines] == ["preparer", "approver", "auditor", "admin"]
        store = KeyStore(tmp_path / "api_keys.yaml")
        preparer = store.authenticate(lines[0][2])
        assert preparer.role == "preparer" and "US01" in str(preparer.entities)
        assert len(store.records()) == 4  # the second run created nothing
    finally:
        get_settings.cache_clear()
