# Reelway: `make serve` runs the server, `make test` runs the whole suite.
# Both create or refresh the virtual environment in .venv first: `make serve` installs what
# serving needs (reelway[serve]: the core plus the PostgreSQL and Redis drivers), `make test`
# everything (reelway[dev]: serve, the diffusers stack, the test and lint tools).  Each has its
# own stamp; the dev install covers serve's, so `make serve` after `make test` installs nothing.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SERVE_STAMP := $(VENV)/.installed-serve
DEV_STAMP := $(VENV)/.installed-dev
STAMP := $(DEV_STAMP)
HOST ?= 127.0.0.1
PORT ?= 8000

NODE_SDK := tests/node/node_modules/openai/package.json
PIP := $(BIN)/python -m pip install --quiet -c constraints.txt

.PHONY: serve test lint format bench gallery clean venv node-sdk browser

# The venv itself; pip is upgraded only when the venv's own is older than 23 (editable
# installs from pyproject.toml), which saves seconds on a first start.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import pip, sys; sys.exit(int(pip.__version__.split(".")[0]) < 23)' \
		|| $(BIN)/python -m pip install --quiet --upgrade pip

$(SERVE_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[serve]'
	@touch $(SERVE_STAMP)

$(DEV_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[dev]'
	@touch $(DEV_STAMP) $(SERVE_STAMP)

venv: $(DEV_STAMP)

serve: $(SERVE_STAMP)
	$(BIN)/reelway serve --host $(HOST) --port $(PORT)

# The suite runs on TEST_WORKERS pytest-xdist processes: most tests wait (servers starting,
# renders, polls) rather than compute, so more workers than cores pays; `make test
# TEST_WORKERS=0` runs it in one process.  Tests of one file stay on one worker (loadfile):
# many share a module's server.
TEST_WORKERS ?= 4
test: $(STAMP) node-sdk browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The Node SDK test is skipped (with its reason) when npm is missing or cannot install.
node-sdk: $(NODE_SDK)
$(NODE_SDK): tests/node/package.json
	@if command -v npm >/dev/null; then \
		npm install --prefix tests/node --no-package-lock --no-audit --no-fund --loglevel=error \
			|| echo "npm install failed: the Node SDK test will be skipped"; \
	else echo "npm not found: the Node SDK test will be skipped"; fi

# The dashboard's browser test drives Debian's chromium with chromium-driver; when they are
# missing and cannot be installed (not root, no apt, no network) that test is skipped with its
# reason.
APT_BROWSER := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	chromium chromium-driver >/dev/null 2>&1
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			$(APT_BROWSER) || { apt-get update -qq >/dev/null 2>&1 && $(APT_BROWSER); } \
				|| echo "chromium install failed: the dashboard browser test will be skipped"; \
		else echo "chromium not found: the dashboard browser test will be skipped"; fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	$(BIN)/python -m bench

# The animatic gallery (gallery/prompts.toml): one contact sheet per style group and an HTML
# page that plays every video, in gallery/out/.  GALLERY_SIZE/GALLERY_SECONDS change the clips.
GALLERY_SIZE ?= 480x270
GALLERY_SECONDS ?= 2
gallery: $(SERVE_STAMP)
	$(BIN)/python -m bench.gallery --size $(GALLERY_SIZE) --seconds $(GALLERY_SECONDS) --workers 2

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/node/node_modules
