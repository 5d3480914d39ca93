"""Validation and reasoning as commands and as the gate of `anakinra-kg build`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import rdflib
from rdflib.namespace import RDF, SH

from .conftest import ROOT, expected, run_cli

SHAPE_FIXTURE = ROOT / "tests" / "fixtures" / "shapes" / "PrecautionShape.ttl"
REASONING_FIXTURE = ROOT / "tests" / "fixtures" / "reasoning" / "disjoint-classes.ttl"
LIST_FIXTURES = sorted((ROOT / "tests" / "fixtures" / "lists").glob("*-chain.ttl"))


def _ask(project: Path, sparql: str) -> bool:
    out = run_cli("--project-dir", str(project), "query", "--format", "json", sparql)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["boolean"]


def test_validate_command_reports_file_line_focus_and_constraint(project_copy: Path) -> None:
    """`validate` exits 1 and names the file:line, focus node, path, constraint, shape and message."""
    assert run_cli("--project-dir", str(project_copy), "validate").returncode == 0
    shutil.copy(SHAPE_FIXTURE, project_copy / "data" / "zz-broken.ttl")
    out = run_cli("--project-dir", str(project_copy), "validate", cwd=project_copy)
    assert out.returncode == 1
    assert "data/zz-broken.ttl:10: violation: precaution:fixture-without-status" in out.stdout
    assert "path:       ak:safetyDataStatus" in out.stdout
    assert "constraint: sh:MinCountConstraintComponent in shape:PrecautionShape" in out.stdout
    assert "message:    a precaution states the ak:safetyDataStatus" in out.stdout


def test_validate_turtle_is_a_standard_report(project_copy: Path) -> None:
    """`validate --format turtle` prints a sh:ValidationReport that rdflib reads back."""
    shutil.copy(SHAPE_FIXTURE, project_copy / "data" / "zz-broken.ttl")
    out = run_cli("--project-dir", str(project_copy), "validate", "--format", "turtle")
    assert out.returncode == 1
    report = rdflib.Graph().parse(data=out.stdout, format="turtle")
    node = report.value(predicate=RDF.type, object=SH.ValidationReport)
    assert report.value(node, SH.conforms).toPython() is False
    assert len(list(report.objects(node, SH.result))) == 1


def test_reason_command_names_the_inconsistent_individual(project_copy: Path) -> None:
    """`reason` exits 0 on the real graph and 1 with the individual and axiom named on a broken one."""
    good = run_cli("--project-dir", str(project_copy), "reason")
    assert good.returncode == 0 and good.stdout.startswith("consistent"), good.stdout + good.stderr
    shutil.copy(REASONING_FIXTURE, project_copy / "data" / "zz-inconsistent.ttl")
    bad = run_cli("--project-dir", str(project_copy), "reason")
    assert bad.returncode == 1
    assert "inconsistent" in bad.stdout and "drug:anakinra" in bad.stdout and "Disjoint classes" in bad.stdout


def test_build_gate_keeps_previous_store(project_copy: Path) -> None:
    """A build with a SHACL violation or an inconsistency exits non-zero and the previous store keeps answering;
    --no-validate builds anyway with a loud warning. The good build has the inferred graph."""
    first = run_cli("--project-dir", str(project_copy), "build")
    assert first.returncode == 0, first.stderr
    link = project_copy / "var" / "store"
    target = link.resolve()
    inferred = "ASK { GRAPH graph:inferred { drug:anakinra a ak:Drug ; ak:usedFor disease:gout } }"
    assert _ask(project_copy, inferred)
    assert not _ask(project_copy, "ASK { GRAPH graph:data { drug:anakinra a ak:Drug } }")

    shutil.copy(SHAPE_FIXTURE, project_copy / "data" / "zz-broken.ttl")
    second = run_cli("--project-dir", str(project_copy), "build", cwd=project_copy)
    assert second.returncode != 0
    assert "data/zz-broken.ttl:10: violation: precaution:fixture-without-status" in second.stderr
    assert "shape:PrecautionShape" in second.stderr and "previous store" in second.stderr
    assert link.resolve() == target
    assert not _ask(project_copy, "ASK { precaution:fixture-without-status ?p ?o }")
    assert _ask(project_copy, inferred)

    (project_copy / "data" / "zz-broken.ttl").unlink()
    shutil.copy(REASONING_FIXTURE, project_copy / "data" / "zz-inconsistent.ttl")
    third = run_cli("--project-dir", str(project_copy), "build")
    assert third.returncode != 0 and "inconsistent" in third.stderr and "drug:anakinra" in third.stderr
    assert link.resolve() == target

    (project_copy / "data" / "zz-inconsistent.ttl").unlink()
    shutil.copy(SHAPE_FIXTURE, project_copy / "data" / "zz-broken.ttl")
    forced = run_cli("--project-dir", str(project_copy), "build", "--no-validate")
    assert forced.returncode == 0, forced.stderr
    assert "WARNING: --no-validate" in forced.stderr
    assert link.resolve() != target
    assert _ask(project_copy, "ASK { precaution:fixture-without-status ?p ?o }")


def test_build_names_a_malformed_list_and_keeps_previous_store(project_copy: Path) -> None:
    """A property chain whose RDF list stops short or loops stops the build (checked or not) with the chain and the
    list node named, not a traceback; the previous store keeps answering."""
    assert len(LIST_FIXTURES) == 2
    first = run_cli("--project-dir", str(project_copy), "build", "--no-validate")
    assert first.returncode == 0, first.stderr
    link = project_copy / "var" / "store"
    target = link.resolve()
    for fixture in LIST_FIXTURES:
        shutil.copy(fixture, project_copy / "data" / "zz-list.ttl")
        for flags in ([], ["--no-validate"]):
            out = run_cli("--project-dir", str(project_copy), "build", *flags)
            assert out.returncode == 1, out.stderr
            assert expected(fixture) in out.stderr, out.stderr
            assert "Traceback" not in out.stderr and "previous store" in out.stderr
            assert link.resolve() == target
    assert _ask(project_copy, "ASK { drug:anakinra a ak:Drug }")
