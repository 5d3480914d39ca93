"""Fuzzing the endpoint (hypothesis, Flask test client): no query, header or parameter yields a 500 or a trace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anakinra_kg import formats
from anakinra_kg.server import create_app
from anakinra_kg.settings import Settings

TOKENS = [
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "(", ")", "?s", "?p", "?o", "*", ".", ";", ",",
    "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH", "SERVICE", "SILENT", "FROM", "NAMED", "VALUES", "BIND", "AS",
    "LIMIT", "OFFSET", "ORDER BY", "GROUP BY", "COUNT", "<http://127.0.0.1:9/>", "<file:///etc/passwd>", "ak:drug",
    "drug:anakinra", "nope:x", '"x"@en', "1", "1.5e3", "_:b", "[", "]", "<<(", ")>>", "PREFIX", "BASE", "INSERT",
    "DATA", "DELETE", "LOAD", "CLEAR", "DROP", "\\", "\x00", "'''", "#", "\n",
]  # fmt: skip
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=80)
MEDIA_TYPES = [f.media_type for f in formats.ALL_FORMATS] + ["*/*", "text/*", "text/html", "application/json"]
ACCEPT = st.one_of(
    st.none(),
    HEADER_TEXT,
    st.lists(
        st.tuples(st.sampled_from(MEDIA_TYPES), st.one_of(st.none(), st.floats(-1, 2), HEADER_TEXT)),
        max_size=4,
    ).map(lambda items: ", ".join(t if q is None else f"{t};q={q}" for t, q in items)),
)
CONTENT_TYPE = st.one_of(
    st.none(),
    st.sampled_from(
        ["application/sparql-query", "application/x-www-form-urlencoded", "application/sparql-update", "text/plain"]
    ),
    HEADER_TEXT,
)
VALID = [
    "SELECT ?d WHERE { ?u ak:drug drug:anakinra ; ak:condition ?d } LIMIT 5",
    "ASK { ?u ak:drug drug:anakinra }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5",
    "DESCRIBE drug:anakinra",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
]
MUTATED = st.tuples(st.sampled_from(VALID), st.integers(0, 80), st.text(max_size=6)).map(
    lambda v: v[0][: v[1]] + v[2] + v[0][v[1] :]
)
QUERY = st.one_of(st.text(max_size=200), st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join), MUTATED)
PARAMS = st.dictionaries(
    st.sampled_from(["format", "default-graph-uri", "named-graph-uri", "update", "query", "x"]),
    st.one_of(st.text(max_size=40), st.sampled_from(["json", "ttl", "https://w3id.org/anakinra-kg/graph/data"])),
    max_size=3,
)


@pytest.fixture(scope="module")
def app(store_link: Path) -> Iterator[Flask]:
    """The application on the test store, with a short time limit."""
    application = create_app(Settings(store_dir=store_link, threads=2, query_timeout=5, max_request_bytes=4096))
    yield application
    application.extensions["anakinra_kg.pool"].close()


def assert_client_answer(status: int, body: bytes) -> None:
    """An answer to fuzzed input: any status but a 5xx (a 503 time limit is allowed), never a stack trace."""
    assert status < 500 or status == 503, body[:500]
    assert b"Traceback" not in body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=QUERY, accept=ACCEPT, params=PARAMS)
def test_fuzz_get(app: Flask, text: str, accept: str | None, params: dict[str, str]) -> None:
    """GET with any query, Accept header and parameters."""
    headers = {"Accept": accept} if accept is not None else {}
    response = app.test_client().get("/sparql", query_string={**params, "query": text}, headers=headers)
    assert_client_answer(response.status_code, response.data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(QUERY.map(str.encode), st.binary(max_size=300)), content_type=CONTENT_TYPE, accept=ACCEPT)
def test_fuzz_post(app: Flask, body: bytes, content_type: str | None, accept: str | None) -> None:
    """POST with any body, Content-Type and Accept header."""
    headers = {k: v for k, v in {"Content-Type": content_type, "Accept": accept}.items() if v is not None}
    response = app.test_client().post("/sparql", data=body, headers=headers)
    assert_client_answer(response.status_code, response.data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=PARAMS, text=QUERY)
def test_fuzz_form(app: Flask, fields: dict[str, str], text: str) -> None:
    """POST form-encoded with any fields."""
    response = app.test_client().post("/sparql", data={**fields, "query": text})
    assert_client_answer(response.status_code, response.data)
