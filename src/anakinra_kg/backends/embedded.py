"""The embedded backend: a read-only pyoxigraph store in a build folder, queried in-process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from .. import query
from ..query import Results

GRAPH_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
UNION_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
GRAPH_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <GRAPH_IRI> { ?s ?p ?o } }"


def folder_bytes(folder: str) -> int:
    """The size of a store folder's files (what RocksDB keeps on disk)."""
    return sum(entry.stat().st_size for entry in os.scandir(folder) if entry.is_file())


class EmbeddedBackend:
    """One build of the on-disk store, opened read-only (many processes may open it at once).

    A store whose folder takes at most ``copy_up_to_bytes`` is copied into an in-memory store when opened:
    small graphs (the article's) then answer from memory, faster than from RocksDB (see README.md).
    """

    def __init__(self, folder: str | Path, *, copy_up_to_bytes: int = 0) -> None:
        self.folder = str(folder)
        self.store = ox.Store.read_only(self.folder)
        self.in_memory = 0 < folder_bytes(self.folder) <= copy_up_to_bytes
        if self.in_memory:
            memory = ox.Store()
            memory.bulk_extend(self.store)
            self.store = memory

    def query(
        self,
        text: str,
        *,
        union_default_graph: bool = True,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        timeout: float | None = None,
    ) -> Results:
        """Run a query with query.run (pyoxigraph has no timeout: the caller's worker is killed instead)."""
        return query.run(
            self.store,
            text,
            union_default_graph=union_default_graph,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
        )

    def named_graphs(self) -> list[str]:
        """The IRIs of the store's named graphs, sorted."""
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def count(self, graph: str | None) -> int:
        """Triples in one named graph, or in the union default graph (None)."""
        if graph is None:
            return int(next(iter(query.run(self.store, UNION_COUNT)))["n"].value)
        rows = query.run(self.store, GRAPH_COUNT.replace("GRAPH_IRI", ox.NamedNode(graph).value))
        return int(next(iter(rows))["n"].value)

    def graph_counts(self) -> dict[str, int]:
        """Triples per named graph, in one grouped query."""
        return {row["g"].value: int(row["n"].value) for row in query.run(self.store, GRAPH_COUNTS)}

    def version(self) -> str:
        """The build folder's name (a new build is a new folder)."""
        return Path(self.folder).name

    def triples(self, graph: str) -> Iterator[ox.Triple]:
        """The triples of one named graph, streamed in the store's (stable) order."""
        for quad in self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            yield quad.triple
