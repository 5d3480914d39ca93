"""The query command: a table for people, JSON/CSV/TSV/Turtle for machines, clear errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic

from .conftest import ROOT, run_cli

Q = "SELECT ?d WHERE { ?u ak:drug drug:anakinra ; ak:useStatus ak:OffLabel ; ak:condition ?d } ORDER BY ?d"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Arguments that point the CLI at a freshly built store."""
    link = tmp_path_factory.mktemp("cli") / "store"
    args = ["--project-dir", str(ROOT), "--store", str(link)]
    out = run_cli(*args, "build")
    assert out.returncode == 0, out.stderr
    return args


def test_table(built: list[str]) -> None:
    """The default output is a readable table with CURIEs."""
    out = run_cli(*built, "query", Q)
    assert out.returncode == 0, out.stderr
    assert "disease:gout" in out.stdout and "disease:uveitis" in out.stdout
    assert "8 row(s)" in out.stderr


def test_json_csv_tsv(built: list[str]) -> None:
    """Machine formats parse and agree with each other."""
    data = json.loads(run_cli(*built, "query", "--format", "json", Q).stdout)
    from_json = [b["d"]["value"] for b in data["results"]["bindings"]]
    rows = list(csv.reader(io.StringIO(run_cli(*built, "query", "--format", "csv", Q).stdout)))
    assert rows[0] == ["d"] and [r[0] for r in rows[1:]] == from_json
    tsv = run_cli(*built, "query", "--format", "tsv", Q).stdout.splitlines()
    assert tsv[0] == "?d" and [line.strip("<>") for line in tsv[1:]] == from_json
    assert len(from_json) == 8


def test_turtle_for_construct_from_file(built: list[str], tmp_path: Path) -> None:
    """-f reads a .rq file; CONSTRUCT results come out as Turtle that rdflib parses."""
    rq = tmp_path / "q.rq"
    rq.write_text(
        "CONSTRUCT { ?d rdfs:label ?l } WHERE { ?u ak:useStatus ak:OffLabel ; ak:condition ?d . ?d rdfs:label ?l }"
    )
    out = run_cli(*built, "query", "-f", str(rq), "--format", "turtle")
    assert out.returncode == 0, out.stderr
    graph = rdflib.Graph().parse(data=out.stdout, format="turtle")
    assert len(graph) == 8


def test_syntax_error_names_position(built: list[str]) -> None:
    """A syntax error exits non-zero and names line and column."""
    out = run_cli(*built, "query", "SELECT ?s WHERE {\n  ?s ?p }")
    assert out.returncode == 1
    assert "line 2, column" in out.stderr


def test_wrong_format_for_kind(built: list[str]) -> None:
    """Asking Turtle of a SELECT is a clear error, not a crash."""
    out = run_cli(*built, "query", "--format", "turtle", Q)
    assert out.returncode == 1
    assert "cannot be written as turtle" in out.stderr


def test_missing_store(tmp_path: Path) -> None:
    """Querying before any build tells the user to build."""
    out = run_cli("--store", str(tmp_path / "none"), "query", Q)
    assert out.returncode == 1
    assert "anakinra-kg build" in out.stderr


def _count(built: list[str], text: str) -> int:
    """The single ?n of a counting query, run through the CLI."""
    out = run_cli(*built, "query", "--format", "json", text)
    assert out.returncode == 0, out.stderr
    return int(json.loads(out.stdout)["results"]["bindings"][0]["n"]["value"])


def test_from_clause_selects_the_default_graph(built: list[str]) -> None:
    """A FROM in the query makes the default graph (the union default graph is only for queries naming none)."""
    data = "<https://w3id.org/anakinra-kg/graph/data>"
    in_data = _count(built, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {data} {{ ?s ?p ?o }} }}")
    everything = _count(built, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert 0 < in_data < everything
    assert _count(built, f"SELECT (COUNT(*) AS ?n) FROM {data} WHERE {{ ?s ?p ?o }}") == in_data
    assert _count(built, f"SELECT (COUNT(*) AS ?n) FROM NAMED {data} WHERE {{ ?s ?p ?o }}") == 0
    assert _count(built, f"SELECT (COUNT(*) AS ?n) FROM NAMED {data} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}") == in_data


def test_jsonld_construct_is_compacted_with_the_context(built: list[str]) -> None:
    """DESCRIBE in JSON-LD carries the project @context and short keys, and reads back as the Turtle answer."""
    text = "DESCRIBE drug:anakinra"
    out = run_cli(*built, "query", "--format", "jsonld", text)
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    context = json.loads((ROOT / "ontology" / "anakinra-kg.context.jsonld").read_text())["@context"]
    assert document["@context"] == context
    assert (
        document["id"] == "drug/anakinra" and "brandName" in document and "RecombinantProteinDrug" in document["type"]
    )
    turtle = rdflib.Graph().parse(data=run_cli(*built, "query", "--format", "turtle", text).stdout, format="turtle")
    assert isomorphic(rdflib.Graph().parse(data=out.stdout, format="json-ld"), turtle)
