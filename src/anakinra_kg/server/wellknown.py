"""Documents at stable URLs: the JSON-LD @context (/context.jsonld) and the VoID + DCAT description of the
dataset (/.well-known/void, as UniProt's endpoint has it), both open to every origin and tagged for caching."""

from __future__ import annotations

import json

from flask import Blueprint, Response, request
from flask_cors import cross_origin

from .. import formats, jsonld, query
from .errors import plain
from .published import NoBuildError, Published, etag_of, publisher

bp = Blueprint("wellknown", __name__)

CACHE = "public, no-cache"
EXPOSED = ["ETag", "Last-Modified"]
CONTEXT_PATH = "/" + jsonld.CONTEXT_URL.rsplit("/", 1)[-1]  # the context's own IRI names this path


@bp.route(CONTEXT_PATH)
@cross_origin(origins="*", send_wildcard=True, expose_headers=EXPOSED)
def context() -> Response:
    """The JSON-LD @context generated from the ontology of the current build (application/ld+json)."""
    try:
        published = publisher().context()
    except NoBuildError as error:
        return plain(503, str(error))
    return _conditional(published.read(), formats.by_name("jsonld").content_type, published)


@bp.route("/.well-known/void")
@cross_origin(origins="*", send_wildcard=True, expose_headers=EXPOSED)
def void() -> Response:
    """The VoID + DCAT description (the metadata graph of the build): Turtle, JSON-LD, N-Triples, ... by Accept."""
    try:
        fmt = formats.negotiate(formats.RDF_FORMATS, request.headers.get("Accept"), _names(), "the VoID description")
    except formats.NotAcceptableError as error:
        return plain(406, str(error), {"Vary": "Accept"})
    try:
        triples = publisher().void()
        built = publisher().context()  # the build's context; its Last-Modified is the build's time
    except NoBuildError as error:
        return plain(503, str(error))
    body = query.write_triples(triples, fmt, json.loads(built.read())["@context"])
    response = _conditional(body, fmt.content_type, built, etag_of(body))
    response.headers["Vary"] = "Accept"
    return response


def _names() -> tuple[str, ...]:
    """The format= parameter, as on /sparql."""
    return tuple(request.args.getlist("format"))


def _conditional(body: bytes, content_type: str, published: Published, etag: str | None = None) -> Response:
    """A response with a strong ETag and Last-Modified, answering If-None-Match / If-Modified-Since with 304."""
    response = Response(body, content_type=content_type)
    response.set_etag(etag or published.etag)
    response.last_modified = published.last_modified
    response.headers["Cache-Control"] = CACHE
    return response.make_conditional(request)
