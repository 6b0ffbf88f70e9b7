# complaintdesk — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export COMPLAINTDESK_DATABASE_URL ?= sqlite:///complaintdesk.db
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.DEFAULT_GOAL := help
.PHONY: help install run demo migrate serve test test-unit test-sqlite test-pg lint typecheck bench browser-deps mail-deps services clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the package with dev tools

migrate: $(STAMP) ## upgrade the database schema (COMPLAINTDESK_DATABASE_URL)
	$(BIN)/complaintdesk db upgrade

demo: migrate ## load the demo org tree, users and sample complaints
	$(BIN)/complaintdesk demo

# `complaintdesk demo` trains the routing model here (unless COMPLAINTDESK_TRIAGE_MODEL names one).
DEMO_MODEL := var/models/demo-routing.joblib

run: demo ## set up everything and serve the demo on http://127.0.0.1:8000
	@model="$${COMPLAINTDESK_TRIAGE_MODEL:-$(DEMO_MODEL)}"; \
	if [ -f "$$model" ]; then export COMPLAINTDESK_TRIAGE_MODEL="$$model"; \
	else echo "没有分派模型，登记时无分派建议 / no routing model at $$model: no routing suggestions" >&2; fi; \
	COMPLAINTDESK_DEMO_MODE=1 exec $(BIN)/complaintdesk serve --host 127.0.0.1 --port 8000

services: ## start PostgreSQL if it is not running (the test suite needs it)
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && exit 0; sleep 1; done; echo "PostgreSQL did not start" >&2; exit 1

browser-deps: ## install headless Chromium and the CJK fonts for the browser tests (Debian)
	@(command -v chromium >/dev/null && dpkg -s fonts-noto-cjk >/dev/null 2>&1) || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

mail-deps: ## install dovecot for the IMAP intake tests (Debian)
	@command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null)

test: $(STAMP) services browser-deps mail-deps ## run the whole suite: lint, types, import contracts, tests on SQLite and PostgreSQL
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports
	COMPLAINTDESK_TEST_PG_URL=$(PG_URL) $(BIN)/pytest -q

test-sqlite: $(STAMP) browser-deps mail-deps ## the suite on SQLite only (quick local loop)
	$(BIN)/pytest -q -k "not postgresql"

test-pg: $(STAMP) services ## the database tests on PostgreSQL only
	COMPLAINTDESK_TEST_PG_URL=$(PG_URL) $(BIN)/pytest -q -k postgresql tests/integration tests/e2e

test-unit: $(STAMP) ## domain tests only (no database)
	$(BIN)/pytest -q tests/unit

lint: $(STAMP) ## ruff lint and format check, import-linter contracts
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/ruff format --check src

typecheck: $(STAMP) ## mypy on src/
	$(BIN)/mypy src

bench: $(STAMP) ## run the benchmarks (figures go to docs/benchmarks.md)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean: ## remove the virtualenv, caches and the demo database
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache complaintdesk.db*
