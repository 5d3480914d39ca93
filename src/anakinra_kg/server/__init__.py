"""The SPARQL endpoint as a Flask application: ``create_app(settings)`` builds it, granian serves it."""

from __future__ import annotations

from flask import Flask, Response
from flask_cors import CORS

from ..settings import Settings
from . import downloads, errors, pages, sparql, ui, wellknown
from .cache import ResultCache
from .executor import Pool
from .worker import Stores


def create_app(settings: Settings | None = None) -> Flask:
    """Build the application: settings, query threads, store handle, result cache, blueprints, CORS.

    Nothing here opens the store or starts a thread, so it may be built before a server forks.
    """
    settings = settings or Settings()
    app = Flask(__name__)
    app.config.update(
        SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_request_bytes,
    )
    app.extensions["anakinra_kg.pool"] = Pool(
        settings.threads, settings.query_timeout, fast_seconds=settings.fast_query_seconds
    )
    app.extensions["anakinra_kg.stores"] = Stores(settings.memory_copy_bytes)
    # The result cache is keyed on the embedded build; a remote store changes under us, so it is not cached here.
    cached = settings.result_cache and settings.backend == "embedded"
    app.extensions["anakinra_kg.cache"] = ResultCache(settings.result_cache_bytes) if cached else None
    CORS(
        app,
        resources={r"/sparql": {"origins": settings.cors_origins}},
        methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Content-Type", "Accept", "If-None-Match"],
        expose_headers=["ETag"],
        max_age=86400,
        send_wildcard=settings.cors_origins == "*",
        always_send=False,
    )
    errors.register(app)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(downloads.bp)
    app.register_blueprint(wellknown.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(ui.bp)
    app.after_request(_security_headers)
    return app


def _security_headers(response: Response) -> Response:
    """Forbid content sniffing, so plain-text messages that quote the query are never run as HTML."""
    response.headers["X-Content-Type-Options"] = "nosniff"  # (a lookup of an absent header raises inside werkzeug)
    return response
