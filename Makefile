# Khai Báo — every task a developer or CI runs. See README.md.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Parallel test processes (pytest-xdist); JOBS=0 runs in one process.
JOBS ?= 2
export DJANGO_SETTINGS_MODULE := khaibao.settings

.PHONY: help run setup test test-fast test-browser test-postgres test-replica lint audit fmt messages compilemessages totp clean bench bench-smoke

## help: list the targets
help:
	@grep -E '^## ' Makefile | sed 's/^## /  make /'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## compilemessages: compile khaibao/locale/*/django.po (pure Python: no gettext needed)
compilemessages: $(STAMP)
	$(VENV)/bin/pybabel compile --statistics -d khaibao/locale -D django

## setup: virtual environment, Python packages, compiled translations, Debian packages (chromium for browser tests, pgbouncer)
setup: compilemessages node_modules/.installed
	@bash scripts/ensure-debian-packages.sh

# Front-end pieces only the npm registry has (package.json + lock file; nothing committed).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## run: migrate SQLite, load the demo world, start the web server and the task worker (Ctrl-C stops both)
run: compilemessages node_modules/.installed
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 exec bash scripts/run-dev.sh

## test: the whole suite (API, pages, commands, browser) — on PostgreSQL when DATABASE_URL says so
test: setup
	DEBUG=1 $(PY) -m pytest -q -n $(JOBS) $(PYTEST_ARGS)

## test-fast: the suite without the browser tests
test-fast: compilemessages
	DEBUG=1 $(PY) -m pytest -q -n $(JOBS) -m "not browser" $(PYTEST_ARGS)

## test-browser: only the browser tests (Debian chromium through Playwright)
test-browser: setup
	DEBUG=1 $(PY) -m pytest -q -m browser $(PYTEST_ARGS)

## test-postgres: the whole suite on the local PostgreSQL (PG_URL, default postgres://root@127.0.0.1:5432/khaibao), with the PostgreSQL-only tests SQLite skips, then test-replica (REPLICA=0: not)
REPLICA ?= 1
test-postgres: setup
	DEBUG=1 DATABASE_URL=$${PG_URL:-postgres://root@127.0.0.1:5432/khaibao} $(PY) -m pytest -q -n $(JOBS) -m "not replica" $(PYTEST_ARGS)
	@if [ "$(REPLICA)" != 0 ]; then $(MAKE) test-replica; fi

## test-replica: statistics, dashboards and exports against a real streaming replica (scripts/pg-replica.sh, port 5433)
test-replica: $(STAMP)
	bash scripts/pg-replica.sh start
	DEBUG=1 DATABASE_URL=$${PG_URL:-postgres://root@127.0.0.1:5432/khaibao} $(PY) -m pytest -q -n 0 -m replica \
		khaibao/core/tests/test_replica.py; status=$$?; bash scripts/pg-replica.sh stop; exit $$status

## lint: ruff (style, Django, security, datetime, gettext rules), mypy, the import layers (lint-imports), the README settings and docs' jobs tables, complete Vietnamese translations, no model change without its migration
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	# Before mypy: reads the imports without running them, so an upward import is named even
	# when it makes a cycle Django cannot load.
	$(VENV)/bin/lint-imports
	DEBUG=1 $(VENV)/bin/mypy khaibao
	$(PY) scripts/check-docs.py
	$(PY) scripts/check-translations.py
	# A model change without its migration (a lost file once went unnoticed for a stop).
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

## audit: pip-audit of the installed packages (exit 1: a known vulnerability; 2: the audit could not be done)
audit: $(STAMP)
	$(PY) scripts/audit.py $(AUDIT_ARGS)

## fmt: apply ruff's fixes and formatting
fmt: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format khaibao

## messages: re-extract translatable strings into khaibao/locale/vi/LC_MESSAGES/django.po (needs gettext)
messages: $(STAMP)
	cd khaibao && DEBUG=1 ../$(PY) ../manage.py makemessages -l vi --no-obsolete --no-location
	$(VENV)/bin/pybabel compile --statistics -d khaibao/locale -D django

## totp: print the current TOTP code of a staff account, e.g. make totp USER=demo-ward (DEBUG only)
totp: $(STAMP)
	@DEBUG=1 $(PY) manage.py totp_code $(USER)

## bench: generate 1M people / 10M daily updates on PostgreSQL (BENCH_DB) and measure (bench/RESULTS.md)
BENCH_DB ?= postgres://root@127.0.0.1:5432/khaibao_bench
bench: $(STAMP)
	$(PY) bench/generate.py --db $(BENCH_DB) --people 1000000 --updates 10000000
	$(PY) bench/measure.py --db $(BENCH_DB) --runs 3 --json var/bench/results.json

## bench-smoke: the same end to end at 20k people / 200k updates (about a minute)
bench-smoke: $(STAMP)
	$(PY) bench/generate.py --db $(BENCH_DB)_smoke --people 20000 --updates 200000
	$(PY) bench/measure.py --db $(BENCH_DB)_smoke --runs 1 --requests 30 --warmup 3 --province 40 \
		--warning-seconds 5 --pgbench-seconds 3 --json var/bench/smoke.json

## clean: delete the development database, SMS file and collected static files (var/)
clean:
	rm -rf var test-results

## bench-compliance: 1M org members in 10,000 units on PostgreSQL (COMPLIANCE_DB): rollup refresh, snapshot, dashboard (bench/RESULTS.md, compliance section)
.PHONY: bench-compliance
COMPLIANCE_DB ?= postgres://root@127.0.0.1:5432/khaibao_bench_compliance
bench-compliance: $(STAMP)
	$(PY) bench/compliance.py --db $(COMPLIANCE_DB) --fresh --members 1000000 --units 10000 --runs 3 --requests 200 \
		--explain --json var/bench/compliance.json

## bench-load: the whole load record of issue 19, one after the other: bench-load-direct (ratios against the bare and in-product references, 10× burst), bench-rush (rush mode at 3× and 10×), bench-pooler (the same server through PgBouncer)
.PHONY: bench-load bench-load-direct bench-pooler bench-load-sqlite
LOAD_DB ?= postgres://root@127.0.0.1:5432/khaibao_load
LOAD_RUNS ?= 3
LOAD_SERVERS ?= gunicorn-sync,granian
bench-load: bench-load-direct bench-rush bench-pooler

## bench-load-direct: load test through a real HTTP server (gunicorn and granian) with same-run references and a 10× burst through nginx in front (LOAD_DB; bench/RESULTS.md, "Load")
bench-load-direct: $(STAMP)
	@bash scripts/ensure-debian-packages.sh
	$(PY) bench/generate.py --db $(LOAD_DB) --people 150000 --updates 1500000 --zones 2000
	$(PY) bench/tokens.py --db $(LOAD_DB) --owners 50000 --out var/bench/load-tokens.json
	flock /tmp/kb-bench.lock $(PY) bench/load.py --db $(LOAD_DB) --tokens var/bench/load-tokens.json --servers $(LOAD_SERVERS) \
		--workers 4 --runs $(LOAD_RUNS) --burst --burst-log var/bench/burst-acks.jsonl --json var/bench/load.json

## bench-pooler: the daily update, the status read and the bare references through PgBouncer in transaction mode (LOAD_DB's data, after bench-load-direct)
bench-pooler: $(STAMP)
	@bash scripts/ensure-debian-packages.sh
	PGBOUNCER_PORT=$(PGBOUNCER_PORT) bash scripts/pgbouncer.sh start
	status=0; flock /tmp/kb-bench.lock env $(PGB_ENV) $(PY) bench/load.py --db $(PGB_POOLED)/$(notdir $(LOAD_DB)) \
		--tokens var/bench/load-tokens.json --servers granian --workers 4 --runs 1 --targets bare,bare-read,updates,status \
		--port 8766 --json var/bench/pooler.json || status=$$?; \
	PGBOUNCER_PORT=$(PGBOUNCER_PORT) bash scripts/pgbouncer.sh stop; exit $$status

## bench-rush: rush mode (decision D) at 3× and 10× the daily update's sustained rate, through nginx in front as in production (scripts/nginx-front.sh), with its checks (RUSH_DB; bench/RESULTS.md, "Rush mode"); holds /tmp/kb-bench.lock
.PHONY: bench-rush
RUSH_DB ?= postgres://root@127.0.0.1:5432/khaibao_rush
bench-rush: $(STAMP)
	@bash scripts/ensure-debian-packages.sh
	flock /tmp/kb-bench.lock sh -c '$(PY) bench/generate.py --db $(RUSH_DB) --people 300000 --updates 750000 --days 7 --zones 200 \
		&& $(PY) bench/tokens.py --db $(RUSH_DB) --owners 100000 --out var/bench/rush-tokens.json \
		&& $(PY) bench/rush.py --db $(RUSH_DB) --tokens var/bench/rush-tokens.json --json var/bench/rush.json'

## bench-load-sqlite: the daily update and status read against the embedded SQLite mode (WAL), same driver
LOAD_SQLITE ?= sqlite:///$(CURDIR)/var/bench/load.sqlite3
bench-load-sqlite: $(STAMP)
	$(PY) bench/tokens.py --db $(LOAD_SQLITE) --owners 10000 --out var/bench/load-tokens-sqlite.json
	$(PY) bench/load.py --db $(LOAD_SQLITE) --tokens var/bench/load-tokens-sqlite.json --servers granian,gunicorn-sync \
		--workers 2 --targets ninja,floor,updates,ninja-read,status --runs 1 --json var/bench/load-sqlite.json

## bench-stats: the statistics refresh counting what was written since its last run, beside a recount of both days (bench/stats_refresh.py; 400,000 people, 240,000 updates a day)
.PHONY: bench-stats
STATS_DB ?= postgres://root@127.0.0.1:5432/khaibao_stats
bench-stats: $(STAMP)
	$(PY) bench/generate.py --db $(STATS_DB) --people 400000 --updates 480000 --days 2 --zones 100
	$(PY) bench/stats_refresh.py --db $(STATS_DB) --runs 3

## bench-hotpath: CPU and SQL statements per request of the hot paths, in process, beside the minimal ninja insert (HOT_DB; bench/RESULTS.md, "Hot path")
.PHONY: bench-hotpath
HOT_DB ?= postgres://root@127.0.0.1:5432/khaibao_hot
bench-hotpath: $(STAMP)
	$(PY) bench/generate.py --db $(HOT_DB) --people 20000 --updates 200000
	DEBUG=1 $(PY) bench/tokens.py --db $(HOT_DB) --owners 3000 --out var/bench/hot-tokens.json
	DEBUG=1 $(PY) bench/hotpath.py --db $(HOT_DB) --tokens var/bench/hot-tokens.json --rounds 3 --json var/bench/hotpath.json

## bench-warning: the zone warning job for one zone covering 1M residents on PostgreSQL (WARNING_DB; bench/RESULTS.md)
.PHONY: bench-warning
WARNING_DB ?= postgres://root@127.0.0.1:5432/khaibao_zone1m
bench-warning: $(STAMP)
	$(PY) bench/generate.py --db $(WARNING_DB) --people 1000000 --updates 1000000 --provinces 1 --days 7
	$(PY) bench/measure.py --db $(WARNING_DB) --runs 1 --warning-province 1 --warning-seconds 600 \
		--skip requests,rollups,pgbench --json var/bench/warning.json

## test-faults: the fault suite under load — PostgreSQL stopped and started, a table locked, Redis stopped, worker and app server killed -9 — on a private PostgreSQL cluster and Redis (127.0.0.1 only; bench/faults.py, docs/operations.md). FAULTS_ARGS=--quick: shorter faults (CI)
.PHONY: test-faults
test-faults: $(STAMP)
	$(PY) bench/faults.py $(FAULTS_ARGS)

## test-pgbouncer: PgBouncer in transaction mode in front of PostgreSQL (127.0.0.1:PGBOUNCER_PORT, own config in a temp dir): the API tests and a short load through it (scripts/pgbouncer.sh; docs/operations.md)
.PHONY: test-pgbouncer
PGBOUNCER_PORT ?= 6433
PGB_TESTS ?= khaibao/api khaibao/accounts khaibao/monitoring khaibao/declarations khaibao/core/tests/test_lanes.py
PGB_LOAD_NAME ?= khaibao_hot
PGB_DIRECT := postgres://root@127.0.0.1:5432
PGB_POOLED := postgres://root@127.0.0.1:$(PGBOUNCER_PORT)
# Behind PgBouncer 1.18 in transaction mode: no prepared statements, no startup options.
PGB_ENV := DB_PREPARED_STATEMENTS=0 DB_TIMEOUTS_AT_CONNECT=0
# A prefix for the load run alone, e.g. PGB_LOCK="flock /tmp/kb-bench.lock" on a shared machine.
PGB_LOCK ?=
test-pgbouncer: $(STAMP)
	@bash scripts/ensure-debian-packages.sh
	@# Fresh test databases (reused between the test processes' runs, dropped with PgBouncer stopped:
	@# its pooled server connections would hold them open).
	@for db in $$(psql -h 127.0.0.1 -U root -d postgres -XAtc "SELECT datname FROM pg_database WHERE datname LIKE 'test_khaibao_pgbouncer%'"); do \
		psql -h 127.0.0.1 -U root -d postgres -Xqc "DROP DATABASE \"$$db\""; done
	@psql -h 127.0.0.1 -U root -d postgres -XAtc "SELECT 1 FROM pg_database WHERE datname = '$(PGB_LOAD_NAME)'" | grep -q 1 || \
		$(PY) bench/generate.py --db $(PGB_DIRECT)/$(PGB_LOAD_NAME) --people 20000 --updates 200000
	DEBUG=1 $(PY) bench/tokens.py --db $(PGB_DIRECT)/$(PGB_LOAD_NAME) --owners 3000 --out var/bench/pgbouncer-tokens.json
	PGBOUNCER_PORT=$(PGBOUNCER_PORT) bash scripts/pgbouncer.sh start
	status=0; \
	DEBUG=1 $(PGB_ENV) DATABASE_URL=$(PGB_POOLED)/khaibao_pgbouncer $(PY) -m pytest -q -n $(JOBS) --reuse-db \
		-m "not browser and not replica" $(PGB_TESTS) || status=$$?; \
	$(PGB_LOCK) env $(PGB_ENV) $(PY) bench/load.py --db $(PGB_POOLED)/$(PGB_LOAD_NAME) --tokens var/bench/pgbouncer-tokens.json \
		--servers granian --workers 4 --runs 1 --targets bare,ninja,updates,status --probe-seconds 5 \
		--step-seconds 5 --fractions 0.3,0.6,0.9 --pgbench-seconds 5 --port 8766 --json var/bench/pgbouncer.json || status=$$?; \
	PGBOUNCER_PORT=$(PGBOUNCER_PORT) bash scripts/pgbouncer.sh stop; \
	for db in $$(psql -h 127.0.0.1 -U root -d postgres -XAtc "SELECT datname FROM pg_database WHERE datname LIKE 'test_khaibao_pgbouncer%'"); do \
		psql -h 127.0.0.1 -U root -d postgres -Xqc "DROP DATABASE \"$$db\""; done; \
	exit $$status
