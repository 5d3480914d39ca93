"""Dataset metadata (VoID + DCAT): every count in graph/metadata equals the same count computed with SPARQL."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from anakinra_kg import export, metadata, sources
from anakinra_kg.prefixes import ID, graph_iri
from anakinra_kg.settings import Settings

from .conftest import ROOT

PREFIXES = """PREFIX void: <http://rdfs.org/ns/void#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
META = graph_iri("metadata")
DATASET = "<https://w3id.org/anakinra-kg/dataset>"
NOT_META = f"FILTER (?g != <{META}>)"


def ask(db: ox.Store, sparql: str) -> dict[str, int]:
    """Run a two-column SELECT (key, count) and return it as a dict."""
    rows = db.query(PREFIXES + sparql, use_default_graph_as_union=True)
    return {r[0].value: int(r[1].value) for r in rows}


def test_triples_per_graph_match_the_store(db: ox.Store) -> None:
    """void:triples of each subset (named graph, metadata included) equals COUNT(*) in that graph."""
    stated = ask(
        db,
        f"SELECT ?g ?n {{ {DATASET} void:subset ?g . ?g void:triples ?n ; a void:Dataset . FILTER NOT EXISTS {{ ?g a void:Linkset }} }}",
    )
    counted = ask(db, "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert stated == counted
    assert set(stated) == set(export.graph_names(db).values()) and META in stated


def test_dataset_totals_match_the_store(db: ox.Store) -> None:
    """Distinct triples, subjects, objects, entities, classes and properties over every graph but metadata."""
    stated = ask(db, f"SELECT ?p ?n {{ {DATASET} ?p ?n . FILTER (isLiteral(?n) && DATATYPE(?n) = xsd:integer) }}")
    inner = f"SELECT DISTINCT ?s ?p ?o {{ GRAPH ?g {{ ?s ?p ?o }} {NOT_META} }}"
    counted = {
        "triples": f"SELECT (COUNT(*) AS ?n) {{ {{ {inner} }} }}",
        "distinctSubjects": f"SELECT (COUNT(DISTINCT ?s) AS ?n) {{ {{ {inner} }} }}",
        "distinctObjects": f"SELECT (COUNT(DISTINCT ?o) AS ?n) {{ {{ {inner} }} }}",
        "properties": f"SELECT (COUNT(DISTINCT ?p) AS ?n) {{ {{ {inner} }} }}",
        "classes": f"SELECT (COUNT(DISTINCT ?o) AS ?n) {{ {{ {inner} }} FILTER (?p = rdf:type && isIRI(?o)) }}",
        "entities": f'SELECT (COUNT(DISTINCT ?s) AS ?n) {{ {{ {inner} }} FILTER (isIRI(?s) && STRSTARTS(STR(?s), "{ID}")) }}',
    }
    for name, sparql in counted.items():
        (value,) = ask(db, f"SELECT ('x' AS ?k) ?n {{ {sparql} }}").values()
        assert stated["http://rdfs.org/ns/void#" + name] == value, name
    assert stated["http://rdfs.org/ns/void#triples"] > 2000


def test_class_and_property_partitions_match_the_store(db: ox.Store) -> None:
    """Entities per class and triples per property equal the SPARQL counts."""
    inner = f"SELECT DISTINCT ?s ?p ?o {{ GRAPH ?g {{ ?s ?p ?o }} {NOT_META} }}"
    stated = ask(
        db,
        f"SELECT ?c ?n {{ GRAPH <{META}> {{ {DATASET} void:classPartition [ void:class ?c ; void:entities ?n ] }} }}",
    )
    counted = ask(db, f"SELECT ?o (COUNT(DISTINCT ?s) AS ?n) {{ {{ {inner} }} FILTER (?p = rdf:type) }} GROUP BY ?o")
    assert stated == counted and stated["https://w3id.org/anakinra-kg/vocab/TherapeuticUse"] == 37
    stated = ask(
        db,
        f"SELECT ?q ?n {{ GRAPH <{META}> {{ {DATASET} void:propertyPartition [ void:property ?q ; void:triples ?n ] }} }}",
    )
    counted = ask(db, f"SELECT ?p (COUNT(*) AS ?n) {{ {inner} }} GROUP BY ?p")
    assert stated == counted


def test_description_access_and_vocabularies(db: ox.Store) -> None:
    """Title, license, creator, version, source article, endpoint from the settings, dumps, vocabularies."""
    rows = {(r["p"].value, r["o"].value) for r in db.query(f"SELECT ?p ?o {{ GRAPH <{META}> {{ {DATASET} ?p ?o }} }}")}
    values = {p.rsplit("/", 1)[-1].rsplit("#", 1)[-1]: o for p, o in rows}
    assert values["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert values["creator"] == "anakinra-kg curators" and values["title"].startswith("anakinra-kg")
    assert ("http://purl.org/dc/terms/source", ID + "source/anakinra-article") in rows
    assert ("http://rdfs.org/ns/void#sparqlEndpoint", Settings().sparql_endpoint) in rows
    dumps = {o for p, o in rows if p.endswith("#dataDump")}
    assert dumps == {Settings().download_base + d.filename for d in export.DUMPS}
    vocabularies = {o for p, o in rows if p.endswith("#vocabulary")}
    assert {
        "https://w3id.org/anakinra-kg/vocab/",
        "http://www.w3.org/2000/01/rdf-schema#",
        "http://www.w3.org/ns/prov#",
    } <= vocabularies


def test_endpoint_and_download_base_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """ANAKINRA_KG_SPARQL_ENDPOINT / _DOWNLOAD_BASE change the IRIs in the description."""
    monkeypatch.setenv("ANAKINRA_KG_SPARQL_ENDPOINT", "https://kg.example.org/sparql")
    monkeypatch.setenv("ANAKINRA_KG_DOWNLOAD_BASE", "https://kg.example.org/files")
    db = ox.Store()
    sources.load_into(db, sources.discover(ROOT / "ontology", ROOT / "data"))
    db.extend(metadata.description(Settings())(db))
    described = {(q.predicate.value, q.object.value) for q in db.quads_for_pattern(None, None, None, metadata.GRAPH)}
    assert ("http://rdfs.org/ns/void#sparqlEndpoint", "https://kg.example.org/sparql") in described
    assert ("http://rdfs.org/ns/void#dataDump", "https://kg.example.org/files/anakinra.ttl") in described


def test_linksets_are_computed_from_mapping_triples() -> None:
    """Each SKOS mapping property to an external dataset becomes a void:Linkset with the number of links."""
    quads = sources.load_all(sources.discover(ROOT / "ontology", ROOT / "data"))
    mappings = ox.NamedNode(graph_iri("mappings"))
    exact = ox.NamedNode("http://www.w3.org/2004/02/skos/core#exactMatch")
    quads += [
        ox.Quad(
            ox.NamedNode(ID + "disease/gout"),
            exact,
            ox.NamedNode("http://purl.obolibrary.org/obo/MONDO_0005393"),
            mappings,
        ),
        ox.Quad(
            ox.NamedNode(ID + "disease/uveitis"),
            exact,
            ox.NamedNode("http://purl.obolibrary.org/obo/MONDO_0019571"),
            mappings,
        ),
    ]
    store = ox.Store()
    store.extend(quads + metadata.describe(quads, endpoint="http://127.0.0.1:8000/sparql", download_base="http://x/"))
    rows = list(
        store.query(
            PREFIXES
            + f"""SELECT ?title ?n ?pred {{ GRAPH <{META}> {{
        ?l a void:Linkset ; void:triples ?n ; void:linkPredicate ?pred ; void:objectsTarget ?t ; void:subjectsTarget {DATASET} .
        ?t dcterms:title ?title }} }}"""
        )
    )
    assert [(r["title"].value, int(r["n"].value), r["pred"].value) for r in rows] == [
        ("Mondo Disease Ontology", 2, exact.value)
    ]
    none = metadata.describe(quads[:-2], endpoint="http://e/", download_base="http://x/")
    assert not any(q.object.value.endswith("#Linkset") for q in none)
