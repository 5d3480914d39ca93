"""Real clients against the real server: SPARQLWrapper and rdflib's SPARQLStore, every query form, every format.

Each answer is parsed and compared with the store's own answer to the same query (query.run).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from anakinra_kg import formats, query

from .conftest import ROOT
from .endpoint_server import running_server

SELECTS = {
    "indications": (ROOT / "queries" / "uses-status-agency-date.rq").read_text(encoding="utf-8"),
    "blank-nodes": "SELECT ?s ?p ?o WHERE { GRAPH graph:ontology { ?s ?p ?o FILTER(isBlank(?s)) } }",
    "optional": "SELECT ?use ?line WHERE { ?use ak:drug drug:anakinra OPTIONAL { ?use ak:lineOfTherapy ?line } }",
}
ASKS = {"true": "ASK { ?u ak:drug drug:anakinra }", "false": "ASK { drug:anakinra ak:drug drug:anakinra }"}
GRAPHS = {
    "construct": "CONSTRUCT { ?u ?p ?o } WHERE { ?u ak:drug drug:anakinra ; ?p ?o }",
    "describe": "DESCRIBE drug:anakinra",
}
RDFLIB_FORMAT = {
    "turtle": "turtle",
    "jsonld": "json-ld",
    "ntriples": "nt",
    "rdfxml": "xml",
    "trig": "trig",
    "nquads": "nquads",
}


@pytest.fixture(scope="module")
def url(store_link: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint of a real server on the test store."""
    with running_server(store_link, tmp_path_factory.mktemp("clients") / "server.log", "--workers", "2") as endpoint:
        yield endpoint


def term_key(term: object) -> tuple[str, ...]:
    """A comparable form of an RDF term from pyoxigraph or rdflib; blank node labels are not compared."""
    if term is None:
        return ("unbound",)
    if isinstance(term, ox.NamedNode | rdflib.URIRef):
        return ("iri", str(term.value if isinstance(term, ox.NamedNode) else term))
    if isinstance(term, ox.BlankNode | rdflib.BNode):
        return ("bnode",)
    if isinstance(term, ox.Literal):
        return ("literal", term.value, term.datatype.value, term.language or "")
    datatype = term.datatype or (rdflib.RDF.langString if term.language else rdflib.XSD.string)
    return ("literal", str(term), str(datatype), term.language or "")


def solutions(rows: Iterable[object], variables: list[str]) -> Counter[tuple[tuple[str, ...], ...]]:
    """A multiset of solutions as comparable tuples, for pyoxigraph solutions or rdflib rows."""
    return Counter(tuple(term_key(row[v]) for v in variables) for row in rows)


def expected_select(db: ox.Store, text: str) -> tuple[list[str], Counter]:
    """The store's own answer to a SELECT."""
    results = query.run(db, text)
    names = [v.value for v in results.variables]
    return names, solutions(results, names)


def as_rdflib(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    """pyoxigraph triples as an rdflib graph (through N-Triples), for isomorphism checks."""
    return rdflib.Graph().parse(data=ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES), format="nt")


def parse_graph(body: bytes, fmt: formats.Format) -> rdflib.Graph:
    """Parse an RDF answer in any format into one graph (the default graph of TriG / N-Quads)."""
    if fmt.is_dataset:
        dataset = rdflib.Dataset()
        dataset.parse(data=body, format=RDFLIB_FORMAT[fmt.name])
        graph = rdflib.Graph()
        for s, p, o, _ in dataset.quads():
            graph.add((s, p, o))
        return graph
    return rdflib.Graph().parse(data=body, format=RDFLIB_FORMAT[fmt.name])


def wrapper(url: str, text: str, *, method: str = "GET") -> SPARQLWrapper:
    """A SPARQLWrapper set up for one query."""
    client = SPARQLWrapper(url)
    client.setQuery(text)
    client.setMethod(method)
    return client


def csv_rows(body: bytes) -> Counter[tuple[str, ...]]:
    """CSV rows with blank node labels blanked out (CSV is lossy: only values are compared)."""
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    return Counter(tuple("_:" if cell.startswith("_:") else cell for cell in row) for row in rows[1:])


@pytest.mark.parametrize("fmt", formats.RESULTS_FORMATS, ids=lambda f: f.name)
@pytest.mark.parametrize("name", SELECTS)
def test_select_every_results_format(url: str, db: ox.Store, name: str, fmt: formats.Format) -> None:
    """SELECT by SPARQLWrapper in JSON, XML, CSV and TSV equals the store's own answer."""
    client = wrapper(url, SELECTS[name])
    client.setOnlyConneg(True)
    client.addCustomHttpHeader("Accept", fmt.media_type)
    response = client.query().response
    assert response.headers["Content-Type"] == fmt.content_type
    body = response.read()
    names, expected = expected_select(db, SELECTS[name])
    assert sum(expected.values()) > 0
    if fmt.name == "csv":
        store_csv = query.serialize(query.run(db, SELECTS[name]), fmt)
        assert csv_rows(body) == csv_rows(store_csv)
    else:
        assert solutions(ox.parse_query_results(body, format=fmt.oxigraph), names) == expected


@pytest.mark.parametrize("return_format", [JSON, XML, CSV, TSV])
def test_select_with_sparqlwrapper_defaults(url: str, db: ox.Store, return_format: str) -> None:
    """SPARQLWrapper's own format= parameters and Accept headers (POST) get the format it asked for."""
    client = wrapper(url, SELECTS["indications"], method="POST")
    client.setReturnFormat(return_format)
    result = client.query()
    names, expected = expected_select(db, SELECTS["indications"])
    if return_format == JSON:
        bindings = result.convert()["results"]["bindings"]
        got = Counter(tuple(b[v]["value"] if v in b else None for v in names) for b in bindings)
        want = Counter(tuple(key[1] if key[0] != "unbound" else None for key in row) for row in expected.elements())
        assert got == want
    elif return_format == XML:
        document = result.convert()
        assert len(document.getElementsByTagName("result")) == sum(expected.values())
    else:
        fmt = formats.by_name(return_format)
        assert result.response.headers["Content-Type"] == fmt.content_type
        assert len(result.convert().decode("utf-8").strip().splitlines()) == sum(expected.values()) + 1


@pytest.mark.parametrize("fmt", formats.RESULTS_FORMATS, ids=lambda f: f.name)
@pytest.mark.parametrize("name", ASKS)
def test_ask_every_results_format(url: str, db: ox.Store, name: str, fmt: formats.Format) -> None:
    """ASK in every results format gives the store's boolean."""
    client = wrapper(url, ASKS[name])
    client.setOnlyConneg(True)
    client.addCustomHttpHeader("Accept", fmt.media_type)
    response = client.query().response
    assert response.headers["Content-Type"] == fmt.content_type
    body = response.read()
    expected = bool(query.run(db, ASKS[name]))
    if fmt.name in ("json", "xml"):
        assert bool(ox.parse_query_results(body, format=fmt.oxigraph)) is expected
    else:
        assert body.decode().strip() == str(expected).lower()


@pytest.mark.parametrize("fmt", formats.RDF_FORMATS, ids=lambda f: f.name)
@pytest.mark.parametrize("name", GRAPHS)
def test_construct_describe_every_rdf_format(url: str, db: ox.Store, name: str, fmt: formats.Format) -> None:
    """CONSTRUCT and DESCRIBE in Turtle, JSON-LD, N-Triples, RDF/XML, TriG and N-Quads equal the store's graph."""
    client = wrapper(url, GRAPHS[name], method="POST")
    client.setOnlyConneg(True)
    client.addCustomHttpHeader("Accept", fmt.media_type)
    response = client.query().response
    assert response.headers["Content-Type"] == fmt.content_type
    expected = as_rdflib(query.run(db, GRAPHS[name]))
    assert len(expected) > 10
    assert isomorphic(parse_graph(response.read(), fmt), expected)


@pytest.mark.parametrize(
    ("return_format", "fmt_name"), [(TURTLE, "turtle"), (N3, "turtle"), (RDFXML, "rdfxml"), (JSONLD, "jsonld")]
)
def test_construct_with_sparqlwrapper_defaults(url: str, db: ox.Store, return_format: str, fmt_name: str) -> None:
    """SPARQLWrapper's return formats for graphs (with its format= parameters) convert to the store's graph."""
    client = wrapper(url, GRAPHS["construct"])
    client.setReturnFormat(return_format)
    result = client.query()
    assert result.response.headers["Content-Type"] == formats.by_name(fmt_name).content_type
    converted = result.convert()
    graph = converted if isinstance(converted, rdflib.Graph) else parse_graph(converted, formats.by_name(fmt_name))
    assert isomorphic(graph, as_rdflib(query.run(db, GRAPHS["construct"])))


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
@pytest.mark.parametrize("return_format", ["xml", "json"])
def test_sparqlstore(url: str, db: ox.Store, method: str, return_format: str) -> None:
    """rdflib's SPARQLStore: SELECT, ASK, CONSTRUCT and DESCRIBE through a Graph equal the store's answers.

    With returnFormat="json" rdflib accepts only SPARQL JSON results, which a CONSTRUCT cannot give (the
    endpoint answers 406, see test_endpoint_protocol), so graphs are fetched with the "xml" return format.
    """
    graph = rdflib.Graph(SPARQLStore(url, method=method, returnFormat=return_format))
    for text in SELECTS.values():
        names, expected = expected_select(db, text)
        assert solutions(graph.query(text), names) == expected
    for text in ASKS.values():
        assert graph.query(text).askAnswer is bool(query.run(db, text))
    for text in GRAPHS.values() if return_format == "xml" else ():
        assert isomorphic(graph.query(text).graph, as_rdflib(query.run(db, text)))
