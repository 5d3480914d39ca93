"""Engines called in-process, without HTTP: pyoxigraph (the floor for any Python endpoint) and rdflib."""

from __future__ import annotations

import time
from pathlib import Path

import pyoxigraph as ox
import rdflib

from .base import JSON_RESULTS, NTRIPLES, Answer, Client, Dataset, Engine, query_form

RDFLIB_LIMIT = 1_000_000  # rdflib's engine is 20-40x slower than pyoxigraph: skipped above this size
OX_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".nq": ox.RdfFormat.N_QUADS}
RDFLIB_FORMATS = {".ttl": "turtle", ".nt": "nt", ".nq": "nquads"}


class Pyoxigraph(Engine):
    """pyoxigraph in-memory Store: Store.query then serialize (what the endpoint does minus HTTP)."""

    name = "pyoxigraph in-process"
    over_http = False

    def load(self, dataset: Dataset, workdir: Path) -> float:
        """Bulk load every file into an in-memory store."""
        started = time.perf_counter()
        self.store = ox.Store()
        for path in dataset.files:
            self.store.bulk_load(path=path, format=OX_FORMATS[path.suffix])
        return time.perf_counter() - started

    def start(self) -> float:
        """Nothing to start."""
        return 0.0

    def client(self) -> Client:
        """A client calling the store directly."""
        return PyoxigraphClient(self.store)


class PyoxigraphClient(Client):
    """Runs a query on the store (default graph = union) and serializes the results."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def query(self, sparql: str) -> Answer:
        """Query and serialize to SPARQL JSON results or N-Triples."""
        results = self.store.query(sparql, use_default_graph_as_union=True)
        if query_form(sparql) in ("SELECT", "ASK"):
            return Answer(200, results.serialize(format=ox.QueryResultsFormat.JSON), JSON_RESULTS)
        return Answer(200, ox.serialize(results, format=ox.RdfFormat.N_TRIPLES), NTRIPLES)


class Rdflib(Engine):
    """rdflib in-memory Dataset with the union default graph: what a naive Python script would do."""

    name = "rdflib in-memory"
    over_http = False

    def skip_reason(self, dataset: Dataset) -> str | None:
        """Skip graphs above 1M triples (minutes per query there)."""
        if dataset.triples > RDFLIB_LIMIT:
            return f"skipped above {RDFLIB_LIMIT:,} triples (rdflib's engine takes minutes per query there)"
        return None

    def load(self, dataset: Dataset, workdir: Path) -> float:
        """Parse every file."""
        started = time.perf_counter()
        self.graph = rdflib.Dataset(default_union=True)
        for path in dataset.files:
            self.graph.parse(path, format=RDFLIB_FORMATS[path.suffix])
        return time.perf_counter() - started

    def start(self) -> float:
        """Nothing to start."""
        return 0.0

    def client(self) -> Client:
        """A client calling Graph.query."""
        return RdflibClient(self.graph)


class RdflibClient(Client):
    """Runs Graph.query and serializes the result."""

    def __init__(self, graph: rdflib.Dataset) -> None:
        self.graph = graph

    def query(self, sparql: str) -> Answer:
        """Query and serialize to SPARQL JSON results or N-Triples."""
        result = self.graph.query(sparql)
        if query_form(sparql) in ("SELECT", "ASK"):
            return Answer(200, result.serialize(format="json"), JSON_RESULTS)
        return Answer(200, result.serialize(format="nt"), NTRIPLES)
