# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# No telemetry and no usage statistics, whichever way the tools are started.
export DAGSTER_DISABLE_TELEMETRY := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false

.PHONY: install old-duckdb run test lint ui bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# An old DuckDB (Python package and CLI) in a virtualenv of its own, built once: the tests
# open the published file with it as the DuckDB 1.x clients BI tools ship would.
OLD_DUCKDB := build/duckdb-old-venv
OLD_DUCKDB_STAMP := $(OLD_DUCKDB)/.installed-stamp

$(OLD_DUCKDB_STAMP):
	rm -rf $(OLD_DUCKDB)
	$(PYTHON) -m venv $(OLD_DUCKDB)
	$(OLD_DUCKDB)/bin/python -m pip install --quiet 'duckdb==1.1.3' 'duckdb-cli==1.4.4' 'duckdb_engine==0.17.0'
	chmod +x $(OLD_DUCKDB)/bin/duckdb
	touch $@

old-duckdb: $(OLD_DUCKDB_STAMP)

## run: install, demo data if landing is empty, materialise everything, print what was published
run: install
	$(BIN)/python -m dagster_project run $(if $(SCORING_DATE),--scoring-date $(SCORING_DATE))

## test: install, lint, then the whole test suite
test: install lint old-duckdb
	$(BIN)/python -m pytest

## lint: ruff on Python, sqlfluff (dbt templater, scratch warehouse) on the dbt models
lint: install
	$(BIN)/ruff check dagster_project tests benchmarks
	$(BIN)/ruff format --check dagster_project tests benchmarks
	mkdir -p dbt/target
	SCORING_WAREHOUSE_PATH=$(CURDIR)/dbt/target/lint.duckdb \
		$(BIN)/sqlfluff lint dbt/models --processes 1 --nocolor

## ui: the Dagster UI (dagster dev) on this project, data in SCORING_DATA_DIR
ui: install
	$(BIN)/python -m dagster_project ui

## bench: performance against raw DuckDB baselines measured in the same run
bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build dbt/target dbt/logs .pytest_cache
