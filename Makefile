# Two entry points for a fresh machine: `make serve` (the main job) and `make test` (the test suite).
VENV ?= .venv
PY := $(VENV)/bin/python
KG := $(VENV)/bin/anakinra-kg

.PHONY: serve run test lint

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

serve: $(VENV)/.installed
	$(KG) build
	$(KG) serve

run: $(VENV)/.installed
	$(KG) build
	$(KG) query -f queries/indications-status-agency-date.rq

test: $(VENV)/.installed
	$(PY) -m ruff check src tests
	$(PY) -m ruff format --check src tests
	$(PY) -m pytest
