"""What a client may not make the server do: write (SPARQL Update, LOAD) or call other hosts (SERVICE).

The query is parsed with rdflib's SPARQL parser (pyoxigraph exposes no algebra) and the parse tree is
walked for SERVICE patterns and FROM / FROM NAMED clauses, with prefixed names and relative IRIs resolved
as the query engine would. A query rdflib cannot parse that still mentions SERVICE is refused, since its
endpoints cannot be checked.
"""

from __future__ import annotations

import functools
import re
import threading
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..prefixes import prefix_map

SERVICE_WORD = re.compile(r"(?<![\w:])SERVICE(?![\w:-])", re.IGNORECASE)
FROM_WORD = re.compile(r"(?<![\w:])FROM(?![\w-])", re.IGNORECASE)


class RefusedError(Exception):
    """A request the endpoint will not carry out; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Inspection:
    """What the parse tree says about a query: SERVICE endpoints and the dataset it names."""

    services: list[str | None] = field(default_factory=list)  # None: a variable or unchecked endpoint
    from_graphs: list[str] = field(default_factory=list)
    from_named: list[str] = field(default_factory=list)
    unparsed_from: bool = False  # rdflib could not parse the query, but it seems to have a FROM clause

    @property
    def names_dataset(self) -> bool:
        """True if the query itself names its dataset (FROM / FROM NAMED)."""
        return bool(self.from_graphs or self.from_named or self.unparsed_from)


@functools.lru_cache(maxsize=1024)
def inspect(text: str) -> Inspection:
    """Find the SERVICE endpoints and FROM / FROM NAMED graphs of a query (remembered per text: do not mutate).

    rdflib's parse takes tens of milliseconds and holds the GIL, so the last 1024 texts are remembered.
    A query in which neither word occurs at all (after \\u escapes are expanded, and with no backslash
    left) has neither clause, so the slow full parse is skipped for it, and rdflib is not even imported.
    """
    if "\\" not in text and not SERVICE_WORD.search(text) and not FROM_WORD.search(text):
        return Inspection()
    parser, parse_error = _rdflib().parser, _rdflib().ParseBaseException
    try:
        expanded = parser.expandUnicodeEscapes(text)
    except (ValueError, OverflowError):
        expanded = text
    if not SERVICE_WORD.search(expanded) and not FROM_WORD.search(expanded) and "\\" not in expanded:
        return Inspection()
    try:
        return _walk(parser.parseQuery(text))
    except (parse_error, ValueError, TypeError, RecursionError, KeyError, AttributeError):
        return _lexical(expanded)


def warm_up() -> None:
    """Import and exercise rdflib's SPARQL parser (slow the first time), e.g. before the server forks."""
    inspect("SELECT * FROM <urn:x> WHERE { ?s ?p ?o }")


_import_lock = threading.Lock()


@functools.cache
def _rdflib() -> types.SimpleNamespace:
    """rdflib's SPARQL parser and the names the walk needs, imported once and by one thread at a time
    (rdflib's circular imports can hand a second thread a half-initialised module)."""
    with _import_lock:
        from pyparsing import ParseBaseException
        from rdflib.plugins.sparql import parser
        from rdflib.plugins.sparql.algebra import translatePrologue
        from rdflib.plugins.sparql.parserutils import CompValue
        from rdflib.term import URIRef, Variable

    return types.SimpleNamespace(
        ParseBaseException=ParseBaseException,
        parser=parser,
        translatePrologue=translatePrologue,
        CompValue=CompValue,
        URIRef=URIRef,
        Variable=Variable,
    )


def _lexical(text: str) -> Inspection:
    """The cautious reading of a query rdflib cannot parse: any SERVICE is unchecked, any FROM counts."""
    return Inspection(services=[None] if SERVICE_WORD.search(text) else [], unparsed_from=bool(FROM_WORD.search(text)))


def _walk(tree: list) -> Inspection:
    """Collect SERVICE endpoints and dataset clauses from a parsed query."""
    prologue = _rdflib().translatePrologue(tree[0], None, initNs=prefix_map())
    found = Inspection()
    for node in _nodes(tree[1]):
        if node.name == "ServiceGraphPattern":
            found.services.append(_iri(prologue, node["term"]))
        elif node.name == "DatasetClause" and "default" in node:
            found.from_graphs.append(_iri(prologue, node["default"]) or "")
        elif node.name == "DatasetClause" and "named" in node:
            found.from_named.append(_iri(prologue, node["named"]) or "")
    return found


def check_services(found: Inspection, allowed_hosts: list[str]) -> None:
    """Refuse SERVICE calls to any endpoint whose host is not on the allow-list."""
    allowed = {host.lower() for host in allowed_hosts}
    for endpoint in found.services:
        parts = urlsplit(endpoint) if endpoint else None
        if parts and parts.scheme in ("http", "https") and (parts.hostname or "") in allowed:
            continue
        what = f"SERVICE <{endpoint}>" if endpoint else "a SERVICE whose endpoint cannot be checked"
        hosts = ", ".join(sorted(allowed)) or "none"
        raise RefusedError(
            403,
            f"{what} is refused: federated queries may only call hosts on the allow-list "
            f"(setting service_allow_list / ANAKINRA_KG_SERVICE_ALLOW_LIST; allowed now: {hosts})",
        )


def update_operations(text: str) -> list[str]:
    """Return the operations (e.g. Load, InsertData) if the text parses as a SPARQL Update, else []."""
    rdflib = _rdflib()
    try:
        update = rdflib.parser.parseUpdate(text)
    except (rdflib.ParseBaseException, ValueError, TypeError, RecursionError):
        return []
    requests = update["request"] if "request" in update else []  # noqa: SIM401 (CompValue.get has no default)
    return [request.name for request in requests]


def refuse_update(operations: list[str]) -> RefusedError:
    """The refusal of a SPARQL Update: this endpoint is read-only."""
    names = ", ".join(dict.fromkeys(op.upper() for op in operations)) or "update"
    return RefusedError(403, f"this endpoint is read-only: SPARQL Update ({names}) is not accepted; send a query")


def _nodes(value: object) -> Iterator[object]:
    """Yield every CompValue in a parse tree, depth first."""
    if isinstance(value, _rdflib().CompValue):
        yield value
        for child in value.values():
            yield from _nodes(child)
    elif isinstance(value, list | tuple) or type(value).__name__ == "ParseResults":
        for child in value:
            yield from _nodes(child)


def _iri(prologue: object, term: object) -> str | None:
    """Resolve a parse-tree IRI (prefixed name or relative IRI) to an absolute one; None for a variable."""
    rdflib = _rdflib()
    if term is None or isinstance(term, rdflib.Variable):
        return None
    resolved = prologue.absolutize(term)
    return str(resolved) if isinstance(resolved, rdflib.URIRef) else None
