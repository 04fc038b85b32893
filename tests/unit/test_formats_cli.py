"""``copilot company import`` / ``list`` driven as a user would."""

import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from copilot.errors import CopilotError
from copilot.formats import commands
from copilot.formats.company_dir import read_company_dir
from copilot.settings import get_settings

FIXTURES = Path(__file__).parent.parent / "fixtures" / "intacct"


@pytest.fixture()
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    app = typer.Typer()
    commands.register(app)
    yield app, tmp_path / "data"
    get_settings.cache_clear()


def run(app, *args):
    return CliRunner().invoke(app, list(args))


def test_import_then_list(cli):
    app, data = cli
    result = run(app, "company", "import", "smallco", "--intacct-xml", str(FIXTURES / "company_small"))
    assert result.exit_code == 0, result.output
    assert "3 GL lines read" in result.output and "lines/s" in result.output
    assert "GLDETAIL" in result.output
    dest = data / "companies" / "smallco"
    assert sorted(p.name for p in (dest / "intacct" / "GLDETAIL").iterdir()) == ["page-0001.xml", "page-0002.xml"]
    assert len(read_company_dir(dest, "smallco").postings) == 3
    listed = run(app, "company", "list")
    assert listed.exit_code == 0 and "smallco: " in listed.output and "GLDETAIL 3" in listed.output


def test_import_refuses_overwrite_and_broken_exports(cli, tmp_path):
    app, _ = cli
    src = FIXTURES / "company_small"
    assert run(app, "company", "import", "co", "--intacct-xml", str(src)).exit_code == 0
    again = run(app, "company", "import", "co", "--intacct-xml", str(src))
    assert isinstance(again.exception, CopilotError) and "--replace" in again.exception.message
    assert run(app, "company", "import", "co", "--intacct-xml", str(src), "--replace").exit_code == 0

    broken = tmp_path / "broken"
    shutil.copytree(src, broken)
    page = broken / "intacct" / "GLDETAIL" / "page-0002.xml"
    page.write_text(page.read_text().replace("<TR_TYPE>1</TR_TYPE>", "<TR_TYPE>x</TR_TYPE>"))
    bad = run(app, "company", "import", "other", "--intacct-xml", str(broken))
    assert isinstance(bad.exception, CopilotError)
    assert "page-0002.xml" in bad.exception.message and "TR_TYPE" in bad.exception.message
    assert not (get_settings().data_dir / "companies" / "other").exists()  # nothing copied

    empty = tmp_path / "empty"
    empty.mkdir()
    assert isinstance(run(app, "company", "import", "e", "--intacct-xml", str(empty)).exception, CopilotError)
    assert isinstance(run(app, "company", "import", "../x", "--intacct-xml", str(src)).exception, CopilotError)


def test_help_texts(cli):
    app, _ = cli
    assert "readByQuery" in run(app, "company", "import", "--help").output
    assert "List imported companies" in run(app, "company", "list", "--help").output
