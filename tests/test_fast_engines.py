"""The fast engines on the store give what the reference implementations give.

SHACL compiled to SPARQL (shacl_sparql) against pyshacl; SPARQL-rule inference (rules) against owlrl;
VoID counted by SPARQL (metadata.describe_store) against the Python count (metadata.describe). On the
article's graph with every negative fixture, and on a small synthetic graph of the benchmark generator.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from anakinra_kg import consistency, metadata, query, reason, rules, shacl_sparql, sources, validate
from benchmarks import generate

from .conftest import ROOT, expected

SHAPE_FIXTURES = sorted((ROOT / "tests" / "fixtures" / "shapes").glob("*.ttl"))
FAST_SELECT_FIXTURES = sorted((ROOT / "tests" / "fixtures" / "fast-select").glob("*.ttl"))
SUBTYPE = ROOT / "tests" / "fixtures" / "inference" / "subtype-chain.ttl"
SECOND_ROUND = ROOT / "tests" / "fixtures" / "inference" / "second-round.ttl"


def _key(v: validate.Violation) -> tuple:
    """Everything a result says, the source line included (a blank node shown as _:, its label is the engine's)."""
    value = "_:" if (v.value or "").startswith("_:") else v.value
    return tuple(x or "" for x in (v.focus, v.path, v.component, v.severity, v.shape, value, v.message, v.where))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3k-triple synthetic project (ontology, shapes, data) from the benchmark generator."""
    out = tmp_path_factory.mktemp("synthetic")
    generate.generate(out, 3000)
    return out


def _both(found: list[sources.Source], ontology: Path) -> tuple[list[tuple], list[tuple]]:
    """The sorted results of both validation engines on the same sources."""
    fast = validate.validate_sources(found, ontology, "sparql")
    reference = validate.validate_sources(found, ontology, "pyshacl")
    return sorted(map(_key, fast.violations)), sorted(map(_key, reference.violations))


def test_compiled_shacl_equals_pyshacl_on_article_and_fixtures() -> None:
    """Same focus nodes, paths, components, severities, shapes, values, messages and lines as pyshacl."""
    found = sources.discover(ROOT / "ontology", ROOT / "data") + [sources.Source(p, None) for p in SHAPE_FIXTURES]
    fast, reference = _both(found, ROOT / "ontology")
    assert len(reference) >= len(SHAPE_FIXTURES)
    assert fast == reference


def test_fast_selects_equal_sh_select_on_edge_cases() -> None:
    """Every branch of the shape:fastSelect queries (near and true duplicate events, each use status): as pyshacl."""
    found = sources.discover(ROOT / "ontology", ROOT / "data") + [sources.Source(p, None) for p in FAST_SELECT_FIXTURES]
    fast, reference = _both(found, ROOT / "ontology")
    sparql = [r for r in reference if r[2] == "sh:SPARQLConstraintComponent"]
    duplicates = {(r[0], r[5]) for r in sparql if r[4] == "shape:RegulatoryEventShape"}
    assert len(duplicates) == 4  # the three pairs of a triplicate and the pair without date or condition
    assert len([r for r in sparql if r[4] == "shape:TherapeuticUseShape"]) >= 6
    assert fast == reference


def test_compiled_shacl_equals_pyshacl_on_synthetic(synthetic: Path) -> None:
    """The generator's graph, with one broken fixture added, gives the same report from both engines."""
    found = sources.discover(synthetic / "ontology", synthetic / "data")
    found.append(sources.Source(ROOT / "tests" / "fixtures" / "shapes" / "StudyShape--no-cases.ttl", None))
    fast, reference = _both(found, synthetic / "ontology")
    assert reference and fast == reference


def _inferred_both(found: list[sources.Source]) -> tuple[set, set]:
    """The inferred triples from the SPARQL rules and from owlrl (restricted the same way)."""
    store = ox.Store()
    sources.load_into(store, found)
    assert rules.infer(store) > 0
    fast = {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, rules.INFERRED)}
    reference = {(q.subject, q.predicate, q.object) for q in reason.infer(sources.load_all(found))}
    return fast, reference


def test_sparql_rules_equal_owlrl_on_article() -> None:
    """Subclass, domain/range, inverse, sub-property, transitive and chain entailments: the same triples."""
    found = sources.discover(ROOT / "ontology", ROOT / "data") + [sources.Source(SUBTYPE, None)]
    fast, reference = _inferred_both(found)
    assert len(reference) > 500
    assert fast == reference


def test_sparql_rules_reach_the_fixpoint_over_rounds() -> None:
    """Types due to triples the first round derives come from the next round, as owlrl gives them."""
    found = sources.discover(ROOT / "ontology", ROOT / "data") + [sources.Source(SECOND_ROUND, None)]
    fast, reference = _inferred_both(found)
    ex, test = "https://example.org/second-round/", "https://w3id.org/anakinra-kg/id/test/"
    typed = {(s.value, o.value) for s, p, o in fast if p.value.endswith("#type") and s.value.startswith(test)}
    assert {(test + "x", ex + "D"), (test + "x", ex + "E"), (test + "y", ex + "R"), (test + "z", ex + "F")} <= typed
    assert fast == reference


def test_sparql_rules_equal_owlrl_on_synthetic(synthetic: Path) -> None:
    """The same on the generator's graph."""
    fast, reference = _inferred_both(sources.discover(synthetic / "ontology", synthetic / "data"))
    assert fast == reference


def _recording_threads(monkeypatch: pytest.MonkeyPatch, cls: type, method: str) -> list[str]:
    """Record the name of the thread each call of ``cls.method`` runs on."""
    names: list[str] = []
    original = getattr(cls, method)

    def recorded(*args, **kwargs):
        names.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(cls, method, recorded)
    return names


def test_side_by_side_answers_in_the_order_of_the_items() -> None:
    """The one pool the fast engines share: answers come in the items' order, whichever query ends first, and
    run on threads of the given name."""
    store = ox.Store()
    sources.load_into(store, sources.discover(ROOT / "ontology", ROOT / "data"))
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?o ?q ?r }"
    light = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/anakinra-kg/vocab/Drug> }"

    def run(text: str) -> tuple[str, int]:
        return threading.current_thread().name, int(
            next(iter(store.query(text, use_default_graph_as_union=True)))["n"].value
        )

    items = [heavy, light, heavy, light]
    one_by_one = [run(text)[1] for text in items]
    answers = list(query.side_by_side(run, items, "counting", workers=2))
    assert [n for _, n in answers] == one_by_one and one_by_one[0] != one_by_one[1]
    assert all(name.startswith("counting") for name, _ in answers)


def test_compiled_shacl_runs_side_by_side_and_keeps_its_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shapes' queries run on the validation's threads, and the results are the same list, in the same
    order, as one query after another gives."""
    store = ox.Store()
    found = sources.discover(ROOT / "ontology", ROOT / "data") + [sources.Source(p, None) for p in SHAPE_FIXTURES]
    sources.load_into(store, found)
    graphs = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode)]
    shapes = validate.load_shapes(ROOT / "ontology", [])
    alone = shacl_sparql.validate(store, shapes, graphs, workers=1)
    names = _recording_threads(monkeypatch, shacl_sparql._Runner, "__call__")
    side_by_side = shacl_sparql.validate(store, shapes, graphs, workers=4)
    assert len(alone) >= len(SHAPE_FIXTURES)
    assert side_by_side == alone
    assert len(names) > 50 and all(name.startswith("shacl") for name in names)


def test_void_counted_by_sparql_equals_python_count() -> None:
    """describe_store (SPARQL aggregates on the store) writes exactly what describe (Python sets) writes."""
    store = ox.Store()
    sources.load_into(store, sources.discover(ROOT / "ontology", ROOT / "data"))
    rules.infer(store)
    by_python = metadata.describe(list(store), endpoint="http://e/sparql", download_base="http://e/files/")
    by_sparql = metadata.describe_store(store, endpoint="http://e/sparql", download_base="http://e/files/")
    assert len(by_sparql) > 300
    assert set(by_sparql) == set(by_python)


def test_void_counting_queries_run_side_by_side(monkeypatch: pytest.MonkeyPatch) -> None:
    """describe_store's counting queries run on its threads, not one after another on the caller's."""
    store = ox.Store()
    sources.load_into(store, sources.discover(ROOT / "ontology", ROOT / "data"))
    names = _recording_threads(monkeypatch, ox.Store, "query")
    metadata.describe_store(store, endpoint="http://e/sparql", download_base="http://e/files/")
    assert len(names) >= 6 and all(name.startswith("statistics") for name in names)


REASONING = sorted((ROOT / "tests" / "fixtures" / "reasoning").glob("*.ttl"))


def _inferred_store(*extra: Path) -> ox.Store:
    """The article's graph plus fixtures, loaded and with the inferred graph materialised."""
    store = ox.Store()
    found = sources.discover(ROOT / "ontology", ROOT / "data") + [sources.Source(p, None) for p in extra]
    sources.load_into(store, found)
    rules.infer(store)
    return store


def test_scale_check_finds_the_real_graph_consistent() -> None:
    """HermiT on the TBox and the OWL 2 RL rules on the data find nothing wrong with the real graph."""
    report = reason.check_at_scale(_inferred_store())
    assert report.ok, reason.format_text(report)


@pytest.mark.parametrize("fixture", REASONING, ids=lambda p: p.stem)
def test_scale_check_catches_each_reasoning_fixture(fixture: Path) -> None:
    """Every fixture HermiT rejects on the full graph is rejected by the scale check too, naming the culprit."""
    report = reason.check_at_scale(_inferred_store(fixture))
    assert not report.ok
    text = reason.format_text(report)
    assert expected(fixture) in text, text


def test_scale_check_names_a_looping_list() -> None:
    """An owl:AllDifferent list that comes back to its first node is an error naming the axiom, not an endless walk."""
    fixture = ROOT / "tests" / "fixtures" / "lists" / "looped-all-different.ttl"
    with pytest.raises(rules.ListError, match=re.escape(expected(fixture))):
        reason.check_at_scale(_inferred_store(fixture))


def test_scale_check_leaves_blank_nodes_out_of_its_pairs() -> None:
    """Blank nodes among the members stated different or disjoint do not break the rules' VALUES tables."""
    store = _inferred_store()
    store.load(
        """@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix drug: <https://w3id.org/anakinra-kg/id/drug/> .
        [] a owl:AllDifferent ; owl:members ( drug:anakinra [] ) .
        [] a owl:AllDisjointClasses ; owl:members ( [ a owl:Class ] owl:Thing ) .""",
        format=ox.RdfFormat.TURTLE,
        to_graph=ox.NamedNode("https://example.org/fixture"),
    )
    assert consistency.errors(store) == []
