# make build: install exactly the locked dependencies into .venv, then build the site into output/
# make test:  the same with the test tools (and the npm ones), then run the whole test suite
#
# uv.lock pins every Python package, runtime and test, with hashes; `uv sync --locked` makes .venv hold
# exactly that (it removes anything else) and refuses a lock that no longer matches pyproject.toml.
# uv itself comes from tools/uv.txt (one version, hash-pinned) into .tools/, so nothing else is needed
# but a Python 3.11+ to start from.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := .tools/bin/uv
# Use the machine's Python, never one uv would download; keep uv's own files out of the repository.
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Bytecode compiled once at install, so no run pays for compiling (Python writes none where
# PYTHONDONTWRITEBYTECODE is set, and then compiles every module on every start: 0.45 s of a build).
SYNC   := $(UV) sync --locked --quiet --compile-bytecode
COMPILE := $(BIN)/python -m compileall -q generator

.PHONY: build fetch images drafts serve serve-output test test-latest lock bench clean runtime test-env

build: runtime
	$(BIN)/digest build

# Write the subscriptions' new stories as seed files (subscriptions.opml; state in fetched.json).
fetch: runtime
	$(BIN)/digest fetch

# Fetch into the image store (images/) what the stories name and it lacks; the build never fetches.
images: runtime
	$(BIN)/digest images

drafts: runtime
	$(BIN)/digest build --drafts

serve: runtime
	$(BIN)/digest serve

# The built output/ served at base_path on loopback, as GitHub Pages will serve it: a last look before pushing.
serve-output: runtime
	$(BIN)/digest serve-output

test: test-env node_modules/.installed
	$(BIN)/python -m pytest

# The suite against the newest release of every dependency (not the lock), in a separate .venv-latest,
# so drift in a library is found on a schedule rather than on main.
test-latest: $(UV) node_modules/.installed
	rm -rf .venv-latest
	$(UV) venv --quiet .venv-latest
	$(UV) pip install --quiet --python .venv-latest/bin/python --upgrade -e '.[test]'
	.venv-latest/bin/python -m pytest

# Re-resolve every Python dependency to the newest versions pyproject.toml allows.
lock: $(UV)
	$(UV) lock --upgrade

bench: runtime
	$(BIN)/python bench/run.py

clean:
	rm -rf output output.tmp-* output.old-* .cache .pytest_cache

runtime: $(UV)
	$(SYNC)
	$(COMPILE)

test-env: $(UV)
	$(SYNC) --extra test
	$(COMPILE)

$(UV): tools/uv.txt
	rm -rf .tools
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --require-hashes --no-deps -r tools/uv.txt
	touch $@

# The Nu HTML Checker and axe-core, which the tests run (vnu.jar with the machine's java).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@
