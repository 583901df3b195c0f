# The two commands of README.md: `make run` (install, migrate every database, load demo data, serve on SQLite)
# and `make test` (install, run the whole suite on SQLite, then on PostgreSQL when it is reachable).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432
PG_DB ?= vbapi
PYTEST_ARGS ?=
PG_ENV = DATABASE_URL=$(PG_URL)/$(PG_DB) VBA_DATABASES=demo=$(PG_URL)/$(PG_DB)_demo,other=$(PG_URL)/$(PG_DB)_other

.PHONY: install run test test-sqlite test-postgres lint bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate_all
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver --insecure 127.0.0.1:8000

test: install test-sqlite test-postgres

test-sqlite: install
	@echo "== test suite on SQLite =="
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install
	@if $(PY) -c "import psycopg; psycopg.connect('$(PG_URL)/postgres', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== test suite on PostgreSQL ($(PG_URL)) =="; \
		$(PG_ENV) VBAPI_FORBID_SKIPS=1 $(PY) -m pytest $(PYTEST_ARGS); \
	elif [ -n "$$REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL is required (REQUIRE_POSTGRES is set) but $(PG_URL) is not reachable."; exit 1; \
	else \
		echo "PostgreSQL is not reachable at $(PG_URL): ran the SQLite suite only."; \
	fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
