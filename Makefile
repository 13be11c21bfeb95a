# Sentinelle: `make run` serves the demo on SQLite; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DEV_ENV := DJANGO_DEBUG=true
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test coverage install messages lint format check vendor clean-db bench soak bench-disclosure bench-openrosa

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

messages: $(STAMP)
	@$(DEV_ENV) $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

run: install messages
	@mkdir -p var
	@$(DEV_ENV) $(PY) manage.py field_keys_init --if-missing
	@$(DEV_ENV) $(PY) manage.py migrate --no-input -v 0
	@$(DEV_ENV) $(PY) manage.py seed_demo
	@echo "Sentinelle: http://$(HOST):$(PORT)/"
	@$(DEV_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# The suite in parallel (pytest-xdist): one worker per core, at most 4, each with its own test database
# (SQLite in memory, or test_<name>_gw0, _gw1... on PostgreSQL). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
PYTEST_XDIST := $(if $(filter 0,$(TEST_WORKERS)),-p no:xdist,-n $(TEST_WORKERS) --maxprocesses=4 --dist worksteal)

test: install messages
	$(VENV)/bin/pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

# The suite with line coverage of sentinelle/ (total and the files not fully covered).
coverage: install messages
	$(VENV)/bin/pytest $(PYTEST_XDIST) --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

# Benchmark (bench/README.md): a fresh PostgreSQL database at national scale, measured against design §8.
# make bench SCALE=0.02 for a quick run; BENCH_DATABASE_URL, BENCH_ARGS (e.g. --seconds 120) to change it.
SCALE ?= 1.0
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/sentinelle_bench
BENCH_ARGS ?=
SOAK_MINUTES ?= 30
SOAK_ARGS ?=

bench: install messages
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench.run bench --scale $(SCALE) $(BENCH_ARGS)

# The differencing attacker on the bench database (run `make bench` first), report in bench/results/.
bench-disclosure: install messages
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench.run disclosure

# Only the OpenRosa load (8 phones, load tool and server on their own cores) on the bench database.
bench-openrosa: install messages
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench.run openrosa $(BENCH_ARGS)

# Mixed load on the bench database (run `make bench` first) for SOAK_MINUTES, report in bench/results/.
soak: install messages
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench.run soak --minutes $(SOAK_MINUTES) $(SOAK_ARGS)

lint: install
	@mkdir -p var
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(PY) tools/catalogue_sync.py

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Re-copy the pinned front-end libraries from npm into static/vendor (needs npm; run when package.json changes).
vendor:
	npm ci --no-audit --no-fund
	rm -rf static/vendor/htmx.org-*
	mkdir -p static/vendor/htmx.org-$$(node -p "require('htmx.org/package.json').version")
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE static/vendor/htmx.org-$$(node -p "require('htmx.org/package.json').version")/

clean-db:
	rm -f var/sentinelle.sqlite3 var/sentinelle.sqlite3-wal var/sentinelle.sqlite3-shm
	# The audit anchors name entries of the database removed above.
	rm -rf var/audit-anchors
