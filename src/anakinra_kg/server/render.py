"""How RDF terms read on a page: labels and links for IRIs, dates and shares as people write them.

Pure functions of terms (no Flask, no store), so every rule here is unit-tested: IRIs under the
server's base link to its own pages, other IRIs to themselves, external identifiers show their CURIE and
the name of their resource, ``2021-12`` reads "Dec 2021" and a share of ``0.045`` reads "4.5%".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from .. import registry
from ..prefixes import STANDARD, VOCAB, converter

XSD = STANDARD["xsd"]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Properties whose value is a share of patients (a decimal between 0 and 1), and how to write it.
SHARES = {
    VOCAB + "frequency": "{}",
    VOCAB + "comparatorFrequency": "{}",
    VOCAB + "frequencyLowerBound": "> {}",
    VOCAB + "excessOverComparator": "+{}",
}
Term = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass(frozen=True)
class Value:
    """One term as shown: its text, where it links (None: no link), a tooltip, and marks for styling."""

    text: str
    href: str | None = None
    title: str | None = None
    external: bool = False
    note: str | None = None  # a language tag, or the name of an identifier's resource
    literal: bool = False


@dataclass(frozen=True)
class Identifier:
    """An external identifier: its CURIE, the resource it belongs to, and its resolver link."""

    curie: str
    resource: str | None
    href: str | None
    relation: str


class Renderer:
    """Turns terms into Values for one page: knows the server's base, its root URL and the labels in view."""

    def __init__(self, base: str, root: str, labels: Mapping[str, str]) -> None:
        self.base = base
        self.root = root.rstrip("/")
        self.labels = labels

    def href(self, iri: str) -> str | None:
        """Where an IRI links: our own page for IRIs under the base, the IRI itself for web IRIs, else nowhere."""
        if iri.startswith(self.base):
            return f"{self.root}/{iri[len(self.base) :]}"
        return iri if iri.startswith(("http://", "https://")) else None

    def iri(self, iri: str) -> Value:
        """An IRI as its label (or CURIE), linked, with the full IRI as tooltip."""
        label = self.labels.get(iri)
        text = label or curie(iri)
        return Value(text, self.href(iri), iri, external=not iri.startswith(self.base))

    def term(self, term: Term, predicate: str | None = None) -> Value:
        """Any term as shown in the object position of ``predicate``."""
        if isinstance(term, ox.NamedNode):
            return self.iri(term.value)
        if isinstance(term, ox.BlankNode):
            return Value("(anonymous node)", title=f"_:{term.value}")
        return literal(term, predicate)


def curie(iri: str) -> str:
    """The CURIE of an IRI from the one prefix map, or the IRI itself."""
    return converter().compress(iri, passthrough=True)


def literal(term: ox.Literal, predicate: str | None = None) -> Value:
    """A literal as people read it: shares as percentages, dates by their precision, text as is."""
    datatype = term.datatype.value
    text = term.value
    if predicate in SHARES and datatype == XSD + "decimal":
        share = percent(text)
        if share is not None:
            text = SHARES[predicate].format(share)
    elif datatype.startswith(XSD):
        text = readable_date(text, datatype[len(XSD) :]) or text
    note = term.language or None
    title = None if term.language else curie(datatype)
    return Value(text, title=title, note=note, literal=True)


def percent(lexical: str) -> str | None:
    """A decimal share as a percentage: 0.10 -> "10%", 0.045 -> "4.5%" (None if it is no number)."""
    try:
        value = Decimal(lexical) * 100
    except InvalidOperation:
        return None
    return f"{value.normalize():f}%"


def readable_date(lexical: str, datatype: str) -> str | None:
    """A date at its own precision: "2021", "Dec 2021", "3 Dec 2021", "25 Nov 2026, 20:36 UTC" (None: not a date)."""
    if datatype == "gYear" and re.fullmatch(r"-?\d{4,}", lexical):
        return lexical
    match = re.fullmatch(r"(\d{4,})-(\d{2})(?:-(\d{2}))?(?:T(\d{2}):(\d{2})(?::[\d.]+)?(Z|[+-]\d{2}:\d{2})?)?", lexical)
    if not match or not 1 <= int(match[2]) <= 12:
        return None
    year, month = match[1], MONTHS[int(match[2]) - 1]
    if datatype == "gYearMonth" and match[3] is None:
        return f"{month} {year}"
    if datatype == "date" and match[3] and match[4] is None:
        return f"{int(match[3])} {month} {year}"
    if datatype == "dateTime" and match[3] and match[4]:
        zone = "UTC" if match[6] in ("Z", "+00:00") else (match[6] or "")
        return f"{int(match[3])} {month} {year}, {match[4]}:{match[5]} {zone}".rstrip()
    return None


def identifier(iri: str, relation: str) -> Identifier:
    """An external identifier IRI as its CURIE, the name of its resource (from the prefix records) and a link."""
    compact = curie(iri)
    prefix = compact.split(":", 1)[0] if compact != iri else None
    record = registry.records().get(prefix or "")
    href = iri if iri.startswith(("http://", "https://")) else None
    return Identifier(compact, record["name"] if record else None, href, relation)


def xref(text: str, relation: str) -> Identifier | None:
    """A CURIE written as a literal (an oboInOwl database cross-reference), expanded to its resolver if known."""
    prefix, sep, local = text.partition(":")
    if not sep or not local:
        return None
    expanded = converter().expand(f"{prefix.lower()}:{local}") or converter().expand(text)
    if expanded is None:
        return None
    return identifier(expanded, relation)
