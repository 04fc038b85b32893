"""eval/RESULTS.md is shared by several evaluations: each owns one section between markers.

write_section() replaces (or appends) its own section and leaves the others untouched, so running one
evaluation never erases another's figures.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from copilot.settings import ROOT

RESULTS = ROOT / "eval" / "RESULTS.md"
HEADER = ("# Evaluation and benchmark results\n\n"
          "Every figure below was measured on this repository's code by the command shown in its section.\n")


def write_section(name: str, markdown: str, *, command: str, path: Path = RESULTS) -> None:
    """Replace section ``name`` with ``markdown``, stamped with the command and the time it ran."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = (f"<!-- section:{name} -->\n{markdown.rstrip()}\n\n"
            f"_Reproduce: `{command}` (last run {stamp})._\n<!-- /section:{name} -->")
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    pattern = re.compile(rf"<!-- section:{re.escape(name)} -->.*?<!-- /section:{re.escape(name)} -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: body, text)
    else:
        text = text.rstrip() + "\n\n" + body + "\n"
    path.write_text(text, encoding="utf-8")
