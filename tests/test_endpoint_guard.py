"""The guard's reading of queries (no server needed): SERVICE and FROM found however they are written."""

from __future__ import annotations

import pytest

from anakinra_kg.server import guard


@pytest.mark.parametrize(
    ("text", "services"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", []),
        ("SELECT * WHERE { ?s ak:service ?o } # no SERVICE clause in this comment's query", []),
        ("SELECT * WHERE { SERVICE <http://a.example/s> { ?s ?p ?o } }", ["http://a.example/s"]),
        ("SELECT * WHERE {SERVICE<http://a.example/s>{?s ?p ?o}}", ["http://a.example/s"]),
        (r"SELECT * WHERE { \u0053ERVICE <http://a.example/s> { ?s ?p ?o } }", ["http://a.example/s"]),
        ("PREFIX e: <http://a.example/>\nSELECT * { SERVICE e:s { } }", ["http://a.example/s"]),
        ("SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }", [None]),
        ("SELECT * WHERE { <<( ?a ?b ?c )>> ?p ?o SERVICE <http://a.example/s> { } }", [None]),  # unparsed: unchecked
    ],
)
def test_services_found(text: str, services: list[str | None]) -> None:
    """SERVICE endpoints are found through escapes, prefixes and missing spaces; a variable one is unchecked."""
    assert guard.inspect(text).services == services


def test_from_found_without_spaces() -> None:
    """FROM<iri> and FROM NAMED are read as the dataset."""
    found = guard.inspect("SELECT * FROM<http://a.example/g> FROM NAMED graph:data WHERE { ?s ?p ?o }")
    assert found.from_graphs == ["http://a.example/g"]
    assert found.from_named == ["https://w3id.org/anakinra-kg/graph/data"]
    assert found.names_dataset


def test_allow_list_by_host() -> None:
    """Only http(s) endpoints whose host is allow-listed pass; others, and unchecked ones, are refused."""
    ok = guard.Inspection(services=["https://query.wikidata.org/sparql"])
    guard.check_services(ok, ["query.wikidata.org"])
    for endpoint in ("http://127.0.0.1/", "file:///etc/passwd", "https://query.wikidata.org.evil.example/", None):
        with pytest.raises(guard.RefusedError) as refused:
            guard.check_services(guard.Inspection(services=[endpoint]), ["query.wikidata.org"])
        assert refused.value.status == 403


def test_update_operations() -> None:
    """SPARQL Update requests are recognised; queries and empty text are not updates."""
    assert guard.update_operations("LOAD <http://a.example/> ; CLEAR ALL") == ["Load", "Clear"]
    assert guard.update_operations("SELECT * WHERE { }") == []
    assert guard.update_operations("") == []
