# One entry point for every check. `make demo` and `make test` bootstrap the virtualenv themselves:
# the demo installs the runtime dependencies only; the checks add the development tools.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check
HASH := $(shell cksum pyproject.toml | cut -d' ' -f1)
RUN_STAMP := $(VENV)/.run-$(HASH)
DEV_STAMP := $(VENV)/.dev-$(HASH)

.PHONY: venv dev test lint typecheck unit demo bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(PY)
	$(PIP) -e .
	rm -f $(VENV)/.run-*
	touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PIP) -e '.[dev]'
	rm -f $(VENV)/.dev-* $(VENV)/.run-*
	touch $@ $(RUN_STAMP)

venv: $(RUN_STAMP)
dev: $(DEV_STAMP)

lint: dev
	$(VENV)/bin/ruff check llmcensus tests bench

typecheck: dev
	$(VENV)/bin/mypy

unit: dev
	$(VENV)/bin/pytest -q -n 2 --dist loadfile

test: lint typecheck unit

demo: venv
	rm -rf demo-out
	$(VENV)/bin/llmcensus study --out demo-out --param lineage_events=demo

bench: dev
	@for b in bench/*.py; do [ "$$b" = bench/synth.py ] && continue; echo "== $$b"; $(PY) $$b --quick || exit 1; done

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
