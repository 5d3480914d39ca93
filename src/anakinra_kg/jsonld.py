"""JSON-LD for people: the published @context (generated from the ontology), compacted dumps and the framed drug.

The context gives every ak: term a short key named after its local name, coerces IRIs, controlled values
and decimals, and makes entity IRIs relative to the id/ base. It is always local: the document loader
refuses every remote fetch.
"""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox
import rdflib
from pyld import jsonld as pyld_jsonld

from .prefixes import GRAPH, ID, STANDARD, VOCAB, graph_iri

CONTEXT_FILE = "anakinra-kg.context.jsonld"  # in ontology/; sources.py loads only *.ttl, so it is not data
CONTEXT_URL = "https://w3id.org/anakinra-kg/context.jsonld"
DRUG = ID + "drug/anakinra"
XSD = STANDARD["xsd"]

# Keys for the external terms the data uses most, so that plain JSON reads naturally.
COMMON_KEYS: dict[str, dict[str, str] | str] = {
    "label": {"@id": "rdfs:label", "@language": "en"},
    "altLabel": {"@id": "skos:altLabel", "@language": "en"},
    "prefLabel": {"@id": "skos:prefLabel", "@language": "en"},
    "comment": {"@id": "rdfs:comment", "@language": "en"},
    "definition": {"@id": "obo:IAO_0000115", "@language": "en"},
    "broader": {"@id": "skos:broader", "@type": "@id"},
    "closeMatch": {"@id": "skos:closeMatch", "@type": "@id"},
    "exactMatch": {"@id": "skos:exactMatch", "@type": "@id"},
    "broadMatch": {"@id": "skos:broadMatch", "@type": "@id"},
    "narrowMatch": {"@id": "skos:narrowMatch", "@type": "@id"},
    "relatedMatch": {"@id": "skos:relatedMatch", "@type": "@id"},
    "subClassOf": {"@id": "rdfs:subClassOf", "@type": "@id"},
    "subPropertyOf": {"@id": "rdfs:subPropertyOf", "@type": "@id"},
    "title": "dcterms:title",
    "description": "dcterms:description",
    "license": {"@id": "dcterms:license", "@type": "@id"},
    "creator": "dcterms:creator",
    "identifier": "dcterms:identifier",
    "subject": {"@id": "rdf:subject", "@type": "@id"},
    "predicate": {"@id": "rdf:predicate", "@type": "@vocab"},
    "object": "rdf:object",
}

# In the framed document the drug's facts hang below it: keys for the inverses of the properties the data
# asserts (a use names its drug), named after the ontology's own inverse properties.
FRAME_KEYS = {
    "hasTherapeuticUse": "drug",
    "hasAdverseReaction": "adverseReactionOf",
    "hasContraindication": "contraindicationOf",
    "hasPrecaution": "precautionOf",
    "hasStructuralDifference": "structuralDifferenceOf",
    "subjectOf": "aboutDrug",
}

_TERMS = f"""
SELECT ?term ?kind ?range ?enumerated WHERE {{
  GRAPH <{graph_iri("ontology")}> {{
    ?term a ?kind .
    FILTER (STRSTARTS(STR(?term), "{VOCAB}"))
    OPTIONAL {{ ?term <http://www.w3.org/2000/01/rdf-schema#range> ?range .
               OPTIONAL {{ ?range <http://www.w3.org/2002/07/owl#equivalentClass>/<http://www.w3.org/2002/07/owl#oneOf>
                             ?enumerated }} }}
  }}
}}"""
_OWL = STANDARD["owl"]


class RemoteContextError(RuntimeError):
    """A JSON-LD document asked for a remote document; anakinra-kg never fetches one."""


def refuse_remote(url: str, options: dict | None = None) -> dict:
    """A pyld document loader that refuses every URL: contexts are local, nothing is fetched at run time."""
    raise RemoteContextError(f"refusing to fetch {url}: anakinra-kg uses only its local JSON-LD context")


OPTIONS = {"documentLoader": refuse_remote}


def context(store: ox.Store) -> dict[str, Any]:
    """Build the @context from the ontology graph of the store: a key per ak: term, coerced by its range."""
    terms: dict[str, Any] = {}
    kinds: dict[str, set[str]] = {}
    ranges: dict[str, tuple[str | None, bool]] = {}
    for row in store.query(_TERMS):
        term = row["term"].value
        kinds.setdefault(term, set()).add(row["kind"].value)
        if row["range"] is not None:
            ranges[term] = (row["range"].value, row["enumerated"] is not None)
    for term in sorted(kinds):
        key = "ak:" + term.removeprefix(VOCAB)
        rng, enumerated = ranges.get(term, (None, False))
        if _OWL + "ObjectProperty" in kinds[term]:
            terms[key[3:]] = {"@id": key, "@type": "@vocab" if enumerated else "@id"}
        elif _OWL + "DatatypeProperty" in kinds[term]:
            terms[key[3:]] = {"@id": key, "@type": "xsd:decimal"} if rng == XSD + "decimal" else {"@id": key}
        else:
            terms[key[3:]] = key
    # Entity prefixes (drug:, disease:, ...) are left out on purpose: their names are also keys (ak:drug), so
    # entity IRIs are written relative to @base instead ("disease/gout").
    prefixes = {**STANDARD, "ak": VOCAB, "graph": GRAPH}
    return {"@version": 1.1, "@base": ID, "@vocab": VOCAB, "id": "@id", "type": "@type"} | dict(
        sorted({**prefixes, **COMMON_KEYS, **terms}.items())
    )


def context_document(store: ox.Store) -> bytes:
    """The published context file's bytes (the same text the repository holds in ontology/)."""
    return dumps({"@context": context(store)})


def dumps(document: Any) -> bytes:
    """JSON text for people and for diffs: indented, keys in a stable order, UTF-8."""
    return (json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def _nquads(graphs: dict[str, rdflib.Graph]) -> str:
    """N-Quads text of the graphs, each triple in its named graph."""
    lines = [f"{s.n3()} {p.n3()} {o.n3()} <{iri}> ." for iri, g in graphs.items() for s, p, o in g]
    return "\n".join(sorted(lines)) + "\n"


def expanded(graphs: dict[str, rdflib.Graph]) -> list[dict[str, Any]]:
    """Expanded JSON-LD of the graphs (integers and booleans as JSON numbers and booleans)."""
    return pyld_jsonld.from_rdf(_nquads(graphs), {"format": "application/n-quads", "useNativeTypes": True, **OPTIONS})


def from_graphs(graphs: dict[str, rdflib.Graph], ctx: dict[str, Any]) -> bytes:
    """A compacted JSON-LD document of the graphs (named graphs kept), with the context inline."""
    return dumps(pyld_jsonld.compact(expanded(graphs), {"@context": ctx}, OPTIONS))


def frame_context(ctx: dict[str, Any]) -> dict[str, Any]:
    """The published context plus reverse keys, so that uses, reactions, ... nest below the drug as lists."""
    reverse = {key: {"@reverse": f"ak:{prop}", "@container": "@set"} for key, prop in FRAME_KEYS.items()}
    return ctx | reverse


def framed_drug(data: rdflib.Graph, ctx: dict[str, Any]) -> dict[str, Any]:
    """The drug at the top with its uses (and their events and studies), reactions, contraindications nested."""
    fctx = frame_context(ctx)
    frame = {"@context": fctx, "@id": DRUG, "@embed": "@always", **{key: {} for key in FRAME_KEYS}}
    return pyld_jsonld.frame(expanded({graph_iri("data"): data}), frame, {**OPTIONS, "omitGraph": True})


def to_nquads(document: Any) -> str:
    """Expand a JSON-LD document back into N-Quads (for round-trip checks), without any remote fetch."""
    return pyld_jsonld.to_rdf(document, {"format": "application/n-quads", **OPTIONS})
