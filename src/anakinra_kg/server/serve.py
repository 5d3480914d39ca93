"""Run the endpoint under gunicorn, a production WSGI server, with the settings' host, port and workers."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from ..settings import Settings

GRACE = 10.0  # seconds a gunicorn worker may take beyond the query time limit before it is restarted


class EndpointServer(BaseApplication):
    """gunicorn's custom-application hook: our options, and create_app(settings) in each worker process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
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
            "accesslog": "-",
            "errorlog": "-",
            "proc_name": "anakinra-kg",
            "preload_app": False,
            "control_socket_disable": True,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Build the Flask application inside the worker process (so each has its own query workers)."""
        from . import create_app

        return create_app(self.settings)


def serve(settings: Settings) -> None:
    """Serve the SPARQL endpoint until interrupted."""
    EndpointServer(settings).run()
