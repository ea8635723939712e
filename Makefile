# Two commands do everything on a fresh machine (Python >= 3.11, Node >= 18):
#   make demo   set up, load the demo community, serve it on http://127.0.0.1:8000
#   make test   set up, run the whole suite (SQLite; PostgreSQL when DATABASE_URL is set)
# Both are idempotent: stamps skip the steps whose inputs have not changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR_STAMP := wangge/static/vendor/.stamp
PYTEST_ARGS ?=

.PHONY: demo test setup lint format messages bench clean

demo: setup
	$(BIN)/wangge demo

test: setup
	WANGGE_DEBUG=true $(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

setup: $(VENV)/.stamp $(VENDOR_STAMP)

$(VENV)/.stamp: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("wangge needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR_STAMP): node_modules/.stamp scripts/vendor.py
	$(BIN)/python scripts/vendor.py
	touch $@

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	WANGGE_DEBUG=true $(BIN)/wangge makemigrations --check --dry-run

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Developers only (extraction needs GNU gettext): refresh the catalogue, then translate the new entries in
# wangge/locale/zh_Hans/LC_MESSAGES/django.po and run it again; the compiled .mo is committed.
messages: setup
	cd wangge && WANGGE_DEBUG=true ../$(BIN)/wangge makemessages -l zh_Hans --no-obsolete --ignore 'static/vendor/*' --ignore '*/tests/*'
	$(BIN)/python scripts/translate.py wangge/locale/zh_Hans/LC_MESSAGES/django.po

# Benchmarks against ceilings measured in the same run; the Markdown table goes to bench/results/results.md.
# HTTP, scale, case metrics and point-in-grid run on PostgreSQL only, on `wangge synth` data sets in
# $(BENCH_DATABASE_URL)_community and _district (served by gunicorn, a dev dependency).
BENCH_ROWS ?= 100000
BENCH_POINTS ?= 1000000
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/wangge_bench
bench: setup
	mkdir -p bench/results && rm -f bench/results/results.md
	$(BIN)/python bench/import_residents.py --rows $(BENCH_ROWS) --out bench/results/results.md > /dev/null
	$(BIN)/python bench/import_residents.py --rows $(BENCH_ROWS) --database-url $(BENCH_DATABASE_URL) --out bench/results/results.md > /dev/null
	$(BIN)/python bench/run.py --database-url $(BENCH_DATABASE_URL) --points $(BENCH_POINTS) --out bench/results/results.md > /dev/null
	@echo "== bench/results/results.md"
	@cat bench/results/results.md

clean:
	rm -rf $(VENV) node_modules wangge/static/vendor var/static
