from copilot.evaluation.results import write_section


def test_sections_are_replaced_not_appended(tmp_path):
    p = tmp_path / "R.md"
    write_section("a", "## A\n1", command="make eval", path=p)
    write_section("b", "## B\n2", command="make bench", path=p)
    write_section("a", "## A\n3", command="make eval", path=p)
    text = p.read_text()
    assert text.count("section:a -->") == 2 and "## A\n3" in text and "## A\n1" not in text and "## B\n2" in text
