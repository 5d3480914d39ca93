"""The one place that maps format names to media types, file extensions and serializers."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class Format:
    """A serialization: its short name, media type, file extension and pyoxigraph format."""

    name: str
    media_type: str
    extension: str
    oxigraph: ox.QueryResultsFormat | ox.RdfFormat
    aliases: tuple[str, ...] = ()

    @property
    def is_results(self) -> bool:
        """True for SPARQL results formats (SELECT/ASK), False for RDF formats."""
        return isinstance(self.oxigraph, ox.QueryResultsFormat)

    @property
    def is_dataset(self) -> bool:
        """True for RDF formats that carry named graphs (TriG, N-Quads)."""
        return isinstance(self.oxigraph, ox.RdfFormat) and self.oxigraph.supports_datasets


RESULTS_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "srj", ox.QueryResultsFormat.JSON, ("application/json",)),
    Format("xml", "application/sparql-results+xml", "srx", ox.QueryResultsFormat.XML, ("application/xml",)),
    Format("csv", "text/csv", "csv", ox.QueryResultsFormat.CSV),
    Format("tsv", "text/tab-separated-values", "tsv", ox.QueryResultsFormat.TSV),
)

RDF_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", "ttl", ox.RdfFormat.TURTLE, ("application/x-turtle",)),
    Format("jsonld", "application/ld+json", "jsonld", ox.RdfFormat.JSON_LD),
    Format("ntriples", "application/n-triples", "nt", ox.RdfFormat.N_TRIPLES),
    Format("rdfxml", "application/rdf+xml", "rdf", ox.RdfFormat.RDF_XML, ("owl",)),
    Format("trig", "application/trig", "trig", ox.RdfFormat.TRIG),
    Format("nquads", "application/n-quads", "nq", ox.RdfFormat.N_QUADS),
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
