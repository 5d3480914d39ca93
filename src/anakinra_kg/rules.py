"""OWL 2 RL materialisation on the store: the inferred graph, by SPARQL rules run to a fixpoint.

The axioms (subclass, equivalent class, domain, range, someValuesFrom restrictions, sub-property, inverse,
symmetric, transitive properties, property chains) are read from the store (the ontology and imported
modules), their closures taken once in Python (the schema is small), and then one SPARQL CONSTRUCT per
rule kind runs over the data, with the closed axioms as a VALUES table. Rounds repeat until nothing new
is derived. What is kept is what ``reason.infer`` (owlrl, the reference) keeps: entailments about the
project's individuals (subjects under ID), no blank nodes, no trivial types.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox

from .prefixes import ID, STANDARD, graph_iri

INFERRED = ox.NamedNode(graph_iri("inferred"))
RDF, RDFS, OWL = STANDARD["rdf"], STANDARD["rdfs"], STANDARD["owl"]
TYPE = ox.NamedNode(RDF + "type")
TRIVIAL = {OWL + "Thing", OWL + "NamedIndividual", RDFS + "Resource"}
MAX_ROUNDS = 50


def _edges(store: ox.Store, predicate: str) -> list[tuple[ox.NamedNode | ox.BlankNode, ox.Term]]:
    """All (subject, object) pairs of a schema predicate, in any graph but the inferred one."""
    node = ox.NamedNode(predicate)
    return [(q.subject, q.object) for q in store.quads_for_pattern(None, node, None) if q.graph_name != INFERRED]


def _closure(pairs: Iterable[tuple[ox.Term, ox.Term]], symmetric: bool = False) -> dict[ox.Term, set[ox.Term]]:
    """Reflexive-free transitive closure of a relation given as pairs: node -> everything it reaches."""
    step: dict[ox.Term, set[ox.Term]] = defaultdict(set)
    for a, b in pairs:
        step[a].add(b)
        if symmetric:
            step[b].add(a)
    reach: dict[ox.Term, set[ox.Term]] = {}
    for start in list(step):
        seen: set[ox.Term] = set()
        todo = list(step[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(step.get(node, ()))
        reach[start] = seen - {start}
    return reach


def _list(store: ox.Store, head: ox.Term) -> list[ox.Term]:
    """The members of an RDF list."""
    first, rest, nil = (ox.NamedNode(RDF + n) for n in ("first", "rest", "nil"))
    members = []
    while head != nil:
        members.append(next(store.quads_for_pattern(head, first, None)).object)
        head = next(store.quads_for_pattern(head, rest, None)).object
    return members


class Schema:
    """The axioms the rules use, read from the store and closed."""

    def __init__(self, store: ox.Store) -> None:
        classes = _edges(store, RDFS + "subClassOf")
        equivalent = _edges(store, OWL + "equivalentClass")
        supers = _closure(classes + equivalent + [(b, a) for a, b in equivalent])
        self.supers = {c: {d for d in ds if _named(d)} for c, ds in supers.items()}
        sub_props = _edges(store, RDFS + "subPropertyOf")
        eq_props = _edges(store, OWL + "equivalentProperty")
        self.super_props = _closure(sub_props + eq_props + [(b, a) for a, b in eq_props])
        inverse = _edges(store, OWL + "inverseOf")
        symmetric = [(p, p) for p, _ in self._typed(store, OWL + "SymmetricProperty")]
        self.inverses = {(p, q) for p, q in inverse} | {(q, p) for p, q in inverse} | set(symmetric)
        self.transitive = [p for p, _ in self._typed(store, OWL + "TransitiveProperty")]
        self.domains = [(p, d) for p, c in _edges(store, RDFS + "domain") for d in self._up(c)]
        self.ranges = [(p, d) for p, c in _edges(store, RDFS + "range") for d in self._up(c)]
        on_property = dict(_edges(store, OWL + "onProperty"))
        self.some = [
            (on_property[r], k, d)
            for r, k in _edges(store, OWL + "someValuesFrom")
            if r in on_property
            for d in self.supers.get(r, ())
        ]
        self.chains = [(p, _list(store, head)) for p, head in _edges(store, OWL + "propertyChainAxiom")]

    def _up(self, cls: ox.Term) -> set[ox.Term]:
        """A named class and its named superclasses."""
        return ({cls} if _named(cls) else set()) | self.supers.get(cls, set())

    @staticmethod
    def _typed(store: ox.Store, cls: str) -> list[tuple[ox.Term, ox.Term]]:
        """The subjects typed with ``cls`` (as pairs, for _edges' shape)."""
        return [(q.subject, q.object) for q in store.quads_for_pattern(None, TYPE, ox.NamedNode(cls))]

    def rules(self) -> list[tuple[str, bool]]:
        """One SPARQL CONSTRUCT per rule kind, each deriving only what is not yet in the store.

        Each comes with whether its body is a single triple pattern (then, after the first round, it only
        needs to see the triples the previous round added: semi-naive evaluation).
        """
        subclass = [(c, d) for c, ds in self.supers.items() if _named(c) for d in ds]
        single = [
            _rule("?x a ?d", "?x a ?c", ("c", "d"), subclass, "?x a ?d"),
            _rule("?x a ?d", "?x ?p ?y", ("p", "d"), self.domains, "?x a ?d"),
            _rule("?x a ?d", "?y ?p ?x", ("p", "d"), self.ranges, "?x a ?d"),
            _rule("?x ?q ?y", "?x ?p ?y", ("p", "q"), [(p, q) for p, qs in self.super_props.items() for q in qs]),
            _rule("?x ?q ?y", "?y ?p ?x", ("p", "q"), sorted(self.inverses, key=str)),
        ]
        out = [_rule("?x a ?d", "?x ?p ?y . ?y a ?k", ("p", "k", "d"), self.some, "?x a ?d")]
        out += [_rule(f"?x {p} ?y", f"?x {p}/{p}+ ?y", (), [()]) for p in self.transitive]
        for prop, chain in self.chains:
            hops = " . ".join(f"?v{i} {step} ?v{i + 1}" for i, step in enumerate(chain))
            out.append(
                _rule(f"?x {prop} ?y", hops.replace("?v0 ", "?x ", 1).replace(f"?v{len(chain)}", "?y"), (), [()])
            )
        return [(rule, True) for rule in single if rule] + [(rule, False) for rule in out if rule]


def _named(term: ox.Term) -> bool:
    """True for an IRI that is not a trivial class."""
    return isinstance(term, ox.NamedNode) and term.value not in TRIVIAL


def _rule(head: str, body: str, names: tuple[str, ...], rows: list[tuple], new: str | None = None) -> str:
    """A CONSTRUCT of ``head`` from ``body`` joined with a VALUES table, keeping only new triples about ID."""
    rows = [row for row in rows if all(isinstance(t, ox.NamedNode) for t in row)]
    if not rows:
        return ""
    values = ""
    if names:
        lines = " ".join("(" + " ".join(str(t) for t in row) + ")" for row in rows)
        values = f"VALUES ({' '.join('?' + n for n in names)}) {{ {lines} }}"
    return (
        f"CONSTRUCT {{ {head} }} WHERE {{ {values} {body} . "
        f'FILTER (isIRI(?x) && STRSTARTS(STR(?x), "{ID}")) '
        f"FILTER NOT EXISTS {{ {new or head} }} }}"
    )


def infer(store: ox.Store) -> int:
    """The build's derive step: materialise the entailments into graph/inferred; return how many were added.

    The first round runs every rule on the whole store; later rounds run the single-pattern rules only on
    the triples the round before added (held in a small in-memory store), checking novelty against the
    store, and the multi-pattern rules (restrictions, transitivity, chains) on the whole store again.
    """
    rules = Schema(store).rules()
    total, delta = 0, None
    for _ in range(MAX_ROUNDS):
        found: set[ox.Triple] = set()
        for rule, single in rules:
            if delta is None or not single:
                found.update(store.query(rule, use_default_graph_as_union=True))
            else:
                found.update(t for t in delta.query(rule) if next(store.quads_for_pattern(*t), None) is None)
        quads = [ox.Quad(t.subject, t.predicate, t.object, INFERRED) for t in found if _keep(t)]
        if not quads:
            return total
        store.bulk_extend(quads)
        total += len(quads)
        delta = ox.Store()
        delta.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    raise RuntimeError(f"inference did not reach a fixpoint in {MAX_ROUNDS} rounds")


def _keep(triple: ox.Triple) -> bool:
    """Drop results with a blank-node object (not part of the inferred graph)."""
    return not isinstance(triple.object, ox.BlankNode)
