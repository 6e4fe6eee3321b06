# Two commands: `make run` (the service on the embedded default, with demo accounts)
# and `make test` (the whole test suite). Both install what they need into .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint install system-deps

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py demo --always-open --url http://$(HOST):$(PORT)
	# -v 0 and no --access-log: daphne then logs no client address.
	$(VENV)/bin/daphne -v 0 -b $(HOST) -p $(PORT) chatservice.asgi:application

# The suite uses the machine's PostgreSQL and Redis for real (see README), Debian's
# Chromium for the browser tests and Debian's nginx for the deployment test.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

system-deps:
	@command -v chromium >/dev/null 2>&1 && test -x /usr/sbin/nginx || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium nginx)
	@test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund --silent

test: $(VENV)/.installed system-deps
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
