"""The README is part of the product: its two set-up commands and its settings table stay true."""

import re
from pathlib import Path

from copilot.settings import settings_table

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_settings_table_is_current():
    table = re.search(r"<!-- settings:begin.*?-->\n(.*?)\n<!-- settings:end -->", README, re.S).group(1)
    assert table == settings_table(), "regenerate with: python -m copilot.settings"


def test_exactly_two_setup_commands_and_ci_runs_the_test_one():
    setup = README.split("## Set up", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [ln.split("#")[0].strip() for ln in setup.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
