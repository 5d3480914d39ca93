"""The results of the compiled SHACL validator and the standard sh:ValidationReport graph made of them."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH, XSD


@dataclass
class Result:
    """One validation result, in rdflib terms (so it can go into the report graph)."""

    focus: rdflib.term.Node
    shape: rdflib.term.Node
    component: rdflib.URIRef
    path: rdflib.term.Node | None = None
    value: rdflib.term.Node | None = None
    messages: list[rdflib.Literal] = field(default_factory=list)
    severity: rdflib.URIRef = SH.Violation


def to_rdflib(term: ox.Term) -> rdflib.term.Node:
    """Convert a pyoxigraph term to rdflib."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == str(XSD.string):
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def report(results: list[Result], shapes: rdflib.Graph) -> rdflib.Graph:
    """The standard sh:ValidationReport graph of the results (result paths copied from the shapes graph)."""
    graph = rdflib.Graph()
    graph.bind("sh", SH)
    node = rdflib.BNode()
    graph.add((node, RDF.type, SH.ValidationReport))
    conforms = not any(r.severity == SH.Violation for r in results)
    graph.add((node, SH.conforms, rdflib.Literal(conforms)))
    for r in results:
        res = rdflib.BNode()
        graph.add((node, SH.result, res))
        graph.add((res, RDF.type, SH.ValidationResult))
        graph.add((res, SH.focusNode, r.focus))
        graph.add((res, SH.sourceShape, r.shape))
        graph.add((res, SH.sourceConstraintComponent, r.component))
        graph.add((res, SH.resultSeverity, r.severity))
        if r.value is not None:
            graph.add((res, SH.value, r.value))
        if r.path is not None:
            graph.add((res, SH.resultPath, r.path))
            _copy_blank(shapes, graph, r.path)
        for message in r.messages:
            graph.add((res, SH.resultMessage, message))
    return graph


def _copy_blank(source: rdflib.Graph, target: rdflib.Graph, node: rdflib.term.Node) -> None:
    """Copy the triples below a blank node (a path expression or list) from one graph to another."""
    if not isinstance(node, rdflib.BNode):
        return
    for p, o in source.predicate_objects(node):
        target.add((node, p, o))
        _copy_blank(source, target, o)
