"""OWL reasoning: the real graph is consistent; each axiom kind is caught when broken; the inferred graph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from anakinra_kg import reason, sources
from anakinra_kg.prefixes import converter, graph_iri

from .conftest import ROOT, expected

FIXTURES = ROOT / "tests" / "fixtures" / "reasoning"


def _quads(*extra: Path) -> list[ox.Quad]:
    found = sources.discover(ROOT / "ontology", ROOT / "data") + [sources.Source(p, None) for p in extra]
    return sources.load_all(found)


def test_real_graph_is_consistent() -> None:
    """HermiT finds ontology + data consistent and no class unsatisfiable."""
    report = reason.check(_quads())
    assert report.ok, reason.format_text(report)


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.ttl")), ids=lambda p: p.stem)
def test_broken_axiom_is_caught(fixture: Path) -> None:
    """Each fixture breaks one axiom kind; HermiT rejects the graph and the report names the culprit."""
    report = reason.check(_quads(fixture))
    assert not report.ok
    text = reason.format_text(report)
    assert expected(fixture) in text, text


def test_unsatisfiable_class_is_named_with_its_axioms() -> None:
    """An unsatisfiable class leaves the graph consistent but is listed with its told superclasses."""
    report = reason.check(_quads(FIXTURES / "unsatisfiable-class.ttl"))
    assert report.consistent and report.unsatisfiable == ["ak:DrugDisease"]
    assert "rdfs:subClassOf ak:Disease" in report.explanations[0]


@pytest.fixture(scope="module")
def inferred() -> set[tuple[str, str, str]]:
    """The inferred quads of the real data plus one extra subtype step, as CURIE triples."""
    quads = _quads(ROOT / "tests" / "fixtures" / "inference" / "subtype-chain.ttl")
    derived = reason.infer(quads)
    assert {q.graph_name.value for q in derived} == {graph_iri("inferred")}
    asserted = {(q.subject, q.predicate, q.object) for q in quads}
    assert not [q for q in derived if (q.subject, q.predicate, q.object) in asserted]
    show = converter().compress
    return {(show(q.subject.value), show(q.predicate.value), show(q.object.value) or q.object.value) for q in derived}


@pytest.mark.parametrize(
    "triple",
    [
        ("drug:anakinra", "rdf:type", "ak:Drug"),  # subclass axioms
        ("drug:anakinra", "rdf:type", "ak:Biopharmaceutical"),
        ("drug:anakinra", "rdf:type", "schema:Drug"),
        ("organisation:nhs-england", "rdf:type", "ak:Organisation"),
        ("drug:anakinra", "ak:hasTherapeuticUse", "use:anakinra-gout-off-label"),  # inverse of ak:drug
        ("drug:anakinra", "ak:hasAdverseReaction", "adverse-reaction:anakinra-headache"),
        ("drug:anakinra", "ak:hasContraindication", "contraindication:anakinra-latent-tuberculosis"),
        ("drug:anakinra", "ak:hasPrecaution", "precaution:anakinra-pregnancy"),
        ("drug:anakinra", "ak:hasStructuralDifference", "difference:anakinra-not-glycosylated"),
        ("event:fda-dira-approval-2020", "ak:establishes", "use:anakinra-dira-approved-us"),
        ("study:dermatology-review-2022", "ak:studiesUse", "use:anakinra-sapho-syndrome-investigational"),
        ("drug:anakinra", "ak:usedFor", "disease:gout"),  # property chains
        ("drug:anakinra", "ak:hasSideEffect", "adverse-effect:headache"),
        ("drug:anakinra", "ak:contraindicatedIn", "disease:latent-tuberculosis"),
        (  # transitive
            "disease:neonatal-onset-multisystem-inflammatory-disease",
            "ak:subtypeOf",
            "disease:autoinflammatory-syndrome",
        ),
    ],
)
def test_inferred(inferred: set[tuple[str, str, str]], triple: tuple[str, str, str]) -> None:
    """Facts only the reasoner gives (none is asserted in data/) are in the inferred graph."""
    assert triple in inferred


def test_inferred_keeps_no_trivia(inferred: set[tuple[str, str, str]]) -> None:
    """No owl:Thing memberships, reflexive sameAs or blank nodes; the ontology's own terms are not subjects."""
    assert not [t for t in inferred if t[2] in ("owl:Thing", "owl:NamedIndividual") or t[1] == "owl:sameAs"]
    assert all(not t[0].startswith(("ak:", "_:")) for t in inferred)
