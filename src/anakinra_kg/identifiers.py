"""SHACL shapes for external identifiers, generated from bioregistry: each mapped IRI matches its prefix's pattern."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

import bioregistry
import curies
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, SKOS

from .prefixes import SHAPES

# The mapping predicates whose objects are external identifiers (SKOS mapping relations, as SSSOM uses them).
MATCH_PREDICATES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)
SHAPE_PREFIX = "identifier-"


@cache
def _converter() -> curies.Converter:
    """Bioregistry's converter (loaded once, and only when there are identifiers to check)."""
    return bioregistry.manager.converter


def external_iris(data: rdflib.Graph) -> set[str]:
    """Return the IRIs that data maps its entities to with a SKOS mapping predicate."""
    return {str(o) for p in MATCH_PREDICATES for o in data.objects(None, p) if isinstance(o, rdflib.URIRef)}


def pattern_shapes(data: rdflib.Graph) -> rdflib.Graph:
    """Generate the identifier shapes for the IRIs an rdflib graph maps its entities to."""
    return shapes_for(external_iris(data))


def shapes_for(iris: Iterable[str]) -> rdflib.Graph:
    """Generate one node shape per bioregistry prefix met among the mapped IRIs, checking its local-ID pattern.

    An IRI that starts with the prefix's URI prefix must continue with a local identifier matching the
    prefix's regular expression from bioregistry. Prefixes without a known pattern get no shape.
    """
    shapes = rdflib.Graph()
    seen: set[str] = set()
    for iri in sorted(iris):
        parsed = _converter().parse_uri(iri)
        if parsed is None or parsed.prefix in seen:
            continue
        pattern = bioregistry.get_pattern(parsed.prefix)
        if not pattern:
            continue
        seen.add(parsed.prefix)
        _add_shape(shapes, parsed.prefix, iri[: len(iri) - len(parsed.identifier)], pattern)
    return shapes


def _add_shape(shapes: rdflib.Graph, prefix: str, uri_prefix: str, pattern: str) -> None:
    """Add the node shape for one prefix: IRIs under ``uri_prefix`` match ``pattern`` after it."""
    node = rdflib.URIRef(f"{SHAPES}{SHAPE_PREFIX}{prefix}")
    local = pattern.removeprefix("^").removesuffix("$")
    under = rdflib.BNode()
    not_under = rdflib.BNode()
    well_formed = rdflib.BNode()
    shapes.add((node, RDF.type, SH.NodeShape))
    shapes.add((node, RDFS.label, rdflib.Literal(f"identifiers of {prefix} (from bioregistry)", lang="en")))
    for predicate in MATCH_PREDICATES:
        shapes.add((node, SH.targetObjectsOf, predicate))
    shapes.add((under, SH.pattern, rdflib.Literal("^" + re.escape(uri_prefix))))
    shapes.add((not_under, SH["not"], under))
    shapes.add((well_formed, SH.pattern, rdflib.Literal(f"^{re.escape(uri_prefix)}(?:{local})$")))
    shapes.add((node, SH["or"], Collection(shapes, rdflib.BNode(), [not_under, well_formed]).uri))
    message = f"an IRI under {uri_prefix} is a {prefix} identifier: its local part must match {pattern} (bioregistry)"
    shapes.add((node, SH.message, rdflib.Literal(message, lang="en")))
