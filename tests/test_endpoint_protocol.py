"""The SPARQL 1.1 Protocol over real HTTP (requests against `anakinra-kg serve`): methods, dataset parameters,
content negotiation, the service description, CORS, and the client-error statuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests
from rdflib.compare import isomorphic

from anakinra_kg import formats, query
from anakinra_kg.prefixes import VOCAB, graph_iri

from .endpoint_server import running_server

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SELECT = "SELECT ?d WHERE { ?u ak:drug drug:anakinra ; ak:condition ?d } ORDER BY ?d"
CONSTRUCT = "CONSTRUCT { drug:anakinra ?p ?o } WHERE { drug:anakinra ?p ?o }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
GRAPHS = "SELECT ?g WHERE { GRAPH ?g { } } ORDER BY ?g"
MAX_BODY = 4096
TIMEOUT = 7


@pytest.fixture(scope="module")
def url(store_link: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint of a real server with a small body limit."""
    log = tmp_path_factory.mktemp("protocol") / "server.log"
    flags = ("--max-body", str(MAX_BODY), "--timeout", str(TIMEOUT), "--workers", "1", "--threads", "2")
    with running_server(store_link, log, *flags) as endpoint:
        yield endpoint


def get(url: str, text: str | None = None, accept: str | None = None, **params: object) -> requests.Response:
    """GET /sparql with a query and optional Accept header and parameters."""
    if text is not None:
        params["query"] = text
    return requests.get(url, params=params, headers={"Accept": accept} if accept else {}, timeout=30)


def values(response: requests.Response) -> list[str]:
    """The first column of a SPARQL JSON answer."""
    data = response.json()
    var = data["head"]["vars"][0]
    return [b[var]["value"] for b in data["results"]["bindings"]]


def count(response: requests.Response) -> int:
    """The single number of a COUNT query's JSON answer."""
    return int(values(response)[0])


def graph_size(db: ox.Store, name: str) -> int:
    """Triples in one named graph of the store (a short name such as "data", or an IRI)."""
    iri = name if ":" in name else graph_iri(name)
    solutions = query.run(db, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")
    return int(next(iter(solutions))["n"].value)


def store_graphs(db: ox.Store) -> list[str]:
    """The IRIs of the store's named graphs, sorted."""
    return sorted(g.value for g in db.named_graphs())


def union_size(db: ox.Store) -> int:
    """Triples in the union default graph, as the store itself counts them."""
    return int(next(iter(query.run(db, COUNT)))["n"].value)


# --- methods ---------------------------------------------------------------------------------------------


def test_get_form_post_and_direct_post_agree(url: str, db: ox.Store) -> None:
    """GET ?query=, POST form-encoded and POST application/sparql-query give the same, correct answer."""
    expected = [row[0] for row in query.rows(query.run(db, SELECT))[1]]
    by_get = get(url, SELECT)
    by_form = requests.post(url, data={"query": SELECT}, timeout=30)
    by_body = requests.post(url, data=SELECT.encode(), headers={"Content-Type": "application/sparql-query"}, timeout=30)
    for response in (by_get, by_form, by_body):
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "application/sparql-results+json"
    assert values(by_get) == values(by_form) == values(by_body)
    assert len(values(by_get)) == len(expected) > 5


def test_head_has_the_get_answers_headers_and_no_body(url: str) -> None:
    """HEAD with ?query= answers as GET would (status, Content-Type, Content-Length, ETag), without the body; a
    HEAD with a bad query gets the GET's 400."""
    by_get = get(url, SELECT)
    by_head = requests.head(url, params={"query": SELECT}, timeout=30)
    assert by_head.status_code == by_get.status_code == 200
    assert by_head.content == b""
    for header in ("Content-Type", "Content-Length", "ETag"):
        assert by_head.headers[header] == by_get.headers[header]
    assert requests.head(url, params={"query": "SELECT * WHERE {"}, timeout=30).status_code == 400


def test_wrong_method_is_405_with_allow(url: str) -> None:
    """PUT and DELETE get 405 in plain text, with the Allow header naming GET and POST."""
    for method in ("PUT", "DELETE", "PATCH"):
        response = requests.request(method, url, data="x", timeout=30)
        assert response.status_code == 405
        assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}
        assert response.headers["Content-Type"].startswith("text/plain")


def test_unsupported_body_type_is_415(url: str) -> None:
    """A POST body that is neither a form nor application/sparql-query gets 415 naming both."""
    response = requests.post(url, data=SELECT, headers={"Content-Type": "text/plain"}, timeout=30)
    assert response.status_code == 415
    assert "application/sparql-query" in response.text and "x-www-form-urlencoded" in response.text


# --- dataset ---------------------------------------------------------------------------------------------


def test_default_graph_uri_selects_the_default_graph(url: str, db: ox.Store) -> None:
    """default-graph-uri makes exactly that graph the default graph (GET, form POST and direct POST)."""
    data = graph_iri("data")
    assert count(get(url, COUNT)) == union_size(db)
    assert count(get(url, COUNT, **{"default-graph-uri": data})) == graph_size(db, "data")
    form = requests.post(url, data={"query": COUNT, "default-graph-uri": data}, timeout=30)
    assert count(form) == graph_size(db, "data")
    direct = requests.post(
        url,
        params={"default-graph-uri": [data, graph_iri("ontology")]},
        data=COUNT,
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert count(direct) == graph_size(db, "data") + graph_size(db, "ontology")


def test_named_graph_uri_limits_the_named_graphs(url: str, db: ox.Store) -> None:
    """named-graph-uri gives the named graphs; with only default-graph-uri there are none (SPARQL Protocol 2.1.4)."""
    assert values(get(url, GRAPHS)) == store_graphs(db)
    assert {graph_iri(g) for g in ("data", "ontology", "provenance")} <= set(store_graphs(db))
    assert values(get(url, GRAPHS, **{"named-graph-uri": graph_iri("ontology")})) == [graph_iri("ontology")]
    assert values(get(url, GRAPHS, **{"default-graph-uri": graph_iri("data")})) == []


def test_protocol_dataset_overrides_from(url: str, db: ox.Store) -> None:
    """The protocol's dataset wins over the query's FROM, and FROM alone selects a store graph."""
    text = f"SELECT (COUNT(*) AS ?n) FROM <{graph_iri('ontology')}> WHERE {{ ?s ?p ?o }}"
    assert count(get(url, text)) == graph_size(db, "ontology")
    assert count(get(url, text, **{"default-graph-uri": graph_iri("provenance")})) == graph_size(db, "provenance")


def test_unknown_graph_is_400_listing_graphs(url: str) -> None:
    """A dataset naming a graph the store lacks gets 400 listing the graphs there are."""
    response = get(url, COUNT, **{"default-graph-uri": "https://example.org/nope"})
    assert response.status_code == 400
    assert "https://example.org/nope" in response.text and graph_iri("data") in response.text


# --- content negotiation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "accept", "expected"),
    [
        (SELECT, None, "json"),
        (SELECT, "*/*", "json"),
        (SELECT, "text/csv;q=0.5, application/sparql-results+xml;q=0.9", "xml"),
        (SELECT, "application/sparql-results+json;q=0.1, text/tab-separated-values", "tsv"),
        (SELECT, "text/*", "csv"),
        (SELECT, "application/json", "json"),
        (SELECT, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "xml"),
        (CONSTRUCT, None, "turtle"),
        (CONSTRUCT, "application/n-triples;q=0.3, text/turtle;q=0.2", "ntriples"),
        (CONSTRUCT, "application/ld+json", "jsonld"),
        (CONSTRUCT, "application/trig, application/n-quads;q=0.9", "trig"),
        (CONSTRUCT, "application/rdf+xml;q=1.0, text/turtle;q=0.9", "rdfxml"),
        (CONSTRUCT, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "turtle"),
        (CONSTRUCT, "text/turtle; charset=utf-8", "turtle"),
    ],
)
def test_accept_with_q_values(url: str, text: str, accept: str | None, expected: str) -> None:
    """The Accept header's q-values choose the format; the Content-Type is exact (charset where it applies)."""
    response = get(url, text, accept)
    assert response.status_code == 200, response.text
    fmt = formats.by_name(expected)
    assert response.headers["Content-Type"] == fmt.content_type
    assert "Accept" in response.headers["Vary"]
    if fmt.is_results and fmt.name != "csv":
        assert len(list(ox.parse_query_results(response.content, format=fmt.oxigraph))) > 5
    elif not fmt.is_results:
        assert len(list(ox.parse(response.content, format=fmt.oxigraph))) > 5


@pytest.mark.parametrize(
    ("text", "params", "accept", "expected"),
    [
        (SELECT, {"format": "csv"}, "application/sparql-results+json", "csv"),
        (SELECT, {"format": "text/tab-separated-values"}, None, "tsv"),
        (SELECT, {"format": ["nonsense", "xml"]}, None, "xml"),
        (CONSTRUCT, {"format": "ttl"}, "application/rdf+xml", "turtle"),
        (CONSTRUCT, {"format": "jsonld"}, None, "jsonld"),
        (CONSTRUCT, {"format": "xml"}, "application/rdf+xml", "rdfxml"),  # SPARQLWrapper's way of asking
    ],
)
def test_format_parameter_overrides_accept(
    url: str, text: str, params: dict, accept: str | None, expected: str
) -> None:
    """format= (name, extension or media type) wins over Accept; names that fit no offered format are passed over."""
    response = get(url, text, accept, **params)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == formats.by_name(expected).content_type


def test_not_acceptable_lists_offered_types(url: str) -> None:
    """406 when nothing offered fits Accept, listing the media types that are offered."""
    response = get(url, SELECT, "image/png")
    assert response.status_code == 406
    assert all(f.media_type in response.text for f in formats.ALL_FORMATS)
    graph = get(url, CONSTRUCT, "application/sparql-results+json")
    assert graph.status_code == 406
    assert all(f.media_type in graph.text for f in formats.RDF_FORMATS)
    assert "Accept" in graph.headers["Vary"]
    ask = get(url, "ASK {}", "text/turtle")
    assert ask.status_code == 406 and "application/sparql-results+json" in ask.text


# --- client errors ---------------------------------------------------------------------------------------


def test_syntax_error_names_line_and_column(url: str) -> None:
    """A syntax error is a 400 in plain text naming the line and column, by GET and by POST."""
    text = "SELECT ?d WHERE {\n  ?u ak:drug ) ?d\n}"
    for response in (
        get(url, text),
        requests.post(url, data=text.encode(), headers={"Content-Type": "application/sparql-query"}, timeout=30),
    ):
        assert response.status_code == 400
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert "line 2, column 14" in response.text
        assert "  ?u ak:drug ) ?d\n" + " " * 15 + "^" in response.text  # the line, a caret under the ')'
        assert response.headers["X-Content-Type-Options"] == "nosniff"  # the quoted query is never run as HTML

        assert "Traceback" not in response.text


def test_undeclared_prefix_is_400(url: str) -> None:
    """A prefix that is not declared (nor predeclared) is a syntax error."""
    response = get(url, "SELECT * WHERE { ?s nope:p ?o }")
    assert response.status_code == 400 and "nope" in response.text


@pytest.mark.parametrize(
    ("params", "message"),
    [({"query": ["ASK {}", "ASK {}"]}, "once"), ({"query": "   "}, "empty")],
)
def test_bad_query_parameters_are_400(url: str, params: dict, message: str) -> None:
    """Two query parameters, or an empty query, get 400 saying so."""
    response = requests.get(url, params=params, timeout=30)
    assert response.status_code == 400 and message in response.text


def test_post_without_query_is_400(url: str) -> None:
    """A form POST without a query gets 400."""
    response = requests.post(url, data={"format": "json"}, timeout=30)
    assert response.status_code == 400 and "no query" in response.text


def test_body_not_utf8_is_400(url: str) -> None:
    """A direct POST that is not UTF-8 gets 400."""
    response = requests.post(url, data=b"ASK {} \xff", headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert response.status_code == 400 and "UTF-8" in response.text


@pytest.mark.parametrize("form", [True, False], ids=["form", "direct"])
def test_body_over_limit_is_413(url: str, form: bool) -> None:
    """A body over max_request_bytes gets 413 naming the limit; one just under it is answered."""
    filler = "#" + "x" * (MAX_BODY + 100) + "\nASK {}"
    small = "#" + "x" * (MAX_BODY // 2) + "\nASK {}"
    for text, status in ((filler, 413), (small, 200)):
        if form:
            response = requests.post(url, data={"query": text}, timeout=30)
        else:
            headers = {"Content-Type": "application/sparql-query"}
            response = requests.post(url, data=text.encode(), headers=headers, timeout=30)
        assert response.status_code == status, response.text
    assert str(MAX_BODY) in requests.post(url, data={"query": filler}, timeout=30).text


# --- service description ---------------------------------------------------------------------------------


def service_description(url: str, accept: str | None = None, **params: str) -> tuple[requests.Response, rdflib.Graph]:
    """Fetch and parse the service description."""
    response = requests.get(url, params=params, headers={"Accept": accept} if accept else {}, timeout=30)
    assert response.status_code == 200, response.text
    fmt = formats.by_name(response.headers["Content-Type"].split(";")[0])
    return response, rdflib.Graph().parse(
        data=response.content, format={"turtle": "turtle", "jsonld": "json-ld"}[fmt.name]
    )


def test_service_description(url: str, db: ox.Store) -> None:
    """GET /sparql without a query describes the service: endpoint, language, formats, dataset, limits."""
    response, graph = service_description(url)
    assert response.headers["Content-Type"] == "text/turtle; charset=utf-8"
    service = graph.value(predicate=rdflib.RDF.type, object=SD.Service)
    assert service is not None
    assert graph.value(service, SD.endpoint) == rdflib.URIRef(url)
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert (service, SD.feature, SD.BasicFederatedQuery) not in graph  # empty allow-list
    assert set(graph.objects(service, SD.resultFormat)) == {rdflib.URIRef(f.w3c_iri) for f in formats.ALL_FORMATS}
    assert graph.value(service, rdflib.URIRef(VOCAB + "queryTimeout")).toPython() == TIMEOUT
    assert graph.value(service, rdflib.URIRef(VOCAB + "maxRequestBytes")).toPython() == MAX_BODY
    assert graph.value(service, rdflib.URIRef(VOCAB + "maxResultRows")).toPython() > 0
    dataset = graph.value(service, SD.defaultDataset)
    counts = {
        str(graph.value(named, SD.name)): graph.value(graph.value(named, SD.graph), VOID.triples).toPython()
        for named in graph.objects(dataset, SD.namedGraph)
    }
    assert counts == {iri: graph_size(db, iri) for iri in store_graphs(db)}
    default = graph.value(dataset, SD.defaultGraph)
    assert graph.value(default, VOID.triples).toPython() == union_size(db)


def test_service_description_negotiated(url: str) -> None:
    """JSON-LD by Accept (or format=) carries the same description; a browser gets Turtle."""
    _, turtle = service_description(url)
    response, jsonld = service_description(url, "application/ld+json")
    assert response.headers["Content-Type"] == "application/ld+json"
    assert isomorphic(turtle, jsonld)
    assert isomorphic(turtle, service_description(url, format="jsonld")[1])
    browser, _ = service_description(url, "text/html,application/xhtml+xml")
    assert browser.headers["Content-Type"] == "text/turtle; charset=utf-8"
    assert requests.get(url, headers={"Accept": "image/png"}, timeout=30).status_code == 406


# --- CORS ------------------------------------------------------------------------------------------------


def test_cors_simple_request(url: str) -> None:
    """A cross-origin GET is allowed (any origin by default), so browser tools elsewhere can query."""
    response = requests.get(url, params={"query": "ASK {}"}, headers={"Origin": "https://yasgui.example"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_headers_only_with_an_origin(url: str) -> None:
    """A client that sends no Origin (not a browser) gets no CORS headers; Vary says the answer depends on it."""
    response = requests.get(url, params={"query": "ASK {}"}, timeout=30)
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_cors_preflight(url: str) -> None:
    """An OPTIONS preflight for a POST with a Content-Type is answered with the allowed methods and headers."""
    response = requests.options(
        url,
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=30,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://yasgui.example")
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()


def test_cors_on_errors(url: str) -> None:
    """Error answers carry CORS headers too, so a browser tool can show the message."""
    response = get(url, "SELECT WHERE {", None)
    assert response.status_code == 400
    assert (
        requests.get(url, params={"query": "SELECT {"}, headers={"Origin": "https://a.example"}, timeout=30).headers[
            "Access-Control-Allow-Origin"
        ]
        == "*"
    )
