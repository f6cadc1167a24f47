# SchoolConduct — `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
DEV := SCHOOLCONDUCT_ENV=development DEBUG=true

.DEFAULT_GOAL := help
.PHONY: help venv run worker beat test test-e2e lint format migrations-check bench ci clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3.11 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip && $(PIP) install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed ## Create .venv and install the pinned dependencies

run: venv ## Set up everything and serve the demo on 127.0.0.1:$(PORT) (SQLite, in-process tasks)
	bash scripts/system-deps.sh pdf
	mkdir -p var && $(DEV) $(PY) manage.py migrate --noinput && $(DEV) $(PY) manage.py demo_data && $(DEV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: venv ## Run a Celery worker (needs CELERY_BROKER_URL)
	$(PY) -m celery -A schoolconduct worker --loglevel=info --concurrency=2

beat: venv ## Run Celery beat (needs CELERY_BROKER_URL)
	$(PY) -m celery -A schoolconduct beat --loglevel=info

test: venv ## Run the whole test suite, browser journeys in Chromium included
	bash scripts/system-deps.sh pdf browser oidc
	$(PY) -m pytest --durations=10 $(PYTEST_ARGS)

test-e2e: venv ## Run only the browser journeys
	bash scripts/system-deps.sh browser oidc
	$(PY) -m pytest tests/e2e

lint: venv ## ruff; mypy on incidents, measures, letters, records and casetasks; import layers; djlint on templates
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy incidents measures letters records casetasks && $(VENV)/bin/lint-imports --no-cache && $(VENV)/bin/djlint templates --lint

format: venv ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

migrations-check: venv ## Fail if a model change has no migration
	$(DEV) $(PY) manage.py makemigrations --check --dry-run

bench: venv ## Load-test staff pages, search, CSV, report form, letters (PostgreSQL if DATABASE_URL); writes docs/benchmarks.md
	bash scripts/system-deps.sh pdf bench
	$(PY) bench/run.py

ci: lint migrations-check test ## What CI runs on one configuration

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var staticfiles
