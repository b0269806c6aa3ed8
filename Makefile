# taglake — `make demo` runs the main job on the embedded runtime; `make test` runs the tests.
# Both install what they need first (virtualenv, the package, the Delta jars) and are idempotent.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATE   ?= 2026-11-22
SCALE  ?= small

.DEFAULT_GOAL := help
.PHONY: help setup demo lint format test test-fast test-ops cluster-demo bench dist clean
.PHONY: metastore-install metastore metastore-stop serve-sql beeline airflow-venv airflow-check

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
	$(BIN)/ruff check libs tests benchmarks jobs orchestration
	$(BIN)/mypy

format: $(STAMP) ## ruff format (configured in pyproject.toml; not yet enforced by lint)
	$(BIN)/ruff format libs tests benchmarks jobs

# Two pytest workers by default: a Spark test on tiny data mostly waits on one driver thread, so two
# JVMs side by side keep both cores busy (tests sharing a costly session fixture stay in one worker:
# tests/conftest.py). TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= 2

test: setup ## the test suite (pure-Python and Spark, TEST_WORKERS=2 processes; the long operational scenarios are make test-ops)
	$(BIN)/pytest -q -m "not ops" -n $(TEST_WORKERS) --dist loadgroup --durations=25

test-ops: setup ## kills at every stage + resume, the nightly on a standalone cluster (each compared with a clean run), the lock across processes
	$(BIN)/pytest -q -m ops -s

cluster-demo: setup ## the tiny demo's nightly submitted to a standalone cluster of separate processes (docs/operations.md)
	$(BIN)/python -m taglake.ops.cluster

test-fast: setup ## only the pure-Python tests (seconds)
	$(BIN)/pytest -q -m "not spark"

bench: setup ## all benchmarks (long: medium-scale data); prints tables
	$(BIN)/python -m benchmarks all

dist: $(STAMP) ## dist/taglake.zip for spark-submit --py-files, dist/taglake-wide.jar for --jars
	mkdir -p dist && rm -f dist/taglake.zip
	cd libs && ../$(BIN)/python -m zipfile -c ../dist/taglake.zip taglake
	cp "$$($(BIN)/python -c 'from taglake.runtime.jvm import wide_jar; print(wide_jar(".cache/jvm"))')" dist/taglake-wide.jar

clean: ## remove the local warehouse (demo data and tag tables); keeps the venv and jar cache
	@[ ! -d warehouse/pg ] || $(BIN)/taglake metastore stop --conf $(SERVE_CONF)  # the shared metastore's files are in there
	rm -rf warehouse

# --- BI serving: a shared PostgreSQL metastore and the SQL endpoint (README "BI") ---------------
SERVE_CONF ?= serve

metastore-install: ## PostgreSQL and its JDBC driver from Debian (as root or with sudo; CI runs it)
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -f /usr/share/java/postgresql.jar ]; then \
	  echo "PostgreSQL and its JDBC driver are installed"; \
	else \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    postgresql libpostgresql-jdbc-java; \
	fi

metastore: setup ## start the shared metastore (PostgreSQL on 127.0.0.1:5433, files in warehouse/pg/)
	$(BIN)/taglake metastore start --conf $(SERVE_CONF)

metastore-stop: ## stop the shared metastore
	$(BIN)/taglake metastore stop --conf $(SERVE_CONF)

serve-sql: metastore ## JDBC endpoint on 127.0.0.1:10000 over the shared metastore (brings over the `make demo` catalog once)
	$(BIN)/taglake metastore migrate --from local --if-new --conf $(SERVE_CONF)
	$(BIN)/taglake serve-sql --conf $(SERVE_CONF)

beeline: ## SQL prompt on the running endpoint (BI database; URL=... to override)
	SPARK_HOME=$$($(BIN)/python -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))') \
	  $(BIN)/beeline -u '$(or $(URL),jdbc:hive2://127.0.0.1:10000/bi;auth=noSasl)'

# --- scheduling: the example Airflow DAG (docs/operations.md) -----------------------------------
AIRFLOW_VENV := .venv-airflow

$(AIRFLOW_VENV)/.installed:
	$(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/pip install --quiet --upgrade pip
	$(AIRFLOW_VENV)/bin/pip install --quiet 'apache-airflow==3.3.2'
	touch $@

airflow-venv: $(AIRFLOW_VENV)/.installed ## Airflow 3.3.2 in its own virtualenv (never next to pyspark)

airflow-check: airflow-venv ## parse orchestration/airflow/ with Airflow's DagBag and print what the scheduler sees
	$(AIRFLOW_VENV)/bin/python orchestration/airflow/check_dag.py
