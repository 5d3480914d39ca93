"""Parse answers of different engines into comparable result sets, and compare them.

Normalisation makes equal what only differs in spelling between engines: Virtuoso's "typed-literal",
numeric lexical forms ("0.10" = "0.1"), plain literals = xsd:string, blank node labels. Row order
counts only when the query has a top-level ORDER BY.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal, InvalidOperation

import rdflib
from rdflib.compare import to_isomorphic

from .engines.base import Answer, query_form

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC_TYPES = "integer decimal double float long int short byte nonNegativeInteger positiveInteger negativeInteger"
NUMERIC_TYPES += " nonPositiveInteger unsignedLong unsignedInt unsignedShort unsignedByte"
NUMERIC = {XSD + name for name in NUMERIC_TYPES.split()}


def ordered(sparql: str) -> bool:
    """Tell whether the query's results are ordered (an ORDER BY outside any sub-select, roughly)."""
    text = re.sub(r"#[^\n]*|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'", " ", sparql)
    last_brace = text.rfind("}")
    return re.search(r"(?i)\bORDER\s+BY\b", text[last_brace:]) is not None


def term(value: dict) -> tuple:
    """Return a comparable form of one SPARQL JSON results term."""
    kind = value["type"]
    if kind == "uri":
        return ("uri", value["value"])
    if kind == "bnode":
        return ("bnode",)
    if "xml:lang" in value:
        return ("lit", value["value"], "@" + value["xml:lang"].lower())
    datatype = value.get("datatype", XSD + "string")
    if datatype in NUMERIC:
        try:
            return ("num", f"{float(Decimal(value['value'])):.12g}")
        except (InvalidOperation, ValueError):
            pass
    return ("lit", value["value"], datatype)


def parse(answer: Answer, sparql: str) -> tuple[str, object]:
    """Parse an answer: ("rows", list of frozen rows) / ("bool", b) / ("graph", canonical triples)."""
    if answer.status != 200:
        raise ValueError(f"HTTP {answer.status}: {answer.body[:300].decode(errors='replace')}")
    if query_form(sparql) in ("SELECT", "ASK"):
        data = json.loads(answer.body)
        if "boolean" in data:
            return "bool", bool(data["boolean"])
        names = data["head"].get("vars", [])
        rows = [
            tuple(sorted((n, term(b[n])) for n in names if n in b)) for b in data["results"]["bindings"]
        ]  # fmt: skip
        return "rows", rows
    graph = rdflib.Graph()
    graph.parse(data=answer.body.decode(), format="nt")
    return "graph", to_isomorphic(graph)


def size(parsed: tuple[str, object]) -> int:
    """Return the number of rows (or triples) of a parsed answer."""
    kind, value = parsed
    return 1 if kind == "bool" else len(value)


def same(a: tuple[str, object], b: tuple[str, object], sparql: str) -> tuple[bool, str]:
    """Compare two parsed answers; return (equal, note)."""
    if a[0] != b[0]:
        return False, f"different kinds: {a[0]} vs {b[0]}"
    kind, left, right = a[0], a[1], b[1]
    if kind != "rows":
        return left == right, "" if left == right else "different answers"
    if Counter(left) != Counter(right):
        missing, extra = Counter(left) - Counter(right), Counter(right) - Counter(left)
        return False, f"{len(left)} vs {len(right)} rows; {sum(missing.values())} missing, {sum(extra.values())} extra"
    if ordered(sparql) and left != right:
        return True, "same rows; ties ordered differently"
    return True, ""
