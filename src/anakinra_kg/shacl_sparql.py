"""SHACL validation compiled to SPARQL and run on the pyoxigraph store (the fast engine; pyshacl is the reference).

Each node shape's targets become one sub-select of focus nodes (?this). Per property shape, one query finds
the values (?this PATH ?v) that break any of its value-based constraints (class, datatype, nodeKind,
pattern, length, in, ranges, languageIn, not/and/or/xone/node), one aggregate query checks
minCount/maxCount, one checks uniqueLang; node-level constraints use ?this as the value. SPARQL-based
constraints run as written, with the target sub-select joined first (so $this is bound, as pre-binding
requires). The results form a standard sh:ValidationReport graph. Results equal pyshacl's (focus node, path,
value, component, severity, source shape and sh:message texts); two documented differences: a shape
without sh:message gets no message (pyshacl writes its own English text), and literal values are shown in
the store's canonical form (e.g. "01"^^xsd:integer as "1"^^xsd:integer).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, XSD

from .query import side_by_side
from .shacl_results import Result, to_rdflib

SUBCLASS = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"
# An equivalent query for a SPARQL constraint, faster on the store than its sh:select (see ontology/shapes.ttl).
FAST_SELECT = rdflib.URIRef("https://w3id.org/anakinra-kg/shapes/fastSelect")
CASTABLE = {XSD[t] for t in ("boolean", "decimal", "integer", "date", "dateTime", "gYear", "gYearMonth", "double")}
COMPARE = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}
KINDS = {
    SH.IRI: "!isIRI({v})",
    SH.BlankNode: "!isBlank({v})",
    SH.Literal: "!isLiteral({v})",
    SH.BlankNodeOrIRI: "isLiteral({v})",
    SH.IRIOrLiteral: "isBlank({v})",
    SH.BlankNodeOrLiteral: "isIRI({v})",
}
VALUE_COMPONENTS = (SH["class"], SH.datatype, SH.nodeKind, SH.pattern, SH.minLength, SH.maxLength, SH["in"])
VALUE_COMPONENTS += (*COMPARE, SH.languageIn, SH["not"], SH["and"], SH["or"], SH.xone, SH.node)
COMPONENT = {
    SH["class"]: "ClassConstraintComponent",
    SH.datatype: "DatatypeConstraintComponent",
    SH.nodeKind: "NodeKindConstraintComponent",
    SH.pattern: "PatternConstraintComponent",
    SH.minLength: "MinLengthConstraintComponent",
    SH.maxLength: "MaxLengthConstraintComponent",
    SH["in"]: "InConstraintComponent",
    SH.minInclusive: "MinInclusiveConstraintComponent",
    SH.maxInclusive: "MaxInclusiveConstraintComponent",
    SH.minExclusive: "MinExclusiveConstraintComponent",
    SH.maxExclusive: "MaxExclusiveConstraintComponent",
    SH.languageIn: "LanguageInConstraintComponent",
    SH["not"]: "NotConstraintComponent",
    SH["and"]: "AndConstraintComponent",
    SH["or"]: "OrConstraintComponent",
    SH.xone: "XoneConstraintComponent",
    SH.node: "NodeConstraintComponent",
    SH.minCount: "MinCountConstraintComponent",
    SH.maxCount: "MaxCountConstraintComponent",
    SH.uniqueLang: "UniqueLangConstraintComponent",
    SH.sparql: "SPARQLConstraintComponent",
}


class UnsupportedShapeError(Exception):
    """The shapes use a SHACL feature this compiler does not handle (use the pyshacl engine)."""


def _sparql_term(node: rdflib.term.Node) -> str:
    """Write an rdflib IRI or literal in SPARQL syntax."""
    if isinstance(node, rdflib.BNode):
        raise UnsupportedShapeError(f"a blank node {node} as a constant in a shape")
    return node.n3()


class Compiler:
    """Turns the shapes graph into SPARQL queries and runs them on a store."""

    def __init__(self, shapes: rdflib.Graph) -> None:
        self.shapes = shapes
        self.fresh = itertools.count()

    def objects(self, node: rdflib.term.Node, predicate: rdflib.URIRef) -> list[rdflib.term.Node]:
        """The objects of a shape's predicate, in a stable order."""
        return sorted(self.shapes.objects(node, predicate), key=str)

    def path(self, node: rdflib.term.Node) -> str:
        """A SHACL property path in SPARQL syntax."""
        if isinstance(node, rdflib.URIRef):
            return node.n3()
        g = self.shapes
        if (inner := g.value(node, SH.inversePath)) is not None:
            return f"^({self.path(inner)})"
        if (inner := g.value(node, SH.alternativePath)) is not None:
            return "(" + "|".join(self.path(p) for p in Collection(g, inner)) + ")"
        for predicate, suffix in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
            if (inner := g.value(node, predicate)) is not None:
                return f"({self.path(inner)}){suffix}"
        if (node, RDF.first, None) in g:
            return "(" + "/".join(self.path(p) for p in Collection(g, node)) + ")"
        raise UnsupportedShapeError(f"unknown path {node}")

    def prefixes(self, node: rdflib.term.Node) -> str:
        """PREFIX declarations for a SPARQL-based constraint or target (its sh:prefixes)."""
        lines = []
        for owner in self.objects(node, SH.prefixes):
            for declaration in self.objects(owner, SH.declare):
                prefix, namespace = (
                    self.shapes.value(declaration, SH.prefix),
                    self.shapes.value(declaration, SH.namespace),
                )
                lines.append(f"PREFIX {prefix}: <{namespace}>")
        return "\n".join(lines) + "\n"

    def target(self, shape: rdflib.term.Node) -> str | None:
        """A group pattern binding ?this to each focus node of the shape (None: the shape has no target)."""
        parts = [f"{{ ?this {SUBCLASS} {_sparql_term(c)} }}" for c in self.objects(shape, SH.targetClass)]
        parts += [f"{{ ?this {_sparql_term(p)} [] }}" for p in self.objects(shape, SH.targetSubjectsOf)]
        parts += [f"{{ [] {_sparql_term(p)} ?this }}" for p in self.objects(shape, SH.targetObjectsOf)]
        parts += [f"{{ VALUES ?this {{ {_sparql_term(n)} }} }}" for n in self.objects(shape, SH.targetNode)]
        for custom in self.objects(shape, SH.target):
            select = self.shapes.value(custom, SH.select)
            if select is None:
                raise UnsupportedShapeError(f"target {custom} of {shape} is not a SPARQL target")
            parts.append("{ " + _strip_prefixes(str(select)) + " }")
        if not parts:
            return None
        return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"

    def violated(self, shape: rdflib.term.Node, predicate: rdflib.URIRef, param: rdflib.term.Node, v: str) -> str:
        """A SPARQL expression true when the value ``v`` breaks the constraint ``predicate param`` of ``shape``."""
        g = self.shapes
        if predicate == SH["class"]:
            return f"NOT EXISTS {{ {v} {SUBCLASS} {_sparql_term(param)} }}"
        if predicate == SH.datatype:
            if param == RDF.langString:
                return f'(!isLiteral({v}) || lang({v}) = "")'
            ok = f"(isLiteral({v}) && datatype({v}) = {_sparql_term(param)})"
            if param in CASTABLE:
                ok = f"({ok} && COALESCE(isLiteral({_sparql_term(param)}(STR({v}))), false))"
            return f"!{ok}"
        if predicate == SH.nodeKind:
            return KINDS[param].format(v=v)
        if predicate == SH.pattern:
            flags = g.value(shape, SH.flags)
            extra = f", {rdflib.Literal(str(flags)).n3()}" if flags is not None else ""
            return f"(isBlank({v}) || !REGEX(STR({v}), {rdflib.Literal(str(param)).n3()}{extra}))"
        if predicate in (SH.minLength, SH.maxLength):
            op = "<" if predicate == SH.minLength else ">"
            return f"(isBlank({v}) || STRLEN(STR({v})) {op} {int(param)})"
        if predicate == SH["in"]:
            return "!(" + " || ".join(f"sameTerm({v}, {_sparql_term(m)})" for m in Collection(g, param)) + ")"
        if predicate in COMPARE:
            return f"!COALESCE({v} {COMPARE[predicate]} {_sparql_term(param)}, false)"
        if predicate == SH.languageIn:
            tests = " || ".join(f"langMatches(lang({v}), {rdflib.Literal(str(t)).n3()})" for t in Collection(g, param))
            return f"!COALESCE({tests}, false)"
        if predicate == SH["not"]:
            return self.conforms(param, v)
        if predicate == SH.node:
            return f"!{self.conforms(param, v)}"
        members = [self.conforms(m, v) for m in Collection(g, param)]
        if predicate == SH["and"]:
            return "!(" + " && ".join(members) + ")"
        if predicate == SH["or"]:
            return "!(" + " || ".join(members) + ")"
        if predicate == SH.xone:
            return "(" + " + ".join(f"IF({m}, 1, 0)" for m in members) + ") != 1"
        raise UnsupportedShapeError(f"constraint {predicate} of {shape}")

    def conforms(self, shape: rdflib.term.Node, v: str) -> str:
        """A SPARQL expression true when the node ``v`` conforms to ``shape`` (used inside not/or/xone/node)."""
        g = self.shapes
        tests = []
        if (path := g.value(shape, SH.path)) is not None:
            z = f"?z{next(self.fresh)}"
            step = f"{v} {self.path(path)} {z}"
            for predicate, param in sorted(g.predicate_objects(shape), key=str):
                if predicate in VALUE_COMPONENTS:
                    tests.append(f"NOT EXISTS {{ {step} FILTER ({self.violated(shape, predicate, param, z)}) }}")
                elif predicate == SH.minCount and int(param) == 1:
                    tests.append(f"EXISTS {{ {step} }}")
                elif predicate == SH.maxCount and int(param) == 0:
                    tests.append(f"NOT EXISTS {{ {step} }}")
                elif predicate in (SH.minCount, SH.maxCount, SH.uniqueLang, SH.sparql, SH.qualifiedValueShape):
                    raise UnsupportedShapeError(f"{predicate} inside a nested property shape {shape}")
        else:
            for predicate, param in sorted(g.predicate_objects(shape), key=str):
                if predicate in VALUE_COMPONENTS:
                    tests.append(f"!({self.violated(shape, predicate, param, v)})")
            for prop in self.objects(shape, SH.property):
                tests.append(self.conforms(prop, v))
            if (shape, SH.sparql, None) in g:
                raise UnsupportedShapeError(f"a SPARQL constraint inside a nested shape {shape}")
        return "(" + (" && ".join(tests) or "true") + ")"


def _strip_prefixes(query: str) -> str:
    """Drop PREFIX/BASE lines of a query (declared once at the top of the whole query instead)."""
    return re.sub(r"(?im)^\s*(PREFIX|BASE)\s+[^\n]*$", "", query)


def _messages(compiler: Compiler, shape: rdflib.term.Node) -> list[rdflib.Literal]:
    """The sh:message texts of a shape."""
    return [m for m in compiler.objects(shape, SH.message) if isinstance(m, rdflib.Literal)]


def _severity(compiler: Compiler, shape: rdflib.term.Node) -> rdflib.URIRef:
    """The severity of a shape's results (sh:Violation unless stated)."""
    value = compiler.shapes.value(shape, SH.severity)
    return value if isinstance(value, rdflib.URIRef) else SH.Violation


def _format(message: rdflib.Literal, bindings: dict[str, rdflib.term.Node]) -> rdflib.Literal:
    """Fill {?var} / {$var} in a SPARQL constraint's message with the solution's values (as pyshacl does)."""
    text = str(message)
    for name, value in bindings.items():
        text = re.sub(rf"{{[?$]{name}}}", lambda _, v=value: str(v), text)
    return rdflib.Literal(text)


def _live(compiler: Compiler, shape: rdflib.term.Node) -> bool:
    """False for a shape with sh:deactivated true."""
    return not compiler.shapes.value(shape, SH.deactivated, default=rdflib.Literal(False)).toPython()


def validate(
    store: ox.Store, shapes: rdflib.Graph, graphs: list[ox.NamedNode], workers: int | None = None
) -> list[Result]:
    """Validate the union of ``graphs`` of the store against the shapes; return every result.

    The shapes' queries only read the store, so they run side by side (``query.side_by_side``, on ``workers``
    threads); the results come in the shapes' order.
    """
    compiler = Compiler(shapes)
    query = _Runner(store, graphs)
    checks: list[Callable[[], list[Result]]] = []
    node_shapes = sorted(set(shapes.subjects(RDF.type, SH.NodeShape)), key=str)
    for shape in node_shapes:
        target = compiler.target(shape)
        if target is None or not _live(compiler, shape):
            continue
        checks.append(functools.partial(_value_results, compiler, query, shape, target, None))
        for sparql in compiler.objects(shape, SH.sparql):
            checks.append(functools.partial(_sparql_results, compiler, query, shape, target, sparql))
        for prop in compiler.objects(shape, SH.property):
            if _live(compiler, prop):
                path = compiler.path(shapes.value(prop, SH.path))
                checks.append(functools.partial(_value_results, compiler, query, prop, target, path))
                checks.append(functools.partial(_count_results, compiler, query, prop, target))
    found = [result for results in side_by_side(lambda check: check(), checks, "shacl", workers) for result in results]
    return _distinct(found)


@dataclass
class _Runner:
    """Runs SELECT queries on the union of the given graphs."""

    store: ox.Store
    graphs: list[ox.NamedNode]

    def __call__(self, text: str) -> ox.QuerySolutions:
        """Run a SELECT query, returning its solutions."""
        return self.store.query(text, default_graph=self.graphs)


def _value_results(compiler: Compiler, query: _Runner, shape, target: str, path: str | None) -> list[Result]:
    """Results of the value-based constraints of a shape (node level when ``path`` is None)."""
    checks = [(p, o) for p, o in sorted(compiler.shapes.predicate_objects(shape), key=str) if p in VALUE_COMPONENTS]
    if not checks:
        return []
    v = "?v" if path else "?this"
    binds = " ".join(f"BIND ({compiler.violated(shape, p, o, v)} AS ?c{i})" for i, (p, o) in enumerate(checks))
    any_broken = " || ".join(f"COALESCE(?c{i}, false)" for i in range(len(checks)))
    step = f"?this {path} ?v ." if path else ""
    text = f"SELECT * WHERE {{ {target} {step} {binds} FILTER ({any_broken}) }}"
    out = []
    node_path = compiler.shapes.value(shape, SH.path)
    for row in query(text):
        for i, (predicate, _) in enumerate(checks):
            broken = row[f"c{i}"]
            if broken is not None and broken.value == "true":
                out.append(_result(compiler, shape, predicate, row["this"], node_path, row[v[1:]]))
    return out


def _result(compiler: Compiler, shape, predicate, focus: ox.Term, path, value: ox.Term | None) -> Result:
    """A core constraint's result, with the shape's messages and severity."""
    return Result(
        focus=to_rdflib(focus),
        shape=shape,
        component=SH[COMPONENT[predicate]],
        path=path,
        value=to_rdflib(value) if value is not None else None,
        messages=_messages(compiler, shape),
        severity=_severity(compiler, shape),
    )


def _count_results(compiler: Compiler, query: _Runner, shape, target: str) -> list[Result]:
    """Results of sh:minCount, sh:maxCount and sh:uniqueLang of a property shape."""
    g, out = compiler.shapes, []
    path_node = g.value(shape, SH.path)
    path = compiler.path(path_node)
    low, high = g.value(shape, SH.minCount), g.value(shape, SH.maxCount)
    if low is not None or high is not None:
        tests = [f"COUNT(DISTINCT ?v) < {int(low)}"] if low is not None else []
        tests += [f"COUNT(DISTINCT ?v) > {int(high)}"] if high is not None else []
        text = (
            f"SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {target} OPTIONAL {{ ?this {path} ?v }} }} "
            f"GROUP BY ?this HAVING ({' || '.join(tests)})"
        )
        for row in query(text):
            count = int(row["n"].value)
            predicate = SH.minCount if low is not None and count < int(low) else SH.maxCount
            out.append(_result(compiler, shape, predicate, row["this"], path_node, None))
    if g.value(shape, SH.uniqueLang, default=rdflib.Literal(False)).toPython():
        text = (
            f"SELECT DISTINCT ?this ?lang WHERE {{ {target} ?this {path} ?a . ?this {path} ?b . "
            f'FILTER (!sameTerm(?a, ?b) && lang(?a) != "" && LCASE(lang(?a)) = LCASE(lang(?b))) '
            f"BIND (LCASE(lang(?a)) AS ?lang) }}"
        )
        out += [_result(compiler, shape, SH.uniqueLang, row["this"], path_node, None) for row in query(text)]
    return out


def _sparql_results(compiler: Compiler, query: _Runner, shape, target: str, sparql) -> list[Result]:
    """Results of a SPARQL-based constraint: its SELECT run with the focus nodes joined first."""
    fast = compiler.shapes.value(sparql, FAST_SELECT)
    select = _strip_prefixes(str(fast if fast is not None else compiler.shapes.value(sparql, SH.select)))
    head, brace, rest = re.split(r"(?i)(\bWHERE\s*\{)", select, maxsplit=1)
    text = compiler.prefixes(sparql) + head + brace + " " + target + " " + rest
    own = _messages(compiler, shape)
    extra = [m for m in _messages(compiler, sparql) if m not in own]
    path_node = compiler.shapes.value(shape, SH.path)
    out = []
    solutions = query(text)
    names = [v.value for v in solutions.variables]
    for row in solutions:
        bindings = {name: to_rdflib(row[name]) for name in names if row[name] is not None}
        focus = bindings["this"]
        value = bindings.get("value", focus if path_node is None else None)
        path = bindings.get("path", path_node)
        named = {"this": focus, **({"path": path} if path is not None else {}), **({"value": value} if value else {})}
        fill = {**bindings, **named}
        out.append(
            Result(
                focus=focus,
                shape=shape,
                component=SH.SPARQLConstraintComponent,
                path=path,
                value=value,
                messages=[_format(m, fill) for m in extra + own],
                severity=_severity(compiler, shape),
            )
        )
    return out


def _distinct(results: list[Result]) -> list[Result]:
    """Drop repeated results (a triple held in two graphs of the union is seen twice)."""
    seen, out = set(), []
    for r in results:
        key = (r.focus, r.shape, r.component, r.path, r.value, tuple(r.messages))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out
