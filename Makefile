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

.PHONY: help install demo test lint bench clean

help:
	@echo "make demo   run the local Terraform Cloud emulator and export a seeded run's mock bundle"
	@echo "make test   install everything and run the test suite"
	@echo "make lint   ruff check"
	@echo "make bench  benchmarks (ratios against references measured in the same run)"

# uv from pip when missing, then .venv from the lock file with the package installed editable.
$(BIN)/tfc-sentinel: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --python $(PYTHON)
	@mkdir -p $(AIRFLOW_HOME)
	@touch $@

install: $(BIN)/tfc-sentinel

demo: install
	$(BIN)/python -m tfc_sentinel.demo

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
