"""What a query must be before it is forwarded to a remote engine: standard SPARQL 1.1, nothing engine-specific.

A remote engine runs more than SPARQL 1.1: Virtuoso, for one, takes ``define`` pragmas (some make it fetch
URLs) and ``bif:``/``sql:`` functions (``bif:http_get`` makes it call any host). So the query is parsed here
with rdflib's SPARQL 1.1 parser, every prefixed name must be declared by the query or be a project prefix
(the embedded store's rule), and only XSD casts may be called as IRI functions. The prefixes the query uses
are then declared for the remote, on the query's first line so error positions keep their line numbers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from pyparsing import ParseBaseException
from rdflib.plugins.sparql import parser
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import URIRef

from ..prefixes import STANDARD, prefix_map
from ..query import QueryError, QuerySyntaxError, syntax_message

XSD = STANDARD["xsd"]
ENGINE_SCHEMES = re.compile(r"^(bif|sql):", re.IGNORECASE)  # Virtuoso's built-in SQL functions
FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}


@dataclass(frozen=True)
class Forwarded:
    """A checked query ready for a remote engine: its form and its text with the project prefixes declared."""

    form: str
    text: str


@functools.lru_cache(maxsize=1024)
def prepare(text: str) -> Forwarded:
    """Check that a query is plain SPARQL 1.1 safe to forward, and declare the project prefixes it uses.

    rdflib's parse takes milliseconds, so the answers for the last 1024 texts are remembered (refusals
    raise, and are not).
    """
    try:
        tree = parser.parseQuery(text)
    except (ParseBaseException, ValueError, TypeError, RecursionError, KeyError, AttributeError):
        raise _syntax_error(text) from None
    declared = {decl["prefix"] or "": str(decl["iri"]) for decl in tree[0] if decl.name == "PrefixDecl"}
    known = prefix_map()
    used: dict[str, str] = {}
    for node in _leaves(tree[1]):
        if isinstance(node, CompValue) and node.name == "pname":
            prefix = node["prefix"] or ""
            if prefix not in declared and prefix not in known:
                raise QuerySyntaxError(f"undeclared prefix {prefix}: (declare it with PREFIX)")
            if prefix not in declared:
                used[prefix] = known[prefix]
            _check_iri(declared.get(prefix, known.get(prefix, "")) + (node.get("localname") or ""))
        elif isinstance(node, URIRef):
            _check_iri(str(node))
        if isinstance(node, CompValue) and node.name == "Function":
            _check_function(node["iri"], declared, known)
    for iri in declared.values():
        _check_iri(iri)
    header = "".join(f"PREFIX {p}: <{iri}> " for p, iri in sorted(used.items()))
    return Forwarded(FORMS.get(tree[1].name, "SELECT"), header + text)


def _syntax_error(text: str) -> QueryError:
    """The error for a query rdflib cannot parse: pyoxigraph's positioned message if it also fails."""
    try:
        ox.Store().query(text, prefixes=prefix_map())  # parsing only: an empty in-memory store, never iterated
    except SyntaxError as error:
        return QuerySyntaxError(syntax_message(str(error), text))
    except (OSError, ValueError, TypeError):  # pyoxigraph parses it but fails otherwise: not standard SPARQL here
        return QueryError("this endpoint forwards only standard SPARQL 1.1 queries to its store, and this one is not")
    return QueryError("this endpoint forwards only standard SPARQL 1.1 queries to its store, and this one is not")


def _check_function(iri: object, declared: dict[str, str], known: dict[str, str]) -> None:
    """Refuse calls of extension functions: only XSD casts may be called by IRI (as on the embedded store)."""
    if isinstance(iri, CompValue) and iri.name == "pname":
        prefix = iri["prefix"] or ""
        full = declared.get(prefix, known.get(prefix, "")) + (iri.get("localname") or "")
    else:
        full = str(iri)
    if not full.startswith(XSD):
        raise QueryError(f"the function <{full}> is not available: only SPARQL built-ins and XSD casts are")


def _check_iri(iri: str) -> None:
    """Refuse IRIs in a remote engine's own function schemes (bif:, sql:)."""
    if ENGINE_SCHEMES.match(iri):
        raise QueryError(f"<{iri}> names an engine-specific function, which this endpoint does not forward")


def _leaves(value: object) -> Iterator[object]:
    """Yield every node of a parse tree: CompValues and terms, depth first."""
    yield value
    if isinstance(value, CompValue):
        for child in value.values():
            yield from _leaves(child)
    elif isinstance(value, list | tuple) or type(value).__name__ == "ParseResults":
        for child in value:
            yield from _leaves(child)
