"""Dereferenceable IRIs: the server's paths stand for the resources under ``settings.resource_base``.

GET /id/disease/gout is the resource <https://w3id.org/anakinra-kg/id/disease/gout> (with the default base).
Slash IRIs with direct content negotiation: the IRI itself answers 200 with ``Vary: Accept`` — an HTML page
for browsers, Turtle, JSON-LD, N-Triples or RDF/XML by ``Accept`` — and the suffix forms
(``gout.ttl``, ``gout.jsonld``, ``gout.nt``, ``gout.rdf``, ``gout.html``) fix the format for clients that
cannot set headers. An IRI the graph says nothing about is a 404.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import NotFound
from werkzeug.http import parse_accept_header

from .. import formats
from . import lookup, model
from .errors import plain

bp = Blueprint("pages", __name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
HTML = "text/html; charset=utf-8"
# RDF formats a resource's description is offered in (TriG and N-Quads are for datasets, see /download).
OFFERED = tuple(formats.by_name(name, formats.RDF_FORMATS) for name in ("turtle", "jsonld", "ntriples", "rdfxml"))
SUFFIXES = {f".{fmt.extension}": fmt for fmt in OFFERED}
VARY = {"Vary": "Accept"}


@bp.route("/<any(id, vocab, graph, dataset, shapes):space>/<path:rest>")
@bp.route("/<any(ontology, dataset):space>", defaults={"rest": None})
def resource(space: str, rest: str | None) -> Response:
    """Answer for the resource the path stands for: HTML or RDF by Accept, or by the path's suffix."""
    path = space if rest is None else f"{space}/{rest}"
    fixed: formats.Format | None = None
    html_suffix = path.endswith(".html")
    if html_suffix:
        path = path[: -len(".html")]
    else:
        for suffix, fmt in SUFFIXES.items():
            if path.endswith(suffix):
                path, fixed = path[: -len(suffix)], fmt
                break
    iri = current_app.config["SETTINGS"].resource_base + path
    try:
        ox.NamedNode(iri)
    except ValueError:
        return not_found(f"{iri} is not an IRI")
    if fixed is None and not html_suffix:
        try:
            fixed = choose(request.headers.get("Accept"))
        except formats.NotAcceptableError:
            offered = ", ".join((HTML_TYPES[0], *(f.media_type for f in OFFERED)))
            return plain(406, f"none of the media types the request accepts is offered; offered: {offered}", VARY)
    try:
        return _rdf(iri, fixed) if fixed is not None else _html(iri)
    except lookup.PageQueryError as error:
        return plain(error.status, error.message, VARY)


def choose(accept: str | None) -> formats.Format | None:
    """The RDF format the client prefers, or None when it prefers HTML (as browsers do, and on a tie)."""
    parsed = parse_accept_header(accept or "", MIMEAccept)
    accepted = MIMEAccept([(value.split(";", 1)[0].strip().lower(), quality) for value, quality in parsed])
    if not accepted:
        return None
    html = max(accepted.quality(kind) for kind in HTML_TYPES)
    try:
        fmt = formats.negotiate(OFFERED, accept, what="a resource")
    except formats.NotAcceptableError:
        if html > 0:
            return None
        raise
    rdf = max(accepted.quality(kind) for kind in (fmt.media_type, *fmt.aliases) if "/" in kind)
    return None if html > 0 and html >= rdf else fmt


def _html(iri: str) -> Response:
    """The resource's HTML page."""
    settings = current_app.config["SETTINGS"]
    page = model.build(iri, settings.resource_base, request.script_root)
    if page is None:
        return not_found(f"the graph says nothing about {iri}")
    stem = request.path.removesuffix(".html")
    alternates = [(fmt, f"{stem}.{fmt.extension}") for fmt in OFFERED]
    body = render_template("resource.html", page=page, alternates=alternates)
    links = ", ".join(f'<{href}>; rel="alternate"; type="{fmt.media_type}"' for fmt, href in alternates)
    return Response(body, content_type=HTML, headers={**VARY, "Link": links})


def _rdf(iri: str, fmt: formats.Format) -> Response:
    """The resource's description (its statements, those pointing at it, its evidence) in an RDF format."""
    if not lookup.select("exists", this=[iri]):
        return not_found(f"the graph says nothing about {iri}", html=False)
    outcome = lookup.construct("resource", fmt, this=[iri])
    return Response(outcome.body, content_type=outcome.content_type, headers=VARY)


def not_found(message: str, html: bool | None = None) -> Response:
    """A 404: an HTML page for browsers, plain text for everyone else."""
    if html is None:
        html = request.accept_mimetypes.accept_html
    if not html:
        return plain(404, f"404 Not Found: {message}", VARY)
    body = render_template("not_found.html", message=message, path=request.path)
    return Response(body, status=404, content_type=HTML, headers=VARY)


@bp.app_errorhandler(NotFound)
def _unknown_path(error: NotFound) -> Response:
    """Any path the server has no route for: the same 404 as an unknown IRI."""
    return not_found(f"nothing is served at {request.path}")
