# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup demo test bench schema clean

$(BIN)/hunter: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,enrichment,redis,celery]"
	@touch $@

setup: $(BIN)/hunter

demo: setup  ## analyse the bundled sample leads against the sandbox DNS
	$(BIN)/hunter demo --serve

test: setup  ## run the whole test suite
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: setup  ## print throughput and memory figures (see docs/benchmarks.md)
	$(BIN)/python bench/scan_throughput.py

schema: setup  ## regenerate hunter/analysis.schema.json from the model
	$(BIN)/python -c "from hunter.schema import write_schema_file; write_schema_file()"

clean:
	rm -rf $(VENV) .pytest_cache
