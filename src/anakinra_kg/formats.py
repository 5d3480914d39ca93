"""The one place that maps format names to media types, file extensions and serializers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header


@dataclass(frozen=True, eq=False)
class Format:
    """A serialization: its short name, media type, file extension, pyoxigraph format and W3C format IRI.

    ``charset`` is given only where the media type takes one (text/* and XML); JSON, N-Triples and
    N-Quads are UTF-8 by definition and their media types have no charset parameter. Each format is one
    object, compared and hashed by identity (eq=False): negotiation's cache hashes the offered tuple per request.
    """

    name: str
    media_type: str
    extension: str
    oxigraph: ox.QueryResultsFormat | ox.RdfFormat
    w3c: str
    aliases: tuple[str, ...] = ()
    charset: str | None = None

    @property
    def content_type(self) -> str:
        """The exact Content-Type header value of a response in this format."""
        return f"{self.media_type}; charset={self.charset}" if self.charset else self.media_type

    @property
    def w3c_iri(self) -> str:
        """The format's IRI in the W3C formats namespace (for sd:resultFormat)."""
        return W3C_FORMATS + self.w3c

    @property
    def is_results(self) -> bool:
        """True for SPARQL results formats (SELECT/ASK), False for RDF formats."""
        return isinstance(self.oxigraph, ox.QueryResultsFormat)

    @property
    def writes_prefixes(self) -> bool:
        """True for the RDF syntaxes that abbreviate IRIs with declared prefixes: the only ones worth handing the
        prefix map (pyoxigraph converts every prefix it is given on every call, tens of µs for ours)."""
        return self.oxigraph in _PREFIXED

    @property
    def is_dataset(self) -> bool:
        """True for RDF formats that carry named graphs (TriG, N-Quads)."""
        return isinstance(self.oxigraph, ox.RdfFormat) and self.oxigraph.supports_datasets


W3C_FORMATS = "http://www.w3.org/ns/formats/"
UTF8 = "utf-8"
_R = ox.QueryResultsFormat
_G = ox.RdfFormat
_PREFIXED = frozenset({_G.TURTLE, _G.TRIG, _G.N3, _G.RDF_XML})

RESULTS_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "srj", _R.JSON, "SPARQL_Results_JSON", ("application/json",)),
    Format("xml", "application/sparql-results+xml", "srx", _R.XML, "SPARQL_Results_XML", ("application/xml",), UTF8),
    Format("csv", "text/csv", "csv", _R.CSV, "SPARQL_Results_CSV", charset=UTF8),
    Format("tsv", "text/tab-separated-values", "tsv", _R.TSV, "SPARQL_Results_TSV", charset=UTF8),
)

RDF_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", "ttl", _G.TURTLE, "Turtle", ("application/x-turtle",), UTF8),
    Format("jsonld", "application/ld+json", "jsonld", _G.JSON_LD, "JSON-LD", ("json-ld",)),
    Format("ntriples", "application/n-triples", "nt", _G.N_TRIPLES, "N-Triples"),
    Format("rdfxml", "application/rdf+xml", "rdf", _G.RDF_XML, "RDF_XML", ("owl",), UTF8),
    Format("trig", "application/trig", "trig", _G.TRIG, "TriG", charset=UTF8),
    Format("nquads", "application/n-quads", "nq", _G.N_QUADS, "N-Quads"),
)

ALL_FORMATS = RESULTS_FORMATS + RDF_FORMATS


class UnknownFormatError(ValueError):
    """A format name that is not offered; the message lists the valid ones."""


def by_name(name: str, offered: tuple[Format, ...] = ALL_FORMATS) -> Format:
    """Look up a format by short name, extension or media type among those offered."""
    key = name.strip().lower()
    for fmt in offered:
        if key in (fmt.name, fmt.extension, fmt.media_type, *fmt.aliases):
            return fmt
    valid = ", ".join(f.name for f in offered)
    raise UnknownFormatError(f"unknown format {name!r}; valid formats: {valid}")


class NotAcceptableError(ValueError):
    """No offered format fits what the client accepts; the message lists the offered media types."""

    def __init__(self, offered: tuple[Format, ...], what: str) -> None:
        self.offered = offered
        types = ", ".join(f.media_type for f in offered)
        super().__init__(f"none of the media types the request accepts is offered for {what}; offered: {types}")


def negotiate(
    offered: tuple[Format, ...], accept: str | None, names: tuple[str, ...] = (), what: str = "the result"
) -> Format:
    """Choose the format of a response: the first of ``names`` (a format= parameter) that is offered wins,
    else the Accept header with its q-values.

    Names that fit no offered format are passed over (clients such as SPARQLWrapper send ``format=xml``
    with a CONSTRUCT and mean RDF/XML, which their Accept header says). No (or an unreadable) Accept
    header gets the first offered format; media type parameters other than q are ignored, so
    ``text/turtle; charset=utf-8`` asks for Turtle.
    """
    chosen = choose(offered, accept, names)
    if chosen is None:
        raise NotAcceptableError(offered, what)
    return chosen


@lru_cache(maxsize=512)
def choose(offered: tuple[Format, ...], accept: str | None, names: tuple[str, ...] = ()) -> Format | None:
    """The negotiation of ``negotiate`` without the error (None: nothing fits), remembered: clients send the
    same few headers. For callers to whom no fit is an answer, not a failure (a raised error costs a request)."""
    for name in names:
        try:
            return by_name(name, offered)
        except UnknownFormatError:
            continue
    parsed = parse_accept_header(accept or "", MIMEAccept)
    accepted = MIMEAccept([(value.split(";", 1)[0].strip().lower(), quality) for value, quality in parsed])
    if not accepted:
        return offered[0]
    candidates = {fmt.media_type: fmt for fmt in offered}  # canonical types first: they win ties
    candidates |= {alias: fmt for fmt in offered for alias in fmt.aliases if "/" in alias}
    best = accepted.best_match(list(candidates))
    return None if best is None else candidates[best]
