# Dasan RTC: `make run` starts the demo service, `make test` runs every suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := web_client/node_modules/.installed

.PHONY: run test lint unit integration e2e bench screenshots deps chromium services clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(NPM_STAMP): web_client/package.json web_client/package-lock.json
	cd web_client && npm ci --no-audit --no-fund
	touch $@

deps: $(STAMP) $(NPM_STAMP)

# Chromium for the browser tests, and CJK fonts so screenshots show Korean,
# Chinese and Japanese text instead of empty boxes.
chromium:
	@{ command -v chromium >/dev/null 2>&1 && dpkg -s fonts-noto-cjk >/dev/null 2>&1; } || { \
	  echo "installing Debian's chromium and fonts-noto-cjk packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; }

services:
	@$(BIN)/python -m tests.preflight

run: deps
	$(BIN)/dasan serve --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

integration: deps services
	$(BIN)/pytest -q tests/integration

e2e: deps chromium services
	$(BIN)/pytest -q tests/e2e

test: deps chromium services lint
	$(BIN)/pytest -q tests

bench: deps
	$(BIN)/python -m benchmarks.signaling_latency
	$(BIN)/python -m benchmarks.media_room
	mkdir -p var && $(BIN)/python -m benchmarks.media_relay --json var/media_relay.json

# The README's screenshots (docs/screenshots/): the accessibility tests take them.
screenshots: deps chromium services
	# Every browser test that runs axe on a page state also photographs it.
	DASAN_REFRESH_SCREENSHOTS=1 $(BIN)/pytest -q tests/e2e

clean:
	rm -rf $(VENV) web_client/node_modules var
