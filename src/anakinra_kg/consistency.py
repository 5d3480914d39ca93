"""Consistency of the data at scale: OWL 2 RL violation rules as SPARQL on the store (after inference).

HermiT (reason.py) decides consistency of ontology + data completely, but it holds everything in memory and
takes minutes beyond a few hundred thousand triples. For large graphs the build checks instead: the TBox
(every triple whose subject is not one of our individuals) with HermiT, which finds unsatisfiable classes;
and the data with the OWL 2 RL rules that detect inconsistency (cax-dw, cax-adc, prp-fp with distinct values,
prp-fp/prp-ifp against owl:differentFrom / owl:AllDifferent), run as SPARQL on the store once the inferred
graph (types from subclass, domain, range, inverse properties) is materialised. This is sound (every
error found is a real inconsistency) and complete for the axiom kinds the ontology uses (disjoint classes,
functional properties, different individuals); an axiom kind beyond OWL 2 RL would need HermiT on the data.
"""

from __future__ import annotations

import pyoxigraph as ox

from . import rules
from .prefixes import ID, STANDARD, graph_iri
from .prefixes import shorten_iris as shorten

OWL = STANDARD["owl"]
RDF = STANDARD["rdf"]

# The pairs of classes stated disjoint and the pairs of individuals stated different are read once and come first
# as a VALUES table ({pairs}): walking the axioms' lists (rdf:rest*/rdf:first) inside the rules left them at the
# mercy of the join order Oxigraph picked, and ran for minutes at 1M triples.
DISJOINT = """SELECT DISTINCT ?x ?c1 ?c2 WHERE { {pairs} ?x a ?c1 , ?c2 . }"""
FUNCTIONAL_LITERALS = f"""
SELECT DISTINCT ?x ?p ?y1 ?y2 WHERE {{
  ?p a <{OWL}FunctionalProperty> . ?x ?p ?y1 , ?y2 .
  FILTER (isLiteral(?y1) && isLiteral(?y2) && !sameTerm(?y1, ?y2) && COALESCE(?y1 != ?y2, true))
}}"""
FUNCTIONAL_DIFFERENT = f"""
SELECT DISTINCT ?x ?p ?y1 ?y2 WHERE {{
  {{pairs}} ?p a <{OWL}FunctionalProperty> . ?x ?p ?y1 . ?x ?p ?y2 . FILTER (STR(?y1) < STR(?y2))
}}"""
INVERSE_FUNCTIONAL = f"""
SELECT DISTINCT ?x ?p ?y1 ?y2 WHERE {{
  {{pairs}} ?q a <{OWL}FunctionalProperty> ; <{OWL}inverseOf>|^<{OWL}inverseOf> ?p .
  ?y1 ?p ?x . ?y2 ?p ?x . FILTER (STR(?y1) < STR(?y2))
}}"""


def disjoint(store: ox.Store) -> set[tuple[ox.Term, ox.Term]]:
    """The pairs of classes stated disjoint (owl:disjointWith as stated, owl:AllDisjointClasses members)."""
    pairs = {
        (quad.subject, quad.object) for quad in store.quads_for_pattern(None, ox.NamedNode(OWL + "disjointWith"), None)
    }
    for members in _lists(store, "AllDisjointClasses", ("members",)):
        pairs |= {(a, b) for a in members for b in members if str(a) < str(b)}
    return pairs


def different(store: ox.Store) -> set[tuple[ox.Term, ox.Term]]:
    """The pairs of individuals stated different (owl:differentFrom either way, owl:AllDifferent members)."""
    pairs = set()
    for quad in store.quads_for_pattern(None, ox.NamedNode(OWL + "differentFrom"), None):
        pairs |= {(quad.subject, quad.object), (quad.object, quad.subject)}
    for members in _lists(store, "AllDifferent", ("distinctMembers", "members")):
        pairs |= {(a, b) for a in members for b in members if a != b}
    return pairs


def _lists(store: ox.Store, cls: str, properties: tuple[str, ...]) -> list[list[ox.Term]]:
    """The member lists of every axiom typed ``owl:{cls}``, under each of ``properties``."""
    found = []
    for quad in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), ox.NamedNode(OWL + cls)):
        for kind in properties:
            for listed in store.quads_for_pattern(quad.subject, ox.NamedNode(OWL + kind), None):
                found.append(rules.members(store, listed.object, f"an owl:{cls} axiom (owl:{kind})"))
    return found


def errors(store: ox.Store) -> list[str]:
    """The inconsistencies the OWL 2 RL rules find in the store (all graphs), naming individuals and axioms."""
    found = []
    for row in _rows(store, DISJOINT, disjoint(store), "?c1 ?c2"):
        x, c1, c2 = (row[v].value for v in ("x", "c1", "c2"))
        if x.startswith(ID):
            found.append(shorten(f"{x} is both {c1} and {c2}, which are disjoint classes"))
    pairs = different(store)
    for row in _rows(store, FUNCTIONAL_LITERALS) + _rows(store, FUNCTIONAL_DIFFERENT, pairs):
        x, p, y1, y2 = (row[v] for v in ("x", "p", "y1", "y2"))
        found.append(shorten(f"{x.value} has two different values of the functional {p.value}: {y1} and {y2}"))
    for row in _rows(store, INVERSE_FUNCTIONAL, pairs):
        x, p, y1, y2 = (row[v].value for v in ("x", "p", "y1", "y2"))
        found.append(shorten(f"{x} is the {p} of two different individuals {y1} and {y2}, but it has only one"))
    return sorted(set(found))


def _rows(
    store: ox.Store, query: str, pairs: set[tuple[ox.Term, ox.Term]] | None = None, variables: str = "?y1 ?y2"
) -> list[ox.QuerySolution]:
    """Run a rule on the union of the graphs, with ``pairs`` as the VALUES table of ``variables`` at ``{pairs}``.

    Only pairs of IRIs go in (a VALUES table cannot hold blank nodes, and a blank node matches nothing stated
    about a named one). A rule that needs such pairs finds nothing when there are none, so it is not run then.
    """
    if pairs is not None:
        named = sorted(
            ((a, b) for a, b in pairs if isinstance(a, ox.NamedNode) and isinstance(b, ox.NamedNode)), key=str
        )
        if not named:
            return []
        rows = " ".join(f"({a} {b})" for a, b in named)
        query = query.replace("{pairs}", f"VALUES ({variables}) {{ {rows} }}")
    return list(store.query(query, use_default_graph_as_union=True))


def tbox(store: ox.Store) -> list[ox.Quad]:
    """The schema part of the store: every asserted quad whose subject is not one of our individuals."""
    rows = store.query(
        f"""SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }}
              FILTER (?g != <{graph_iri("inferred")}> && !(isIRI(?s) && STRSTARTS(STR(?s), "{ID}"))) }}"""
    )
    return [ox.Quad(row["s"], row["p"], row["o"], row["g"]) for row in rows]
