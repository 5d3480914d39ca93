"""Linked-data pages over plain HTTP on the real server: content negotiation, suffix forms, 404s, escaping, links."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
import requests
from rdflib import RDFS, SKOS, URIRef

from anakinra_kg import build
from anakinra_kg.prefixes import converter

from .conftest import ROOT
from .endpoint_server import running_server

BASE = "https://w3id.org/anakinra-kg/"
GOUT = URIRef(BASE + "id/disease/gout")
MONDO_GOUT = "http://purl.obolibrary.org/obo/MONDO_0005393"
FIXTURE = ROOT / "tests" / "fixtures" / "pages" / "escaping.ttl"


@pytest.fixture(scope="module")
def site(store_link: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The root URL of a real server on the store built from ontology/ and data/."""
    log = tmp_path_factory.mktemp("pages-http") / "server.log"
    with running_server(store_link, log) as endpoint:
        yield endpoint.removesuffix("/sparql")


def get(url: str, accept: str | None = None) -> requests.Response:
    """GET with an optional Accept header."""
    return requests.get(url, headers={"Accept": accept} if accept else {}, timeout=30)


def parse(response: requests.Response, fmt: str) -> rdflib.Graph:
    """Parse an RDF answer with rdflib, as a client would."""
    return rdflib.Graph().parse(data=response.content, format=fmt)


def test_browser_accept_gets_html_with_vary(site: str) -> None:
    response = get(f"{site}/id/disease/gout", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Vary"] == "Accept"
    assert "<h1>gout</h1>" in response.text
    assert 'rel="alternate"; type="text/turtle"' in response.headers["Link"]


@pytest.mark.parametrize(
    ("accept", "media_type", "rdflib_format"),
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("text/html;q=0.5, text/turtle", "text/turtle", "turtle"),
    ],
)
def test_rdf_by_accept(site: str, accept: str, media_type: str, rdflib_format: str) -> None:
    response = get(f"{site}/id/disease/gout", accept)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type
    assert response.headers["Vary"] == "Accept"
    graph = parse(response, rdflib_format)
    assert (GOUT, SKOS.exactMatch, URIRef(MONDO_GOUT)) in graph
    assert any(graph.triples((None, None, GOUT))), "statements pointing at the resource are part of its description"
    quotes = set(graph.objects(None, URIRef(BASE + "vocab/quote")))
    assert any("gout" in str(quote) for quote in quotes), "the evidence that names it comes with it"


@pytest.mark.parametrize(
    ("suffix", "media_type", "rdflib_format"),
    [
        ("ttl", "text/turtle", "turtle"),
        ("jsonld", "application/ld+json", "json-ld"),
        ("nt", "application/n-triples", "nt"),
        ("rdf", "application/rdf+xml", "xml"),
    ],
)
def test_suffix_forms_ignore_accept(site: str, suffix: str, media_type: str, rdflib_format: str) -> None:
    response = get(f"{site}/id/disease/gout.{suffix}", "text/html")
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type
    assert (GOUT, RDFS.label, rdflib.Literal("gout", lang="en")) in parse(response, rdflib_format)


def test_html_suffix_and_no_accept_give_html(site: str) -> None:
    for response in (get(f"{site}/id/disease/gout.html", "text/turtle"), get(f"{site}/id/disease/gout")):
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/html")


def test_vocabulary_terms_graphs_and_ontology_resolve(site: str) -> None:
    disease = parse(get(f"{site}/vocab/Disease", "text/turtle"), "turtle")
    assert (URIRef(BASE + "vocab/Disease"), RDFS.subClassOf, URIRef(BASE + "vocab/MedicalCondition")) in disease
    page = get(f"{site}/vocab/frequency").text
    assert "The share of patients (a decimal between 0 and 1)" in page, "the IAO definition is shown"
    assert get(f"{site}/ontology").status_code == 200
    assert get(f"{site}/graph/data", "text/turtle").status_code == 200


def test_unknown_iri_is_404_html_or_text(site: str) -> None:
    html = get(f"{site}/id/disease/no-such-disease", "text/html")
    assert html.status_code == 404
    assert html.headers["Content-Type"].startswith("text/html")
    assert "https://w3id.org/anakinra-kg/id/disease/no-such-disease" in html.text
    for accept in ("text/turtle", "application/ld+json"):
        text = get(f"{site}/id/disease/no-such-disease", accept)
        assert text.status_code == 404
        assert text.headers["Content-Type"].startswith("text/plain")
    assert get(f"{site}/id/disease/no-such-disease.ttl").status_code == 404
    assert get(f"{site}/nowhere/at/all", "text/html").status_code == 404
    assert get(f"{site}/id/a%20b", "text/html").status_code == 404, "not an IRI: a 404, not a 500"


def test_unacceptable_type_is_406(site: str) -> None:
    response = get(f"{site}/id/disease/gout", "image/png")
    assert response.status_code == 406
    assert "text/turtle" in response.text


def test_external_identifiers_link_to_their_resolvers(site: str) -> None:
    page = get(f"{site}/id/disease/gout").text
    link = re.search(
        rf'<a class="ext curie" href="{re.escape(MONDO_GOUT)}"[^>]*>([^<]+)</a>\s*<span class="resource-name">([^<]+)',
        page,
    )
    assert link, "the MONDO identifier links to its resolver"
    assert link.groups() == ("mondo:0005393", "Mondo Disease Ontology")
    drug = get(f"{site}/id/drug/anakinra").text
    assert 'href="https://go.drugbank.com/drugs/DB00026"' in drug


def test_drug_page_shows_facts_with_provenance_and_readable_values(site: str) -> None:
    page = get(f"{site}/id/drug/anakinra").text
    for heading in ("Therapeutic uses", "Regulatory events", "Studies", "Adverse reactions", "Contraindications"):
        assert f"<h2>{heading} " in page
    for shown in ("Dec 2021", "&gt; 10%", "+8%", "4.5%"):
        assert shown in page
    assert "0.045" not in page and "2021-12" not in page
    assert "It should not be used in people who have active infections" in page, "the supporting quote"
    assert 'href="/id/section/safety"' in page, "the article section, linked"
    assert 'href="/id/disease/gout"' in page, "links between pages stay on this server"
    assert "Anakinra, sold under the brand name Kineret" in page, "a direct relation shows its attributed evidence"


def test_home_page_says_what_the_graph_holds(site: str) -> None:
    page = get(f"{site}/").text
    assert re.search(r'href="/vocab/Disease"[^>]*>disease</a></td><td class="num">\d+<', page), "counts by class"
    assert re.search(r"<th>last build</th><td>\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC", page)
    assert "<th>version</th>" in page and "CC BY 4.0" in page
    for href in ("/query", "/sparql", "/id/drug/anakinra", "/download/anakinra.ttl"):
        assert f'href="{href}"' in page


def test_query_ui_preloads_every_example_query(site: str) -> None:
    page = get(f"{site}/query").text
    embedded = re.search(r'<script type="application/json" id="examples">(.*?)</script>', page, re.S)
    assert embedded
    examples = {e["name"]: e for e in json.loads(embedded[1])}
    assert set(examples) == {path.stem for path in (ROOT / "queries").glob("*.rq")}
    assert examples["uses-off-label"]["question"].startswith("For which conditions is anakinra used off label")
    assert examples["uses-off-label"]["query"] == (ROOT / "queries" / "uses-off-label.rq").read_text()
    for asset in ("/static/yasgui/yasgui.min.js", "/static/yasgui/yasgui.min.css", "/static/query.js"):
        assert asset in page
        assert get(site + asset).status_code == 200


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server on a small store built from a fixture whose literals hold markup and script."""
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "ontology").mkdir()
    (folder / "data").mkdir()
    (folder / "data" / "hostile.ttl").write_bytes(FIXTURE.read_bytes())
    link = folder / "store"
    build.build(folder / "ontology", folder / "data", link)
    with running_server(link, folder / "server.log", "--workers", "1", "--threads", "2") as endpoint:
        yield endpoint.removesuffix("/sparql")


def test_literals_are_escaped(hostile_site: str) -> None:
    response = get(f"{hostile_site}/id/disease/hostile", "text/html")
    assert response.status_code == 200
    page = response.text
    assert "window.pwned" in page, "the literals are on the page"
    assert "<script>window.pwned" not in page and "<img src=x" not in page and "<b onmouseover" not in page
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt; &amp; friends" in page
    assert "&lt;img src=x onerror=&#34;window.pwned = 4&#34;&gt; quoted" in page
    assert "&lt;/p&gt;&lt;/main&gt;&lt;script&gt;window.pwned = 3" in page


def test_pages_work_without_metadata(hostile_site: str) -> None:
    assert get(f"{hostile_site}/").status_code == 200, "the home page of a store without VoID metadata"
    assert get(f"{hostile_site}/id/disease/gout", "text/html").status_code == 404


def test_one_iri_of_every_kind_resolves(site: str, select) -> None:
    rows = select(
        """SELECT (SAMPLE(?s) AS ?iri) WHERE {
             { ?s ?p ?o } UNION { ?x ?p ?s }
             FILTER (isIRI(?s) && (STRSTARTS(STR(?s), STR(akr:)) || STRSTARTS(STR(?s), STR(ak:))))
             BIND (REPLACE(STR(?s), "^https://w3id.org/anakinra-kg/(id/[^/]+|vocab)/.*$", "$1") AS ?kind)
           } GROUP BY ?kind"""
    )
    iris = [converter().expand(curie) or curie for (curie,) in rows]
    assert len(iris) >= 20
    for iri in iris:
        path = iri.removeprefix(BASE)
        assert get(f"{site}/{path}", "text/html").status_code == 200, iri
        graph = parse(get(f"{site}/{path}.ttl"), "turtle")
        assert (URIRef(iri), None, None) in graph or (None, None, URIRef(iri)) in graph, iri
