"""Running SPARQL queries on the store and rendering their results."""

from __future__ import annotations

import re

import pyoxigraph as ox

from .formats import Format
from .prefixes import converter, prefix_map

Results = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


class QueryError(ValueError):
    """A query that cannot be parsed or run; the message names the position."""


def run(store: ox.Store, query: str, *, union_default_graph: bool = True) -> Results:
    """Run a query with the project prefixes predeclared; the default graph is the union of all graphs."""
    try:
        return store.query(query, use_default_graph_as_union=union_default_graph, prefixes=prefix_map())
    except SyntaxError as err:
        raise QueryError(syntax_message(str(err))) from None
    except (OSError, ValueError, TypeError) as err:
        raise QueryError(str(err)) from None


def syntax_message(text: str) -> str:
    """Turn pyoxigraph's 'error at L:C: message' into 'line L, column C: message'."""
    match = re.match(r"error at (\d+):(\d+): (.*)", text, re.S)
    if match:
        line, column, rest = match.groups()
        return f"SPARQL syntax error at line {line}, column {column}: {rest}"
    return f"SPARQL syntax error: {text}"


def serialize(results: Results, fmt: Format) -> bytes:
    """Serialize results in a format that fits them (results formats for SELECT/ASK)."""
    if isinstance(results, ox.QueryTriples):
        if fmt.is_results:
            raise QueryError(f"a CONSTRUCT/DESCRIBE result cannot be written as {fmt.name}")
        return ox.serialize(results, format=fmt.oxigraph, prefixes=prefix_map())
    if not fmt.is_results:
        raise QueryError(f"a SELECT/ASK result cannot be written as {fmt.name}")
    return results.serialize(format=fmt.oxigraph)


def term_text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """Render one RDF term for people: CURIEs for IRIs, plain lexical forms for literals."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return converter().compress(term.value, passthrough=True)
    if isinstance(term, ox.Literal):
        return term.value + (f"@{term.language}" if term.language else "")
    return str(term)


def rows(results: Results) -> tuple[list[str], list[list[str]]]:
    """Return a header and rows of display text for any kind of result."""
    if isinstance(results, ox.QueryBoolean):
        return ["result"], [["true" if bool(results) else "false"]]
    if isinstance(results, ox.QueryTriples):
        return ["subject", "predicate", "object"], [
            [term_text(t.subject), term_text(t.predicate), term_text(t.object)] for t in results
        ]
    names = [v.value for v in results.variables]
    return names, [[term_text(solution[name]) for name in names] for solution in results]
