"""Running SPARQL queries on the store and rendering their results."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import Any, TypeVar

import pyoxigraph as ox

from . import jsonld
from .formats import Format
from .inspection import inspect
from .prefixes import converter, prefix_map, prefixes_in

Results = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples
Item, Answer = TypeVar("Item"), TypeVar("Answer")
NAME_CHARACTERS = re.compile(r"\[[^\]]*\\u\{[^\]]*\]")  # the parser's long Unicode ranges for a name


def side_by_side(
    run: Callable[[Item], Answer], items: Iterable[Item], name: str, workers: int | None = None
) -> Iterator[Answer]:
    """Run read-only work on a store (its queries) on ``workers`` threads named ``name``, one per core by default,
    yielding the answers in the items' order: pyoxigraph evaluates a query without holding the GIL."""
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1, thread_name_prefix=name) as pool:
        yield from pool.map(run, items)


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
    results: Results,
    fmt: Format,
    *,
    max_rows: int | None = None,
    context: dict[str, Any] | None = None,
) -> bytes:
    """Serialize results in a format that fits them (results formats for SELECT/ASK).

    With ``max_rows``, a result of more solutions or triples raises TooManyRowsError instead, found in the one
    evaluation of the query that writes the answer: solutions are counted as they are written (see
    ``_capped``); at most ``max_rows`` triples are written, and one more left unread means too many. With a
    JSON-LD ``context`` (jsonld.context of the store), a CONSTRUCT/DESCRIBE answer in JSON-LD is compacted with it.
    """
    if isinstance(results, ox.QueryTriples):
        if fmt.is_results:
            raise QueryError(f"a CONSTRUCT/DESCRIBE result cannot be written as {fmt.name}")
    elif not fmt.is_results:
        raise QueryError(f"a SELECT/ASK result cannot be written as {fmt.name}")
    if max_rows is None or isinstance(results, ox.QueryBoolean):
        return _serialized(results, fmt, context)
    if isinstance(results, ox.QuerySolutions):
        return _capped(results, fmt, max_rows)
    body = write_triples(islice(results, max_rows), fmt, context)
    if next(results, None) is not None:
        raise TooManyRowsError(f"the result has more than {max_rows} triples")
    return body


def _serialized(results: Results, fmt: Format, context: dict[str, Any] | None) -> bytes:
    """Write results in ``fmt``, compacted with a JSON-LD ``context`` if given."""
    if isinstance(results, ox.QueryTriples):
        return write_triples(results, fmt, context)
    return results.serialize(format=fmt.oxigraph)


def write_triples(triples: Iterable[ox.Triple], fmt: Format, context: dict[str, Any] | None = None) -> bytes:
    """Write triples in an RDF format: JSON-LD compacted with ``context`` if given, else with the project prefixes
    in the syntaxes that abbreviate with them (pyoxigraph converts every prefix it is handed, on every call)."""
    if context is not None and fmt.name == "jsonld":
        return jsonld.compact_triples(list(triples), context)
    prefixes = prefix_map() if fmt.writes_prefixes else None
    return ox.serialize(triples, format=fmt.oxigraph, prefixes=prefixes)


class _LimitPassedError(Exception):
    """A sink's limit was passed while a result was being written."""


class _Sink:
    """A binary sink that keeps what is written, and stops the writer past ``line_limit`` lines."""

    def __init__(self, line_limit: int) -> None:
        self.line_limit = line_limit
        self.lines = 0
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        """Keep a chunk; raise _LimitPassedError as soon as the limit is passed."""
        self.lines += data.count(b"\n")
        if self.lines > self.line_limit:
            raise _LimitPassedError
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: chunks are kept in memory."""

    def value(self) -> bytes:
        """Everything written."""
        return b"".join(self.chunks)


def _capped(results: ox.QuerySolutions, fmt: Format, max_rows: int) -> bytes:
    """Serialize at most ``max_rows`` solutions in one evaluation: written as TSV (lossless, one line per
    solution, so the lines count them as they are written) and converted to ``fmt`` in Rust.

    The conversion costs about 4 µs on a one-row answer and a tenth of the writing on a long one; the
    alternative, writing ``fmt`` directly and running the query again when the answer is too long to be
    surely within the limit, evaluated a long answer twice (2 to 3 times as slow on answers over 100 kB).
    """
    sink = _Sink(max_rows + 1)  # the header line, then one line per solution
    try:
        results.serialize(sink, format=ox.QueryResultsFormat.TSV)
    except _LimitPassedError:
        raise TooManyRowsError(f"the result has more than {max_rows} solutions") from None
    tsv = sink.value()
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
