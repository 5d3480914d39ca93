"""OWL 2 RL materialisation on the store: the inferred graph, by SPARQL rules run to a fixpoint.

The axioms (subclass, equivalent class, domain, range, someValuesFrom restrictions, sub-property, inverse,
symmetric, transitive properties, property chains) are read from the store (the ontology and imported
modules), their closures taken once in Python (the schema is small), and then one SPARQL CONSTRUCT query per
rule kind runs over the data, with the closed axioms as a VALUES table; what it derives is loaded into the
inferred graph and into a scratch graph of the round, which the next round reads (semi-naive). Rounds repeat
until nothing new is derived. What is kept is what ``reason.infer`` (owlrl, the reference) keeps: entailments about the
project's individuals (subjects under ID), no blank nodes, no trivial types.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from .prefixes import ID, STANDARD, graph_iri
from .prefixes import shorten_iris as shorten
from .query import side_by_side

INFERRED = ox.NamedNode(graph_iri("inferred"))
RDF, RDFS, OWL = STANDARD["rdf"], STANDARD["rdfs"], STANDARD["owl"]
TYPE = ox.NamedNode(RDF + "type")
TRIVIAL = {OWL + "Thing", OWL + "NamedIndividual", RDFS + "Resource"}
MAX_ROUNDS = 50
SCRATCH = "urn:anakinra-kg:inference-round:"  # graphs holding what one round added (dropped after)


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


class ListError(ValueError):
    """An RDF list in the sources is malformed: a node without one rdf:first and one rdf:rest, or a cycle."""


def members(store: ox.Store, head: ox.Term, owner: str) -> list[ox.Term]:
    """The members of an RDF list; ``owner`` says where the list hangs, for the error on a malformed one."""
    first, rest, nil = (ox.NamedNode(RDF + n) for n in ("first", "rest", "nil"))
    members, seen, node = [], set(), head
    while node != nil:
        if node in seen:
            raise ListError(shorten(f"the RDF list of {owner} comes back to {node}: it has no end (rdf:nil)"))
        seen.add(node)
        firsts = {quad.object for quad in store.quads_for_pattern(node, first, None)}
        rests = {quad.object for quad in store.quads_for_pattern(node, rest, None)}
        if len(firsts) != 1 or len(rests) != 1:
            raise ListError(
                shorten(
                    f"the RDF list of {owner} is malformed at {node}: it has {len(firsts)} rdf:first and "
                    f"{len(rests)} rdf:rest, where a list node has one of each"
                )
            )
        members.append(firsts.pop())
        node = rests.pop()
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
        self.chains = [
            (p, members(store, head, f"the property chain of {p.value}"))
            for p, head in _edges(store, OWL + "propertyChainAxiom")
        ]

    def _up(self, cls: ox.Term) -> set[ox.Term]:
        """A named class and its named superclasses."""
        return ({cls} if _named(cls) else set()) | self.supers.get(cls, set())

    @staticmethod
    def _typed(store: ox.Store, cls: str) -> list[tuple[ox.Term, ox.Term]]:
        """The subjects typed with ``cls`` (as pairs, for _edges' shape)."""
        return [(q.subject, q.object) for q in store.quads_for_pattern(None, TYPE, ox.NamedNode(cls))]

    def rules(self) -> list[Rule]:
        """One rule per rule kind, each deriving only what is not yet in the store.

        Single-pattern rules come first: after the first round they only need to see the triples the
        previous round added (semi-naive evaluation); the others (restrictions, transitivity, chains) see
        the whole store every round.
        """
        subclass = [(c, d) for c, ds in self.supers.items() if _named(c) for d in ds]
        single = [
            _rule("?x a ?d", "?x a ?c", ("c", "d"), subclass, "?x a ?d"),
            _rule("?x a ?d", "?x ?p ?y", ("p", "d"), self.domains, "?x a ?d"),
            _rule("?x a ?d", "?y ?p ?x", ("p", "d"), self.ranges, "?x a ?d"),
            _rule("?x ?q ?y", "?x ?p ?y", ("p", "q"), [(p, q) for p, qs in self.super_props.items() for q in qs]),
            _rule("?x ?q ?y", "?y ?p ?x", ("p", "q"), sorted(self.inverses, key=str)),
        ]
        out = [_rule("?x a ?d", "?x ?p ?y . ?y a ?k", ("p", "k", "d"), self.some, "?x a ?d", single=False)]
        out += [_rule(f"?x {p} ?y", f"?x {p}/{p}+ ?y", (), [()], single=False) for p in self.transitive]
        for prop, chain in self.chains:
            hops = " . ".join(f"?v{i} {step} ?v{i + 1}" for i, step in enumerate(chain))
            body = hops.replace("?v0 ", "?x ", 1).replace(f"?v{len(chain)}", "?y")
            out.append(_rule(f"?x {prop} ?y", body, (), [()], single=False))
        return [rule for rule in single + out if rule]


@dataclass(frozen=True)
class Rule:
    """A rule as SPARQL parts: ``head`` derived from ``body`` joined with ``values``, if ``new`` is not stated yet."""

    head: str
    body: str
    values: str
    new: str
    single: bool  # the body is one triple pattern (semi-naive evaluation applies)

    def construct(self, graphs: list[ox.NamedNode], delta: ox.NamedNode | None) -> str:
        """The rule as a query constructing its new triples (read-only, so rules can run side by side).

        The default graph is the union of ``graphs``; with ``delta`` the body is matched in that graph only.
        """
        sources = " ".join(f"FROM {g}" for g in graphs)
        head = f"CONSTRUCT {{ {self.head} }} {sources}"
        if delta is not None:
            body = f"GRAPH {delta} {{ {self.body} }}"
            return f"{head} FROM NAMED {delta} WHERE {{ {self.values} {body} . {self._filters()} }}"
        if self.head.startswith("?x a "):
            # Many (property, class) rows give the same type: deduplicate before the anti-join.
            distinct = f"SELECT DISTINCT ?x ?d WHERE {{ {self.values} {self.body} . {self._filters(new=False)} }}"
            return f"{head} WHERE {{ {{ {distinct} }} MINUS {{ {self.new} }} }}"
        return f"{head} WHERE {{ {self.values} {self.body} . {self._filters()} }}"

    def _filters(self, *, new: bool = True) -> str:
        """About the project's individuals, no blank-node object, (with ``new``) not stated yet."""
        obj = self.head.split()[-1]
        blank = f"FILTER (!isBlank({obj})) " if obj.startswith("?") else ""
        novel = f"FILTER NOT EXISTS {{ {self.new} }}" if new else ""
        return f'FILTER (isIRI(?x) && STRSTARTS(STR(?x), "{ID}")) {blank}{novel}'


def _named(term: ox.Term) -> bool:
    """True for an IRI that is not a trivial class."""
    return isinstance(term, ox.NamedNode) and term.value not in TRIVIAL


def _rule(
    head: str, body: str, names: tuple[str, ...], rows: list[tuple], new: str | None = None, *, single: bool = True
) -> Rule | None:
    """A rule deriving ``head`` from ``body`` joined with a VALUES table (None when the table is empty)."""
    rows = [row for row in rows if all(isinstance(t, ox.NamedNode) for t in row)]
    if not rows:
        return None
    values = ""
    if names:
        lines = " ".join("(" + " ".join(str(t) for t in row) + ")" for row in rows)
        values = f"VALUES ({' '.join('?' + n for n in names)}) {{ {lines} }}"
    return Rule(head, body, values, new or head, single)


def infer(store: ox.Store) -> int:
    """The build's derive step: materialise the entailments into graph/inferred; return how many were added.

    Each round runs every rule as a CONSTRUCT query, side by side (``query.side_by_side``: queries only
    read), and loads what each derives, as N-Triples, into the inferred graph and
    into a scratch graph of the round: no triple goes through Python objects. The next round runs the
    single-pattern rules on that scratch graph only, the others on the whole store again. A query may see
    what another rule of its round has loaded already; it only derives what is not stated yet, and rounds
    repeat until one adds nothing, so the result is the same fixpoint. When the inferred graph starts empty
    (as in a build), what the first round adds is the inferred graph itself, so that round writes no scratch
    copy. The scratch graphs are dropped at the end.
    """
    rules = Schema(store).rules()
    graphs = sorted({g for g in store.named_graphs() if isinstance(g, ox.NamedNode)} | {INFERRED}, key=str)
    before = _size(store, INFERRED)
    delta: ox.NamedNode | None = None

    def derive(text: str) -> bytes:
        return store.query(text).serialize(format=ox.RdfFormat.N_TRIPLES)

    try:
        for round_ in range(MAX_ROUNDS):
            added = None if round_ == 0 and before == 0 else ox.NamedNode(f"{SCRATCH}{round_}")
            queries = [rule.construct(graphs, delta if rule.single else None) for rule in rules]
            for triples in side_by_side(derive, queries, "infer"):
                for graph in (INFERRED, added) if added is not None else (INFERRED,):
                    store.load(triples, format=ox.RdfFormat.N_TRIPLES, to_graph=graph, lenient=True)
            if delta is not None and delta != INFERRED:
                store.remove_graph(delta)
            delta = added or INFERRED
            if not store.query(f"ASK {{ GRAPH {delta} {{ ?s ?p ?o }} }}"):
                return _size(store, INFERRED) - before
    finally:
        for graph in list(store.named_graphs()):
            if isinstance(graph, ox.NamedNode) and graph.value.startswith(SCRATCH):
                store.remove_graph(graph)
    raise RuntimeError(f"inference did not reach a fixpoint in {MAX_ROUNDS} rounds")


def _size(store: ox.Store, graph: ox.NamedNode) -> int:
    """The number of quads in a graph."""
    return int(next(iter(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")))["n"].value)
