"""The content of a resource's page, gathered by the page queries and arranged for reading.

A page holds the header (label, types, definition, other names), the external identifiers, the evidence
that names the resource, its statements grouped by property (each direct relation with the evidence of
its ak:AttributedStatement), the fact nodes pointing at it as tables (uses, events, studies, adverse
reactions, ...), each row with its own evidence, and the other resources that point at it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..prefixes import GRAPH, STANDARD, VOCAB
from . import lookup
from .render import Identifier, Renderer, Term, Value, curie, identifier, xref

RDF, RDFS, SKOS = STANDARD["rdf"], STANDARD["rdfs"], STANDARD["skos"]
TYPE, LABEL, ALT_LABEL = RDF + "type", RDFS + "label", SKOS + "altLabel"
EVIDENCE = VOCAB + "evidence"
DEFINITIONS = (STANDARD["obo"] + "IAO_0000115", SKOS + "definition")
MATCHES = tuple(SKOS + m for m in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch"))
XREF = STANDARD["oboInOwl"] + "hasDbXref"
INFERRED = GRAPH + "inferred"
SHOWN_ELSEWHERE = {TYPE, LABEL, ALT_LABEL, EVIDENCE, XREF, *DEFINITIONS, *MATCHES}
SSSOM_MAPPING = "https://w3id.org/sssom/Mapping"
# Nodes that state one fact each, shown as tables on the pages they point at (in this order), and their titles.
FACT_CLASSES = {
    VOCAB + "TherapeuticUse": "Therapeutic uses",
    VOCAB + "RegulatoryEvent": "Regulatory events",
    VOCAB + "Study": "Studies",
    VOCAB + "Finding": "Findings",
    VOCAB + "AdverseReaction": "Adverse reactions",
    VOCAB + "Contraindication": "Contraindications",
    VOCAB + "Precaution": "Precautions",
    VOCAB + "EligibilityCriterion": "Eligibility criteria",
    VOCAB + "StructuralDifference": "Structural differences",
    VOCAB + "Comparator": "Comparators",
    SSSOM_MAPPING: "Mapping records (SSSOM)",
}
PROVENANCE_ONLY = VOCAB + "AttributedStatement"  # reified relations: their evidence shows on the relation
TABLE_HIDDEN = {TYPE, LABEL, EVIDENCE}


@dataclass(frozen=True)
class Evidence:
    """A supporting quote of the article and the section it is in."""

    quote: str
    section: Value | None


@dataclass
class Fact:
    """One value of a property, whether it was inferred, and the evidence of the relation."""

    value: Value
    inferred: bool = False
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Group:
    """The values of one property (or the subjects pointing at the resource through it)."""

    predicate: Value
    facts: list[Fact]


@dataclass
class Row:
    """One fact node in a table: its link, its values per column, and its evidence."""

    node: Value
    cells: list[list[Value]]
    evidence: list[Evidence]


@dataclass
class Table:
    """The fact nodes of one kind pointing at the resource."""

    title: str
    columns: list[Value]
    rows: list[Row]
    collapsed: bool = False


@dataclass
class Page:
    """Everything a resource's HTML page shows."""

    iri: str
    curie: str
    label: str
    alt_labels: list[Value]
    types: list[Fact]
    definitions: list[Value]
    identifiers: list[Identifier]
    evidence: list[Evidence]
    groups: list[Group]
    inferred: list[Group]
    tables: list[Table]
    incoming: list[Group]


class _Triples:
    """Statements as (subject, predicate, object, graph) with lookups by subject."""

    def __init__(self) -> None:
        self.by_subject: dict[str, list[tuple[str, Term, str]]] = defaultdict(list)

    def add(self, subject: str, predicate: str, obj: Term, graph: str) -> None:
        """Record one statement of the named graph ``graph``."""
        self.by_subject[subject].append((predicate, obj, graph))

    def types(self, subject: str) -> set[str]:
        """The classes of a subject, asserted or inferred."""
        return {o.value for p, o, _ in self.by_subject[subject] if p == TYPE and isinstance(o, ox.NamedNode)}


def build(iri: str, base: str, root: str) -> Page | None:
    """Gather the page of ``iri`` (None when the graph says nothing about or pointing at it)."""
    outgoing = lookup.select("outgoing", this=[iri])
    incoming = lookup.select("incoming", this=[iri])
    if not outgoing and not incoming:
        return None
    triples = _Triples()
    for row in outgoing:
        triples.add(iri, row["p"].value, row["o"], row["g"].value)
    subjects = sorted({row["s"].value for row in incoming if isinstance(row["s"], ox.NamedNode)})
    for row in lookup.select("node-properties", node=subjects):
        triples.add(row["node"].value, row["p"].value, row["o"], row["g"].value)
    facts = [s for s in subjects if _fact_class(triples.types(s))]
    related = _related(iri, facts, triples, set(subjects))
    evidence = _evidence(lookup.select("evidence", node=[iri, *facts, *related]))
    attributed = lookup.select("attributed", s=[iri]) + lookup.select("attributed", o=[iri])
    labels = _labels(_iris_in(iri, triples, incoming, attributed))
    view = Renderer(base, root, labels)
    this = triples.by_subject[iri]
    asserted = {(p, o) for p, o, g in this if g != INFERRED}
    groups = _outgoing_groups(iri, this, set(facts), asserted, attributed, view)
    return Page(
        iri=iri,
        curie=curie(iri),
        label=labels.get(iri) or _curie_or_path(iri, base),
        alt_labels=[view.term(o) for p, o, _ in this if p == ALT_LABEL],
        types=_unique(
            Fact(view.iri(o.value), inferred=(p, o) not in asserted)
            for p, o, _ in this
            if p == TYPE and isinstance(o, ox.NamedNode)
        ),
        definitions=[view.term(o) for p, o, _ in this if p in DEFINITIONS],
        identifiers=_identifiers(this, view),
        evidence=[_evidence_item(e, view) for e in evidence.get(iri, [])],
        groups=[g for g in groups if not all(f.inferred for f in g.facts)],
        inferred=[g for g in groups if all(f.inferred for f in g.facts)],
        tables=_tables(iri, facts + related, triples, evidence, view),
        incoming=_incoming_groups(iri, incoming, set(facts), triples, attributed, view),
    )


def _related(iri: str, facts: list[str], triples: _Triples, seen: set[str]) -> list[str]:
    """Fact nodes one step further: the events that established a use, the studies it was studied in, ..."""
    linked = {
        o.value
        for node in facts
        for _, o, g in triples.by_subject[node]
        if g != INFERRED and isinstance(o, ox.NamedNode) and o.value != iri and o.value not in seen
    }
    for row in lookup.select("node-properties", node=sorted(linked)):
        triples.add(row["node"].value, row["p"].value, row["o"], row["g"].value)
    return sorted(node for node in linked if _fact_class(triples.types(node)) not in (None, PROVENANCE_ONLY))


def _fact_class(types: set[str]) -> str | None:
    """The first fact class a node belongs to (None: not a fact node, or only provenance)."""
    if PROVENANCE_ONLY in types:
        return PROVENANCE_ONLY
    return next((c for c in FACT_CLASSES if c in types), None)


def _curie_or_path(iri: str, base: str) -> str:
    """A name for a resource without a label: its path under the base, or its IRI."""
    return iri[len(base) :] if iri.startswith(base) else iri


def _iris_in(
    iri: str, triples: _Triples, incoming: list[lookup.Solution], attributed: list[lookup.Solution]
) -> set[str]:
    """Every IRI the page will show, so that one query fetches all their labels."""
    iris = {iri}
    for subject, statements in triples.by_subject.items():
        iris.add(subject)
        for p, o, _ in statements:
            iris.add(p)
            if isinstance(o, ox.NamedNode):
                iris.add(o.value)
    for row in (*incoming, *attributed):
        iris.update(term.value for term in row.values() if isinstance(term, ox.NamedNode))
    return iris


def _labels(iris: Iterable[str]) -> dict[str, str]:
    """One label per IRI: English first, then a plain literal, then any other language."""
    ranked: dict[str, tuple[int, str]] = {}
    for row in lookup.select("labels", node=sorted(iris)):
        label = row["label"]
        rank = 0 if label.language == "en" else 1 if not label.language else 2
        node = row["node"].value
        if node not in ranked or (rank, label.value) < ranked[node]:
            ranked[node] = (rank, label.value)
    return {node: text for node, (_, text) in ranked.items()}


def _evidence(rows: list[lookup.Solution]) -> dict[str, list[lookup.Solution]]:
    """Evidence rows per node, in a stable order."""
    found: dict[str, list[lookup.Solution]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r["node"].value, r["evidence"].value)):
        found[row["node"].value].append(row)
    return found


def _evidence_item(row: lookup.Solution, view: Renderer) -> Evidence:
    """A quote and its section (labelled and linked)."""
    section = None
    if "section" in row:
        shown = view.iri(row["section"].value)
        text = row["sectionLabel"].value if "sectionLabel" in row else shown.text
        section = Value(text, shown.href, shown.title)
    return Evidence(row["quote"].value, section)


def _identifiers(statements: list[tuple[str, Term, str]], view: Renderer) -> list[Identifier]:
    """The external identifiers: SKOS mapping targets and literal cross-references."""
    found = []
    for p, o, _ in statements:
        relation = _words(p.rsplit("#", 1)[-1]) if p in MATCHES else view.iri(p).text
        if p in MATCHES and isinstance(o, ox.NamedNode) and not o.value.startswith(view.base):
            found.append(identifier(o.value, relation))
        elif p == XREF and isinstance(o, ox.Literal) and (ref := xref(o.value, relation)) is not None:
            found.append(ref)
    return sorted(set(found), key=lambda i: (i.relation != "exact match", i.curie))


def _words(name: str) -> str:
    """A camelCase local name as words: exactMatch -> "exact match"."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()


def _outgoing_groups(
    iri: str,
    statements: list[tuple[str, Term, str]],
    facts: set[str],
    asserted: set[tuple[str, Term]],
    attributed: list[lookup.Solution],
    view: Renderer,
) -> list[Group]:
    """The resource's statements by property; links to fact nodes shown in tables are left out."""
    support = _attributed_evidence(attributed, "s", iri, "o", view)
    by_predicate: dict[str, list[Fact]] = defaultdict(list)
    seen: set[tuple[str, Term]] = set()
    for p, o, _ in statements:
        if p in SHOWN_ELSEWHERE or (p, o) in seen or (isinstance(o, ox.NamedNode) and o.value in facts):
            continue
        seen.add((p, o))
        by_predicate[p].append(Fact(view.term(o, p), (p, o) not in asserted, support.get((p, o.value), [])))
    return _groups(by_predicate, view)


def _incoming_groups(
    iri: str,
    incoming: list[lookup.Solution],
    facts: set[str],
    triples: _Triples,
    attributed: list[lookup.Solution],
    view: Renderer,
) -> list[Group]:
    """The resources pointing at this one by property, fact nodes and reified statements left out."""
    support = _attributed_evidence(attributed, "o", iri, "s", view)
    by_predicate: dict[str, list[Fact]] = defaultdict(list)
    graphs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in incoming:
        if isinstance(row["s"], ox.NamedNode):
            graphs[(row["p"].value, row["s"].value)].add(row["g"].value)
    for (p, subject), found_in in sorted(graphs.items()):
        if subject in facts or _fact_class(triples.types(subject)) == PROVENANCE_ONLY:
            continue
        inferred = found_in == {INFERRED}
        by_predicate[p].append(Fact(view.iri(subject), inferred, support.get((p, subject), [])))
    return _groups(by_predicate, view)


def _attributed_evidence(
    rows: list[lookup.Solution], this_var: str, iri: str, other_var: str, view: Renderer
) -> dict[tuple[str, str], list[Evidence]]:
    """Evidence of reified relations of the resource, by (predicate, other end)."""
    found: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for row in rows:
        if row[this_var].value == iri:
            found[(row["p"].value, row[other_var].value)].append(_evidence_item(row, view))
    return found


def _groups(by_predicate: dict[str, list[Fact]], view: Renderer) -> list[Group]:
    """Groups sorted by property label, values sorted by text."""
    groups = [Group(view.iri(p), sorted(fs, key=lambda f: f.value.text.lower())) for p, fs in by_predicate.items()]
    return sorted(groups, key=lambda g: g.predicate.text.lower())


def _tables(
    iri: str, facts: list[str], triples: _Triples, evidence: dict[str, list[lookup.Solution]], view: Renderer
) -> list[Table]:
    """One table per kind of fact node pointing at the resource, columns the properties they use."""
    kinds: dict[str, list[str]] = defaultdict(list)
    for node in facts:
        kind = _fact_class(triples.types(node))
        if kind and kind != PROVENANCE_ONLY:
            kinds[kind].append(node)
    tables = []
    for kind, title in FACT_CLASSES.items():
        nodes = kinds.get(kind)
        if not nodes:
            continue
        values: dict[str, dict[str, list[Term]]] = {}
        counts: dict[str, int] = defaultdict(int)
        for node in nodes:
            cells: dict[str, list[Term]] = defaultdict(list)
            for p, o, g in triples.by_subject[node]:
                if g == INFERRED or p in TABLE_HIDDEN or (isinstance(o, ox.NamedNode) and o.value == iri):
                    continue
                if o not in cells[p]:
                    cells[p].append(o)
            values[node] = cells
            for p in cells:
                counts[p] += 1
        columns = sorted(counts, key=lambda p: (-counts[p], view.iri(p).text.lower()))
        rows = [
            Row(
                view.iri(node),
                [sorted((view.term(o, p) for o in values[node].get(p, [])), key=lambda v: v.text) for p in columns],
                [_evidence_item(e, view) for e in evidence.get(node, [])],
            )
            for node in nodes
        ]
        rows.sort(key=lambda r: [c[0].text.lower() if c else "~" for c in r.cells[:3]] + [r.node.text])
        tables.append(Table(title, [view.iri(p) for p in columns], rows, collapsed=kind == SSSOM_MAPPING))
    return tables


def _unique(facts: Iterable[Fact]) -> list[Fact]:
    """Facts without repeats (the same type asserted and inferred), asserted first."""
    chosen: dict[str, Fact] = {}
    for fact in facts:
        key = fact.value.title or fact.value.text
        if key not in chosen or (chosen[key].inferred and not fact.inferred):
            chosen[key] = fact
    return sorted(chosen.values(), key=lambda f: (f.inferred, f.value.text.lower()))
