"""The build is atomic: a broken data file is reported with file and line and the old store keeps working."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anakinra_kg import build, sources, store

from .conftest import run_cli

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _count(project: Path) -> int:
    """Count the triples through the CLI's JSON output."""
    out = run_cli("--project-dir", str(project), "query", "--format", "json", COUNT)
    assert out.returncode == 0, out.stderr
    return int(json.loads(out.stdout)["results"]["bindings"][0]["n"]["value"])


def test_build_then_broken_file_keeps_previous_store(project_copy: Path) -> None:
    """Build, break a data file, build again: non-zero exit, file:line in the error, old store answers."""
    first = run_cli("--project-dir", str(project_copy), "build")
    assert first.returncode == 0, first.stderr
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
