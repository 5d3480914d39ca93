"""Engines called in-process, without HTTP: pyoxigraph (the floor for any Python endpoint), rdflib, and our
Flask application called as a WSGI function (what the endpoint costs in Python, before HTTP and threads)."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
import rdflib
from werkzeug.test import EnvironBuilder

from .base import JSON_RESULTS, NTRIPLES, Answer, Client, Dataset, Engine, accept_for, query_form

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
        self.store = load_store(dataset.files)
        return time.perf_counter() - started

    def start(self) -> float:
        """Nothing to start."""
        return 0.0

    def client(self) -> Client:
        """A client calling the store directly."""
        return PyoxigraphClient(self.store)


def load_store(files: Iterable[Path]) -> ox.Store:
    """An in-memory pyoxigraph store holding every file (Turtle into the default graph, N-Quads as they are)."""
    store = ox.Store()
    for path in files:
        store.bulk_load(path=path, format=OX_FORMATS[path.suffix])
    return store


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


class AnakinraApp(Engine):
    """Our Flask application (``create_app``, result cache off) on the built store, called as a WSGI function.

    Its p50 is the endpoint's work in Python (Flask, the protocol, negotiation, the query, ETag) with the
    caches of the CPU warm, as in a loop; the server's p50 adds HTTP in granian and the hand-over between
    threads. It imports this checkout's package (not $ANAKINRA_KG_BENCH_COMMAND's).
    """

    name = "anakinra-kg app in-process (WSGI call, no HTTP)"
    over_http = False

    def load(self, dataset: Dataset, workdir: Path) -> None:
        """Nothing to load: the store `anakinra-kg build` made for this dataset is linked into ``workdir``."""
        self.store = workdir / "anakinra-store"

    def start(self) -> float:
        """Build the application (it opens the store on the first query); return seconds taken."""
        from anakinra_kg.server import create_app
        from anakinra_kg.settings import Settings

        started = time.perf_counter()
        self.app = create_app(Settings(store_dir=self.store, result_cache=False))
        return time.perf_counter() - started

    def client(self) -> Client:
        """A client calling the application's WSGI function."""
        return WsgiClient(self.app.wsgi_app)

    def stop(self) -> None:
        """End the application's idle query threads (the benchmark's process goes on)."""
        self.app.extensions["anakinra_kg.pool"].close()


class WsgiClient(Client):
    """Sends GET /sparql?query=... to a WSGI application in this thread: no socket, no HTTP parsing.

    The environ of each query text is built once (werkzeug's EnvironBuilder) and copied per call, so the
    figure is the application's time, not the client's.
    """

    def __init__(self, app: Callable[[dict, Callable], Iterable[bytes]]) -> None:
        self.app = app
        self.environs: dict[str, dict] = {}

    def query(self, sparql: str) -> Answer:
        """Call the application once and collect its answer."""
        if sparql not in self.environs:
            headers = {"Accept": accept_for(sparql)}
            builder = EnvironBuilder(path="/sparql", query_string=urlencode({"query": sparql}), headers=headers)
            self.environs[sparql] = builder.get_environ()
        environ = {**self.environs[sparql], "wsgi.input": io.BytesIO()}
        started: list[str] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
            started[:] = [status, dict(headers).get("Content-Type", "")]

        body = b"".join(self.app(environ, start_response))
        return Answer(int(started[0].split()[0]), body, started[1])
