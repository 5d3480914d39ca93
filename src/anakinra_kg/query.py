"""Running SPARQL queries on the store and rendering their results."""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

import pyoxigraph as ox

from . import jsonld
from .formats import Format
from .inspection import inspect
from .prefixes import converter, prefix_map, prefixes_in

Results = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples
NAME_CHARACTERS = re.compile(r"\[[^\]]*\\u\{[^\]]*\]")  # the parser's long Unicode ranges for a name


class QueryError(ValueError):
    """A query that cannot be parsed or run; the message names the position."""


class QuerySyntaxError(QueryError):
    """A query that does not parse; the message names the line and column."""


class TooManyRowsError(QueryError):
    """A result with more solutions or triples than allowed."""


def run(
    store: ox.Store,
    query: str,
    *,
    union_default_graph: bool | None = None,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
) -> Results:
    """Run a query with the project prefixes predeclared.

    The default graph is the union of all graphs, unless the query names its own dataset (FROM / FROM
    NAMED, which then win) or a dataset is given (the SPARQL protocol's default-graph-uri /
    named-graph-uri: then exactly those graphs make it up, as the protocol says). ``union_default_graph``
    is for callers that have already inspected the query (None: decide here).
    """
    if union_default_graph is None:
        union_default_graph = not inspect(query).names_dataset
    try:
        dataset: dict[str, object] = {"use_default_graph_as_union": union_default_graph}
        if default_graphs is not None or named_graphs is not None:
            dataset = {
                "default_graph": [ox.NamedNode(iri) for iri in default_graphs or ()],
                "named_graphs": [ox.NamedNode(iri) for iri in named_graphs or ()],
            }
        return store.query(query, prefixes=prefixes_in(query), **dataset)
    except SyntaxError as err:
        raise QuerySyntaxError(syntax_message(str(err), query)) from None
    except (OSError, ValueError, TypeError) as err:
        raise QueryError(str(err)) from None


def syntax_message(text: str, query: str | None = None) -> str:
    """Turn pyoxigraph's 'error at L:C: message' into 'line L, column C: message', quoting the line with a caret."""
    match = re.match(r"error at (\d+):(\d+): (.*)", text, re.S)
    if not match:
        return f"SPARQL syntax error: {text}"
    line, column, rest = int(match[1]), int(match[2]), match[3]
    rest = NAME_CHARACTERS.sub("a name character", rest)
    if rest.startswith("expected one of Prefix not found"):
        rest = "undeclared prefix (declare it with PREFIX, or use a predeclared one such as ak: or drug:)"
    message = f"SPARQL syntax error at line {line}, column {column}: {rest}"
    lines = (query or "").splitlines()
    if 0 < line <= len(lines):
        source = lines[line - 1].expandtabs(1)
        message += f"\n  {source}\n  {' ' * max(column - 1, 0)}^"
    return message


def serialize(
    results: Results, fmt: Format, *, max_rows: int | None = None, context: dict[str, Any] | None = None
) -> bytes:
    """Serialize results in a format that fits them (results formats for SELECT/ASK).

    With ``max_rows``, a result of more solutions or triples raises TooManyRowsError instead. With a JSON-LD
    ``context`` (jsonld.context of the store), a CONSTRUCT/DESCRIBE answer in JSON-LD is compacted with it.
    """
    if isinstance(results, ox.QueryTriples):
        if fmt.is_results:
            raise QueryError(f"a CONSTRUCT/DESCRIBE result cannot be written as {fmt.name}")
        triples = results if max_rows is None else list(islice(results, max_rows + 1))
        if max_rows is not None and len(triples) > max_rows:
            raise TooManyRowsError(f"the result has more than {max_rows} triples")
        if fmt.name == "jsonld" and context is not None:
            return jsonld.compact_triples(list(triples), context)
        return ox.serialize(triples, format=fmt.oxigraph, prefixes=prefix_map())
    if not fmt.is_results:
        raise QueryError(f"a SELECT/ASK result cannot be written as {fmt.name}")
    if max_rows is None or isinstance(results, ox.QueryBoolean):
        return results.serialize(format=fmt.oxigraph)
    return _capped(results, fmt, max_rows)


class _LineCounter:
    """A binary sink that counts lines and stops the writer once there are more than ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.lines = 0
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        """Keep a chunk; raise TooManyRowsError as soon as the line count passes the limit."""
        self.lines += data.count(b"\n")
        if self.lines > self.limit:
            raise TooManyRowsError("row limit passed")
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: chunks are kept in memory."""


def _capped(results: ox.QuerySolutions, fmt: Format, max_rows: int) -> bytes:
    """Serialize at most ``max_rows`` solutions, going through TSV (one line per solution, lossless)."""
    sink = _LineCounter(max_rows + 1)  # the header line, then one line per solution
    try:
        results.serialize(sink, format=ox.QueryResultsFormat.TSV)
    except TooManyRowsError:
        raise TooManyRowsError(f"the result has more than {max_rows} solutions") from None
    tsv = b"".join(sink.chunks)
    if fmt.oxigraph == ox.QueryResultsFormat.TSV:
        return tsv
    return ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV).serialize(format=fmt.oxigraph)


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
