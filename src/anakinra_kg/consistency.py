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

DISJOINT = f"""
SELECT DISTINCT ?x ?c1 ?c2 WHERE {{
  {{ ?c1 <{OWL}disjointWith> ?c2 }}
  UNION {{ ?all a <{OWL}AllDisjointClasses> ; <{OWL}members> ?list .
           ?list <{RDF}rest>*/<{RDF}first> ?c1 . ?list <{RDF}rest>*/<{RDF}first> ?c2 . FILTER (?c1 != ?c2) }}
  ?x a ?c1 , ?c2 .
  FILTER (STR(?c1) < STR(?c2) || EXISTS {{ ?c1 <{OWL}disjointWith> ?c2 }})
}}"""
FUNCTIONAL_LITERALS = f"""
SELECT DISTINCT ?x ?p ?y1 ?y2 WHERE {{
  ?p a <{OWL}FunctionalProperty> . ?x ?p ?y1 , ?y2 .
  FILTER (isLiteral(?y1) && isLiteral(?y2) && !sameTerm(?y1, ?y2) && COALESCE(?y1 != ?y2, true))
}}"""
# The pairs stated different come first as a VALUES table: a FILTER EXISTS over owl:AllDifferent lists
# (rdf:rest*/rdf:first) was at the mercy of the join order Oxigraph picked, and ran for minutes at 1M triples.
FUNCTIONAL_DIFFERENT = f"""
SELECT DISTINCT ?x ?p ?y1 ?y2 WHERE {{
  {{pairs}} ?p a <{OWL}FunctionalProperty> . ?x ?p ?y1 . ?x ?p ?y2 . FILTER (STR(?y1) < STR(?y2))
}}"""
INVERSE_FUNCTIONAL = f"""
SELECT DISTINCT ?x ?p ?y1 ?y2 WHERE {{
  {{pairs}} ?q a <{OWL}FunctionalProperty> ; <{OWL}inverseOf>|^<{OWL}inverseOf> ?p .
  ?y1 ?p ?x . ?y2 ?p ?x . FILTER (STR(?y1) < STR(?y2))
}}"""


def different(store: ox.Store) -> set[tuple[ox.Term, ox.Term]]:
    """The pairs of named individuals stated different (owl:differentFrom either way, owl:AllDifferent members)."""
    pairs = set()
    for quad in store.quads_for_pattern(None, ox.NamedNode(OWL + "differentFrom"), None):
        pairs |= {(quad.subject, quad.object), (quad.object, quad.subject)}
    for quad in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), ox.NamedNode(OWL + "AllDifferent")):
        for kind in ("distinctMembers", "members"):
            for listed in store.quads_for_pattern(quad.subject, ox.NamedNode(OWL + kind), None):
                members = rules.members(store, listed.object)
                pairs |= {(a, b) for a in members for b in members if a != b}
    return {(a, b) for a, b in pairs if isinstance(a, ox.NamedNode) and isinstance(b, ox.NamedNode)}


def errors(store: ox.Store) -> list[str]:
    """The inconsistencies the OWL 2 RL rules find in the store (all graphs), naming individuals and axioms."""
    found = []
    for row in store.query(DISJOINT, use_default_graph_as_union=True):
        x, c1, c2 = (row[v].value for v in ("x", "c1", "c2"))
        if x.startswith(ID):
            found.append(shorten(f"{x} is both {c1} and {c2}, which are disjoint classes"))
    pairs = different(store)
    for row in _rows(store, FUNCTIONAL_LITERALS, pairs) + _rows(store, FUNCTIONAL_DIFFERENT, pairs):
        x, p, y1, y2 = (row[v] for v in ("x", "p", "y1", "y2"))
        found.append(shorten(f"{x.value} has two different values of the functional {p.value}: {y1} and {y2}"))
    for row in _rows(store, INVERSE_FUNCTIONAL, pairs):
        x, p, y1, y2 = (row[v].value for v in ("x", "p", "y1", "y2"))
        found.append(shorten(f"{x} is the {p} of two different individuals {y1} and {y2}, but it has only one"))
    return sorted(set(found))


def _rows(store: ox.Store, query: str, pairs: set[tuple[ox.Term, ox.Term]]) -> list[ox.QuerySolution]:
    """Run a rule on the union of the graphs, with the pairs stated different as the VALUES table of ``{pairs}``.

    A rule that needs such pairs finds nothing when there are none, so it is not run then.
    """
    if "{pairs}" in query:
        if not pairs:
            return []
        rows = " ".join(f"({a} {b})" for a, b in sorted(pairs, key=str))
        query = query.replace("{pairs}", f"VALUES (?y1 ?y2) {{ {rows} }}")
    return list(store.query(query, use_default_graph_as_union=True))


def tbox(store: ox.Store) -> list[ox.Quad]:
    """The schema part of the store: every asserted quad whose subject is not one of our individuals."""
    rows = store.query(
        f"""SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }}
              FILTER (?g != <{graph_iri("inferred")}> && !(isIRI(?s) && STRSTARTS(STR(?s), "{ID}"))) }}"""
    )
    return [ox.Quad(row["s"], row["p"], row["o"], row["g"]) for row in rows]
