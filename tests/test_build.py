"""The build is atomic: a broken data file is reported with file and line and the old store keeps working."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from anakinra_kg import build, sources, store
from anakinra_kg.prefixes import STANDARD

from .conftest import run_cli

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RDF_TYPE = ox.NamedNode(STANDARD["rdf"] + "type")


def _count(project: Path) -> int:
    """Count the triples through the CLI's JSON output."""
    out = run_cli("--project-dir", str(project), "query", "--format", "json", COUNT)
    assert out.returncode == 0, out.stderr
    return int(json.loads(out.stdout)["results"]["bindings"][0]["n"]["value"])


def test_build_then_broken_file_keeps_previous_store(project_copy: Path) -> None:
    """Build, break a data file, build again: non-zero exit, file:line in the error, old store answers."""
    first = run_cli("--project-dir", str(project_copy), "build")
    assert first.returncode == 0, first.stderr
    steps = first.stderr.split("steps, in seconds:\n", 1)[1].splitlines()  # where the build's time went, in order
    assert [line.rsplit(":", 1)[0].strip() for line in steps] == [
        "parse the sources",
        "derive: mappings.derive",
        "derive: rules.infer",
        "statistics",
        "check: validate.gate",
        "check: reason.gate",
        "copy to the disk store (the statistics and checks run beside it)",
        "compaction and swap",
    ]
    assert all(float(line.rsplit(":", 1)[1]) >= 0 for line in steps)
    before = _count(project_copy)
    assert before > 1500
    link = project_copy / "var" / "store"
    old_target = link.resolve()

    broken = project_copy / "data" / "safety.ttl"
    lines = broken.read_text(encoding="utf-8").splitlines()
    lines[20] = "population:pregnant-women a ak:PopulationGroup ;; rdfs:label ."
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")

    second = run_cli("--project-dir", str(project_copy), "build")
    assert second.returncode != 0
    assert f"{broken}:21:" in second.stderr
    assert "previous store" in second.stderr
    assert link.resolve() == old_target
    assert _count(project_copy) == before
    leftovers = [p for p in store.builds_dir(link).iterdir() if p != old_target]
    assert leftovers == []


def test_source_error_names_file_line_and_expectation(project_copy: Path) -> None:
    """The loader's error carries the path, line, column and what the parser expected."""
    bad = project_copy / "data" / "lead.ttl"
    bad.write_text(bad.read_text(encoding="utf-8") + "\ndrug:anakinra ak:brandName \n", encoding="utf-8")
    with pytest.raises(sources.SourceError) as caught:
        sources.load_all(sources.discover(project_copy / "ontology", project_copy / "data"))
    error = caught.value
    assert error.path == bad
    assert error.line == len(bad.read_text(encoding="utf-8").splitlines()) + 1
    assert error.message and "Parser error" not in error.message


def test_failure_during_write_leaves_previous_store(project_copy: Path, tmp_path: Path) -> None:
    """An exception while the new store is being written (e.g. Ctrl-C) removes it and keeps the old one."""
    link = tmp_path / "store"
    build.build(project_copy / "ontology", project_copy / "data", link)
    target = link.resolve()

    def interrupt(done: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build.build(project_copy / "ontology", project_copy / "data", link, progress=interrupt)
    assert link.resolve() == target
    assert [p for p in store.builds_dir(link).iterdir()] == [target]
    db = store.open_read_only(link)
    assert len(db) > 1500


def test_rebuild_swaps_and_prunes(project_copy: Path, tmp_path: Path) -> None:
    """Each successful build becomes current; only the previous one is kept beside it."""
    link = tmp_path / "store"
    targets = []
    for _ in range(3):
        build.build(project_copy / "ontology", project_copy / "data", link)
        targets.append(link.resolve())
    assert len(set(targets)) == 3
    kept = sorted(p.name for p in store.builds_dir(link).iterdir())
    assert kept == sorted([targets[1].name, targets[2].name])


def test_build_reports_graphs(store_link: Path) -> None:
    """The build writes the ontology, data and provenance named graphs."""
    db = store.open_read_only(store_link)
    names = {g.value.rsplit("/", 1)[-1] for g in db.named_graphs()}
    assert {"ontology", "data", "provenance"} <= names


def _source(n: int = 5000) -> ox.Store:
    """An in-memory store with quads in two named graphs, blank nodes among them (several pipe buffers' worth)."""
    db = ox.Store()
    ex = "https://example.org/"
    for i in range(n):
        graph = ox.NamedNode(f"{ex}g{i % 2}")
        node = ox.BlankNode(f"b{i}") if i % 3 == 0 else ox.NamedNode(f"{ex}s{i}")
        db.add(ox.Quad(node, ox.NamedNode(f"{ex}p"), ox.Literal(f"value {i} " + "x" * 40), graph))
    return db


def _copy_threads() -> list[threading.Thread]:
    """The copy's threads still alive."""
    return [t for t in threading.enumerate() if t.name.startswith("store-copy")]


def test_the_copy_to_disk_writes_every_quad_while_the_caller_works(tmp_path: Path) -> None:
    """The background copy writes the same quads (named graphs, blank nodes) as the in-memory store holds."""
    source, target = _source(), ox.Store(str(tmp_path / "disk"))
    with store.copying(source, target) as dumped:
        dumped()
        source.add(ox.Quad(ox.NamedNode("https://example.org/late"), RDF_TYPE, RDF_TYPE))  # after the dump
    assert len(target) == len(source) - 1
    assert sorted(map(str, target.named_graphs())) == sorted(map(str, source.named_graphs()))
    written = {(str(q.predicate), str(q.object), str(q.graph_name)) for q in target}
    assert written == {(str(q.predicate), str(q.object), str(q.graph_name)) for q in source} - {
        (str(RDF_TYPE), str(RDF_TYPE), "DEFAULT")
    }
    assert not _copy_threads()


def test_a_failed_load_is_reported_with_its_own_error(tmp_path: Path) -> None:
    """When the disk store refuses the load, its own error comes out (not the dump's broken pipe), no thread hangs."""
    ox.Store(str(tmp_path / "disk")).flush()
    read_only = ox.Store.read_only(str(tmp_path / "disk"))
    with pytest.raises(RuntimeError, match="read-write"), store.copying(_source(), read_only):
        pass
    assert not _copy_threads()


def test_an_error_in_the_caller_stops_the_dump_early(tmp_path: Path) -> None:
    """An error while the copy runs stops the dump: the load ends with part of the quads, and the error comes out."""
    source, target = _source(100_000), ox.Store(str(tmp_path / "disk"))
    with pytest.raises(KeyboardInterrupt), store.copying(source, target):
        raise KeyboardInterrupt
    assert not _copy_threads()
    assert len(target) < len(source)


def test_a_check_failing_during_the_copy_leaves_the_previous_store(project_copy: Path, tmp_path: Path) -> None:
    """A check that fails while the new store is being written: the copy stops, the half-written folder goes,
    the previous build stays current."""
    link = tmp_path / "store"
    build.build(project_copy / "ontology", project_copy / "data", link)
    target = link.resolve()

    def failing(work: ox.Store) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build.build(project_copy / "ontology", project_copy / "data", link, checks=[failing])
    assert link.resolve() == target
    assert [p for p in store.builds_dir(link).iterdir()] == [target]
    assert not _copy_threads()
