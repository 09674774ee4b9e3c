# Two entry points, both from a fresh clone (Python 3.11+, Node.js, npm):
#   make site   set up what building needs (papershelf and lunr.js) and build content/ into site/
#   make test   set up everything the tests need too, and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip --quiet --disable-pip-version-check
NPM    := npm --no-audit --no-fund --loglevel=error

.PHONY: site test setup setup-test serve check golden wheel clean

site: setup
	$(BIN)/papershelf build

test: setup-test
	$(BIN)/python -m pytest

serve: setup
	$(BIN)/papershelf serve

check: setup
	$(BIN)/papershelf check

# Building needs only the runtime: papershelf (editable) and lunr.js from npm.
setup: $(VENV)/.runtime node_modules/.runtime

# Tests also need pytest, Playwright, feed and BibTeX parsers, and the HTML validator (npm dev dependency).
setup-test: $(VENV)/.test node_modules/.dev

$(VENV)/.runtime: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e .
	touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(PIP) install -e '.[test]'
	touch $@

node_modules/.runtime: package.json package-lock.json
	$(NPM) ci --omit=dev
	touch $@

node_modules/.dev: package.json package-lock.json
	$(NPM) ci
	touch $@ node_modules/.runtime

# The wheel as users get it (the default theme and lunr.js inside): dist/papershelf-*.whl
wheel: setup-test
	$(BIN)/python -m build --wheel --outdir dist .

clean:
	rm -rf $(VENV) node_modules site dist build

# Regenerate the expected output of tests/fixtures/sites/small (review with `git diff tests/golden`).
golden: setup-test
	$(BIN)/python tests/regen_golden.py
