"""Damaged input of every format ends in a result or a ParseError, never another exception."""

import random
import shutil
from pathlib import Path

import pytest

from copilot.errors import ParseError
from copilot.formats.company_dir import read_company_dir
from copilot.formats.intacct_json import parse_journal_json
from copilot.formats.intacct_xml import parse_glbatch_xml, parse_response
from copilot.formats.journal_csv import read_journal_csv

FIXTURES = Path(__file__).parent.parent / "fixtures" / "intacct"
NOISE = ["", "<", ">", "&", '"', ",", "\n", "{", "}", "[", "]", "-", "x", "0", "/", "\x00", "é", "1e999", "NaN"]


def damage(text: str, rnd: random.Random) -> str:
    for _ in range(rnd.randint(1, 4)):
        i = rnd.randrange(len(text) + 1)
        j = min(len(text), i + rnd.randint(0, 12))
        text = text[:i] + rnd.choice(NOISE) + text[j:]
    return text


CASES = [
    ("glbatch_create_sdk.xml", lambda t: parse_glbatch_xml(t.encode("utf-8"))),
    ("glbatch_lowercase.xml", lambda t: parse_glbatch_xml(t)),
    ("response_create_failure_support_id.xml", lambda t: parse_response(t)),
    ("journal_operation_create.json", lambda t: parse_journal_json(t)),
    ("journal_rest.json", lambda t: parse_journal_json(t)),
    ("journal_import.csv", lambda t: read_journal_csv(t)),
]


@pytest.mark.parametrize("name,parse", CASES, ids=[c[0] for c in CASES])
def test_damaged_payloads_raise_only_parse_errors(name, parse):
    text = (FIXTURES / name).read_text(encoding="latin-1" if name.endswith(".xml") else "utf-8")
    rnd = random.Random(name)
    outcomes = {"ok": 0, "parse_error": 0}
    for _ in range(300):
        try:
            parse(damage(text, rnd))
            outcomes["ok"] += 1
        except ParseError:
            outcomes["parse_error"] += 1
    assert outcomes["parse_error"] > 0  # the damage did reach the parser


def test_damaged_company_pages_raise_only_parse_errors(tmp_path):
    rnd = random.Random(7)
    source = FIXTURES / "company_small"
    pages = sorted(source.glob("intacct/*/page-*.xml"))
    errors = 0
    for i in range(60):
        root = tmp_path / f"c{i}"
        shutil.copytree(source, root)
        page = root / rnd.choice(pages).relative_to(source)
        page.write_text(damage(page.read_text(), rnd))
        try:
            read_company_dir(root, "smallco")
        except ParseError as exc:
            errors += 1
            assert exc.details.get("source")  # always names the file
    assert errors > 0
