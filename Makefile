# Handshake: the two commands of the README, and their set-up steps.
#   make demo   set up, verify and build the embedded demo coalition, print where the site is
#   make test   set up everything the tests need (venv, reference venv, Chromium) and run them
# Every step is idempotent: a fresh machine needs nothing but python3 (>= 3.11) and apt.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
DEMO_AT := 2026-11-23T12:00:00Z
SITE    := _site
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test setup reference browser docs bench clean lint

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ required"'
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,docs,browser]'
	touch $@

setup: $(BIN)/.installed

reference:
	bash scripts/setup-reference.sh

browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver; }

demo: setup
	$(BIN)/handshake verify . --at $(DEMO_AT)
	$(BIN)/handshake build . --out $(SITE) --at $(DEMO_AT)
	@echo
	@echo "Demo site built and verified: $(CURDIR)/$(SITE)/index.html"
	@echo "Preview it with: $(BIN)/handshake serve $(SITE)"

test: setup reference browser
	$(BIN)/python -m pytest -q

docs: setup
	$(BIN)/mkdocs build --strict --site-dir _docs

bench: setup
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(SITE) _docs .pytest_cache .hypothesis .handshake-cache

lint: setup
	$(BIN)/pip install --quiet -e '.[lint]'
	$(BIN)/ruff check publisher tests bench scripts docs/docgen
	$(BIN)/mypy --strict publisher
