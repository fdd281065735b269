# One command surface for people and CI (.ci/run calls `make test`).
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOWEST := .venv-lowest

.PHONY: install run test test-sqlite test-browser test-sqlite-rest test-pg test-lowest audit lint format bench bench-network bench-photos bench-desk bench-stats load surge messages clean

$(STAMP): pyproject.toml
	@echo "Installing the platform and its Python packages into $(VENV) (about two minutes the first time)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)
	@echo "Installed."

install: $(STAMP)

## Serve the demo on the embedded SQLite database at http://127.0.0.1:$(PORT) (make run PORT=8080)
run: $(STAMP)
	$(BIN)/healthcode db upgrade
	$(BIN)/healthcode demo --url http://127.0.0.1:$(PORT)
	$(BIN)/healthcode serve --host 127.0.0.1 --port $(PORT)

## Lint, types, the whole suite on SQLite, the database tests on PostgreSQL, the unit tests on the lowest versions allowed.
## The legs run side by side, the SQLite suite in two halves (alone it keeps one core of two busy, and
## its browser tests wait a lot); each shows its output when it ends. `make test-sqlite` is the whole
## SQLite suite in one run, its progress shown as it goes.
test: lint
	$(MAKE) --no-print-directory --jobs=4 --output-sync=target test-browser test-sqlite-rest test-pg test-lowest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts scripts/cluster
	$(BIN)/ruff format --check src tests benchmarks scripts scripts/cluster
	$(BIN)/mypy

test-sqlite: $(STAMP)
	$(BIN)/pytest

test-browser: $(STAMP)
	$(BIN)/pytest -m browser

test-sqlite-rest: $(STAMP)
	$(BIN)/pytest -m "not browser"

# Starts a throwaway PostgreSQL (scripts/pg-test-server) unless HEALTHCODE_TEST_POSTGRES_URL is set.
test-pg: $(STAMP)
	scripts/pg-test-server $(BIN)/pytest -m db

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks scripts
	$(BIN)/ruff check --fix src tests benchmarks scripts

bench: $(STAMP)
	$(BIN)/pytest benchmarks --benchmark-only

## Re-extract texts from code and templates and merge them into every catalog
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k translate --no-location --sort-output -o src/healthcode/i18n/messages.pot .
	$(BIN)/pybabel update -i src/healthcode/i18n/messages.pot -d src/healthcode/i18n/locales -D messages --no-fuzzy-matching --ignore-obsolete

## The unit tests on the lowest version of each dependency pyproject.toml allows (in .venv-lowest):
## a floor set too low fails here rather than on an operator's machine
test-lowest: $(STAMP)
	$(BIN)/uv venv --quiet --allow-existing --python $(PYTHON) $(LOWEST)
	$(BIN)/uv pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct -e '.[dev]'
	$(LOWEST)/bin/pytest -q tests/unit

## Known vulnerabilities in the installed packages (needs PyPI's vulnerability data or OSV on the network)
audit: $(STAMP)
	$(BIN)/pip-audit --strict --skip-editable

clean:
	rm -rf $(VENV) $(LOWEST) var .mypy_cache .ruff_cache

## The code page's QR under chromium's Slow 3G, cold and warm (needs chromium)
bench-network: $(STAMP)
	$(BIN)/python benchmarks/slow_network.py

## Photo cleaning (CPU, memory) and applications/s with two 12-megapixel phone photos each, 2 workers
bench-photos: $(STAMP)
	$(BIN)/python -m benchmarks.photos $(PHOTO_ARGS)

## The checkpoint desk in chromium: Enter to verdict (online, hung, offline, CPU 4x), 1,000 people, 10,000 queued scans uploaded
bench-desk: $(STAMP)
	$(BIN)/python benchmarks/checkpoint_desk.py $(DESK_ARGS)

## Statistics at a city's size on a throwaway PostgreSQL: 1,000,000 cards, 10,000,000 scans, every chart <= 200 ms
bench-stats: $(STAMP)
	scripts/pg-test-server $(BIN)/python -m benchmarks.stats_charts $(STATS_ARGS)

## Requests/s and p99 of the code endpoint and verification next to a bare endpoint (needs wrk)
load: $(STAMP)
	$(BIN)/python -m benchmarks.load $(LOAD_ARGS)

## Code display through a surge of twice its connections plus as many loading pages, and after (needs wrk)
surge: $(STAMP)
	$(BIN)/python -m benchmarks.surge $(LOAD_ARGS)
