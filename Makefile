# Two entry points for a fresh machine: `make serve` (the main job) and `make test` (the test suite).
VENV ?= .venv
PY := $(VENV)/bin/python
KG := $(VENV)/bin/anakinra-kg

.PHONY: serve run test lint bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(KG) build
	$(KG) query -f queries/indications-status-agency-date.rq

test: $(VENV)/.installed
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src tests benchmarks
	$(PY) -m pytest

# The benchmark against Oxigraph server and Virtuoso (long: run it on a quiet machine). BENCH_ARGS=--quick for a smoke run.
bench: $(VENV)/.installed
	$(VENV)/bin/pip install --quiet -e '.[test,bench]'
	$(PY) benchmarks/run.py $(BENCH_ARGS)
