# Two commands for a newcomer: `make demo` (install + generate + ingest + serve) and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export LITELLM_LOCAL_MODEL_COST_MAP := True
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install browser-deps demo serve test eval bench clean

# torch==2.13.0 first: it is the CPU build on disk; any other spec pulls a multi-GB CUDA build.
$(BIN)/copilot: pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/copilot

# Generates the demo company once (delete var/companies/demo to regenerate), indexes it and fits the
# ranking model (re-running skips what is unchanged), prints demo API keys, then serves.
demo: install
	test -d var/companies/demo/intacct || $(BIN)/copilot demo init
	$(BIN)/copilot ingest --company demo
	$(BIN)/copilot demo keys
	@echo "API docs: http://$(HOST):$(PORT)/docs  sidebar: http://$(HOST):$(PORT)/ui/sidebar  auditor: /ui/auditor  monitoring: /ui/monitoring"
	$(BIN)/copilot serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/copilot serve --host $(HOST) --port $(PORT)

# The browser tests drive Debian's chromium (never a downloaded one); they skip without it unless CI is set.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser-deps:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)

test: install browser-deps
	$(BIN)/pytest

CALDERDALE := ../shared/data/calderdale_pcard/calderdale_pcard_2014-10_2022-08.csv.zip

# Each evaluation writes its own section of eval/RESULTS.md.
eval: install
	test -d var/companies/demo/intacct || $(BIN)/copilot demo init
	$(BIN)/copilot eval --company demo --test-months 3
	$(BIN)/copilot eval --company demo --test-months 3 --replay --max-test 3000
	@if [ -f $(CALDERDALE) ]; then \
	  $(BIN)/copilot company import-csv calderdale --file $(CALDERDALE) --mapping mappings/calderdale_pcard.yaml --replace --skip-bad-rows && \
	  $(BIN)/copilot eval --company calderdale --split-date 2021-04-01; \
	else echo "../shared is not present: the Calderdale evaluation is skipped"; fi
	$(BIN)/copilot anomalies eval --company demo --seeds 1,2,3
	$(BIN)/copilot eval-intercompany --company demo
	$(BIN)/copilot eval-allocation --company demo
	$(BIN)/copilot eval-bankfeed --company demo

# Needs an ingested demo company (make demo, or: copilot ingest --company demo).
bench: install
	$(BIN)/python -m eval.bench

clean:
	rm -rf var .pytest_cache
