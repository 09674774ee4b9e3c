# Two entry points, both from a fresh clone (Python 3.11+, Node.js, npm):
#   make site   set everything up and build the site from content/ into site/
#   make test   set everything up and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: site test setup serve check golden clean

site: setup
	$(BIN)/papershelf build

test: setup
	$(BIN)/python -m pytest

serve: setup
	$(BIN)/papershelf serve

check: setup
	$(BIN)/papershelf check

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) node_modules site

# Regenerate the expected output of tests/fixtures/sites/small (review with `git diff tests/golden`).
golden: setup
	$(BIN)/python tests/regen_golden.py
