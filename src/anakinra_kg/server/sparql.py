"""The SPARQL 1.1 Protocol at /sparql: queries by GET and POST, and the service description.

The view reads the protocol request, answers from the result cache when it can, else hands the query
to a query thread (which checks, runs and serializes it), and turns the outcome into a response with a
strong ETag (If-None-Match -> 304); formats come from formats.py only.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, request, url_for
from werkzeug.datastructures import MultiDict

from .. import backends, formats, query
from . import guard, service_description, worker
from .cache import Entry, Key, ResultCache, cacheable, etag
from .errors import plain
from .executor import BusyError, Pool, QueryTimeoutError
from .published import NoBuildError, publisher
from .worker import QueryJob, StatsJob

bp = Blueprint("sparql", __name__)

QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
FORM_TYPE = "application/x-www-form-urlencoded"
VARY = {"Vary": "Accept, Origin"}  # CORS headers go only to requests with an Origin
REVALIDATE = "no-cache"  # caches may keep an answer but must revalidate it (a new build may change it)
_stats_lock = threading.Lock()


@dataclass(frozen=True)
class ProtocolRequest:
    """What a SPARQL protocol request asks: a query (None for the service description), dataset, format."""

    query: str | None
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    format_names: tuple[str, ...]


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    """Answer a SPARQL query, or describe the service when there is none."""
    try:
        asked = read_request()
    except guard.RefusedError as refused:
        return plain(refused.status, refused.message, VARY)
    if asked.query is None:
        return _service_description(asked)
    accept = request.headers.get("Accept")
    negotiated = _negotiated(accept, asked.format_names)
    if negotiated == ("", ""):
        types = ", ".join(f.media_type for f in formats.ALL_FORMATS)
        return plain(406, f"none of the media types the request accepts is offered; offered: {types}", VARY)
    store_path = _store_path()
    if store_path is None:
        return plain(503, "no store has been built yet: run `anakinra-kg build`", VARY)
    cache: ResultCache | None = current_app.extensions["anakinra_kg.cache"]
    key = None
    if cache is not None and cacheable(asked.query):
        key = Key(asked.query.strip(), asked.default_graphs, asked.named_graphs, negotiated, store_path)
        entry = cache.get(key)
        if entry is not None:
            return _answer(entry, "hit")
    settings = current_app.config["SETTINGS"]
    job = QueryJob(
        text=asked.query,
        store_path=store_path,
        accept=accept,
        format_names=asked.format_names,
        default_graphs=asked.default_graphs,
        named_graphs=asked.named_graphs,
        max_rows=settings.max_result_rows,
        allowed_hosts=tuple(settings.service_allow_list),
        timeout=settings.query_timeout,
    )
    try:
        outcome = execute(job)
    except (QueryTimeoutError, BusyError) as error:
        return _overrun(error, settings.query_timeout)
    if outcome.status != 200:
        return Response(outcome.body, status=outcome.status, content_type=outcome.content_type, headers=VARY)
    entry = Entry(outcome.body, outcome.content_type, etag(outcome.body, outcome.content_type))
    if key is not None:
        cache.put(key, entry)
    return _answer(entry, "miss" if cache is not None else None)


def _answer(entry: Entry, cache_status: str | None) -> Response:
    """A successful answer with its ETag; 304 (no body) when the client's If-None-Match already names it."""
    headers = {**VARY, "ETag": entry.etag, "Cache-Control": REVALIDATE}
    if cache_status:
        headers["X-Cache"] = cache_status
    conditional = "HTTP_IF_NONE_MATCH" in request.environ  # (werkzeug parses the header on first use)
    if conditional and request.method in ("GET", "HEAD") and request.if_none_match.contains_weak(entry.etag.strip('"')):
        return Response(status=304, headers=headers)
    return Response(entry.body, status=200, content_type=entry.content_type, headers=headers)


def execute(job: QueryJob | StatsJob) -> worker.Outcome | dict[str, int]:
    """Run a job on its build's store within the time limit (on a query thread unless known fast): the one way in."""
    stores: worker.Stores = current_app.extensions["anakinra_kg.stores"]
    key = None
    if isinstance(job, QueryJob):  # a digest, not the text: the pool remembers thousands of keys
        key = (hashlib.blake2b(job.text.encode(), digest_size=16).digest(), job.default_graphs, job.named_graphs)
        key += (job.store_path,)
    return _pool().run(functools.partial(worker.answer, job, stores), key)


def read_request() -> ProtocolRequest:
    """Read the query and dataset of a GET (or HEAD), a form POST or a direct POST, as the SPARQL 1.1 Protocol says."""
    if request.method in ("GET", "HEAD"):  # HEAD: the GET's headers, no body (werkzeug drops it)
        params, body_query = request.args, None
    elif request.mimetype == FORM_TYPE:
        params, body_query = request.values, None
    elif request.mimetype == QUERY_TYPE:
        params, body_query = request.args, _body_text()
        if "query" in params:
            raise guard.RefusedError(400, "a direct POST carries the query in its body only, not also in ?query=")
    elif request.mimetype == UPDATE_TYPE:
        raise guard.refuse_update([])
    else:
        raise guard.RefusedError(
            415,
            f"415 Unsupported Media Type {request.mimetype or '(none)'}: POST a query as {QUERY_TYPE} "
            f"or as {FORM_TYPE} with a query= field",
        )
    if "update" in params:
        raise guard.refuse_update([])
    text = body_query if body_query is not None else _one(params, "query")
    if text is not None and not text.strip():
        raise guard.RefusedError(400, "the query is empty")
    if text is None and request.method == "POST":
        raise guard.RefusedError(400, "no query: send one in a query= field (or POST it as application/sparql-query)")
    defaults, named = params.getlist("default-graph-uri"), params.getlist("named-graph-uri")
    given = bool(defaults or named)
    return ProtocolRequest(
        query=text,
        default_graphs=tuple(defaults) if given else None,
        named_graphs=tuple(named) if given else None,
        format_names=tuple(params.getlist("format")),
    )


def _one(params: MultiDict[str, str], name: str) -> str | None:
    """The single value of a parameter (None if absent); more than one is a client error."""
    values = params.getlist(name)
    if len(values) > 1:
        raise guard.RefusedError(400, f"give the {name} parameter once, not {len(values)} times")
    return values[0] if values else None


def _body_text() -> str:
    """The request body as text (UTF-8, as the protocol requires)."""
    try:
        return request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError as error:
        raise guard.RefusedError(400, f"the query is not valid UTF-8 (byte {error.start})") from None


def _negotiated(accept: str | None, names: tuple[str, ...]) -> tuple[str, str]:
    """The formats a SELECT/ASK and a CONSTRUCT/DESCRIBE answer would take ("" where none fits)."""
    results = formats.choose(formats.RESULTS_FORMATS, accept, names)
    rdf = formats.choose(formats.RDF_FORMATS, accept, names)
    return (results.name if results else ""), (rdf.name if rdf else "")


def _overrun(error: Exception, timeout: float) -> Response:
    """503 for a query stopped at the time limit, or for no worker free within it."""
    if isinstance(error, QueryTimeoutError):
        message = (
            f"the query was stopped after the time limit of {timeout:g} s (setting query_timeout); "
            "narrow it (e.g. bind more variables or add a LIMIT) and try again"
        )
        return plain(503, message, VARY)
    message = f"all query workers stayed busy for {timeout:g} s; try again shortly"
    return plain(503, message, {**VARY, "Retry-After": "5"})


def _service_description(asked: ProtocolRequest) -> Response:
    """The SPARQL 1.1 Service Description, in Turtle or another RDF format by negotiation."""
    what = "the service description (RDF)"
    try:
        fmt = formats.negotiate(formats.RDF_FORMATS, request.headers.get("Accept"), asked.format_names, what)
    except formats.NotAcceptableError as error:
        fmt = formats.RDF_FORMATS[0] if _prefers_html() else None
        if fmt is None:
            return plain(406, str(error), VARY)
    settings = current_app.config["SETTINGS"]
    endpoint_url = settings.public_url or url_for("sparql.endpoint", _external=True)
    store_path = _store_path()
    try:
        counts = _graph_counts(store_path) if store_path else {}
    except (QueryTimeoutError, BusyError) as error:
        return _overrun(error, settings.query_timeout)
    try:
        void, void_url = publisher().void(), url_for("wellknown.void", _external=True)
    except NoBuildError:
        void, void_url = [], None
    triples = service_description.describe(endpoint_url, settings, counts, void, void_url)
    return Response(query.write_triples(triples, fmt), content_type=fmt.content_type, headers=VARY)


def _prefers_html() -> bool:
    """Tell whether the client is a browser asking for HTML (it gets Turtle until the UI exists)."""
    return request.accept_mimetypes.accept_html


def _graph_counts(store_path: str) -> dict[str, int]:
    """Triples per graph of the current build, computed once per build."""
    cache: dict[str, dict[str, int]] = current_app.extensions.setdefault("anakinra_kg.counts", {})
    with _stats_lock:
        if store_path not in cache:
            counts = execute(StatsJob(store_path))
            if not isinstance(counts, dict):  # the worker could not read the store: describe no graphs
                return {}
            cache.clear()
            cache[store_path] = counts
        return cache[store_path]


def _store_path() -> str | None:
    """Where the store is: the current build's folder (the link is read on every request, so a new build is
    picked up), or the remote query endpoint's URL."""
    return backends.location(current_app.config["SETTINGS"])


def _pool() -> Pool:
    """The query threads of this process."""
    return current_app.extensions["anakinra_kg.pool"]
