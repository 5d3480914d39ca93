"""Dumps, the JSON-LD context, the VoID description and JSON-LD answers, over real HTTP from a real server.

The server reads a private copy of the session's build (so that a "new build" can be made by copying it and
moving this module's link without touching the store other tests use).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests
from pyld import jsonld as pyld_jsonld
from rdflib.compare import isomorphic
from SPARQLWrapper import JSON, JSONLD, TURTLE, SPARQLWrapper

from anakinra_kg import export, metadata, store
from anakinra_kg.jsonld import OPTIONS
from anakinra_kg.prefixes import VOCAB, graph_iri
from anakinra_kg.server.downloads import content_type

from .conftest import ROOT
from .endpoint_server import running_server

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
IAO_DEFINITION = rdflib.URIRef("http://purl.obolibrary.org/obo/IAO_0000115")
CONTEXT_FILE = ROOT / "ontology" / "anakinra-kg.context.jsonld"


@pytest.fixture(scope="module")
def link(store_link: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A link to a private copy of the session's build, in a builds folder of its own."""
    home = tmp_path_factory.mktemp("data-store")
    own = home / "store"
    copy = store.builds_dir(own) / store_link.resolve().name
    shutil.copytree(store_link.resolve(), copy, ignore=shutil.ignore_patterns("published"))
    own.symlink_to(copy)
    return own


@pytest.fixture(scope="module")
def url(link: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The SPARQL endpoint of a real server (two processes, so dumps are shared between processes)."""
    with running_server(link, tmp_path_factory.mktemp("data") / "server.log", "--workers", "2") as endpoint:
        yield endpoint


def site(url: str, path: str) -> str:
    """An address on the server of the endpoint ``url``."""
    return url.removesuffix("/sparql") + path


# --- dumps -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dump", export.DUMPS, ids=lambda d: d.filename)
def test_dump_is_served_with_its_headers(url: str, link: Path, db: ox.Store, dump: export.Dump) -> None:
    """Each dump: exact media type, Content-Length, strong ETag, Last-Modified, the export's very bytes."""
    response = requests.get(site(url, f"/download/{dump.filename}"), timeout=120)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == content_type(dump)
    assert "Content-Encoding" not in response.headers  # a .gz is saved as the .gz it is
    assert int(response.headers["Content-Length"]) == len(response.content)
    etag = response.headers["ETag"]
    assert etag.startswith('"sha256-') and not etag.startswith("W/")
    assert response.headers["Last-Modified"].endswith("GMT")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exported = export.dump_bytes(db, dump)
    if dump.format == "rdfxml":  # rdflib's RDF/XML writer does not keep one order: compare the graphs
        assert isomorphic(
            rdflib.Graph().parse(data=response.content, format="xml"), rdflib.Graph().parse(data=exported, format="xml")
        )
    else:
        assert response.content == exported
    if dump.gzip:
        assert response.headers["Content-Type"] == "application/gzip"
        assert gzip.decompress(response.content)  # a real gzip stream
    assert (link.resolve() / "published" / dump.filename).exists()  # made once, kept in the build folder


def test_conditional_and_head_requests(url: str) -> None:
    """HEAD has the headers and no body; If-None-Match with the ETag gives 304; another ETag gives the file."""
    address = site(url, "/download/anakinra.nt.gz")
    head = requests.head(address, timeout=120)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) > 0
    again = requests.get(address, headers={"If-None-Match": head.headers["ETag"]}, timeout=30)
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == head.headers["ETag"]
    other = requests.get(address, headers={"If-None-Match": '"sha256-0"'}, timeout=30)
    assert other.status_code == 200 and len(other.content) == int(head.headers["Content-Length"])


def test_index_lists_every_dump(url: str) -> None:
    """/download/ lists the dumps as JSON (for programs) and as an HTML page (for browsers)."""
    listing = requests.get(site(url, "/download/"), timeout=120)
    assert listing.status_code == 200 and listing.headers["Content-Type"] == "application/json"
    files = {entry["name"]: entry for entry in listing.json()["files"]}
    assert list(files) == [dump.filename for dump in export.DUMPS]
    for name, entry in files.items():
        head = requests.head(entry["url"], timeout=30)
        assert head.headers["ETag"] == f'"sha256-{entry["sha256"]}"'
        assert int(head.headers["Content-Length"]) == entry["bytes"]
        assert entry["media_type"] == head.headers["Content-Type"], name
    page = requests.get(site(url, "/download/"), headers={"Accept": "text/html,*/*;q=0.8"}, timeout=30)
    assert page.headers["Content-Type"].startswith("text/html")
    assert all(f'href="{entry["url"]}"' in page.text for entry in files.values())


def test_unknown_dump_is_404_listing_the_files(url: str) -> None:
    """An unknown file name gets 404 naming the files there are."""
    for name in ("anakinra.n3", "anakinra.ttl.gz", "published"):
        response = requests.get(site(url, f"/download/{name}"), timeout=30)
        assert response.status_code == 404, name
        assert "anakinra.nt.gz" in response.text
    assert requests.get(site(url, "/download/..%2FBUILD-COMPLETE"), timeout=30).status_code == 404


def test_a_new_build_gives_new_dumps(url: str, link: Path) -> None:
    """When the link moves to another build, the dumps are made again for it (Last-Modified is the new build's)."""
    before = requests.head(site(url, "/download/anakinra.ttl"), timeout=120)
    old = link.resolve()
    new = old.with_name(old.name + "-next")
    shutil.copytree(old, new, ignore=shutil.ignore_patterns("published"))
    later = (old / store.COMPLETE).stat().st_mtime + 3600
    os.utime(new / store.COMPLETE, (later, later))
    tmp = link.with_name("store.tmp")
    tmp.symlink_to(new)
    tmp.replace(link)
    after = requests.get(site(url, "/download/anakinra.ttl"), timeout=120)
    assert after.status_code == 200
    assert (new / "published" / "anakinra.ttl").exists()
    assert after.headers["ETag"] == before.headers["ETag"]  # same data, same bytes
    assert after.headers["Last-Modified"] != before.headers["Last-Modified"]


# --- the JSON-LD context ---------------------------------------------------------------------------------


def test_context_is_served_at_its_url(url: str) -> None:
    """/context.jsonld is the repository's context file, as application/ld+json, open to all origins, tagged."""
    response = requests.get(site(url, "/context.jsonld"), headers={"Origin": "https://example.org"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.content == CONTEXT_FILE.read_bytes()
    cached = requests.get(site(url, "/context.jsonld"), headers={"If-None-Match": response.headers["ETag"]}, timeout=30)
    assert cached.status_code == 304


# --- VoID and the service description -------------------------------------------------------------------


def _void(url: str, accept: str, fmt: str) -> rdflib.Graph:
    """The VoID description in one format, parsed."""
    response = requests.get(site(url, "/.well-known/void"), headers={"Accept": accept}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == accept
    assert response.headers["Access-Control-Allow-Origin"] == "*" and response.headers["ETag"]
    return rdflib.Graph().parse(data=response.content, format=fmt)


def test_void_by_content_negotiation_is_the_metadata_graph(url: str) -> None:
    """Turtle, JSON-LD (compacted with the context) and N-Triples all give the metadata graph of the store."""
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph_iri('metadata')}> {{ ?s ?p ?o }} }}"
    client = SPARQLWrapper(url)
    client.setQuery(query)
    client.setReturnFormat(TURTLE)
    stored = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    assert len(stored) > 100
    for accept, fmt in (("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/n-triples", "nt")):
        assert isomorphic(_void(url, accept, fmt), stored), accept
    document = requests.get(site(url, "/.well-known/void"), headers={"Accept": "application/ld+json"}, timeout=60)
    assert "@context" in document.json()


def _count(client: SPARQLWrapper, text: str) -> int:
    """The ?n of a counting query, asked over HTTP."""
    client.setQuery(text)
    client.setReturnFormat(JSON)
    return int(client.query().convert()["results"]["bindings"][0]["n"]["value"])


def test_void_counts_equal_the_counts_sparql_computes(url: str) -> None:
    """Every count the VoID description serves is what SPARQL counts on the endpoint."""
    void = _void(url, "text/turtle", "turtle")
    client = SPARQLWrapper(url)
    dataset = rdflib.URIRef(metadata.DATASET.value)
    meta = graph_iri("metadata")
    others = f"GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != <{meta}>)"
    distinct = f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ {others} }} }}"
    assert void.value(dataset, VOID.triples).toPython() == _count(client, distinct)
    subjects = f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {others} }}"
    assert void.value(dataset, VOID.distinctSubjects).toPython() == _count(client, subjects)
    checked = 0
    for subset in void.objects(dataset, VOID.subset):
        name = void.value(subset, SD.name)
        if name is None:
            continue
        graph = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
        assert void.value(subset, VOID.triples).toPython() == _count(client, graph), name
        checked += 1
    assert checked >= 5
    for partition in void.objects(dataset, VOID.classPartition):
        cls = void.value(partition, VOID["class"])
        members = f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a <{cls}> }} FILTER (?g != <{meta}>) }}"
        assert void.value(partition, VOID.entities).toPython() == _count(client, members), cls


def test_service_description_includes_the_void_description(url: str) -> None:
    """GET /sparql: the default dataset is the VoID dataset with its description, and links /.well-known/void."""
    response = requests.get(url, headers={"Accept": "text/turtle"}, timeout=60)
    assert response.status_code == 200
    described = rdflib.Graph().parse(data=response.content, format="turtle")
    service = next(described.subjects(rdflib.RDF.type, SD.Service))
    dataset = described.value(service, SD.defaultDataset)
    assert dataset == rdflib.URIRef(metadata.DATASET.value)
    assert (dataset, rdflib.RDF.type, VOID.Dataset) in described
    void = _void(url, "text/turtle", "turtle")
    assert described.value(dataset, VOID.triples) == void.value(dataset, VOID.triples)
    assert all(triple in described for triple in void)
    assert (service, rdflib.RDFS.seeAlso, rdflib.URIRef(site(url, "/.well-known/void"))) in described


def test_limit_terms_are_defined_in_the_ontology(db: ox.Store) -> None:
    """The limits the service description states are ontology terms with a label and a definition."""
    ontology = rdflib.Graph().parse(ROOT / "ontology" / "anakinra-kg.ttl")
    for name in ("queryTimeout", "maxResultRows", "maxRequestBytes"):
        term = rdflib.URIRef(VOCAB + name)
        assert (term, rdflib.RDF.type, rdflib.OWL.DatatypeProperty) in ontology
        assert ontology.value(term, rdflib.RDFS.label) and ontology.value(term, IAO_DEFINITION)
        assert name in json.loads(CONTEXT_FILE.read_text())["@context"]


# --- JSON-LD answers ------------------------------------------------------------------------------------


def test_construct_as_jsonld_is_compacted_and_round_trips(url: str) -> None:
    """A CONSTRUCT asked in JSON-LD carries the project context and short keys, and expands back to the triples."""
    query = "CONSTRUCT { ?u ?p ?o } WHERE { ?u ak:drug drug:anakinra ; ?p ?o }"
    client = SPARQLWrapper(url)
    client.setQuery(query)
    client.setReturnFormat(TURTLE)
    expected = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    assert len(expected) > 100
    response = requests.get(url, params={"query": query}, headers={"Accept": "application/ld+json"}, timeout=60)
    assert response.headers["Content-Type"] == "application/ld+json"
    document = response.json()
    assert document["@context"] == json.loads(CONTEXT_FILE.read_text())["@context"]
    nodes = document["@graph"]
    assert any(node.get("type") == "TherapeuticUse" and "useStatus" in node for node in nodes)
    assert isomorphic(rdflib.Graph().parse(data=response.content, format="json-ld"), expected)
    by_pyld = pyld_jsonld.to_rdf(document, {"format": "application/n-quads", **OPTIONS})
    assert isomorphic(rdflib.Graph().parse(data=by_pyld, format="nt"), expected)
    client.setReturnFormat(JSONLD)
    assert isomorphic(client.query().convert(), expected)  # SPARQLWrapper parses it with rdflib
