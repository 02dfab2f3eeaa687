# COS Registry: `make run` to serve, `make test` to test. See README.md.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT
WEB_CONCURRENCY ?= 2

.PHONY: install run serve migrate data test test-replicas lint format bench clean

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

data: migrate
	$(PY) manage.py load_reference_data

run: data
	@mkdir -p var; set -o pipefail; $(PY) manage.py load_demo_data | tee var/demo_logins.txt
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@bash scripts/serve.sh

# Two processes (pytest-xdist); tests that must not overlap, or that share a costly module fixture, stay together on
# one (tests/conftest.py). TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 2
test: install
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

# The read-replica tests against a streaming replica of the PostgreSQL at DATABASE_URL, which scripts/replica.sh
# creates (Debian's pg_createcluster, pg_basebackup) and removes afterwards. Needs root or the postgres tools' rights.
test-replicas: install
	bash scripts/replica.sh run $(PY) -m pytest -n 0 -p no:cacheprovider tests/cos_registry/test_read_replicas.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The performance benchmark (docs/performance.md): builds cos_bench on the local PostgreSQL, serves it with gunicorn
# on 127.0.0.1:8106, uses Redis DB 6. Not part of `make test`: nothing in the test suite is timed.
bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
