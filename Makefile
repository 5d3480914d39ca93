# Two entry points for a fresh machine: `make serve` (the main job) and `make test` (the test suite).
VENV ?= .venv
PY := $(VENV)/bin/python
KG := $(VENV)/bin/anakinra-kg

.PHONY: serve run test lint java browser virtuoso binutils imports prefixes bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

# HermiT (the OWL reasoner that `build` and `reason` run) needs a Java runtime (17 or later).
java:
	@command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; }

# The end-to-end tests of the pages drive headless Chromium through its WebDriver (Debian packages).
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }

# Virtuoso open source: the remote store the tests of `load --into` and `serve --backend` run against.
# If it cannot be installed here, those tests are skipped and say why.
virtuoso:
	@command -v virtuoso-t >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource; } || echo "Virtuoso could not be installed: its tests will be skipped"

# c++filt (binutils) names the Rust functions in the profiles of `benchmarks/profile.py`.
binutils:
	@command -v c++filt >/dev/null || { apt-get update -qq && apt-get install -y -qq binutils; }

serve: $(VENV)/.installed java
	$(KG) build
	$(KG) serve

run: $(VENV)/.installed java
	$(KG) build
	$(KG) query -f queries/uses-status-agency-date.rq

test: $(VENV)/.installed java browser virtuoso binutils
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src tests benchmarks
	$(PY) -m pytest

# Remake the committed modules of external ontologies (data/imports/) from the shared extracts.
SHARED_ONTOLOGIES ?= ../shared/ontologies
imports: $(VENV)/.installed
	$(KG) import $(SHARED_ONTOLOGIES)/mondo-2023-08-02-skeleton.nt.gz --ontology mondo
	$(KG) import $(SHARED_ONTOLOGIES)/mondo-2021-10-07-hp_import.obo --ontology hp --license https://hpo.jax.org/app/license
	$(KG) import $(SHARED_ONTOLOGIES)/mondo-2021-10-07-chebi_import.obo --ontology chebi --license https://creativecommons.org/licenses/by/4.0/

# Regenerate src/anakinra_kg/external-prefixes.json from the installed Bioregistry.
prefixes: $(VENV)/.installed
	$(PY) -m anakinra_kg.registry

# The benchmark against Oxigraph server and Virtuoso (long: run it on a quiet machine). BENCH_ARGS=--quick for a smoke run.
bench: $(VENV)/.installed
	$(VENV)/bin/pip install --quiet -e '.[test,bench]'
	$(PY) benchmarks/run.py $(BENCH_ARGS)
