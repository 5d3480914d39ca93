"""Run the endpoint under granian (HTTP in Rust, our Flask app over WSGI), with the settings' host, port and workers.

The HTTP work a Python server does per request (parsing, keep-alive, writing) is what dominated a light
query's cost under gunicorn; granian does it in Rust and calls the Flask application on its blocking threads.
"""

from __future__ import annotations

import os
import signal

from flask import Flask
from granian.constants import Interfaces
from granian.http import HTTP1Settings
from granian.server import Server

from ..settings import Settings
from . import create_app, guard

SETTINGS_ENV = "ANAKINRA_KG_SERVE_SETTINGS"  # the settings, as JSON, handed to each server process
RESPAWN_SECONDS = 1.0  # how long a replacement process gets to start before the one it replaces is stopped
KILL_SECONDS = 10  # how long a stopped process may take to finish its requests before it is killed
HEADER_SECONDS = 5  # a client must send a request's headers within this (an idle kept-alive connection too)


def application() -> Flask:
    """The application one server process serves (granian calls this factory in each process)."""
    app = create_app(Settings.model_validate_json(os.environ[SETTINGS_ENV]))
    app.extensions["anakinra_kg.pool"].on_overrun = _retire
    return app


def _retire() -> None:
    """Replace the server processes gracefully after a runaway query (granian's reload: SIGHUP to its main process).

    The runaway query cannot be interrupted inside pyoxigraph; ending its process is what stops it. Each
    replacement starts before the process it replaces is stopped, and requests in flight finish.
    """
    os.kill(os.getppid(), signal.SIGHUP)


def serve(settings: Settings) -> None:
    """Serve the SPARQL endpoint until interrupted."""
    guard.warm_up()  # rdflib's SPARQL parser, loaded once here: the forked server processes inherit it
    os.environ[SETTINGS_ENV] = settings.model_dump_json()
    Server(
        f"{__name__}:application",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.WSGI,
        workers=settings.workers,
        blocking_threads=settings.threads,
        factory=True,
        websockets=False,
        http1_settings=HTTP1Settings(keep_alive=True, header_read_timeout=HEADER_SECONDS * 1000),
        log_access=settings.access_log,
        respawn_failed_workers=True,
        respawn_interval=RESPAWN_SECONDS,
        workers_kill_timeout=KILL_SECONDS,
    ).serve()
