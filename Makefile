# taglake — `make demo` runs the main job on the embedded runtime; `make test` runs the tests.
# Both install what they need first (virtualenv, the package, the Delta jars) and are idempotent.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATE   ?= 2026-11-22
SCALE  ?= small

.DEFAULT_GOAL := help
.PHONY: help setup demo lint format test test-fast bench dist clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

.cache/ivy/taglake-jars.json: $(STAMP) conf/local.yaml
	$(BIN)/taglake setup

setup: $(STAMP) .cache/ivy/taglake-jars.json ## virtualenv + package (editable) + Delta jars from Maven Central (cached)

demo: setup ## demo sources (if missing) + the nightly job for $(DATE), then where to look
	$(BIN)/taglake demo --scale $(SCALE) --date $(DATE)

lint: $(STAMP) ## ruff (rules and import bans in pyproject.toml) and mypy on libs/
	$(BIN)/ruff check libs tests benchmarks jobs
	$(BIN)/mypy

format: $(STAMP) ## ruff format (configured in pyproject.toml; not yet enforced by lint)
	$(BIN)/ruff format libs tests benchmarks jobs

test: setup ## the whole test suite (pure-Python and Spark)
	$(BIN)/pytest -q

test-fast: setup ## only the pure-Python tests (seconds)
	$(BIN)/pytest -q -m "not spark"

bench: setup ## all benchmarks (long: medium-scale data); prints tables
	$(BIN)/python -m benchmarks all

dist: $(STAMP) ## dist/taglake.zip for spark-submit --py-files, dist/taglake-wide.jar for --jars
	mkdir -p dist && rm -f dist/taglake.zip
	cd libs && ../$(BIN)/python -m zipfile -c ../dist/taglake.zip taglake
	cp "$$($(BIN)/python -c 'from taglake.runtime.jvm import wide_jar; print(wide_jar(".cache/jvm"))')" dist/taglake-wide.jar

clean: ## remove the local warehouse (demo data and tag tables); keeps the venv and jar cache
	rm -rf warehouse
