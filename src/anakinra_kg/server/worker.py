"""Query jobs: check, run and serialize one request on the store of the current build, as an HTTP outcome.

Jobs run on the query threads of executor.Pool; ``answer`` is the one entry point, and ``Stores.get`` the
one place that opens "the store" a query runs on: a ``Backend`` (the embedded pyoxigraph store or a remote
SPARQL service), whose ``query`` is the one call that runs a query.
"""

from __future__ import annotations

import sys
import threading
import traceback
from dataclasses import dataclass

import pyoxigraph as ox

from .. import backends, formats, jsonld, query
from ..backends import Backend
from . import guard

TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Outcome:
    """An HTTP answer: status, body and its exact Content-Type."""

    status: int
    body: bytes
    content_type: str = TEXT

    @classmethod
    def text(cls, status: int, message: str) -> Outcome:
        """A plain-text answer (errors and refusals)."""
        return cls(status, (message.rstrip("\n") + "\n").encode("utf-8"))


@dataclass(frozen=True)
class QueryJob:
    """One SPARQL query request, with the dataset and format the client asked for and the limits."""

    text: str
    store_path: str
    accept: str | None = None
    format_names: tuple[str, ...] = ()
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    max_rows: int = 100_000
    allowed_hosts: tuple[str, ...] = ()
    timeout: float | None = None  # for a remote backend's HTTP call

    def run(self, store: Backend) -> Outcome:
        """Check, run and serialize the query; refusals and client mistakes become 4xx outcomes."""
        try:
            return self._run(store)
        except guard.RefusedError as refused:
            return Outcome.text(refused.status, refused.message)

    def _run(self, store: Backend) -> Outcome:
        """Check the query's SERVICE calls and dataset, run it, and serialize it as negotiated."""
        found = guard.inspect(self.text)
        guard.check_services(found, list(self.allowed_hosts))
        self._check_graphs(store, found)
        try:
            results = store.query(
                self.text,
                union_default_graph=not found.names_dataset,  # a FROM / FROM NAMED in the query wins
                default_graphs=_list(self.default_graphs),
                named_graphs=_list(self.named_graphs),
                timeout=self.timeout,
            )
        except query.QuerySyntaxError as error:
            operations = guard.update_operations(self.text)
            if operations:
                raise guard.refuse_update(operations) from None
            return Outcome.text(400, str(error))
        except query.QueryError as error:
            return Outcome.text(400, f"the query cannot be run: {error}")
        try:
            return self._serialized(store, results)
        finally:
            # rdflib's parser (run above for some queries) leaves reference cycles through this frame; were
            # the results still held here, the garbage collector could free them on another thread, which
            # pyoxigraph refuses (the object would leak, with an error on stderr).
            del results

    def _serialized(self, store: Backend, results: query.Results) -> Outcome:
        """Serialize the results as negotiated; limits and format mismatches become 4xx outcomes."""
        graph = isinstance(results, ox.QueryTriples)
        offered = formats.RDF_FORMATS if graph else formats.RESULTS_FORMATS
        try:
            fmt = formats.negotiate(offered, self.accept, self.format_names, _what(graph))
            context = _context(store) if fmt.name == "jsonld" else None  # compact JSON-LD answers
            body = query.serialize(results, fmt, max_rows=self.max_rows, context=context)
        except formats.NotAcceptableError as error:
            return Outcome.text(406, str(error))
        except query.TooManyRowsError as error:
            return Outcome.text(
                422,
                f"{error}, the most this endpoint returns (setting max_result_rows); "
                "add a LIMIT (and OFFSET to page), or aggregate",
            )
        except (ConnectionError, TimeoutError) as error:
            return Outcome.text(502, f"a SERVICE call failed: {error}")
        except (ValueError, TypeError) as error:
            return Outcome.text(400, f"the query failed while running: {error}")
        return Outcome(200, body, fmt.content_type)

    def _check_graphs(self, store: Backend, found: guard.Inspection) -> None:
        """Refuse a dataset naming graphs the store does not have (nothing is ever fetched from outside)."""
        named = (*found.from_graphs, *found.from_named, *(self.default_graphs or ()), *(self.named_graphs or ()))
        if not named:
            return
        present = store.named_graphs()
        unknown = [iri for iri in named if iri not in present]
        if unknown:
            listed = ", ".join(f"<{iri}>" for iri in unknown)
            raise guard.RefusedError(
                400,
                f"no graph {listed} in this dataset: FROM, FROM NAMED, default-graph-uri and named-graph-uri "
                f"only select graphs already in the store, which are: {', '.join(f'<{g}>' for g in present)}",
            )


@dataclass(frozen=True)
class StatsJob:
    """Count the triples of each named graph and of the default (union) graph, for the service description."""

    store_path: str

    def run(self, store: Backend) -> dict[str, int]:
        """Return {graph IRI: triples}, with the union default graph under the key ''."""
        counts = {graph: store.count(graph) for graph in store.named_graphs()}
        counts[""] = store.count(None)
        return counts


class Stores:
    """The backend of this process, shared by its query threads; reopened only for a new build."""

    def __init__(self, copy_up_to_bytes: int = 0) -> None:
        self.copy_up_to_bytes = copy_up_to_bytes
        self.path: str | None = None
        self.store: Backend | None = None
        self._lock = threading.Lock()

    def get(self, path: str) -> Backend:
        """Return the backend at ``path`` (a build folder or a remote query URL), opening it if it is new."""
        store = self.store
        if path == self.path and store is not None:
            return store
        with self._lock:
            if path != self.path or self.store is None:
                self.store = backends.open_location(path, copy_up_to_bytes=self.copy_up_to_bytes)
                self.path = path
            return self.store


_last_context: tuple[object, dict] | None = None  # (store, its JSON-LD context): computed once per build


def _context(store: Backend) -> dict:
    """The project's JSON-LD context for this store's ontology, computed once per opened store, not per request."""
    global _last_context
    cached = _last_context
    if cached is None or cached[0] is not store:
        cached = _last_context = (store, jsonld.context(store))
    return cached[1]


def answer(job: QueryJob | StatsJob, stores: Stores) -> Outcome | dict[str, int]:
    """Run one job; an unexpected error is printed to the server log and answered with a plain 500."""
    try:
        return job.run(stores.get(job.store_path))
    except OSError as error:
        print(f"query worker: cannot read the store {job.store_path}: {error}", file=sys.stderr)
        return Outcome.text(503, "the store cannot be read right now; try again shortly")
    except Exception:
        traceback.print_exc(file=sys.stderr)
        return Outcome.text(500, "internal error while answering the query; it has been logged")


def _list(graphs: tuple[str, ...] | None) -> list[str] | None:
    """A tuple of graph IRIs as a list, keeping None (not given) apart from empty."""
    return None if graphs is None else list(graphs)


def _what(graph: bool) -> str:
    """Name the kind of result, for messages."""
    return "a CONSTRUCT/DESCRIBE result (RDF)" if graph else "a SELECT/ASK result"
