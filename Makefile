# Keyprojects: `make run` serves the demo, `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

# Debian packages: gettext compiles the translations; pango and the CJK fonts let WeasyPrint write Chinese PDFs.
RUNTIME_DEBS := gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk
TEST_DEBS    := chromium fonts-noto-cjk poppler-utils

.PHONY: setup run dev test lint format messages screenshots clean worker audit bench scale load .debs-runtime .debs-test

setup: $(VENV)/.runtime node_modules/.installed keyprojects/static/vendor/htmx.min.js .debs-runtime
	$(BIN)/python manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput -v0

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.runtime
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || scripts/apt-ensure nodejs npm
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

keyprojects/static/vendor/htmx.min.js: node_modules/.installed scripts/copy-vendor-assets
	scripts/copy-vendor-assets

.debs-runtime:
	scripts/apt-ensure $(RUNTIME_DEBS)

.debs-test:
	scripts/apt-ensure $(TEST_DEBS)

# $(call serve,<web server>): the web server beside the task worker and the scheduler (their logs in var/).
# Ctrl-C, closing the terminal, SIGTERM to make or to its process group: all three stop, and make waits
# for them. So does the web server exiting (a port already taken), with its exit status.
serve = trap 'trap "" HUP INT TERM; kill $$web $$worker $$scheduler 2>/dev/null; wait' EXIT; \
	trap 'exit 0' HUP INT TERM; \
	$(BIN)/python manage.py db_worker >var/worker.log 2>&1 & worker=$$!; \
	$(BIN)/python manage.py run_scheduler >var/scheduler.log 2>&1 & scheduler=$$!; \
	$(1) & web=$$!; \
	wait $$web

# The demo as a person uses it: DEBUG off throughout (still the development environment, so the demo
# loads); gunicorn (gunicorn.conf.py: 2 workers, access log in var/) serves it.
run: export DJANGO_DEBUG = 0
run: setup
	$(BIN)/python manage.py load_demo
	@echo ""
	@echo "Keyprojects is serving on http://$(HOST):$(PORT)/  (Ctrl-C stops it, its task worker and scheduler; logs in var/)"
	@$(call serve,$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT))

# For working on the code: Django's runserver, DEBUG on, reloading on every change.
dev: setup
	@echo "Keyprojects (development: DEBUG on, reloads on change) on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@$(call serve,$(BIN)/python manage.py runserver $(HOST):$(PORT))

worker: setup
	$(BIN)/python manage.py db_worker

# Production settings are checked for real: `check --deploy`, then `collectstatic` with the manifest storage
# into a throw-away folder (a static file referring to one that is missing fails it, as it would fail
# every page in production).
PRODUCTION_CHECK_ENV = DJANGO_ENV=production DJANGO_SECRET_KEY=check-deploy-only-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	DJANGO_ALLOWED_HOSTS=keyprojects.example DATABASE_URL=sqlite:///:memory:

test: setup $(VENV)/.test .debs-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run -v1
	$(PRODUCTION_CHECK_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING
	rm -rf var/collectstatic-check
	$(PRODUCTION_CHECK_ENV) DJANGO_STATIC_ROOT=var/collectstatic-check $(BIN)/python manage.py collectstatic --noinput -v0
	rm -rf var/collectstatic-check
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Known vulnerabilities in the Python and the shipped npm packages (pip-audit, npm audit); dated exceptions in
# docs/security-exceptions.md. Fails on a finding; an unreachable vulnerability service prints
# "dependency audit NOT RUN: <reason>" and does not fail (an offline build is not a pass, nor a failure).
audit: $(VENV)/.test node_modules/.installed
	$(BIN)/python scripts/dependency-audit

# Province scale (issue 16): `make scale` loads the demo and generates a province into BENCH_DATABASE_URL
# (PostgreSQL), `make bench` measures every figure against its hand-written SQL floor there.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kp_scale
scale: setup
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py migrate --verbosity 0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py load_demo --quiet-logins
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py generate_scale --cities 11 --units-per-city 16 --projects-per-unit 60 --years 10 --seed 1

$(VENV)/.bench: pyproject.toml | $(VENV)/.runtime
	$(BIN)/pip install -q -e '.[bench]'
	touch $@

# 100 users for 60 s against gunicorn (2 workers) and PostgreSQL, loopback only: p50/p95/p99, zero errors.
load: setup $(VENV)/.bench
	@pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 || { echo "make load measures PostgreSQL, and none answers on 127.0.0.1:5432"; exit 1; }
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/load.py

bench: setup
	@pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 || { echo "make bench measures PostgreSQL, and none answers on 127.0.0.1:5432: start it (see .ci/run)"; exit 1; }
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/province.py

messages: $(VENV)/.runtime
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=node_modules --ignore=tests --ignore=bench

screenshots: setup $(VENV)/.test .debs-test
	KEYPROJECTS_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/browser $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules keyprojects/static/vendor staticfiles var test-artifacts
