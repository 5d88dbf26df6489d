# make build: set up .venv if needed, then build the site into output/
# make test:  set up .venv with the test tools, then run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: build drafts serve test bench clean

build: $(STAMP)
	$(BIN)/digest build

drafts: $(STAMP)
	$(BIN)/digest build --drafts

test: $(TEST_STAMP) node_modules/.installed
	$(BIN)/python -m pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The Nu HTML Checker and axe-core, which the tests run (vnu.jar with the machine's java).
node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf output output.tmp-* output.old-* .cache .pytest_cache

serve: $(STAMP)
	$(BIN)/digest serve

bench: $(STAMP)
	$(BIN)/python bench/run.py
