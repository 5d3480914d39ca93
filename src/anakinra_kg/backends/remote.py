"""The remote backend: any SPARQL 1.1 service (Virtuoso, QLever, Fuseki, GraphDB, ...) over HTTP.

Reading goes to the query endpoint with no credentials (point it at a read-only endpoint); only ``load``
writes, through the update or Graph Store Protocol endpoint, with credentials taken from the environment
(ANAKINRA_KG_REMOTE_USER + ANAKINRA_KG_REMOTE_PASSWORD, or ANAKINRA_KG_REMOTE_TOKEN), never from files,
never logged.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from urllib.parse import urlsplit

import pyoxigraph as ox
import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from ..prefixes import GRAPH, STANDARD, graph_iri
from ..query import QueryError, Results, TooManyRowsError
from . import forwarding

JSON_RESULTS = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
CONNECT_TIMEOUT = 5.0
MAX_RESPONSE_BYTES = 256 * 1024 * 1024  # a remote answer larger than this is refused, not buffered
GRAPHS_TTL = 10.0  # seconds the list of named graphs is reused before it is asked again
OUR_GRAPHS = f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{GRAPH}")) }}'  # noqa: S608
DESCRIBED_GRAPHS = (  # the graphs the dataset's own service description names: an index lookup, not a scan
    f"SELECT DISTINCT ?g WHERE {{ GRAPH <{graph_iri('metadata')}> {{ ?d <{STANDARD['sd']}name> ?g }} "
    f'FILTER(STRSTARTS(STR(?g), "{GRAPH}")) }}'
)
BNODE_ID = re.compile(r"[^A-Za-z0-9_]")


class RemoteError(OSError):
    """The remote engine cannot be reached, failed, or gave an incomplete answer (an OSError: the store's fault)."""


def check_url(url: str, setting: str) -> str:
    """Accept an http(s) URL with no user:password in it (credentials come from the environment only)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{setting} must be an http:// or https:// URL")
    if parts.username or parts.password:
        raise ValueError(f"{setting} must not carry credentials: set ANAKINRA_KG_REMOTE_USER/_PASSWORD instead")
    return url


def auth_from_env(scheme: str = "basic") -> AuthBase | None:
    """The credentials for writing, from the environment only: a bearer token, or a user and password."""
    token = os.environ.get("ANAKINRA_KG_REMOTE_TOKEN")
    if token:
        return _Bearer(token)
    user, password = os.environ.get("ANAKINRA_KG_REMOTE_USER"), os.environ.get("ANAKINRA_KG_REMOTE_PASSWORD")
    if not user:
        return None
    return HTTPDigestAuth(user, password or "") if scheme == "digest" else HTTPBasicAuth(user, password or "")


class _Bearer(AuthBase):
    """An OAuth-style bearer token header."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_Bearer(<hidden>)"


class RemoteBackend:
    """A remote SPARQL 1.1 query endpoint holding the dataset's named graphs (those under graph/)."""

    def __init__(self, url: str, *, auth: AuthBase | None = None, timeout: float = 60.0) -> None:
        self.url = check_url(url, "the remote query URL")
        self.timeout = timeout
        self._auth = auth
        self._local = threading.local()  # one HTTP session per query thread (keep-alive, no shared state)
        self._graphs: tuple[float, list[str]] | None = None
        self._graphs_lock = threading.Lock()

    def query(
        self,
        text: str,
        *,
        union_default_graph: bool = True,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        timeout: float | None = None,
    ) -> Results:
        """Check the query, send it with the dataset spelled out, and parse the answer into pyoxigraph results.

        The union default graph is sent as default-graph-uri = named-graph-uri = our graphs, so the engine's
        own graphs (Virtuoso's system graphs) are never part of an answer.
        """
        forwarded = forwarding.prepare(text)
        params: dict[str, object] = {"query": forwarded.text}
        if default_graphs is not None or named_graphs is not None:
            params |= {"default-graph-uri": default_graphs or [], "named-graph-uri": named_graphs or []}
        elif union_default_graph:
            ours = self.named_graphs()
            params |= {"default-graph-uri": ours, "named-graph-uri": ours}
        graph = forwarded.form in ("CONSTRUCT", "DESCRIBE")
        body = self._post(params, NTRIPLES if graph else JSON_RESULTS, timeout or self.timeout)
        return _graph_result(body) if graph else _solutions(body)

    def named_graphs(self) -> list[str]:
        """The dataset's graphs, as its metadata graph names them (``sd:name``), asked again every GRAPHS_TTL s.

        Finding the graphs by scanning every quad takes seconds per million (2.2 s at 1.7M triples on
        Virtuoso), so the scan is only the fall-back for a remote without our metadata graph. One thread
        refreshes the list at a time; the others keep using the previous one meanwhile.
        """
        cached = self._graphs
        if cached is not None and time.monotonic() - cached[0] <= GRAPHS_TTL:
            return cached[1]
        if not self._graphs_lock.acquire(blocking=cached is None):
            return cached[1]
        try:
            if self._graphs is None or self._graphs is cached:
                rows = _solutions(self._post({"query": DESCRIBED_GRAPHS}, JSON_RESULTS, self.timeout))
                graphs = sorted(row["g"].value for row in rows) or self.stored_graphs()
                self._graphs = (time.monotonic(), graphs)
            return self._graphs[1]
        finally:
            self._graphs_lock.release()

    def stored_graphs(self) -> list[str]:
        """The graphs under the project's namespace that hold triples on the remote, found by a full scan."""
        rows = _solutions(self._post({"query": OUR_GRAPHS}, JSON_RESULTS, self.timeout))
        return sorted(row["g"].value for row in rows)

    def count(self, graph: str | None) -> int:
        """Triples in one named graph, or in the union default graph (None)."""
        if graph is None:
            rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        else:
            rows = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", default_graphs=[])
        return int(next(iter(rows))["n"].value)

    def version(self) -> str:
        """A digest of the graphs and their sizes: it changes when a load changes the data."""
        sizes = {graph: self.count(graph) for graph in self.named_graphs()}
        return hashlib.sha256(json.dumps(sizes, sort_keys=True).encode()).hexdigest()[:16]

    def _session(self) -> requests.Session:
        """This thread's HTTP session."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.auth = self._auth
        return session

    def _post(self, params: dict[str, object], accept: str, timeout: float) -> bytes:
        """POST a form to the query endpoint; client mistakes become QueryError, the rest RemoteError."""
        try:
            with self._session().post(
                self.url, data=params, headers={"Accept": accept}, timeout=(CONNECT_TIMEOUT, timeout), stream=True
            ) as response:
                body = _read_capped(response)
        except requests.RequestException as error:
            raise RemoteError(f"the remote SPARQL endpoint {self.url} did not answer: {type(error).__name__}") from None
        _check_complete(response)
        if 400 <= response.status_code < 500:
            message = body.decode("utf-8", "replace").strip()[:800]
            raise QueryError(f"the remote engine refused the query ({response.status_code}): {message}")
        if response.status_code != 200:
            raise RemoteError(f"the remote SPARQL endpoint {self.url} answered {response.status_code}")
        return body


def _read_capped(response: requests.Response) -> bytes:
    """Read the whole body, refusing one over MAX_RESPONSE_BYTES."""
    chunks, size = [], 0
    for chunk in response.iter_content(1 << 16):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise TooManyRowsError(f"the result is over {MAX_RESPONSE_BYTES // (1 << 20)} MiB")
        chunks.append(chunk)
    return b"".join(chunks)


def _check_complete(response: requests.Response) -> None:
    """Refuse a partial answer: Virtuoso's 'anytime' results stop at a time limit and say so only in headers."""
    state = response.headers.get("X-SQL-State", "")
    if state or response.headers.get("X-SPARQL-MaxRows"):
        raise RemoteError(f"the remote engine returned an incomplete answer (state {state or 'max rows'})")


def _solutions(body: bytes) -> ox.QuerySolutions | ox.QueryBoolean:
    """Parse SPARQL JSON results, first renaming blank nodes pyoxigraph rejects (Virtuoso's nodeID://...)."""
    doc = json.loads(body)
    for row in doc.get("results", {}).get("bindings", []):
        for value in row.values():
            if value.get("type") == "bnode":
                value["value"] = BNODE_ID.sub("_", value["value"])
    return ox.parse_query_results(json.dumps(doc).encode(), format=ox.QueryResultsFormat.JSON)


def _graph_result(body: bytes) -> ox.QueryTriples:
    """Turn an N-Triples answer into the QueryTriples the embedded store gives (via an in-memory store)."""
    graph = ox.Store()
    graph.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    return graph.query("CONSTRUCT WHERE { ?s ?p ?o }")
