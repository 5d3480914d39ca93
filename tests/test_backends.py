"""The backend interface without a remote engine: settings, the forwarding check, batching, the embedded backend."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from pydantic import ValidationError

from anakinra_kg import formats, query
from anakinra_kg.backends import forwarding, location, open_backend
from anakinra_kg.backends.embedded import EmbeddedBackend, folder_bytes
from anakinra_kg.load import Batches
from anakinra_kg.prefixes import STANDARD, prefix_map, prefixes_in
from anakinra_kg.settings import Settings

from .conftest import ROOT

RDFS_LABEL = STANDARD["rdfs"] + "label"


@pytest.mark.parametrize("url", ["http://dba:secret@127.0.0.1:8890/sparql", "ftp://host/sparql", "sparql"])
def test_remote_urls_without_credentials_only(url: str) -> None:
    """A URL carrying user:password (or not http) is refused, and the message never repeats the secret."""
    with pytest.raises(ValidationError) as caught:
        Settings(remote_query_url=url)
    assert "secret" not in str(caught.value).replace(url, "")


@pytest.mark.parametrize(
    "text",
    [
        'SELECT (bif:http_get("http://127.0.0.1:1/") AS ?x) {}',
        'PREFIX b: <bif:> SELECT (b:http_get("http://127.0.0.1:1/") AS ?x) {}',
        "SELECT (<sql:foo>(1) AS ?x) {}",
        "SELECT (<urn:f>(1) AS ?x) {}",
        'define input:grab-all "yes" SELECT * { ?s ?p ?o }',
        "SELECT * { ?s nope:p ?o }",
        "SELECT * { ?s ?p }",
    ],
)
def test_forwarding_refuses_non_standard_queries(text: str) -> None:
    """Engine functions, pragmas, undeclared prefixes and syntax errors never leave for the remote."""
    with pytest.raises(query.QueryError):
        forwarding.prepare(text)


def test_forwarding_declares_used_project_prefixes_on_line_one() -> None:
    """Project prefixes the query uses are declared on its first line; its own declarations win."""
    text = 'PREFIX ak: <urn:mine/>\nSELECT * WHERE {\n  ?u ak:drug drug:anakinra . BIND(xsd:integer("1") AS ?n)\n}'
    out = forwarding.prepare(text)
    assert out.form == "SELECT"
    assert out.text.count("\n") == text.count("\n")
    assert "PREFIX drug:" in out.text.splitlines()[0] and "PREFIX ak: <https" not in out.text
    assert forwarding.prepare("CONSTRUCT WHERE { ?s ?p ?o }").form == "CONSTRUCT"


def test_batches_keep_blank_nodes_together() -> None:
    """Triples linked through blank nodes land in one batch; the others are cut at the size, in a fixed order."""
    p = ox.NamedNode("urn:p")
    a, b, c = ox.BlankNode("a"), ox.BlankNode("b"), ox.BlankNode("c")
    triples = [ox.Triple(ox.NamedNode(f"urn:s{i}"), p, ox.Literal(str(i))) for i in range(7)]
    triples += [ox.Triple(ox.NamedNode("urn:x"), p, a), ox.Triple(a, p, b), ox.Triple(b, p, ox.Literal("end"))]
    triples += [ox.Triple(c, p, ox.Literal("alone"))]

    def stream() -> Iterator[ox.Triple]:
        yield from triples

    cut = Batches(stream, 3)
    every = list(cut.starting_at(0))
    assert len(every) == len(cut) == 5  # 7 ground triples in 3 batches; the a-b chain (3 triples) in one, c in one
    assert [len(batch) for batch in every[:3]] == [3, 3, 1]
    assert sorted(map(str, (t for batch in every for t in batch))) == sorted(map(str, triples))
    holding = [batch for batch in every if any(a in (t.subject, t.object) for t in batch)]
    assert len(holding) == 1 and {str(t) for t in triples[7:10]} <= {str(t) for t in holding[0]}
    for first in range(len(cut) + 1):  # resuming after `first` batches sends exactly the rest, unchanged
        assert [list(map(str, batch)) for batch in cut.starting_at(first)] == [
            list(map(str, batch)) for batch in every[first:]
        ]
    assert sum(map(len, cut.linked)) == 4  # only the triples with blank nodes are held in memory


def test_embedded_backend_is_the_default(store_link: Path) -> None:
    """Settings choose the embedded store by default; it answers as query.run does, with counts per graph."""
    settings = Settings(project_dir=ROOT, store_dir=store_link)
    assert location(settings) == str(store_link.resolve())
    backend = open_backend(settings)
    assert isinstance(backend, EmbeddedBackend)
    counts = backend.graph_counts()
    assert sorted(counts) == backend.named_graphs()
    assert all(backend.count(graph) == n for graph, n in counts.items())
    assert backend.count(None) <= sum(counts.values())
    assert location(Settings(backend="remote", remote_query_url="http://127.0.0.1:1/sparql")).startswith("http")


def test_a_small_store_is_served_from_an_in_memory_copy(store_link: Path) -> None:
    """Below the size limit the backend copies the store into memory; the answers stay the same."""
    folder = os.path.realpath(store_link)
    size = folder_bytes(folder)
    on_disk = EmbeddedBackend(folder)
    copied = EmbeddedBackend(folder, copy_up_to_bytes=size)
    too_big = EmbeddedBackend(folder, copy_up_to_bytes=size - 1)
    assert (on_disk.in_memory, copied.in_memory, too_big.in_memory) == (False, True, False)
    assert isinstance(copied.store, ox.Store) and copied.store is not on_disk.store
    assert copied.graph_counts() == on_disk.graph_counts() and copied.count(None) == on_disk.count(None)
    text = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
    assert [tuple(row) for row in copied.query(text)] == [tuple(row) for row in on_disk.query(text)]


def test_the_built_store_of_the_100k_graph_is_served_from_memory(tmp_path: Path) -> None:
    """As the README says, the default size limit holds the built store of the 100k synthetic graph (170k quads)."""
    from benchmarks import generate

    from .conftest import run_cli

    project = tmp_path / "100k"
    generate.generate(project, generate.parse_size("100k"))
    link = tmp_path / "store"
    done = run_cli("--project-dir", str(project), "--store", str(link), "build", "--no-validate")
    assert done.returncode == 0, done.stderr
    backend = EmbeddedBackend(link.resolve(), copy_up_to_bytes=Settings().memory_copy_bytes)
    assert backend.in_memory, f"{folder_bytes(str(link.resolve())):,} bytes"
    assert backend.count(None) > 150_000


def test_load_state_of_another_cut_is_not_resumed(tmp_path: Path) -> None:
    """A state file written with another way of cutting batches starts the load afresh (its numbers mean else)."""
    from anakinra_kg.load import CUT, State, Target

    target = Target(update_url="http://127.0.0.1:1/update", query_url="http://127.0.0.1:1/sparql")
    path = tmp_path / "state.json"
    State(path, "build-1", target).record("urn:g", 1, 3, 2000)
    assert not State(path, "build-1", target).fresh  # same build, target and cut: resumed
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({**saved, "cut": CUT - 1}))
    again = State(path, "build-1", target)
    assert again.fresh and again.graph("urn:g") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ASK {}", set()),
        ("SELECT * { ?s ^rdfs:label ?o . ?o a/rdfs:subClassOf* mondo:1 }", {"rdfs", "mondo"}),
        ("SELECT * { ?s ?p ?o.drug:anakinra ?p ?o }", {"drug"}),  # a prefix right after a triple's "."
        ("SELECT * { ?s drug-class:x ?o ; chembl.compound:CHEMBL1 ?c }", {"drug-class", "chembl.compound"}),
        ("SELECT * { ?s ?p <http://example.org/drug:x> FILTER(?p != xsd:string) }", {"xsd", "drug"}),  # extra: harmless
        ("SELECT * { ?s notaprefix:x ?o . ?s mydrug:x ?o }", set()),
    ],
)
def test_the_prefixes_a_query_names_are_found_by_name(text: str, expected: set[str]) -> None:
    """The names written before a colon are looked up, in any position a SPARQL token can start."""
    assert set(prefixes_in(text)) == expected


def test_every_catalogue_query_runs_without_its_prefix_declarations() -> None:
    """Each catalogue query, its PREFIX lines removed, still parses: every prefix it uses is found and passed."""
    store = ox.Store()
    for path in sorted((ROOT / "queries").glob("*.rq")):
        text = "\n".join(line for line in path.read_text().splitlines() if not line.upper().startswith("PREFIX"))
        query.run(store, text)  # raises QuerySyntaxError on an undeclared prefix


def test_a_query_gets_the_predeclared_prefixes_it_uses() -> None:
    """Only the prefixes a query names go to pyoxigraph, and every one it names does (in any position)."""
    store = ox.Store()
    store.add(
        ox.Quad(ox.NamedNode("http://purl.obolibrary.org/obo/MONDO_1"), ox.NamedNode(RDFS_LABEL), ox.Literal("x"))
    )
    text = "SELECT ?l { mondo:1 rdfs:label ?l }"
    assert set(prefixes_in(text)) >= {"mondo", "rdfs"}
    assert "drugbank" not in prefixes_in(text)
    assert [row["l"].value for row in query.run(store, text)] == ["x"]


VALUES_QUERY = "SELECT ?x WHERE { VALUES ?x { 1 2 3 } }"
TRIPLES_QUERY = "CONSTRUCT { ?x <urn:p> ?x } WHERE { VALUES ?x { <urn:a> <urn:b> <urn:c> } }"


@pytest.mark.parametrize(
    ("text", "fmt"),
    [pytest.param(VALUES_QUERY, f, id=f.name) for f in formats.RESULTS_FORMATS]
    + [pytest.param(TRIPLES_QUERY, f, id=f.name) for f in formats.RDF_FORMATS],
)
def test_an_answer_within_the_row_limit_is_the_answer_without_it(text: str, fmt: formats.Format) -> None:
    """A short answer is written with a row limit as without one, byte for byte."""
    store = ox.Store()
    body = query.serialize(query.run(store, text), fmt, max_rows=10_000)
    assert body == query.serialize(query.run(store, text), fmt)


TERMS_QUERY = """SELECT * WHERE {
  { VALUES (?x ?y) { (<urn:a> "two\\nlines, a\\ttab, \\"quotes\\" and <angles>"@en) (1 UNDEF) ("1.5"^^<urn:t> "é") } }
  UNION { ?b <urn:p> ?x }
  UNION { BIND (<<( <urn:a> <urn:b> "c\\u0007" )>> AS ?x) BIND ("x\\r"@en--ltr AS ?y) }
}"""


@pytest.mark.parametrize("fmt", formats.RESULTS_FORMATS, ids=lambda f: f.name)
def test_solutions_are_counted_against_the_row_limit_as_they_are_written(fmt: formats.Format) -> None:
    """Solutions are counted as they are written: an answer with terms that need escaping, blank nodes, triple
    terms, a directional language tag and unbound values comes out the same as without a limit in every
    results format; 5 rows pass a limit of 5, not of 4."""
    store = ox.Store()
    store.add(ox.Quad(ox.BlankNode(), ox.NamedNode("urn:p"), ox.Literal("x")))
    unlimited = query.serialize(query.run(store, TERMS_QUERY), fmt)
    assert len(unlimited) > 5
    assert query.serialize(query.run(store, TERMS_QUERY), fmt, max_rows=5) == unlimited
    with pytest.raises(query.TooManyRowsError, match="more than 4 solutions"):
        query.serialize(query.run(store, TERMS_QUERY), fmt, max_rows=4)


@pytest.mark.parametrize(
    ("fmt", "context"),
    [pytest.param(f, None, id=f.name) for f in formats.RDF_FORMATS]
    + [pytest.param(formats.by_name("jsonld"), {"p": "urn:p"}, id="jsonld-compacted")],
)
def test_a_construct_answer_is_counted_against_the_row_limit(fmt: formats.Format, context: dict | None) -> None:
    """A CONSTRUCT answer is counted in every RDF syntax and in compacted JSON-LD: 3 triples pass a limit of 3,
    byte for byte as without a limit, and not a limit of 2."""
    store = ox.Store()
    body = query.serialize(query.run(store, TRIPLES_QUERY), fmt, max_rows=3, context=context)
    assert body == query.serialize(query.run(store, TRIPLES_QUERY), fmt, context=context)
    assert all(name.encode() in body for name in ("urn:a", "urn:b", "urn:c"))
    if fmt.name != "jsonld":  # a JSON-LD context is for JSON-LD only; other syntaxes come out the same with one
        assert query.serialize(query.run(store, TRIPLES_QUERY), fmt, max_rows=3, context={"p": "urn:p"}) == body
    with pytest.raises(query.TooManyRowsError, match="more than 2 triples"):
        query.serialize(query.run(store, TRIPLES_QUERY), fmt, max_rows=2, context=context)


@pytest.mark.parametrize("fmt", formats.RDF_FORMATS, ids=lambda f: f.name)
def test_the_prefix_map_goes_to_exactly_the_syntaxes_that_write_it(fmt: formats.Format) -> None:
    """pyoxigraph converts every prefix it is handed on every call: a syntax that ignores the map is not given
    it, and an answer in one that abbreviates with it (Turtle, TriG, RDF/XML) still is."""
    triple = ox.Triple(ox.NamedNode(prefix_map()["drug"] + "anakinra"), ox.NamedNode(RDFS_LABEL), ox.Literal("x"))
    abbreviated = ox.serialize([triple], format=fmt.oxigraph, prefixes=prefix_map())
    assert (abbreviated != ox.serialize([triple], format=fmt.oxigraph)) == fmt.writes_prefixes
    store = ox.Store()
    store.add(ox.Quad(triple.subject, triple.predicate, triple.object))
    answer = query.run(store, "CONSTRUCT WHERE { ?s ?p ?o }")
    assert query.serialize(answer, fmt) == abbreviated
