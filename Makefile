# Two commands on a fresh machine: `make demo` and `make test`. Everything else is a step they share.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV := $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
# A throwaway Airflow home inside the repository, never the user's ~/airflow.
export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__LOAD_EXAMPLES := False
# plugins/ holds one module registering the "Policy results" views (tfc_sentinel.ui.plugin).
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins

.PHONY: help install chromium demo up test lint bench clean

help:
	@echo "make demo   policy-check two seeded Terraform runs (one passes, one fails) through Airflow"
	@echo "            against the local Terraform Cloud emulator; prints results and report paths"
	@echo "make up     airflow standalone + emulator + tfc_default connection; UI on :8080 (admin/admin)"
	@echo "make test   install everything and run the test suite"
	@echo "make lint   ruff check"
	@echo "make bench  benchmarks (ratios against references measured in the same run)"

# uv from pip when missing, then .venv from the lock file with the package installed editable.
$(BIN)/tfc-sentinel: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --python $(PYTHON)
	@mkdir -p $(AIRFLOW_HOME)
	@touch $@

install: $(BIN)/tfc-sentinel chromium

# Debian's Chromium for the browser tests (tests/ui), once; Playwright drives it, it downloads no browser.
# Without apt-get it only says so: those tests skip on a developer machine and fail under CI=true.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (browser tests)"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found and no apt-get: install it to run the browser tests"; fi; }

# The driver migrates the metadata DB in .airflow/ (idempotent), starts the emulator, sets
# AIRFLOW_CONN_TFC_DEFAULT and runs tfc_policy_check with dag.test() for the two demo runs.
demo: install
	$(BIN)/python -m tfc_sentinel.demo

# airflow standalone with the emulator on :8750/:8751 and a known login; Ctrl-C stops both.
up: install
	$(BIN)/python -m tfc_sentinel.demo up

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .airflow .pytest_cache .ruff_cache build dist
