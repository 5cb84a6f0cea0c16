# Quick start: `make demo` runs the demo, `make test` runs the tests. Both set themselves up.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
PYTHON ?= python3
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test test-sqlite test-postgres test-card card-preview setup clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP) card-preview
	$(VENV)/bin/moulin-hubspot demo

test: test-card test-postgres test-sqlite

test-sqlite: $(STAMP) browser card-preview
	$(PY) -m pytest -q -n 2

# The browser tests (tests/e2e) drive the system Chromium; install it when missing.
browser:
	@scripts/ensure-chromium.sh

# Tests marked `db` again, on a throw-away PostgreSQL database.
test-postgres: $(STAMP)
	TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) $(PY) -m pytest -q -n 2 -m db

# The cards bundled for the sandbox's record page (the card preview): esbuild, from the cards' npm packages.
card-preview:
	cd crm_cards/src/app/cards && npm ci --no-audit --no-fund --silent && npm run --silent build:preview

# The app card's own tests (vitest) and HubSpot's project parser, from the npm registry.
test-card:
	cd crm_cards/src/app/cards && npm ci --no-audit --no-fund --silent && npm test --silent

clean:
	rm -rf $(VENV) instance/*.sqlite3*
