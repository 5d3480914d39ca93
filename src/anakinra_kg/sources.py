"""The one loader: parses the ontology and data files into quads, each in its named graph.

Parsing is pyoxigraph's (Rust): files with a fixed graph are bulk-loaded straight into the store; data files
stream their triples through the one routing rule (by subject) into the store's bulk loader, never held in
a Python list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib

from .prefixes import ID, graph_iri

# Subjects under these paths are provenance (evidence, reified statements, the article and its
# sections) and go to the provenance graph; everything else of data/ goes to the data graph.
PROVENANCE_PATHS = tuple(f"{ID}{kind}/" for kind in ("evidence", "statement", "section", "source"))
# Files of ontology/ that are not part of the ontology graph (SHACL shapes, JSON-LD context, ...).
NOT_ONTOLOGY = ("shapes.ttl",)
# Modules of external ontologies (written by `anakinra-kg import`), each into graph/import/<file stem>.
IMPORTS = "imports"


class SourceError(Exception):
    """A source file could not be parsed: names the file, line, column and what was expected."""

    def __init__(self, path: Path, line: int | None, column: int | None, message: str) -> None:
        self.path, self.line, self.column, self.message = path, line, column, message
        where = ":".join(str(part) for part in (path, line, column) if part is not None)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Source:
    """One Turtle file and the named graph its triples go to (None: split data/provenance)."""

    path: Path
    graph: str | None


def discover(ontology_dir: Path, data_dir: Path) -> list[Source]:
    """List the source files in a stable order: the ontology, the data, then the imported modules."""
    found = [Source(p, graph_iri("ontology")) for p in sorted(ontology_dir.glob("*.ttl")) if p.name not in NOT_ONTOLOGY]
    found += [Source(p, None) for p in sorted(data_dir.glob("*.ttl"))]
    found += [Source(p, graph_iri(f"import/{p.stem}")) for p in sorted((data_dir / IMPORTS).glob("*.ttl"))]
    if not found:
        raise SourceError(data_dir, None, None, "no .ttl files found in ontology/ or data/")
    return found


def graph_for(subject: ox.NamedNode | ox.BlankNode | ox.Triple) -> str:
    """Return the named graph for a data triple, by its subject."""
    if isinstance(subject, ox.NamedNode) and subject.value.startswith(PROVENANCE_PATHS):
        return graph_iri("provenance")
    return graph_iri("data")


def parse(source: Source) -> Iterator[ox.Quad]:
    """Parse one file into quads; raise SourceError naming file and position on bad syntax."""
    fixed = ox.NamedNode(source.graph) if source.graph else None
    data, provenance = ox.NamedNode(graph_iri("data")), ox.NamedNode(graph_iri("provenance"))
    named, quad = ox.NamedNode, ox.Quad
    try:
        for triple in ox.parse(path=source.path, format=ox.RdfFormat.TURTLE):
            subject = triple.subject
            graph = fixed or (
                provenance if type(subject) is named and subject.value.startswith(PROVENANCE_PATHS) else data
            )
            yield quad(subject, triple.predicate, triple.object, graph)
    except SyntaxError as err:
        raise SourceError(source.path, err.lineno, err.offset, _message(err)) from None
    except (OSError, ValueError) as err:
        raise SourceError(source.path, None, None, str(err)) from None


def _message(err: SyntaxError) -> str:
    """Strip pyoxigraph's own 'Parser error at line L column C: ' prefix from a message."""
    text = err.msg or str(err)
    head, sep, tail = text.partition(": ")
    return tail if sep and head.startswith("Parser error at") else text


def load_into(store: ox.Store, found: list[Source], progress: Callable[[int], None] | None = None) -> None:
    """Bulk-load every source into ``store`` in its graph; ``progress`` gets the bytes of the files done so far.

    Raises SourceError (file, line, column) on bad syntax; the store is then partly written, so callers load
    into a scratch store (the build loads into an in-memory one, written to disk only when complete).
    """
    done = 0
    for source in found:
        if source.graph:
            try:
                store.bulk_load(path=source.path, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(source.graph))
            except SyntaxError as err:
                raise SourceError(source.path, err.lineno, err.offset, _message(err)) from None
            except (OSError, ValueError) as err:
                raise SourceError(source.path, None, None, str(err)) from None
        else:
            store.bulk_extend(parse(source))
        done += source.path.stat().st_size
        if progress:
            progress(done)


def load_all(sources: list[Source]) -> list[ox.Quad]:
    """Parse every source fully (so that a broken file fails before anything is written)."""
    return [quad for source in sources for quad in parse(source)]


def to_rdflib(quads: list[ox.Quad]) -> rdflib.Graph:
    """Merge quads into one rdflib graph (for pyshacl, owlrl and owlready2, which read rdflib or N-Triples)."""
    triples = (ox.Triple(q.subject, q.predicate, q.object) for q in quads)
    graph = rdflib.Graph()
    graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return graph
