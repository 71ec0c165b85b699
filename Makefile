# Every target creates .venv from the lock on first use, and again only when the lock changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.installed-from-lock
ONLY   ?=
LARGE  ?=
# make bench SUMMARY=FILE appends its verdicts to FILE as Markdown (the workflows: the job summary)
SUMMARY ?=

.PHONY: serve test bench build check lint lock clean

serve: $(READY)  ## Serve the site from the committed results at http://127.0.0.1:8000
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000

test: $(READY)  ## The whole suite: lint, snippets, docs fences, schema, claims, build, browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

bench: $(READY)  ## Re-measure on this machine: make bench, make bench ONLY=memory/stride, make bench LARGE=1, make bench PYTHON=python3.13
	$(BIN)/python -m bench run $(MEASURE) $(if $(LARGE),--large) $(if $(SUMMARY),--summary "$(SUMMARY)") $(ONLY)
	$(BIN)/python -m bench check $(if $(SUMMARY),--summary "$(SUMMARY)") $(ONLY)

build: $(READY)  ## Build the site into site/, failing on any warning
	$(BIN)/mkdocs build --strict

check: $(READY)  ## Every declared claim against the stored results
	$(BIN)/python -m bench check $(if $(SUMMARY),--summary "$(SUMMARY)")

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lock: $(READY)  ## Re-pin requirements.txt from requirements.in, and the measuring venv's lock to match (needs uv: pip install uv)
	uv pip compile --universal --python-version 3.11 --generate-hashes requirements.in -o requirements.txt
	uv pip compile --universal --python-version 3.11 --generate-hashes -c requirements.txt requirements-measure.in -o requirements-measure.txt

clean:
	rm -rf $(VENV) .venv-* site .cache .pytest_cache .ruff_cache

# make bench PYTHON=python3.13 measures with that interpreter, from a venv of its own that holds only
# what the measuring worker imports (requirements-measure.txt, pinned like the main lock); results go to its own file.
ifeq ($(origin PYTHON),command line)
MEASURE_VENV := .venv-$(notdir $(PYTHON))
MEASURE := --python $(MEASURE_VENV)/bin/python
bench: $(MEASURE_VENV)/.installed-from-lock
$(MEASURE_VENV)/.installed-from-lock: requirements-measure.txt
	test -x $(MEASURE_VENV)/bin/python || $(PYTHON) -m venv $(MEASURE_VENV)
	$(MEASURE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-measure.txt
	touch $@
endif

$(READY): requirements.txt
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else f"Bits in Motion needs Python >= 3.11, found {v.major}.{v.minor}: run make PYTHON=python3.12 <target>")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt
	touch $@
