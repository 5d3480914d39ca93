"""The ontology: header metadata, a label and a definition on every term, prefixes from the one map."""

from __future__ import annotations

import re

from anakinra_kg.prefixes import prefix_map

from .conftest import ROOT


def test_header(select) -> None:
    """Ontology IRI, versionIRI, license and title are present."""
    rows = select("""SELECT ?v ?lic ?title WHERE { GRAPH graph:ontology { ?o a owl:Ontology ; owl:versionIRI ?v ;
                         dcterms:license ?lic ; dcterms:title ?title } }""")
    assert len(rows) == 1 and all(rows[0])


def test_every_term_has_label_and_definition(select) -> None:
    """Every class and property of our vocabulary has an English label and a definition."""
    rows = select("""
        SELECT ?t WHERE { GRAPH graph:ontology {
          VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:NamedIndividual }
          ?t a ?kind FILTER(STRSTARTS(STR(?t), STR(ak:)))
          FILTER (NOT EXISTS { ?t rdfs:label ?l FILTER(LANG(?l) = "en") } || NOT EXISTS { ?t obo:IAO_0000115 ?d }) } }""")
    assert rows == []
    count = select(
        "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { GRAPH graph:ontology { ?t a owl:Class FILTER(STRSTARTS(STR(?t), STR(ak:))) } }"
    )
    assert int(count[0][0]) >= 40


def test_every_used_term_is_declared(select) -> None:
    """Every ak: class or property used in the data is declared in the ontology."""
    rows = select("""
        SELECT DISTINCT ?t WHERE {
          { GRAPH graph:data { ?s ?t ?o } } UNION { GRAPH graph:data { ?s a ?t } }
          UNION { GRAPH graph:provenance { ?s ?t ?o } } UNION { GRAPH graph:provenance { ?s a ?t } }
          FILTER(STRSTARTS(STR(?t), STR(ak:)))
          FILTER NOT EXISTS { GRAPH graph:ontology { ?t a ?kind } } }""")
    assert rows == []


def test_file_prefixes_agree_with_prefix_map() -> None:
    """Every @prefix in ontology/ and data/ expands as the one prefix map says."""
    known = prefix_map()
    for path in [*ROOT.glob("ontology/*.ttl"), *ROOT.glob("data/*.ttl")]:
        for prefix, iri in re.findall(r"@prefix\s+([\w-]*):\s*<([^>]*)>", path.read_text(encoding="utf-8")):
            assert known.get(prefix) == iri, f"{path.name}: @prefix {prefix}: <{iri}> disagrees with prefixes.py"
