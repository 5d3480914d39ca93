"""Exports of the store: the whole dataset or chosen named graphs, in every RDF format, deterministic and atomic.

Dataset formats (TriG, N-Quads, JSON-LD) keep each named graph; triple formats (Turtle, N-Triples, RDF/XML)
write the union of the chosen graphs. Blank nodes get labels computed from their content, subjects and
predicates are sorted, and prefixes come from the one prefix map, so two exports of the same data are
byte-identical and two releases diff cleanly.
"""

from __future__ import annotations

import gzip
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyoxigraph as ox
import rdflib
from rdflib.compare import to_canonical_graph
from rdflib.namespace import NamespaceManager
from rdflib.plugins.serializers.trig import TrigSerializer
from rdflib.plugins.serializers.turtle import TurtleSerializer

from . import formats, jsonld
from .prefixes import GRAPH, graph_iri, prefix_map


class UnknownGraphError(ValueError):
    """A graph name that the store does not have; the message lists the valid ones."""


@dataclass(frozen=True)
class Dump:
    """A published dump file: its name, format and whether it is gzip-compressed."""

    filename: str
    format: str
    gzip: bool = False


DUMPS: tuple[Dump, ...] = (
    Dump("anakinra.ttl", "turtle"),
    Dump("anakinra.trig", "trig"),
    Dump("anakinra.jsonld", "jsonld"),
    Dump("anakinra.rdf", "rdfxml"),
    Dump("anakinra.nt.gz", "ntriples", gzip=True),
    Dump("anakinra.nq.gz", "nquads", gzip=True),
)


def graph_names(store: ox.Store) -> dict[str, str]:
    """Return the store's named graphs as short name (``data``, or the full IRI outside ours) -> IRI, sorted."""
    iris = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    return {iri.removeprefix(GRAPH): iri for iri in iris}


def select_graphs(store: ox.Store, names: Sequence[str] = ()) -> list[str]:
    """Return the IRIs of the named graphs asked for (short names or IRIs), or of all graphs when none are."""
    known = graph_names(store)
    if not names:
        return list(known.values())
    chosen: list[str] = []
    for name in names:
        iri = known.get(name) or (name if name in known.values() else None)
        if iri is None:
            raise UnknownGraphError(f"unknown graph {name!r}; valid graphs: {', '.join(known)}")
        if iri not in chosen:
            chosen.append(iri)
    return chosen


def rdflib_graphs(store: ox.Store, graphs: Iterable[str]) -> dict[str, rdflib.Graph]:
    """Copy named graphs out of the store into rdflib, blank nodes labelled by content (stable across builds)."""
    result: dict[str, rdflib.Graph] = {}
    for number, iri in enumerate(graphs):
        quads = store.quads_for_pattern(None, None, None, ox.NamedNode(iri))
        data = ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads], format=ox.RdfFormat.N_TRIPLES)
        parsed = rdflib.Graph(bind_namespaces="none").parse(data=data or b"", format="nt")
        canonical = list(to_canonical_graph(parsed))
        labels = sorted({str(t) for triple in canonical for t in triple if isinstance(t, rdflib.BNode)})
        short = {label: rdflib.BNode(f"g{number}b{rank}") for rank, label in enumerate(labels)}
        graph = _new_graph(rdflib.URIRef(iri))
        for triple in sorted((tuple(short.get(str(t), t) for t in triple) for triple in canonical), key=_sort_key):
            graph.add(triple)
        result[iri] = graph
    return result


def _sort_key(triple: tuple) -> tuple:
    """Order triples with IRI subjects first, then blank nodes; each by their N-Triples form."""
    return (isinstance(triple[0], rdflib.BNode), *(t.n3() for t in triple))


def _new_graph(identifier: rdflib.URIRef | None = None, store: object = "default") -> rdflib.Graph:
    """An empty rdflib graph bound to the project's prefixes only."""
    graph = rdflib.Graph(store=store, identifier=identifier, bind_namespaces="none")
    for prefix, namespace in prefix_map().items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def union(graphs: dict[str, rdflib.Graph]) -> rdflib.Graph:
    """Merge several graphs into one (blank nodes stay distinct), in sorted order."""
    merged = _new_graph()
    for triple in sorted((t for g in graphs.values() for t in g), key=_sort_key):
        merged.add(triple)
    return merged


def dataset(graphs: dict[str, rdflib.Graph]) -> rdflib.Dataset:
    """Gather graphs into an rdflib dataset, each under its name."""
    result = rdflib.Dataset()
    result.namespace_manager = NamespaceManager(result, bind_namespaces="none")
    for prefix, namespace in prefix_map().items():
        result.bind(prefix, namespace, override=True, replace=True)
    for iri, graph in graphs.items():
        target = result.graph(rdflib.URIRef(iri))
        for triple in graph:
            target.add(triple)
    return result


XSD = rdflib.namespace.XSD
SHORT_NUMBERS = (XSD.integer, XSD.decimal, XSD.double, XSD.boolean)


class _SortedOutput:
    """What rdflib's Turtle and TriG serializers need to write the same data the same way every time."""

    topClasses: list = []  # noqa: N815  (rdflib's attribute: no class's members go first)
    _references: dict

    def orderSubjects(self) -> list:  # noqa: N802  (rdflib's method name)
        """IRIs sorted by value; then blank nodes, unreferenced ones first (the rest are written inline)."""

        def key(subject: rdflib.term.Node) -> tuple:
            blank = isinstance(subject, rdflib.BNode)
            return (blank, self._references[subject] if blank else 0, str(subject))

        return sorted(self._subjects, key=key)  # type: ignore[attr-defined]

    def label(self, node: rdflib.term.Node, position: int) -> str:
        """Write a number in short form only when that form reads back as the same literal (6 stays "6")."""
        number = isinstance(node, rdflib.Literal) and node.datatype in SHORT_NUMBERS
        if number and node._literal_n3(use_plain=True) != str(node):
            return node._literal_n3(use_plain=False, qname_callback=self.getQName)  # type: ignore[attr-defined]
        return super().label(node, position)  # type: ignore[misc]


class SortedTurtleSerializer(_SortedOutput, TurtleSerializer):
    """rdflib's Turtle serializer, sorted and exact."""


class SortedTrigSerializer(_SortedOutput, TrigSerializer):
    """rdflib's TriG serializer, sorted and exact, graphs in order of their names."""

    def __init__(self, store: rdflib.Dataset) -> None:
        super().__init__(store)
        self.contexts = sorted((c for c in self.contexts if len(c)), key=lambda c: str(c.identifier))


def _lines_sorted(text: bytes) -> bytes:
    """Sort the lines of a line-based format (N-Triples, N-Quads)."""
    lines = sorted(line for line in text.decode("utf-8").splitlines() if line.strip())
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def write_to(stream: IO[bytes], store: ox.Store, fmt: formats.Format, graphs: Sequence[str] = ()) -> None:
    """Serialize the chosen graphs (all by default) of the store to a binary stream."""
    if fmt.is_results:
        raise formats.UnknownFormatError(f"{fmt.name} is a query-results format, not an RDF format")
    parts = rdflib_graphs(store, select_graphs(store, graphs))
    if fmt.name == "jsonld":
        stream.write(jsonld.from_graphs(parts, jsonld.context(store)))
    elif fmt.name == "trig":
        SortedTrigSerializer(dataset(parts)).serialize(stream, encoding="utf-8")
    elif fmt.name == "nquads":
        stream.write(_lines_sorted(dataset(parts).serialize(format="nquads", encoding="utf-8")))
    elif fmt.name == "turtle":
        SortedTurtleSerializer(union(parts)).serialize(stream, encoding="utf-8")
    elif fmt.name == "ntriples":
        stream.write(_lines_sorted(union(parts).serialize(format="nt", encoding="utf-8")))
    elif fmt.name == "rdfxml":
        stream.write(union(parts).serialize(format="xml", encoding="utf-8"))
    else:
        raise formats.UnknownFormatError(f"no exporter for {fmt.name}")


def rdf_format(name: str) -> formats.Format:
    """Look up an RDF (not results) format by name, extension or media type; the error lists the valid ones."""
    return formats.by_name(name, formats.RDF_FORMATS)


def serialize(store: ox.Store, fmt: formats.Format | str, graphs: Sequence[str] = ()) -> bytes:
    """Return the export of the chosen graphs (all by default) as bytes: one call for an HTTP route."""
    chosen = rdf_format(fmt) if isinstance(fmt, str) else fmt
    buffer = io.BytesIO()
    write_to(buffer, store, chosen, graphs)
    return buffer.getvalue()


def dump_bytes(store: ox.Store, dump: Dump) -> bytes:
    """Return a published dump file's bytes (gzip with a fixed timestamp, so identical data gives identical files)."""
    data = serialize(store, dump.format)
    return gzip.compress(data, mtime=0) if dump.gzip else data


def write_file(path: Path, produce: Callable[[IO[bytes]], None], *, compress: bool = False) -> None:
    """Write a file atomically: into a temporary file beside it, then rename; on any error leave nothing behind."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw:
            if compress:
                with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as zipped:
                    produce(zipped)
            else:
                produce(raw)
            raw.flush()
            os.fsync(raw.fileno())
        tmp.chmod(0o666 & ~_umask())  # a temporary file is private; the dump gets the usual permissions
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's file-creation mask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def export_file(store: ox.Store, fmt: formats.Format | str, path: Path, graphs: Sequence[str] = ()) -> None:
    """Export to a file atomically; a name ending in .gz is gzip-compressed."""
    chosen = rdf_format(fmt) if isinstance(fmt, str) else fmt
    select_graphs(store, graphs)  # fail on an unknown graph before any file is created
    write_file(path, lambda stream: write_to(stream, store, chosen, graphs), compress=str(path).endswith(".gz"))


def framed_drug(store: ox.Store) -> bytes:
    """The framed JSON-LD document of the drug (from the data graph), for plain JSON consumers."""
    data = graph_iri("data")
    parts = rdflib_graphs(store, [data])
    return jsonld.dumps(jsonld.framed_drug(parts[data], jsonld.context(store)))
