"""The floor of our endpoint's round trip: granian serving a bare WSGI app, a one-route Flask app, and the
least SPARQL endpoint a Python server can be.

The first two answer every GET of /sparql with the same ASK result and do nothing else, under granian over
WSGI with keep-alive as `anakinra-kg serve` runs (one process here: one client is measured). Their round
trip of `ASK {}` is what the HTTP server, and then Flask, cost before any SPARQL work: a p50 target
under them is out of reach of any endpoint built on them. The one-route Flask app is also called
in-process (a WSGI call, no HTTP): what Flask alone costs in Python, beside our application's figure.

The third (``sparql_app``) answers real queries: it reads ``query`` from the query string and hands it to
the pyoxigraph engine's own client (the same store, query and serialization as "pyoxigraph in-process"),
with no protocol checks, negotiation, cache or ETag. Timed on the catalogue beside pyoxigraph in-process,
it is what granian and one Python call per request add to pyoxigraph: the best p50 any Python endpoint
served this way can reach.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import parse_qs

from flask import Flask, Response

from .base import Client, Dataset, Engine, ServedEngine, free_port
from .inprocess import PyoxigraphClient, WsgiClient, load_store

ROOT = Path(__file__).resolve().parents[2]
BODY = b'{"head":{},"boolean":true}'
MEDIA_TYPE = "application/sparql-results+json"
FILES_ENV = "BENCH_SPARQL_FLOOR_FILES"  # the dataset's files (os.pathsep between them), for sparql_app


def wsgi_app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """A bare WSGI application: one fixed answer."""
    start_response("200 OK", [("Content-Type", MEDIA_TYPE), ("Content-Length", str(len(BODY)))])
    return [BODY]


@functools.cache
def _client() -> PyoxigraphClient:
    """The pyoxigraph engine's client on the files named in $BENCH_SPARQL_FLOOR_FILES, loaded on first use."""
    return PyoxigraphClient(load_store(Path(name) for name in os.environ[FILES_ENV].split(os.pathsep)))


def sparql_app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """The least SPARQL endpoint: ?query= to pyoxigraph and its answer back (400 for a missing or bad query)."""
    queries = parse_qs(environ.get("QUERY_STRING", "")).get("query", [])
    try:
        if len(queries) != 1:
            raise SyntaxError("give one query= parameter")
        answer = _client().query(queries[0])
        status, body, media_type = "200 OK", answer.body, answer.content_type
    except (SyntaxError, ValueError, OSError) as error:  # what pyoxigraph raises for a bad or failing query
        status, body, media_type = "400 Bad Request", f"{error}\n".encode(), "text/plain; charset=utf-8"
    start_response(status, [("Content-Type", media_type), ("Content-Length", str(len(body)))])
    return [body]


flask_app = Flask(__name__)


@flask_app.get("/sparql")
def ask() -> Response:
    """The same fixed answer through Flask's request handling (context, routing, response object)."""
    return Response(BODY, content_type=MEDIA_TYPE)


class GranianFloor(ServedEngine):
    """granian (WSGI, one process) serving one of the applications above; only its round trip is measured."""

    def __init__(self, app: str, name: str) -> None:
        self.app, self.name = app, name
        self.env: dict[str, str] = {}

    def start(self) -> float:
        """Serve the application on a free loopback port; return seconds until it answers."""
        port = free_port()
        granian = str(Path(sys.executable).parent / "granian")
        argv = [granian, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        argv += ["--no-ws", "--working-dir", str(ROOT), f"benchmarks.engines.floor:{self.app}"]
        return self.serve(argv, self.workdir / f"{self.app}.log", f"http://127.0.0.1:{port}/sparql", env=self.env)

    def load(self, dataset: Dataset, workdir: Path) -> None:
        """Nothing to load here (sparql_app loads the dataset's files itself): remember where the log goes."""
        self.workdir = workdir
        self.env = {FILES_ENV: os.pathsep.join(str(Path(path).resolve()) for path in dataset.files)}


class FlaskInProcess(Engine):
    """The one-route Flask app called as a WSGI function in this thread (no HTTP); only its `ASK {}` is timed."""

    name = "one-route Flask app in-process (WSGI call, no HTTP)"
    over_http = False

    def load(self, dataset, workdir: Path) -> None:
        """Nothing to load."""

    def start(self) -> float:
        """Nothing to start."""
        return 0.0

    def client(self) -> Client:
        """A client calling the app's WSGI function."""
        return WsgiClient(flask_app.wsgi_app)


SPARQL_FLOOR = "granian + pyoxigraph in a bare WSGI app (no protocol checks)"
FLOORS = {
    "wsgi-floor": lambda: GranianFloor("wsgi_app", "granian + bare WSGI app (no SPARQL)"),
    "flask-floor": lambda: GranianFloor("flask_app", "granian + one-route Flask app (no SPARQL)"),
    "flask-in-process": FlaskInProcess,
    "sparql-floor": lambda: GranianFloor("sparql_app", SPARQL_FLOOR),
}
