"""The one prefix map of the project: CURIE prefixes and their IRI expansions."""

from __future__ import annotations

import re
from functools import cache

import curies

from . import registry

BASE = "https://w3id.org/anakinra-kg/"
VOCAB = BASE + "vocab/"
ID = BASE + "id/"
GRAPH = BASE + "graph/"
SHAPES = BASE + "shapes/"

# Entity kinds: each has a readable path under ID and a CURIE prefix of the same name.
ENTITY_KINDS = (
    "adverse-effect",
    "adverse-reaction",
    "biomarker",
    "chemical",
    "comparator",
    "contraindication",
    "criterion",
    "difference",
    "disease",
    "drug",
    "drug-class",
    "event",
    "evidence",
    "finding",
    "gene",
    "mapping",
    "organisation",
    "organism",
    "periodical",
    "place",
    "population",
    "precaution",
    "protein",
    "route",
    "section",
    "source",
    "statement",
    "study",
    "use",
)

STANDARD = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "http://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "obo": "http://purl.obolibrary.org/obo/",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
    "pav": "http://purl.org/pav/",
}

PROJECT = {
    "ak": VOCAB,
    "akr": ID,
    "graph": GRAPH,
    "shape": SHAPES,
    **{kind: f"{ID}{kind}/" for kind in ENTITY_KINDS},
}


def external() -> dict[str, str]:
    """Return the external prefixes (from Bioregistry records, see registry.py): prefix -> IRI namespace."""
    return {prefix: record["uri_prefix"] for prefix, record in registry.records().items()}


@cache
def converter() -> curies.Converter:
    """Return the converter for the project's, the standard and the external prefixes (one IRI per CURIE)."""
    return curies.Converter.from_prefix_map({**PROJECT, **STANDARD, **external()})


@cache
def _prefix_map() -> dict[str, str]:
    """The prefix map, computed once (curies builds it anew on every access)."""
    return dict(converter().prefix_map)


def prefix_map() -> dict[str, str]:
    """Return the prefix map as a plain dict (prefix -> IRI namespace), a copy the caller may change."""
    return dict(_prefix_map())


def prefixes_in(text: str) -> dict[str, str]:
    """The predeclared prefixes a query text may use (those written before a ``:`` in it).

    pyoxigraph converts every prefix it is given on every query (35 µs for the whole map against 15 µs
    for ``ASK {}`` itself), so a query gets only the ones it can use; extra ones do no harm. One scan of the
    text finds the names before each colon (testing each of the map's prefixes took 27 µs on a catalogue
    query). A prefix may also start after a ``.`` or ``-`` (``?o.drug:x`` uses ``drug``). Not remembered per
    text: a cache keyed on query texts (up to max_request_bytes each) would hold them all.
    """
    known = _prefix_map()
    used = {}
    for backwards in set(_BEFORE_COLON.findall(text[::-1])):  # reversed: the scan jumps from colon to colon
        run = backwards[::-1]
        names = [run] if "." not in run and "-" not in run else _suffixes(run)
        used.update((name, known[name]) for name in names if name in known)
    return used


_BEFORE_COLON = re.compile(r":([\w.-]+)")  # in the reversed text: a colon, then the name written before it


def _suffixes(run: str) -> list[str]:
    """A run of name characters and its tails after each ``.`` or ``-`` (where another token may begin)."""
    return [run] + [run[i + 1 :] for i, char in enumerate(run) if char in ".-"]


def graph_iri(name: str) -> str:
    """Return the IRI of one of the store's named graphs, e.g. ``data`` or ``ontology``."""
    return GRAPH + name


def shorten_iris(text: str) -> str:
    """Replace every IRI in a text (a message) by its CURIE where the prefix map knows it."""
    return re.sub(r"https?://[^\s,;)\]>]+", lambda m: converter().compress(m.group(0)) or m.group(0), text)
