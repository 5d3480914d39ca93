# Two entry points for a fresh machine: `make serve` (the main job) and `make test` (the test suite).
VENV ?= .venv
PY := $(VENV)/bin/python
KG := $(VENV)/bin/anakinra-kg

.PHONY: serve run test lint java

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

# HermiT (the OWL reasoner that `build` and `reason` run) needs a Java runtime (17 or later).
java:
	@command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; }

run: $(VENV)/.installed java
	$(KG) build
	$(KG) query -f queries/indications-status-agency-date.rq

test: $(VENV)/.installed java
	$(PY) -m ruff check src tests
	$(PY) -m ruff format --check src tests
	$(PY) -m pytest
