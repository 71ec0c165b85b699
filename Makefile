# Every target creates .venv from the lock on first use, and again only when the lock changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.installed-from-lock
ONLY   ?=
LARGE  ?=

.PHONY: serve test bench build check lint lock clean

serve: $(READY)  ## Serve the site from the committed results at http://127.0.0.1:8000
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000

test: $(READY)  ## The whole suite: lint, snippets, docs fences, schema, claims, build, browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

bench: $(READY)  ## Re-measure on this machine: make bench, make bench ONLY=memory/stride, make bench LARGE=1
	$(BIN)/python -m bench run $(if $(LARGE),--large) $(ONLY)
	$(BIN)/python -m bench check --mine

build: $(READY)  ## Build the site into site/, failing on any warning
	$(BIN)/mkdocs build --strict

check: $(READY)  ## Every declared claim against the stored results
	$(BIN)/python -m bench check

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lock: $(READY)  ## Re-pin requirements.txt from requirements.in (needs uv: pip install uv)
	uv pip compile --universal --python-version 3.11 --generate-hashes requirements.in -o requirements.txt

clean:
	rm -rf $(VENV) site .pytest_cache .ruff_cache

$(READY): requirements.txt
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else f"Bits in Motion needs Python >= 3.11, found {v.major}.{v.minor}: run make PYTHON=python3.12 <target>")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt
	touch $@
