"""The SPARQL 1.1 Service Description of the endpoint: what it speaks, its dataset, its formats and limits."""

from __future__ import annotations

import pyoxigraph as ox

from .. import formats
from ..prefixes import VOCAB
from ..settings import Settings

SD = "http://www.w3.org/ns/sparql-service-description#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
SIMPLE_ENTAILMENT = "http://www.w3.org/ns/entailment/Simple"

# The endpoint's limits: SD has no terms for them, so they are declared here, in the project vocabulary.
LIMITS = {
    "queryTimeout": ("query time limit", "Seconds a query may run before it is stopped (HTTP 503).", "decimal"),
    "maxResultRows": ("maximum result rows", "Most solutions or triples in one answer (HTTP 422).", "integer"),
    "maxRequestBytes": ("maximum request size", "Largest request body accepted, in bytes (HTTP 413).", "integer"),
}

Triples = list[ox.Triple]


def describe(endpoint: str, settings: Settings, counts: dict[str, int]) -> Triples:
    """Describe the service at ``endpoint``; ``counts`` maps graph IRIs (and '' for the default graph) to triples."""
    service = ox.BlankNode("service")
    triples = [
        _t(service, RDF + "type", ox.NamedNode(SD + "Service")),
        _t(service, SD + "endpoint", ox.NamedNode(endpoint)),
        _t(service, DCTERMS + "title", ox.Literal("anakinra-kg SPARQL endpoint", language="en")),
        _t(service, SD + "supportedLanguage", ox.NamedNode(SD + "SPARQL11Query")),
        _t(service, SD + "defaultEntailmentRegime", ox.NamedNode(SIMPLE_ENTAILMENT)),
        _t(service, SD + "feature", ox.NamedNode(SD + "UnionDefaultGraph")),
        _t(
            service,
            RDFS + "comment",
            ox.Literal(
                "Read-only. The default graph is the union of the named graphs. Project prefixes (ak:, drug:, "
                "disease:, ...) are predeclared. SERVICE only to allow-listed hosts.",
                language="en",
            ),
        ),
    ]
    if settings.service_allow_list:
        triples.append(_t(service, SD + "feature", ox.NamedNode(SD + "BasicFederatedQuery")))
    triples += [_t(service, SD + "resultFormat", ox.NamedNode(f.w3c_iri)) for f in formats.ALL_FORMATS]
    limits, declarations = _limits(service, settings)
    return triples + limits + _dataset(service, counts) + declarations


def serialize(triples: Triples, fmt: formats.Format) -> bytes:
    """Write the description in an RDF format, with the project prefixes and the SD ones."""
    prefixes = {"sd": SD, "void": VOID, "dcterms": DCTERMS, "ak": VOCAB, "rdfs": RDFS, "xsd": XSD, "owl": OWL}
    return ox.serialize(triples, format=fmt.oxigraph, prefixes=prefixes)


def _limits(service: ox.BlankNode, settings: Settings) -> tuple[Triples, Triples]:
    """State the limits, and declare each property with a label and a comment so the output explains itself."""
    values = {
        "queryTimeout": settings.query_timeout,
        "maxResultRows": settings.max_result_rows,
        "maxRequestBytes": settings.max_request_bytes,
    }
    limits: Triples = []
    declarations: Triples = []
    for name, (label, comment, datatype) in LIMITS.items():
        prop = ox.NamedNode(VOCAB + name)
        limits.append(ox.Triple(service, prop, ox.Literal(str(values[name]), datatype=ox.NamedNode(XSD + datatype))))
        declarations += [
            ox.Triple(prop, ox.NamedNode(RDF + "type"), ox.NamedNode(OWL + "DatatypeProperty")),
            ox.Triple(prop, ox.NamedNode(RDFS + "label"), ox.Literal(label, language="en")),
            ox.Triple(prop, ox.NamedNode(RDFS + "comment"), ox.Literal(comment, language="en")),
        ]
    return limits, declarations


def _dataset(service: ox.BlankNode, counts: dict[str, int]) -> Triples:
    """The default dataset: its union default graph and each named graph, with triple counts (VoID)."""
    dataset, default = ox.BlankNode("dataset"), ox.BlankNode("defaultGraph")
    graphs = sorted(k for k in counts if k)
    triples = [
        _t(service, SD + "defaultDataset", dataset),
        _t(dataset, RDF + "type", ox.NamedNode(SD + "Dataset")),
        _t(dataset, SD + "defaultGraph", default),
        *(_t(dataset, SD + "namedGraph", ox.BlankNode(f"namedGraph{n}")) for n in range(len(graphs))),
        _t(default, RDF + "type", ox.NamedNode(SD + "Graph")),
        _t(default, VOID + "triples", _integer(counts.get("", 0))),
    ]
    for number, iri in enumerate(graphs):
        named, graph = ox.BlankNode(f"namedGraph{number}"), ox.BlankNode(f"graph{number}")
        triples += [
            _t(named, RDF + "type", ox.NamedNode(SD + "NamedGraph")),
            _t(named, SD + "name", ox.NamedNode(iri)),
            _t(named, SD + "graph", graph),
            _t(graph, RDF + "type", ox.NamedNode(SD + "Graph")),
            _t(graph, VOID + "triples", _integer(counts[iri])),
        ]
    return triples


def _t(subject: ox.BlankNode, predicate: str, obj: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.Triple:
    """A triple with a predicate given as an IRI string."""
    return ox.Triple(subject, ox.NamedNode(predicate), obj)


def _integer(value: int) -> ox.Literal:
    """An xsd:integer literal."""
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
