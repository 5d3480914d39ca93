"""The SSSOM mapping set (data/mappings.sssom.tsv) turned into triples of the mappings graph.

Each row gives one direct triple ``subject skos:exactMatch|closeMatch|broadMatch|narrowMatch object`` and one
reified mapping node that carries the row's metadata. The node is an ``owl:Axiom`` (the OWL way to annotate
a triple: ``owl:annotatedSource/annotatedProperty/annotatedTarget``) that is also an ``sssom:Mapping``, with
the SSSOM slots as properties (SSSOM's own slot IRIs: ``sssom:confidence``, ``dcterms:license``,
``rdfs:comment``, ...). Its IRI is ``id/mapping/<hash>``, where the hash is the mapping sameness identifier
of subject, predicate and object (sssom-pydantic's ``hash_triple``), so it is stable while the triple is.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from sssom_pydantic import hash_triple
from sssom_pydantic.io import ParseError, read_unprocessed_iterable, record_to_semantic_mapping
from sssom_pydantic.models import Record

from .prefixes import ID, STANDARD, converter, graph_iri
from .sources import SourceError

FILE_NAME = "mappings.sssom.tsv"
GRAPH = graph_iri("mappings")
SSSOM = "https://w3id.org/sssom/"
SKOS, RDFS, OWL, DCTERMS, XSD = (STANDARD[p] for p in ("skos", "rdfs", "owl", "dcterms", "xsd"))
PREDICATES = frozenset(
    SKOS + name for name in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")
)
RDF_TYPE = ox.NamedNode(STANDARD["rdf"] + "type")

# SSSOM slot -> property IRI (the slot_uri of the SSSOM schema where it names one) and how to write the value.
LITERAL_SLOTS = {
    "subject_label": (SSSOM + "subject_label", None),
    "object_label": (SSSOM + "object_label", None),
    "author_label": (SSSOM + "author_label", None),
    "confidence": (SSSOM + "confidence", XSD + "double"),
    "mapping_date": ("http://purl.org/pav/authoredOn", XSD + "date"),
    "object_source_version": (SSSOM + "object_source_version", None),
    "comment": (RDFS + "comment", None),
}
IRI_SLOTS = {
    "mapping_justification": SSSOM + "mapping_justification",
    "object_source": SSSOM + "object_source",
    "subject_source": SSSOM + "subject_source",
}


class MappingError(SourceError):
    """A mapping row that cannot be turned into triples: names the file and line."""


@dataclass(frozen=True)
class Row:
    """One parsed SSSOM row and the line it came from."""

    path: Path
    line: int
    record: Record

    def iri(self, curie: str) -> str:
        """Expand a CURIE of this row with the project's one prefix map, or fail naming the line."""
        iri = converter().expand(curie)
        if iri is None:
            raise MappingError(self.path, self.line, None, f"unknown CURIE prefix in {curie!r}")
        return iri


def read(path: Path) -> tuple[list[Row], dict]:
    """Parse the SSSOM TSV (sssom-pydantic); return its rows and its metadata; raise on any bad row."""
    rows: list[Row] = []
    try:
        with read_unprocessed_iterable(path) as parsed:
            metadata = parsed.mapping_set.model_dump(exclude_none=True, mode="json")
            for number, item in parsed.records:
                line = number + 1  # sssom-pydantic counts from 0; editors and people count from 1
                if isinstance(item, ParseError):
                    raise MappingError(path, line, None, str(item.exception).splitlines()[0])
                rows.append(Row(path, line, item))
    except (OSError, ValueError) as err:
        if isinstance(err, MappingError):
            raise
        raise MappingError(path, None, None, str(err).splitlines()[0]) from None
    return rows, metadata


def mapping_iri(row: Row) -> str:
    """Return the stable IRI of a row's mapping node (mapping sameness hash of subject, predicate, object)."""
    semantic = record_to_semantic_mapping(row.record, converter())
    return f"{ID}mapping/{hash_triple(semantic, converter())}"


def triples(path: Path, known: Container[str] | None = None) -> Iterator[tuple]:
    """Yield the triples of the mapping set: direct SKOS links, one axiom node per row, the set itself.

    With ``known`` (the IRIs of the graph's entities), a row whose subject is not one of them is an error.
    """
    rows, metadata = read(path)
    mapping_set = ox.NamedNode(metadata["id"])
    yield mapping_set, RDF_TYPE, ox.NamedNode(SSSOM + "MappingSet")
    for key, prop in (("title", DCTERMS + "title"), ("description", DCTERMS + "description")):
        if key in metadata:
            yield mapping_set, ox.NamedNode(prop), ox.Literal(metadata[key])
    if "version" in metadata:
        yield mapping_set, ox.NamedNode(OWL + "versionInfo"), ox.Literal(metadata["version"])
    if "license" in metadata:
        yield mapping_set, ox.NamedNode(DCTERMS + "license"), ox.NamedNode(metadata["license"])
    for row in rows:
        yield from _row_triples(row, mapping_set, known)


def _row_triples(row: Row, mapping_set: ox.NamedNode, known: Container[str] | None) -> Iterator[tuple]:
    """Yield the direct triple and the reified mapping node of one row."""
    record = row.record
    subject, predicate, obj = (
        ox.NamedNode(row.iri(c)) for c in (record.subject_id, record.predicate_id, record.object_id)
    )
    if predicate.value not in PREDICATES:
        raise MappingError(row.path, row.line, None, f"{record.predicate_id} is not a SKOS mapping relation")
    if known is not None and subject.value not in known:
        raise MappingError(row.path, row.line, None, f"subject {record.subject_id} is not an entity of the graph")
    yield subject, predicate, obj
    node = ox.NamedNode(mapping_iri(row))
    yield node, RDF_TYPE, ox.NamedNode(OWL + "Axiom")
    yield node, RDF_TYPE, ox.NamedNode(SSSOM + "Mapping")
    yield node, ox.NamedNode(OWL + "annotatedSource"), subject
    yield node, ox.NamedNode(OWL + "annotatedProperty"), predicate
    yield node, ox.NamedNode(OWL + "annotatedTarget"), obj
    yield node, ox.NamedNode(DCTERMS + "isPartOf"), mapping_set
    values = record.model_dump(exclude_none=True, mode="json")
    for slot, (prop, datatype) in LITERAL_SLOTS.items():
        for value in _as_list(values.get(slot)):
            literal = ox.Literal(str(value), datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(str(value))
            yield node, ox.NamedNode(prop), literal
    for slot, prop in IRI_SLOTS.items():
        for value in _as_list(values.get(slot)):
            yield node, ox.NamedNode(prop), ox.NamedNode(row.iri(value))
    for url in _as_list(values.get("see_also")):
        yield node, ox.NamedNode(RDFS + "seeAlso"), ox.NamedNode(url)


def _as_list(value: object) -> list:
    """Return a slot value as a list (SSSOM slots may be single- or multivalued)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class _Subjects:
    """The IRIs that are the subject of some quad of a store (looked up one at a time, never listed)."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def __contains__(self, iri: object) -> bool:
        """Tell whether the IRI is a subject in the store."""
        return (
            isinstance(iri, str) and next(self.store.quads_for_pattern(ox.NamedNode(iri), None, None), None) is not None
        )


def derive(data_dir: Path) -> Callable[[ox.Store], None]:
    """Return the build's derive step that adds the mapping set's quads (a no-op without the file)."""
    path = data_dir / FILE_NAME

    def step(store: ox.Store) -> None:
        if path.exists():
            graph = ox.NamedNode(GRAPH)
            store.bulk_extend([ox.Quad(s, p, o, graph) for s, p, o in triples(path, _Subjects(store))])

    return step
