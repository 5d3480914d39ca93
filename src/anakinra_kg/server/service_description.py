"""The SPARQL 1.1 Service Description of the endpoint: what it speaks, its dataset, its formats and limits."""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from .. import formats
from ..metadata import DATASET
from ..prefixes import BASE, STANDARD, VOCAB
from ..settings import Settings

SD, RDF, RDFS, OWL, XSD = (STANDARD[name] for name in ("sd", "rdf", "rdfs", "owl", "xsd"))
VOID, DCTERMS, DCAT = STANDARD["void"], STANDARD["dcterms"], STANDARD["dcat"]
SIMPLE_ENTAILMENT = "http://www.w3.org/ns/entailment/Simple"

# The endpoint's limits: SD has no terms for them; the ontology defines these (label, IAO:0000115 definition).
LIMITS = {"queryTimeout": "decimal", "maxResultRows": "integer", "maxRequestBytes": "integer"}
ONTOLOGY = BASE + "ontology"

Triples = list[ox.Triple]
Node = ox.NamedNode | ox.BlankNode


def describe(
    endpoint: str,
    settings: Settings,
    counts: dict[str, int],
    void: Sequence[ox.Triple] = (),
    void_url: str | None = None,
) -> Triples:
    """Describe the service at ``endpoint``; ``counts`` maps graph IRIs (and '' for the default graph) to triples.

    With the dataset's VoID + DCAT triples (``void``), the default dataset is the described void:Dataset and its
    description is included, as UniProt's endpoint does; ``void_url`` is where that description is served.
    """
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
    if void_url:
        triples.append(_t(service, RDFS + "seeAlso", ox.NamedNode(void_url)))
    dataset = DATASET if void else ox.BlankNode("dataset")
    return triples + _limits(service, settings) + _dataset(service, dataset, counts) + list(void)


def _limits(service: ox.BlankNode, settings: Settings) -> Triples:
    """State the limits, each property pointing at the ontology that defines it."""
    values = {
        "queryTimeout": settings.query_timeout,
        "maxResultRows": settings.max_result_rows,
        "maxRequestBytes": settings.max_request_bytes,
    }
    limits: Triples = []
    for name, datatype in LIMITS.items():
        prop = ox.NamedNode(VOCAB + name)
        limits.append(ox.Triple(service, prop, ox.Literal(str(values[name]), datatype=ox.NamedNode(XSD + datatype))))
        limits += [
            ox.Triple(prop, ox.NamedNode(RDF + "type"), ox.NamedNode(OWL + "DatatypeProperty")),
            ox.Triple(prop, ox.NamedNode(RDFS + "isDefinedBy"), ox.NamedNode(ONTOLOGY)),
        ]
    return limits


def _dataset(service: ox.BlankNode, dataset: Node, counts: dict[str, int]) -> Triples:
    """The default dataset: its union default graph and each named graph, with triple counts (VoID)."""
    default = ox.BlankNode("defaultGraph")
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


def _t(subject: Node, predicate: str, obj: Node | ox.Literal) -> ox.Triple:
    """A triple with a predicate given as an IRI string."""
    return ox.Triple(subject, ox.NamedNode(predicate), obj)


def _integer(value: int) -> ox.Literal:
    """An xsd:integer literal."""
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
