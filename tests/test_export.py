"""Exports: every format round-trips to the store, Turtle is deterministic and sorted, errors are clear, writes atomic."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from anakinra_kg import build, export, formats, metadata, store
from anakinra_kg.prefixes import converter, graph_iri, prefix_map
from anakinra_kg.settings import Settings

from .conftest import run_cli


def store_graph(db: ox.Store, iri: str) -> rdflib.Graph:
    """One named graph of the store, as rdflib sees it."""
    triples = [
        ox.Triple(q.subject, q.predicate, q.object) for q in db.quads_for_pattern(None, None, None, ox.NamedNode(iri))
    ]
    return rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")


def parse_dataset(data: bytes, fmt: str) -> rdflib.Dataset:
    """Parse a dataset export with rdflib."""
    rdflib_format = {"trig": "trig", "nquads": "nquads", "jsonld": "json-ld"}[fmt]
    return rdflib.Dataset().parse(data=data, format=rdflib_format)


@pytest.mark.parametrize("fmt", [f.name for f in formats.RDF_FORMATS])
def test_whole_dataset_round_trips(fmt: str, db: ox.Store) -> None:
    """Export everything, parse it back, compare with the store: graph by graph, or the union for triple formats."""
    data = export.serialize(db, fmt)
    names = export.graph_names(db)
    assert set(names) >= {"ontology", "data", "provenance", "metadata"}
    if formats.by_name(fmt).is_dataset:
        parsed = parse_dataset(data, fmt)
        for iri in names.values():
            assert isomorphic(parsed.graph(rdflib.URIRef(iri)), store_graph(db, iri)), f"{fmt}: graph {iri} differs"
        assert {str(g.identifier) for g in parsed.graphs() if len(g)} == set(names.values())
    else:
        parsed = rdflib.Graph().parse(data=data, format={"rdfxml": "xml"}.get(fmt, fmt))
        union = rdflib.Graph()
        for iri in names.values():
            union += store_graph(db, iri)
        assert isomorphic(parsed, union), f"{fmt}: union differs"


@pytest.mark.parametrize("fmt", ["turtle", "nquads"])
def test_chosen_graphs_only(fmt: str, db: ox.Store) -> None:
    """--graph limits the export to the graphs asked for."""
    data = export.serialize(db, fmt, ["ontology", "data"])
    if fmt == "turtle":
        parsed = rdflib.Graph().parse(data=data, format="turtle")
        assert isomorphic(parsed, store_graph(db, graph_iri("ontology")) + store_graph(db, graph_iri("data")))
    else:
        graphs = {line.rsplit(" ", 2)[-2] for line in data.decode().splitlines()}
        assert graphs == {f"<{graph_iri('data')}>", f"<{graph_iri('ontology')}>"}


def test_turtle_is_deterministic_across_builds(project_copy: Path, tmp_path: Path) -> None:
    """Two builds of the same sources export byte-identical Turtle (blank nodes included) for every graph but
    provenance, which records the build time."""
    outputs = []
    for name in ("one", "two"):
        link = tmp_path / name / "store"
        build.build(project_copy / "ontology", project_copy / "data", link, describe=metadata.description(Settings()))
        outputs.append(
            export.serialize(ox.Store.read_only(str(link.resolve())), "turtle", ["ontology", "data", "metadata"])
        )
    assert outputs[0] == outputs[1]
    assert b"[ a owl:Restriction" in outputs[0]  # blank nodes are there, written inline


def test_turtle_is_sorted_and_uses_project_prefixes(db: ox.Store) -> None:
    """Subjects appear in sorted IRI order, predicates sorted within each subject (rdf:type first), known prefixes."""
    text = export.serialize(db, "turtle").decode()
    prefixes = dict(re.findall(r"^@prefix (\S*): <([^>]+)> \.$", text, re.M))
    assert prefixes and all(prefix_map()[p] == iri for p, iri in prefixes.items())
    blocks = [b for b in text.split("\n\n") if b and not b.startswith("@prefix")]
    heads = [b.split(" ", 1)[0] for b in blocks]
    iri_subjects = [converter().expand(h, passthrough=True).strip("<>") for h in heads if not h.startswith("[")]
    assert iri_subjects == sorted(iri_subjects) and len(iri_subjects) > 400
    drug = next(b for b in blocks if b.startswith("drug:anakinra "))
    predicates = [line.split()[0] for line in drug.splitlines()[1:] if re.match(r"^    \S", line)]
    assert drug.startswith("drug:anakinra a ")
    first = [p for p in ("rdfs:label",) if p in predicates]  # rdflib writes rdf:type, then rdfs:label, first
    rest = [p for p in predicates if p not in first]
    assert predicates == first + sorted(rest, key=lambda c: converter().expand(c))


def test_jsonld_and_nquads_are_deterministic(db: ox.Store) -> None:
    """Repeated exports are byte-identical in every format."""
    for fmt in ("jsonld", "trig"):
        assert export.serialize(db, fmt) == export.serialize(db, fmt)


def test_unknown_format_and_graph_are_usage_errors(store_link: Path) -> None:
    """Exit status 2 and a message listing the valid formats or graphs."""
    out = run_cli("--store", str(store_link), "export", "--format", "yaml")
    assert out.returncode == 2
    assert "unknown format 'yaml'" in out.stderr and "turtle, jsonld, ntriples, rdfxml, trig, nquads" in out.stderr
    out = run_cli("--store", str(store_link), "export", "--graph", "inferred-nope")
    assert out.returncode == 2
    valid = ", ".join(sorted(g.value.rsplit("/graph/", 1)[-1] for g in store.open_read_only(store_link).named_graphs()))
    assert "unknown graph 'inferred-nope'" in out.stderr and f"valid graphs: {valid}" in out.stderr
    with pytest.raises(formats.UnknownFormatError, match="valid formats"):
        export.serialize(ox.Store(), "json")


def test_cli_writes_files_and_gzip(store_link: Path, tmp_path: Path, db: ox.Store) -> None:
    """-o writes the export (gzip when the name ends in .gz), the same bytes as the module gives."""
    out = run_cli(
        "--store", str(store_link), "export", "--format", "ntriples", "--graph", "data", "-o", str(tmp_path / "d.nt.gz")
    )
    assert out.returncode == 0, out.stderr
    assert gzip.decompress((tmp_path / "d.nt.gz").read_bytes()) == export.serialize(db, "ntriples", ["data"])
    out = run_cli("--store", str(store_link), "export", "--graph", "ontology", "-o", str(tmp_path / "o.ttl"))
    assert (tmp_path / "o.ttl").read_bytes() == export.serialize(db, "turtle", ["ontology"])
    assert (tmp_path / "o.ttl").stat().st_mode & 0o777 == 0o666 & ~export._umask()  # not the temp file's 0600


@pytest.mark.parametrize("interruption", [RuntimeError("serializer failed"), KeyboardInterrupt()])
def test_failed_export_leaves_previous_file_and_no_temporary(
    interruption: BaseException, db: ox.Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure midway (after part of the output was written) leaves the old file whole and no temp file."""
    target = tmp_path / "anakinra.ttl"
    target.write_bytes(b"previous release\n")

    def half_then_fail(self, stream, **kwargs) -> None:
        stream.write(b"@prefix ak: <https://w3id.org/anakinra-kg/vocab/> .\n")
        raise interruption

    monkeypatch.setattr(export.SortedTurtleSerializer, "serialize", half_then_fail)
    with pytest.raises(type(interruption)):
        export.export_file(db, "turtle", target)
    assert target.read_bytes() == b"previous release\n"
    assert [p.name for p in tmp_path.iterdir()] == ["anakinra.ttl"]


def test_dumps_cover_the_published_files(db: ox.Store) -> None:
    """Each compressed dump decodes to the export of its format (the endpoint serves these bytes)."""
    for dump in [d for d in export.DUMPS if d.gzip]:
        data = export.dump_bytes(db, dump)
        assert (gzip.decompress(data) if dump.gzip else data) == export.serialize(db, dump.format)
    assert {d.filename for d in export.DUMPS} >= {"anakinra.ttl", "anakinra.jsonld", "anakinra.nt.gz"}
