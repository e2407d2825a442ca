# Thước đo — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := thuocdo.config.settings

.PHONY: run test test-calendar install install-dev lint typecheck contracts migrations-check pytest pytest-here clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: install, migrate, load the demo agency, serve on HOST:PORT with a job worker (SQLite by default)
run: install
	$(BIN)/python -m thuocdo.manage migrate --no-input
	$(BIN)/python -m thuocdo.manage collectstatic --no-input --verbosity 0
	$(BIN)/python -m thuocdo.manage load_presets
	$(BIN)/python -m thuocdo.manage load_demo
	@# The dashboards' kept live points, warmed by the worker rather than by the first page.
	$(BIN)/python -m thuocdo.manage refresh_live --queue
	@$(BIN)/python -m thuocdo.manage demo_logins --url "http://$(HOST):$(PORT)/"
	@# A job worker beside the web server (imports, period closes, refreshes); both stop together.
	$(BIN)/python -m thuocdo.manage db_worker --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn thuocdo.config.wsgi --bind "$(HOST):$(PORT)" --workers 2 --threads 4

## make test: every check — lint, format, types, import contracts, migrations, tests with coverage
test: install-dev lint typecheck contracts migrations-check pytest

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck:
	$(BIN)/mypy

contracts:
	$(BIN)/lint-imports

migrations-check:
	$(BIN)/python -m thuocdo.manage makemigrations --check --dry-run

# The suite on SQLite always; again on DATABASE_URL's database when one is set.
pytest:
	env -u DATABASE_URL $(BIN)/pytest --cov --cov-report=term $(PYTEST_ARGS)
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== the suite again on $$DATABASE_URL =="; \
		$(MAKE) --no-print-directory pytest-here PYTEST_ARGS="--create-db $(PYTEST_ARGS)"; \
	fi

# The suite on whatever DATABASE_URL names (SQLite when unset).
pytest-here:
	$(BIN)/pytest $(PYTEST_ARGS)

## make test-calendar: the date-sensitive tests under every moment of tests/clock.py's CALENDAR
## (1 January, the 1st and 2nd of a month, 28/29 February of a leap year, 31 December, a
## Sunday, both sides of midnight in Hà Nội against UTC); prints one row per moment.
test-calendar: install-dev
	$(BIN)/python tests/calendar_run.py $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var/static build *.egg-info
