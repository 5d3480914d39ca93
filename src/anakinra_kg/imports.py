"""Import of an external ontology: extract the module our mappings need from a full ontology file.

The module holds every term that ``data/mappings.sssom.tsv`` links to in that ontology, with its label,
definition (IAO:0000115), synonyms (oboInOwl) and deprecation flag, plus all its ancestors (the closure of
``rdfs:subClassOf`` / ``is_a`` between named classes). It is written as Turtle to ``data/imports/<name>.ttl``,
which the build loads into the named graph ``graph/import/<name>``, together with a description of that
graph: the source's ontology IRI, version IRI / version / data-version, license and what was extracted.
OBO files are read with fastobo; OWL/RDF files (RDF/XML, Turtle, N-Triples; gzipped or not) with pyoxigraph.
"""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import fastobo
import pyoxigraph as ox

from . import formats, mappings
from .prefixes import STANDARD, converter, graph_iri, prefix_map
from .sources import IMPORTS as IMPORTS_DIR
from .sources import SourceError

OBO = STANDARD["obo"]
RDF, RDFS, OWL, XSD = (STANDARD[p] for p in ("rdf", "rdfs", "owl", "xsd"))
OIO, DCTERMS, PROV, VOID = (STANDARD[p] for p in ("oboInOwl", "dcterms", "prov", "void"))
DEFINITION = OBO + "IAO_0000115"
SYNONYMS = {scope: f"{OIO}has{scope.title()}Synonym" for scope in ("EXACT", "RELATED", "BROAD", "NARROW")}
LICENSES = (DCTERMS + "license", "http://purl.org/dc/elements/1.1/license")
# Statements of an owl:Ontology header that the module's description carries over.
HEADER = frozenset((OWL + "versionIRI", OWL + "versionInfo", PROV + "wasDerivedFrom", DCTERMS + "source", *LICENSES))


class OntologyImportError(SourceError):
    """An ontology file that cannot be read or holds none of the terms asked for."""


@dataclass
class Term:
    """What the module keeps of one class."""

    label: str | None = None
    definition: str | None = None
    synonyms: set[tuple[str, str]] = field(default_factory=set)
    parents: set[str] = field(default_factory=set)
    deprecated: bool = False
    declared: bool = False


@dataclass
class Ontology:
    """The terms of a parsed ontology file and what its header says about it."""

    terms: dict[str, Term] = field(default_factory=dict)
    header: dict[str, list[ox.NamedNode | ox.Literal]] = field(default_factory=dict)

    def term(self, iri: str) -> Term:
        """Return the term of an IRI, created on first use."""
        return self.terms.setdefault(iri, Term())

    def note(self, prop: str, value: ox.NamedNode | ox.Literal) -> None:
        """Record one header statement (version, license, ...) about the source."""
        self.header.setdefault(prop, []).append(value)


@dataclass(frozen=True)
class Module:
    """An extracted module: its name, triples, seeds found and missing, and the source's terms count."""

    name: str
    triples: list[ox.Triple]
    seeds: list[str]
    missing: list[str]
    obsolete: list[str]
    classes: int
    source_classes: int


def obo_iri(ident: str) -> str:
    """Expand an OBO identifier (``HP:0000001``) to its OBO PURL, by the OBO 1.4 rule."""
    if ident.startswith(("http://", "https://")):
        return ident
    prefix, sep, local = ident.partition(":")
    return f"{OBO}{prefix}_{local}" if sep else f"{OBO}{ident}"


def read_obo(path: Path) -> Ontology:
    """Parse an OBO file (gzipped or not) with fastobo."""
    result = Ontology()
    try:
        with _open(path) as handle:
            doc = fastobo.load(handle)
    except (SyntaxError, ValueError, OSError) as err:
        raise OntologyImportError(path, getattr(err, "lineno", None), None, str(err).splitlines()[0]) from None
    for clause in doc.header:
        tag, value = clause.raw_tag(), clause.raw_value()
        if tag == "data-version":
            result.note(OWL + "versionInfo", ox.Literal(value))
        elif tag == "ontology":
            result.note(DCTERMS + "source", ox.NamedNode(obo_iri(value) + ".owl"))
        elif tag == "property_value" and value.split(" ", 1)[0] in ("license", "dcterms:license", *LICENSES):
            result.note(DCTERMS + "license", ox.NamedNode(value.split(" ")[1]))
    for frame in doc:
        if not isinstance(frame, fastobo.term.TermFrame):
            continue
        term = result.term(obo_iri(str(frame.id)))
        term.declared = True
        for clause in frame:
            _obo_clause(term, clause)
    return result


def _obo_clause(term: Term, clause: object) -> None:
    """Fold one clause of a [Term] frame into the term."""
    if isinstance(clause, fastobo.term.NameClause):
        term.label = clause.name
    elif isinstance(clause, fastobo.term.DefClause):
        term.definition = clause.definition
    elif isinstance(clause, fastobo.term.SynonymClause) and clause.synonym.scope in SYNONYMS:
        term.synonyms.add((clause.synonym.scope, clause.synonym.desc))
    elif isinstance(clause, fastobo.term.IsAClause):
        term.parents.add(obo_iri(str(clause.term)))
    elif isinstance(clause, fastobo.term.IsObsoleteClause) and clause.obsolete:
        term.deprecated = True


def read_rdf(path: Path) -> Ontology:
    """Stream an OWL/RDF file (RDF/XML, Turtle, N-Triples; gzipped or not) with pyoxigraph."""
    result = Ontology()
    rdf_format = _rdf_format(path)
    by_predicate = {RDFS + "label": "label", DEFINITION: "definition", OWL + "deprecated": "deprecated"}
    scopes = {iri: scope for scope, iri in SYNONYMS.items()}
    ontologies: set[str] = set()
    header: list[ox.Triple] = []
    try:
        with _open(path) as handle:
            for triple in ox.parse(handle, format=rdf_format, base_iri=path.resolve().as_uri()):
                s, p, o = triple.subject, triple.predicate.value, triple.object
                if not isinstance(s, ox.NamedNode):
                    continue
                if p == RDF + "type" and o == ox.NamedNode(OWL + "Ontology"):
                    ontologies.add(s.value)
                elif p == RDF + "type" and o == ox.NamedNode(OWL + "Class"):
                    result.term(s.value).declared = True
                elif p == RDFS + "subClassOf" and isinstance(o, ox.NamedNode):
                    result.term(s.value).parents.add(o.value)
                elif p in by_predicate and isinstance(o, ox.Literal):
                    slot = by_predicate[p]
                    setattr(result.term(s.value), slot, o.value == "true" if slot == "deprecated" else o.value)
                elif p in scopes and isinstance(o, ox.Literal):
                    result.term(s.value).synonyms.add((scopes[p], o.value))
                elif p in HEADER:
                    header.append(triple)
    except (SyntaxError, ValueError, OSError) as err:
        raise OntologyImportError(path, getattr(err, "lineno", None), None, str(err).splitlines()[0]) from None
    for triple in header:
        if triple.subject.value in ontologies:
            _rdf_header(result, triple)
    for iri in ontologies:
        result.note(DCTERMS + "source", ox.NamedNode(iri))
    return result


def _rdf_header(result: Ontology, triple: ox.Triple) -> None:
    """Keep the version, license and derivation statements of the source's owl:Ontology header."""
    p = triple.predicate.value
    result.note(DCTERMS + "license" if p in LICENSES else p, triple.object)


def _rdf_format(path: Path) -> ox.RdfFormat:
    """Pick the RDF syntax from the file extension (``.owl`` is RDF/XML), ignoring a ``.gz``."""
    suffixes = [s for s in path.suffixes if s != ".gz"]
    try:
        return formats.by_name(suffixes[-1].lstrip(".") if suffixes else "", formats.RDF_FORMATS).oxigraph
    except formats.UnknownFormatError:
        raise OntologyImportError(
            path, None, None, "unknown RDF syntax: expected .owl/.rdf, .ttl or .nt (optionally .gz)"
        ) from None


def _open(path: Path):
    """Open a file for reading, decompressing it when it is gzipped."""
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def read(path: Path) -> Ontology:
    """Parse an ontology file in OBO or OWL/RDF syntax."""
    if not path.is_file():
        raise OntologyImportError(path, None, None, "no such file")
    is_obo = ".obo" in path.suffixes
    return read_obo(path) if is_obo else read_rdf(path)


def seeds(data_dir: Path, name: str) -> list[str]:
    """Return the IRIs of the terms of ontology ``name`` that the mapping set links to."""
    namespace = prefix_map()[name]
    rows, _ = mappings.read(data_dir / mappings.FILE_NAME)
    found = {converter().expand(row.record.object_id) for row in rows}
    return sorted(iri for iri in found if iri and iri.startswith(namespace))


def guess_name(ontology: Ontology) -> str:
    """Guess which ontology a file is: the project prefix most of its declared classes fall under."""
    counts = Counter(
        prefix
        for iri, term in ontology.terms.items()
        if term.declared and (prefix := converter().compress(iri, passthrough=True).split(":")[0]) in prefix_map()
    )
    counts.pop("obo", None)
    if not counts:
        raise ValueError("cannot tell which ontology this is; give --ontology")
    return counts.most_common(1)[0][0]


def closure(ontology: Ontology, start: Iterable[str]) -> set[str]:
    """Return the start terms and all their ancestors over named superclasses."""
    seen: set[str] = set()
    todo = [iri for iri in start if iri in ontology.terms]
    while todo:
        iri = todo.pop()
        if iri not in seen:
            seen.add(iri)
            todo.extend(ontology.terms[iri].parents if iri in ontology.terms else ())
    return seen


def extract(ontology: Ontology, name: str, wanted: list[str], source: Path, license_iri: str | None) -> Module:
    """Build the module: the wanted terms found in the ontology, their ancestors, and the graph description."""
    found = [iri for iri in wanted if ontology.terms.get(iri, Term()).declared]
    keep = closure(ontology, found)
    triples = [t for iri in sorted(keep) for t in _term_triples(iri, ontology.terms.get(iri, Term()))]
    obsolete = [iri for iri in found if _is_obsolete(ontology.terms[iri])]
    missing = [iri for iri in wanted if iri not in found]
    triples += _description(ontology, name, source, license_iri, len(found), len(keep), len(triples))
    declared = sum(1 for term in ontology.terms.values() if term.declared)
    return Module(name, triples, found, missing, obsolete, len(keep), declared)


def _is_obsolete(term: Term) -> bool:
    """Tell an obsolete term: flagged deprecated, or labelled 'obsolete ...' as OBO release reports do."""
    return term.deprecated or (term.label or "").lower().startswith("obsolete ")


def _term_triples(iri: str, term: Term) -> Iterator[ox.Triple]:
    """Yield the module's triples for one class."""
    node = ox.NamedNode(iri)
    yield ox.Triple(node, ox.NamedNode(RDF + "type"), ox.NamedNode(OWL + "Class"))
    if term.label is not None:
        yield ox.Triple(node, ox.NamedNode(RDFS + "label"), ox.Literal(term.label))
    if term.definition is not None:
        yield ox.Triple(node, ox.NamedNode(DEFINITION), ox.Literal(term.definition))
    for scope, text in sorted(term.synonyms):
        yield ox.Triple(node, ox.NamedNode(SYNONYMS[scope]), ox.Literal(text))
    for parent in sorted(term.parents):
        yield ox.Triple(node, ox.NamedNode(RDFS + "subClassOf"), ox.NamedNode(parent))
    if term.deprecated:
        yield ox.Triple(node, ox.NamedNode(OWL + "deprecated"), ox.Literal(True))


def _description(
    ontology: Ontology, name: str, source: Path, license_iri: str | None, seeds: int, classes: int, triples: int
) -> list[ox.Triple]:
    """Describe the module's named graph (VoID, DCTERMS, PROV): source, version, license, contents."""
    graph = ox.NamedNode(graph_iri(f"import/{name}"))
    values: list[tuple[str, ox.NamedNode | ox.Literal]] = [
        (RDF + "type", ox.NamedNode(VOID + "Dataset")),
        (DCTERMS + "title", ox.Literal(f"{name} module of anakinra-kg")),
        (
            DCTERMS + "description",
            ox.Literal(
                f"Extracted by `anakinra-kg import {source.name} --ontology {name}`: the {seeds} {name} terms linked "
                f"by data/mappings.sssom.tsv and all their ancestors over rdfs:subClassOf between named classes, "
                "with labels, definitions (IAO:0000115) and oboInOwl synonyms."
            ),
        ),
        (VOID + "classes", ox.Literal(str(classes), datatype=ox.NamedNode(XSD + "integer"))),
    ]
    for prop, objects in sorted(ontology.header.items()):
        values += [(prop, obj) for obj in objects]
    if license_iri and DCTERMS + "license" not in ontology.header:
        values.append((DCTERMS + "license", ox.NamedNode(license_iri)))
    total = triples + len(values) + 1
    values.append((VOID + "triples", ox.Literal(str(total), datatype=ox.NamedNode(XSD + "integer"))))
    return [ox.Triple(graph, ox.NamedNode(p), o) for p, o in values]


def write(module: Module, path: Path) -> None:
    """Write the module as Turtle with the project's prefixes, atomically (no half-written file)."""
    used = {"rdf", "rdfs", "owl", "xsd", "oboInOwl", "dcterms", "prov", "void", module.name}
    prefixes = {k: v for k, v in prefix_map().items() if k in used}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(ox.serialize(module.triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes))
    tmp.replace(path)


def run(source: Path, data_dir: Path, name: str | None, output: Path | None, license_iri: str | None) -> Module:
    """Parse ``source``, extract the module for the mapped terms and write it; return what was written."""
    ontology = read(source)
    name = name or guess_name(ontology)
    if name not in prefix_map():
        raise OntologyImportError(source, None, None, f"unknown ontology prefix {name!r}")
    wanted = seeds(data_dir, name)
    module = extract(ontology, name, wanted, source, license_iri)
    if not module.seeds:
        raise OntologyImportError(source, None, None, f"none of the {len(wanted)} mapped {name} terms is declared here")
    write(module, output or data_dir / IMPORTS_DIR / f"{name}.ttl")
    return module
