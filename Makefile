# Khai Báo — every task a developer or CI runs. See README.md.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE := khaibao.settings

.PHONY: run setup test test-fast test-postgres lint fmt messages totp clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## setup: virtual environment, Python packages, compiled translations, Debian chromium for browser tests
setup: $(STAMP)
	$(VENV)/bin/pybabel compile --use-fuzzy -d khaibao/locale -D django >/dev/null
	@bash scripts/ensure-chromium.sh

## run: migrate SQLite, load the demo world, start the web server and the task worker (Ctrl-C stops both)
run: $(STAMP)
	$(VENV)/bin/pybabel compile -d khaibao/locale -D django >/dev/null
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 bash scripts/run-dev.sh

## test: the whole suite (API, pages, commands, browser) — on PostgreSQL when DATABASE_URL says so
test: setup
	DEBUG=1 $(PY) -m pytest -q $(PYTEST_ARGS)

## test-postgres: the whole suite on the local PostgreSQL (127.0.0.1:5432, user root)
test-postgres: setup
	DEBUG=1 DATABASE_URL=$${PG_URL:-postgres://root@127.0.0.1:5432/khaibao} $(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check khaibao bench 2>/dev/null || $(VENV)/bin/ruff format --check khaibao
	DEBUG=1 $(VENV)/bin/mypy khaibao

fmt: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format khaibao

## messages: re-extract translatable strings into khaibao/locale/*/django.po (needs gettext)
messages: $(STAMP)
	cd khaibao && DEBUG=1 ../$(PY) ../manage.py makemessages -l vi -l en --no-obsolete --no-location
	$(VENV)/bin/pybabel compile -d khaibao/locale -D django

totp: $(STAMP)
	@DEBUG=1 $(PY) manage.py totp_code $(USER)

clean:
	rm -rf var
