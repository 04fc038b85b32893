from copilot.errors import ParseError
from copilot.settings import Settings


def test_env_overrides_and_yaml(tmp_path, monkeypatch):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("top_k: 5\nllm_model: ollama/llama3\n")
    monkeypatch.setenv("COPILOT_CONFIG", str(cfg))
    monkeypatch.setenv("COPILOT_TOP_K", "4")
    s = Settings()
    assert s.top_k == 4 and s.llm_model == "ollama/llama3"
    assert s.resolved_vector_backend == "edge"
    monkeypatch.setenv("COPILOT_QDRANT_URL", "http://qdrant:6333")
    assert Settings().resolved_vector_backend == "server"


def test_parse_error_names_line_and_field():
    e = ParseError("not a date", line=7, field="BATCH_DATE", source="je.csv")
    assert str(e) == "je.csv, line 7, field BATCH_DATE: not a date"
    p = e.to_problem()
    assert p["status"] == 422 and p["line"] == 7 and p["field"] == "BATCH_DATE"
