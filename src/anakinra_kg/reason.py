"""OWL reasoning: HermiT (via owlready2) checks consistency; owlrl materialises the inferred graph.

HermiT is a complete OWL 2 DL reasoner, so it decides consistency and class satisfiability, but it
gives no explanations and owlready2 hands back only the property values of chains, not the class
memberships or inverse and transitive values a researcher wants to query. owlrl applies the OWL 2 RL
rules (subclass and equivalence, inverse, transitive, sub-property, property chains, domain and range)
to the graph itself, in about a second, and names the individuals and axioms of the rule an
inconsistency breaks; it supplies both the inferred graph and the explanations.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import owlready2
import owlrl
import pyoxigraph as ox
import rdflib
from owlrl.Namespaces import ERRNS
from rdflib.namespace import OWL, RDF, RDFS, XSD

from . import consistency, sources
from .prefixes import ID, graph_iri
from .prefixes import shorten_iris as shorten

INFERRED = graph_iri("inferred")
HERMIT_LIMIT = 200_000  # quads up to which HermiT reasons over ontology + data (beyond: check_at_scale)
# Literal datatypes HermiT rejects (not in the OWL 2 datatype map); their lexical form is kept as a string.
NOT_OWL2 = {XSD.gYear, XSD.gYearMonth, XSD.gMonth, XSD.gDay, XSD.gMonthDay, XSD.date, XSD.time, XSD.duration}
# Types that tell nothing (every individual has them).
TRIVIAL_TYPES = {OWL.Thing, OWL.NamedIndividual, RDFS.Resource}


@dataclass(frozen=True)
class ReasoningReport:
    """What HermiT says about ontology + data, with OWL RL explanations when something is wrong."""

    consistent: bool
    unsatisfiable: list[str]
    explanations: list[str]
    seconds: float

    @property
    def ok(self) -> bool:
        """True when the graph is consistent and every class is satisfiable."""
        return self.consistent and not self.unsatisfiable


class ReasoningError(Exception):
    """Ontology + data are inconsistent or a class is unsatisfiable; carries the report."""

    def __init__(self, report: ReasoningReport) -> None:
        self.report = report
        super().__init__(format_text(report))


def _asserted(quads: Iterable[ox.Quad]) -> rdflib.Graph:
    """The asserted graph: every quad but those of the inferred graph."""
    return sources.to_rdflib([q for q in quads if q.graph_name.value != INFERRED])


def check(quads: list[ox.Quad]) -> ReasoningReport:
    """Run HermiT on ontology + data; on failure add OWL RL explanations and the told axioms of bad classes."""
    graph = _asserted(quads)
    started = time.perf_counter()
    consistent, unsatisfiable = _hermit(graph)
    seconds = time.perf_counter() - started
    explanations: list[str] = []
    if not consistent:
        explanations = closure_errors(graph)
    for iri in unsatisfiable:
        told = [f"{shorten(str(p))} {shorten(str(o))}" for p, o in graph.predicate_objects(rdflib.URIRef(iri))]
        explanations.append(f"{shorten(iri)} is unsatisfiable; its told axioms: " + ", ".join(sorted(told)))
    return ReasoningReport(consistent, [shorten(c) for c in unsatisfiable], explanations, seconds)


def check_at_scale(store: ox.Store) -> ReasoningReport:
    """HermiT on the TBox (unsatisfiable classes), the OWL 2 RL violation rules in SPARQL on the data."""
    started = time.perf_counter()
    graph = _asserted(consistency.tbox(store))
    consistent, unsatisfiable = _hermit(graph)
    data_errors = consistency.errors(store)
    explanations = list(data_errors)
    for iri in unsatisfiable:
        told = [f"{shorten(str(p))} {shorten(str(o))}" for p, o in graph.predicate_objects(rdflib.URIRef(iri))]
        explanations.append(f"{shorten(iri)} is unsatisfiable; its told axioms: " + ", ".join(sorted(told)))
    consistent = consistent and not data_errors
    return ReasoningReport(consistent, [shorten(c) for c in unsatisfiable], explanations, time.perf_counter() - started)


def _hermit(graph: rdflib.Graph) -> tuple[bool, list[str]]:
    """Return (consistent, IRIs of unsatisfiable classes) as HermiT decides them."""
    for s, p, o in list(graph):
        if isinstance(o, rdflib.Literal) and o.datatype in NOT_OWL2:
            graph.remove((s, p, o))
            graph.add((s, p, rdflib.Literal(str(o))))
    world = owlready2.World()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ontology-and-data.nt"
        graph.serialize(path, format="nt", encoding="utf-8")
        world.get_ontology(path.as_uri()).load(format="ntriples")
        try:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            return False, []
    unsatisfiable = sorted(c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing)
    world.close()
    return True, unsatisfiable


def closure_errors(graph: rdflib.Graph) -> list[str]:
    """Return the inconsistencies the OWL RL rules find (naming individuals and axioms), as CURIEs."""
    expanded = _closure(graph)
    return sorted(shorten(str(m)) for m in expanded.objects(None, ERRNS.error))


def _closure(graph: rdflib.Graph) -> rdflib.Graph:
    """A copy of the graph expanded with the OWL 2 RL rules."""
    expanded = rdflib.Graph()
    expanded += graph
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(expanded)
    return expanded


def infer(quads: list[ox.Quad]) -> list[ox.Quad]:
    """The build's derive step: the OWL RL entailments about our individuals not already asserted.

    Kept: class memberships (hierarchy, equivalences, domains and ranges), inverse, transitive and
    super-property values and property chains, for subjects under the project's ID namespace; dropped:
    trivial types, reflexive owl:sameAs and anything with a blank node.
    """
    asserted = _asserted(quads)
    expanded = _closure(asserted)
    graph = ox.NamedNode(INFERRED)
    inferred = []
    for s, p, o in expanded - asserted:
        if not (isinstance(s, rdflib.URIRef) and s.startswith(ID)) or isinstance(o, rdflib.BNode):
            continue
        if (p == RDF.type and o in TRIVIAL_TYPES) or (p == OWL.sameAs and s == o):
            continue
        inferred.append(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), _ox_object(o), graph))
    return inferred


def _ox_object(term: rdflib.term.Node) -> ox.NamedNode | ox.Literal:
    """Convert an rdflib IRI or literal to pyoxigraph."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(term)
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(term.datatype or XSD.string))


def gate(store: ox.Store) -> None:
    """A build check: raise ReasoningError unless the graph is consistent and every class satisfiable.

    Up to HERMIT_LIMIT quads HermiT decides on ontology + data; beyond, HermiT checks the TBox and the OWL 2
    RL violation rules (consistency.py, as SPARQL on the store, after inference) check the data.
    """
    report = check(list(store)) if len(store) <= HERMIT_LIMIT else check_at_scale(store)
    if not report.ok:
        raise ReasoningError(report)


def format_text(report: ReasoningReport) -> str:
    """Format a reasoning report for people."""
    if report.ok:
        return (
            f"consistent: HermiT finds ontology + data consistent, every class satisfiable ({report.seconds:.1f} s)\n"
        )
    head = "inconsistent: HermiT finds ontology + data inconsistent" if not report.consistent else "unsatisfiable"
    lines = [f"{head} ({report.seconds:.1f} s)"]
    lines += [f"  unsatisfiable: {c}" for c in report.unsatisfiable]
    lines += [f"  {e}" for e in report.explanations]
    if not report.explanations:
        lines.append("  the OWL 2 RL rules locate no single cause (it needs OWL 2 DL reasoning, e.g. a data value)")
    return "\n".join(lines) + "\n"
