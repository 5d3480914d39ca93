"""Error answers: plain text with the right status, never an HTML page or a stack trace."""

from __future__ import annotations

from flask import Flask, Response, current_app
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

TEXT = "text/plain; charset=utf-8"


def plain(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A plain-text answer with a status and a one-paragraph message."""
    return Response(message.rstrip("\n") + "\n", status=status, content_type=TEXT, headers=headers)


def register(app: Flask) -> None:
    """Answer HTTP errors in plain text, and log anything unexpected server-side with a short 500."""
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _too_large(error: RequestEntityTooLarge) -> Response:
    """413 naming the limit."""
    limit = current_app.config["SETTINGS"].max_request_bytes
    return plain(413, f"413 Content Too Large: the request body is over {limit} bytes (setting max_request_bytes)")


def _http_error(error: HTTPException) -> Response:
    """An HTTP error (405, 404, 400, ...) as plain text, keeping headers such as Allow."""
    response = error.get_response()
    message = f"{error.code} {error.name}: {error.description}"
    return plain(error.code or 500, message, {k: v for k, v in response.headers if k.lower() == "allow"})


def _unexpected(error: Exception) -> Response:
    """Log the stack trace on the server; tell the client only that it happened."""
    current_app.logger.exception("unexpected error answering a request")
    return plain(500, "500 Internal Server Error: the error has been logged")
