# Inward: `make run` sets everything up and serves the app; `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
INWARD := $(PY) -m inward
PG_URL ?= postgres://postgres@127.0.0.1:5432/inward
PYTEST_ARGS ?=
XDIST ?= -n 2
VENDOR_STAMP := src/inward/static/vendor/.stamp

.PHONY: help install assets run test lint typecheck test-sqlite test-postgres bench lock messages clean

help:
	@echo "make run    set up (venv, assets, database, demo data, admin) and serve on http://127.0.0.1:8000"
	@echo "make test   ruff, mypy and the whole test suite on SQLite and PostgreSQL"
	@echo "make bench  the benchmarks in bench/ (slow)"

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(PY) || "$$(bash scripts/find-python.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

install: $(VENV)/.installed

$(VENDOR_STAMP): assets/package.json assets/package-lock.json scripts/vendor-assets.sh
	bash scripts/vendor-assets.sh

assets: $(VENDOR_STAMP)

run: install assets
	@mkdir -p var
	$(INWARD) migrate --verbosity 0
	$(INWARD) collectstatic --noinput --verbosity 0
	$(INWARD) demo --if-empty
	$(INWARD) createadmin --if-missing
	$(INWARD) serve

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy src/inward

test-sqlite: install assets
	@echo "=== test suite on SQLite ==="
	DATABASE_URL=sqlite:///var/test.sqlite3 $(VENV)/bin/pytest $(XDIST) $(PYTEST_ARGS)

test-postgres: install assets
	@echo "=== test suite on PostgreSQL ==="
	@if bash scripts/ensure-postgres.sh; then \
	  DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest $(XDIST) $(PYTEST_ARGS); \
	else echo "!!! PostgreSQL SKIPPED: it could not be installed or started here !!!"; fi

test: lint typecheck test-sqlite test-postgres

bench: install
	$(PY) bench/run.py

lock:
	$(VENV)/bin/pip-compile -q --extra dev --strip-extras --no-emit-index-url \
	  --no-emit-find-links -o requirements.lock pyproject.toml

messages: install
	cd src/inward && ../../$(INWARD) makemessages -l nl -l fy --no-obsolete --no-location
	cd src/inward && ../../$(INWARD) compilemessages

clean:
	rm -rf $(VENV) src/inward/static/vendor assets/node_modules var/test*.sqlite3
