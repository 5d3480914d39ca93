"""SHACL shapes: the real data conform, and each broken fixture gives exactly its own violation."""

from __future__ import annotations

import csv
from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib.namespace import RDF, RDFS, SH, SKOS

from anakinra_kg import identifiers, sources, validate
from anakinra_kg.prefixes import converter

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "shapes"
ALL_FIXTURES = sorted(FIXTURES.glob("*.ttl"))


def _term(token: str) -> str | None:
    """Normalise a CURIE or <IRI> of an expectation line the way the report shows terms."""
    if token == "-":
        return None
    if token.startswith("<"):
        return validate.show(rdflib.URIRef(token[1:-1]))
    return token


def expectation(fixture: Path) -> tuple[str, str, str | None]:
    """Read the '# expect: SHAPE FOCUS PATH' line of a fixture (PATH '-' for a node-level result)."""
    lines = [line for line in fixture.read_text(encoding="utf-8").splitlines() if line.startswith("# expect:")]
    assert len(lines) == 1, f"{fixture.name} needs exactly one '# expect:' line"
    shape, focus, path = lines[0].removeprefix("# expect:").split()
    return _term(shape), _term(focus), _term(path)


def _real_sources() -> list[sources.Source]:
    return sources.discover(ROOT / "ontology", ROOT / "data")


@pytest.fixture(scope="module")
def combined() -> validate.Report:
    """One validation of the real data plus every broken fixture (each fixture's nodes are its own)."""
    found = _real_sources() + [sources.Source(p, None) for p in ALL_FIXTURES]
    return validate.validate_sources(found, ROOT / "ontology")


def test_real_data_conform() -> None:
    """ontology/ + data/ give no validation result at all."""
    report = validate.validate_sources(_real_sources(), ROOT / "ontology")
    assert report.violations == [], validate.format_text(report)
    assert report.conforms


@pytest.mark.parametrize("fixture", ALL_FIXTURES, ids=lambda p: p.stem)
def test_fixture_gives_exactly_its_violation(fixture: Path, combined: validate.Report) -> None:
    """The fixture's focus node has exactly the expected (shape, path) violation, reported at the fixture's line.

    One violation may be reported by several constraint components of its property shape (a string
    frequency breaks sh:datatype and the sh:maxInclusive comparison); it is still one (shape, focus, path).
    """
    shape, focus, path = expectation(fixture)
    mine = [v for v in combined.violations if v.focus == focus]
    assert {(v.shape, v.path, v.severity) for v in mine} == {(shape, path, "Violation")}, validate.format_text(combined)
    assert mine[0].message and mine[0].component.startswith("sh:")
    if mine[0].where is not None and "fixture" in focus:
        written = fixture.read_text(encoding="utf-8").splitlines()
        line = next(n for n, text in enumerate(written, 1) if text.startswith(focus + " "))
        assert mine[0].where.endswith(f"{fixture.name}:{line}")


def test_fixtures_give_nothing_else(combined: validate.Report) -> None:
    """All results of the combined run are the fixtures' expectations, one each."""
    got = sorted({(v.shape, v.focus, v.path or "") for v in combined.violations})
    want = sorted((s, f, p or "") for s, f, p in map(expectation, ALL_FIXTURES))
    assert got == want


def test_every_node_shape_has_a_fixture() -> None:
    """A shape that no fixture breaks does not count: each node shape of shapes.ttl has one."""
    shapes = rdflib.Graph().parse(ROOT / "ontology" / "shapes.ttl")
    names = {str(s).rsplit("/", 1)[-1] for s in shapes.subjects(RDF.type, SH.NodeShape)}
    assert len(names) >= 35
    stems = {p.stem.split("--")[0] for p in ALL_FIXTURES}
    assert sorted(names - stems) == []
    assert any(stem.startswith(identifiers.SHAPE_PREFIX) for stem in stems)


def test_every_instantiated_class_is_targeted() -> None:
    """Every class with instances in data/ is the target (itself or through a superclass) of some node shape."""
    ontology = rdflib.Graph().parse(ROOT / "ontology" / "anakinra-kg.ttl")
    shapes = rdflib.Graph().parse(ROOT / "ontology" / "shapes.ttl")
    own = [src for src in _real_sources()[1:] if src.path.parent.name == "data"]  # not the imported modules
    data = sources.to_rdflib(sources.load_all(own))
    targeted = set(shapes.objects(None, SH.targetClass))
    classes = set(data.objects(None, RDF.type))
    assert len(classes) > 30
    untargeted = [c for c in classes if not targeted & set(ontology.transitive_objects(c, RDFS.subClassOf))]
    assert untargeted == []


def test_identifier_shapes_accept_the_mapping_set() -> None:
    """The generated pattern shapes accept every object of data/mappings.sssom.tsv (expanded with bioregistry)."""
    with (ROOT / "data" / "mappings.sssom.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t"))
    bioregistry = identifiers._converter()
    data = rdflib.Graph()
    for row in rows:
        iri = bioregistry.expand(row["object_id"])
        if iri:
            data.add((rdflib.URIRef(converter().expand(row["subject_id"])), SKOS.exactMatch, rdflib.URIRef(iri)))
    shapes = identifiers.pattern_shapes(data)
    assert len(set(shapes.subjects(RDF.type, SH.NodeShape))) >= 5
    conforms, _, text = pyshacl.validate(data, shacl_graph=shapes)
    assert conforms, text
    broken = rdflib.URIRef("http://purl.obolibrary.org/obo/MONDO_0005393x")
    data.add((rdflib.URIRef("https://w3id.org/anakinra-kg/id/disease/gout"), SKOS.exactMatch, broken))
    assert not pyshacl.validate(data, shacl_graph=identifiers.pattern_shapes(data))[0]
