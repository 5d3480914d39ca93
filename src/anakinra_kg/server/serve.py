"""Run the endpoint under gunicorn, a production WSGI server, with the settings' host, port and workers."""

from __future__ import annotations

import os
import signal
from typing import Any

from gunicorn.app.base import BaseApplication

from ..settings import Settings

GRACE = 10.0  # seconds a gunicorn worker may take beyond the query time limit before it is restarted


class EndpointServer(BaseApplication):
    """gunicorn's custom-application hook: our options, and create_app(settings) built once before forking."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.application: Any = None
        super().__init__()

    def load_config(self) -> None:
        """Give gunicorn the bind address, worker processes and threads, and timeouts from the settings."""
        s = self.settings
        options: dict[str, Any] = {
            "bind": f"[{s.host}]:{s.port}" if ":" in s.host else f"{s.host}:{s.port}",
            "workers": s.workers,
            "threads": s.threads,
            "worker_class": "gthread",
            "timeout": int(s.query_timeout + GRACE),
            "graceful_timeout": 5,
            "keepalive": 5,
            "limit_request_line": 8190,
            "accesslog": "-" if s.access_log else None,
            "errorlog": "-",
            "proc_name": "anakinra-kg",
            "preload_app": True,  # imports and create_app once in the master: workers fork ready to serve
            "control_socket_disable": True,
            "worker_exit": _exit_now_if_stuck,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Build the Flask application (it opens no store and starts no thread, so it survives the fork)."""
        if self.application is None:
            from . import create_app, guard

            guard.warm_up()  # rdflib's SPARQL parser (SERVICE / FROM checks), shared by the forked workers
            self.application = create_app(self.settings)
            self.application.extensions["anakinra_kg.pool"].on_overrun = _retire
        return self.application


def _retire() -> None:
    """Stop this server process gracefully after a runaway query: in-flight requests finish, gunicorn replaces it.

    The runaway query cannot be interrupted inside pyoxigraph; ending its process is what stops it.
    """
    os.kill(os.getpid(), signal.SIGTERM)


def _exit_now_if_stuck(server: Any, worker: Any) -> None:
    """Leave at once when a runaway query still runs in this process, rather than wait on it at interpreter exit."""
    pool = worker.wsgi.extensions["anakinra_kg.pool"] if worker.wsgi else None
    if pool is not None and pool.overruns:
        os._exit(0)


def serve(settings: Settings) -> None:
    """Serve the SPARQL endpoint until interrupted."""
    EndpointServer(settings).run()
