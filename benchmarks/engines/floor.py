"""The floor of our endpoint's round trip: granian serving a bare WSGI app, and a one-route Flask app.

Both answer every GET of /sparql with the same ASK result and do nothing else, under granian over WSGI
with keep-alive as `anakinra-kg serve` runs (one process here: one client is measured). Their round
trip of `ASK {}` is what the HTTP server, and then Flask, cost before any SPARQL work: a p50 target
under them is out of reach of any endpoint built on them. The one-route Flask app is also called
in-process (a WSGI call, no HTTP): what Flask alone costs in Python, beside our application's figure.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from flask import Flask, Response

from .base import Client, Engine, ServedEngine, free_port
from .inprocess import WsgiClient

ROOT = Path(__file__).resolve().parents[2]
BODY = b'{"head":{},"boolean":true}'
MEDIA_TYPE = "application/sparql-results+json"


def wsgi_app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """A bare WSGI application: one fixed answer."""
    start_response("200 OK", [("Content-Type", MEDIA_TYPE), ("Content-Length", str(len(BODY)))])
    return [BODY]


flask_app = Flask(__name__)


@flask_app.get("/sparql")
def ask() -> Response:
    """The same fixed answer through Flask's request handling (context, routing, response object)."""
    return Response(BODY, content_type=MEDIA_TYPE)


class GranianFloor(ServedEngine):
    """granian (WSGI, one process) serving one of the applications above; only its round trip is measured."""

    def __init__(self, app: str, name: str) -> None:
        self.app, self.name = app, name

    def start(self) -> float:
        """Serve the application on a free loopback port; return seconds until it answers."""
        port = free_port()
        granian = str(Path(sys.executable).parent / "granian")
        argv = [granian, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        argv += ["--no-ws", "--working-dir", str(ROOT), f"benchmarks.engines.floor:{self.app}"]
        return self.serve(argv, self.workdir / f"{self.app}.log", f"http://127.0.0.1:{port}/sparql")

    def load(self, dataset, workdir: Path) -> None:
        """Nothing to load: remember where the server's log goes."""
        self.workdir = workdir


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


FLOORS = {
    "wsgi-floor": lambda: GranianFloor("wsgi_app", "granian + bare WSGI app (no SPARQL)"),
    "flask-floor": lambda: GranianFloor("flask_app", "granian + one-route Flask app (no SPARQL)"),
    "flask-in-process": FlaskInProcess,
}
