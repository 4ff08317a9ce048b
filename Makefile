# The common commands. `make run` and `make test` are the README's quick start.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test test-fast ui bench lint

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

run: install          ## simulate every scenario in scenarios/ and write the results
	$(BIN)/planwise batch

test: install         ## the test suite CI runs: the default suite (< 10 min), then the slow end-to-end tests
	$(BIN)/pytest -q
	$(BIN)/pytest -q -m slow

test-fast: install    ## the default suite only
	$(BIN)/pytest -q

ui: install           ## Dagster UI + daemon on http://127.0.0.1:3000
	$(BIN)/planwise ui

bench: install        ## benchmark (medians of 3 runs; slow)
	$(BIN)/python bench/run_bench.py

lint: install         ## ruff, then sqlfluff on the dbt project's SQL (tests/test_sql_style.py)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/pytest -q -m slow tests/test_sql_style.py
