"""SHACL validation of ontology + data: a readable report naming file and line, and the build gate.

Two engines give the same report: the shapes compiled to SPARQL on the store (shacl_sparql, the default,
fast at millions of triples) and pyshacl (the reference, kept for tests and `--engine pyshacl`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.plugins.sparql.sparql import Query

from . import identifiers, shacl_results, shacl_sparql, sources
from .build import Check
from .prefixes import converter, graph_iri, shorten_iris
from .settings import SHACL_ENGINES

SHAPES_FILE = "shapes.ttl"
ENGINES = SHACL_ENGINES
# Graphs that are not validated as data: the ontology (given to pyshacl as ont_graph) and what the build infers.
NOT_DATA = (graph_iri("ontology"), graph_iri("inferred"))


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result, with terms shown as CURIEs and the place its focus node is defined."""

    focus: str
    path: str | None
    component: str
    message: str
    severity: str
    shape: str
    value: str | None
    where: str | None


@dataclass(frozen=True)
class Report:
    """The outcome of a validation: the results and the standard sh:ValidationReport graph."""

    violations: list[Violation]
    graph: rdflib.Graph

    @property
    def conforms(self) -> bool:
        """True when no result has severity sh:Violation (warnings and infos do not fail)."""
        return not any(v.severity == "Violation" for v in self.violations)


class ValidationError(Exception):
    """The data violate the shapes; carries the report."""

    def __init__(self, report: Report) -> None:
        self.report = report
        count = sum(v.severity == "Violation" for v in report.violations)
        super().__init__(f"SHACL validation failed with {count} violation(s)")


class PreparedQueries(SPARQLProcessor):
    """rdflib's SPARQL processor, parsing each query text once.

    pyshacl sends the same text of a SPARQL constraint for every focus node (binding $this with
    initBindings); parsing dominated validation time. The cached object is what rdflib's prepareQuery
    returns, which rdflib designs for reuse with different initial bindings.
    """

    def query(
        self,
        strOrQuery: str | Query,  # noqa: N803 (rdflib's signature)
        initBindings: Mapping[str, Any] | None = None,  # noqa: N803
        initNs: Mapping[str, Any] | None = None,  # noqa: N803
        base: str | None = None,
        DEBUG: bool = False,  # noqa: N803
    ) -> Mapping[str, Any]:
        """Evaluate a query, parsing and translating its text only the first time it is seen."""
        if isinstance(strOrQuery, str):
            prepared = _prepared(strOrQuery, base, tuple(sorted((initNs or {}).items())))
            return super().query(prepared, initBindings, initNs, base, DEBUG)
        return super().query(strOrQuery, initBindings, initNs, base, DEBUG)


@lru_cache(maxsize=1024)
def _prepared(text: str, base: str | None, namespaces: tuple[tuple[str, Any], ...]) -> Query:
    """Parse and translate a query text (cached by text, base and namespaces)."""
    return translateQuery(parseQuery(text), base, dict(namespaces))


rdflib.plugin.register("sparql", rdflib.query.Processor, __name__, "PreparedQueries")


def show(term: rdflib.term.Node | None) -> str | None:
    """Show an IRI as a CURIE of the project's prefix map (else <IRI>), a literal in Turtle form."""
    if term is None:
        return None
    if isinstance(term, rdflib.URIRef):
        curie = converter().compress(str(term))
        return curie or f"<{term}>"
    return term.n3()


class Locator:
    """Finds the file and line where a node is first written as a subject in the Turtle sources."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self._where: dict[str, str] = {}
        namespaces = converter().prefix_map  # a dict lookup per line: expanding through curies cost ~10 s at 1M lines
        for path in paths:
            shown = _display(path)
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line or line[0] in " \t#@" or line.upper().startswith(("PREFIX", "BASE")):
                    continue
                token = line.split(maxsplit=1)[0]
                prefix, colon, local = token.partition(":")
                iri = (
                    token[1:-1]
                    if token.startswith("<")
                    else (colon and prefix in namespaces and namespaces[prefix] + local)
                )
                if iri:
                    self._where.setdefault(iri, f"{shown}:{number}")

    def __call__(self, node: rdflib.term.Node) -> str | None:
        """Return ``file:line`` for the node, or None if no source writes it as a subject."""
        return self._where.get(str(node)) if isinstance(node, rdflib.URIRef) else None


def _display(path: Path) -> str:
    """Show a path relative to the working directory when it is below it."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def load_shapes(ontology_dir: Path, iris: Iterable[str]) -> rdflib.Graph:
    """Read ontology/shapes.ttl and add the identifier-pattern shapes generated for the mapped IRIs."""
    shapes = rdflib.Graph().parse(ontology_dir / SHAPES_FILE, format="turtle")
    shapes += identifiers.shapes_for(iris)
    return shapes


def _mapped_iris(store: ox.Store, graphs: list[ox.NamedNode]) -> set[str]:
    """The IRIs the validated graphs map entities to (objects of the SKOS mapping predicates)."""
    values = " ".join(p.n3() for p in identifiers.MATCH_PREDICATES)
    query = f"SELECT DISTINCT ?o WHERE {{ VALUES ?p {{ {values} }} ?s ?p ?o FILTER isIRI(?o) }}"
    return {row["o"].value for row in store.query(query, default_graph=graphs)}


def validate_store(
    store: ox.Store, ontology_dir: Path, locate: Locator | None = None, engine: str = "sparql"
) -> Report:
    """Validate every graph of the store but the inferred one (the ontology included, as pyshacl's ont_graph)."""
    graphs = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value != graph_iri("inferred")]
    shapes = load_shapes(ontology_dir, _mapped_iris(store, graphs))
    if engine == "sparql":
        graph = shacl_results.report(shacl_sparql.validate(store, shapes, graphs), shapes)
    elif engine == "pyshacl":
        ontology = _rdflib(store, [g for g in graphs if g.value == graph_iri("ontology")])
        data = _rdflib(store, [g for g in graphs if g.value not in NOT_DATA])
        _, graph, _ = pyshacl.validate(
            data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True, allow_warnings=True
        )
    else:
        raise ValueError(f"unknown validation engine {engine!r}: {' or '.join(ENGINES)}")
    return Report(_violations(graph, shapes, locate or (lambda node: None)), graph)


def _rdflib(store: ox.Store, graphs: list[ox.NamedNode]) -> rdflib.Graph:
    """Merge some graphs of the store into one rdflib graph (for pyshacl)."""
    quads = [q for g in graphs for q in store.quads_for_pattern(None, None, None, g)]
    return sources.to_rdflib(quads)


def validate_sources(found: list[sources.Source], ontology_dir: Path, engine: str = "sparql") -> Report:
    """Load the given sources into an in-memory store and validate them (sources.SourceError on bad syntax)."""
    store = ox.Store()
    sources.load_into(store, found)
    return validate_store(store, ontology_dir, Locator(s.path for s in found), engine)


def gate(found: list[sources.Source], ontology_dir: Path, engine: str = "sparql") -> Check:
    """A build check that raises ValidationError when the store violates the shapes."""
    locate = Locator(s.path for s in found)

    def check(store: ox.Store) -> None:
        report = validate_store(store, ontology_dir, locate, engine)
        if not report.conforms:
            raise ValidationError(report)

    return check


def _violations(graph: rdflib.Graph, shapes: rdflib.Graph, locate) -> list[Violation]:
    """Read the results of a sh:ValidationReport into Violations, sorted by place."""
    found = []
    for result in graph.subjects(RDF.type, SH.ValidationResult):
        focus = graph.value(result, SH.focusNode)
        source = graph.value(result, SH.sourceShape)
        path = graph.value(result, SH.resultPath)
        messages = sorted(str(m) for m in graph.objects(result, SH.resultMessage))
        found.append(
            Violation(
                focus=show(focus) or "",
                path=_path(graph, path) if path is not None else None,
                component=show(graph.value(result, SH.sourceConstraintComponent)) or "",
                message=shorten_iris("; ".join(messages)),
                severity=str(graph.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
                shape=show(_node_shape(shapes, source)) or "",
                value=show(graph.value(result, SH.value)),
                where=locate(focus),
            )
        )
    return sorted(found, key=lambda v: (v.where or "~", v.focus, v.shape, v.path or "", v.message))


def _node_shape(shapes: rdflib.Graph, source: rdflib.term.Node | None) -> rdflib.term.Node | None:
    """Return the node shape a result comes from (the one holding the property shape that produced it)."""
    if source is None or (source, RDF.type, SH.NodeShape) in shapes:
        return source
    owner = shapes.value(predicate=SH.property, object=source)
    return owner if owner is not None else source


def _path(graph: rdflib.Graph, path: rdflib.term.Node) -> str:
    """Show a SHACL property path in SPARQL syntax (predicate, ^inverse, (a|b) alternatives)."""
    if isinstance(path, rdflib.URIRef):
        return show(path) or ""
    if (inverse := graph.value(path, SH.inversePath)) is not None:
        return "^" + _path(graph, inverse)
    if (alternatives := graph.value(path, SH.alternativePath)) is not None:
        return "(" + "|".join(_path(graph, p) for p in Collection(graph, alternatives)) + ")"
    return path.n3()


def format_text(report: Report) -> str:
    """Format a report for people: one block per result, then a summary line."""
    blocks = []
    for v in report.violations:
        lines = [f"{v.where or '(no source line)'}: {v.severity.lower()}: {v.focus}"]
        if v.path:
            lines.append(f"    path:       {v.path}")
        if v.value:
            lines.append(f"    value:      {v.value}")
        lines.append(f"    constraint: {v.component} in {v.shape}")
        lines.append(f"    message:    {v.message}")
        blocks.append("\n".join(lines))
    errors = sum(v.severity == "Violation" for v in report.violations)
    others = len(report.violations) - errors
    summary = "conforms" if report.conforms else "does not conform"
    blocks.append(f"{summary}: {errors} violation(s), {others} warning(s) or info(s)")
    return "\n\n".join(blocks) + "\n"
