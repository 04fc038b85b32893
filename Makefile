# Two commands for a newcomer: `make demo` (install + generate + ingest + serve) and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export LITELLM_LOCAL_MODEL_COST_MAP := True
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo serve test eval bench clean

# torch==2.13.0 first: it is the CPU build on disk; any other spec pulls a multi-GB CUDA build.
$(BIN)/copilot: pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/copilot

demo: install
	$(BIN)/copilot demo init
	$(BIN)/copilot ingest
	@echo "API: http://$(HOST):$(PORT)/docs   sidebar: http://$(HOST):$(PORT)/ui/sidebar"
	$(BIN)/copilot serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/copilot serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest

eval: install
	$(BIN)/copilot eval --company demo

bench: install
	$(BIN)/python -m eval.bench

clean:
	rm -rf var .pytest_cache
