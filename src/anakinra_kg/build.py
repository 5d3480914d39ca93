"""The build: ontology + data -> parsed quads -> new on-disk store, swapped in when complete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from . import __version__, mappings, sources, store
from .prefixes import graph_iri

PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
BUILD = ox.NamedNode(graph_iri("provenance") + "#build")

Progress = Callable[[int], None]
Check = Callable[[list[ox.Quad]], None]  # raises to stop the build (e.g. SHACL violations)
Derive = Callable[[list[ox.Quad]], list[ox.Quad]]  # returns extra quads (inferred, mappings, metadata)


@dataclass(frozen=True)
class BuildReport:
    """What a build wrote: the store folder and the number of quads per named graph."""

    folder: Path
    graphs: dict[str, int]

    @property
    def total(self) -> int:
        """Total number of quads written."""
        return sum(self.graphs.values())


def build(
    ontology_dir: Path,
    data_dir: Path,
    link: Path,
    *,
    progress: Progress | None = None,
    checks: Iterable[Check] = (),
    derive: Iterable[Derive] = (),
) -> BuildReport:
    """Parse every source, add derived quads, run the checks, and write a new store that replaces the old one.

    The mapping set of ``data_dir`` (SSSOM) is always the first derive step; the given
    ``derive`` steps run after it in order, each seeing the quads so far (so metadata can come last);
    ``checks`` then see everything. Any error (bad syntax, a failed check, an interruption)
    leaves the previous store in place.
    """
    found = sources.discover(ontology_dir, data_dir)
    quads = sources.load_all(found)
    for step in (mappings.derive(data_dir), *derive):
        quads += step(quads)
    for check in checks:
        check(quads)
    mapping_file = data_dir / mappings.FILE_NAME
    quads += provenance_of_build([s.path for s in found] + ([mapping_file] if mapping_file.exists() else []))
    counts: dict[str, int] = {}
    for quad in quads:
        counts[quad.graph_name.value] = counts.get(quad.graph_name.value, 0) + 1
    with store.new_build(link) as new:
        new.bulk_extend(_reporting(quads, progress))
    return BuildReport(store.current_build(link), counts)


def _reporting(quads: list[ox.Quad], progress: Progress | None, every: int = 10_000) -> Iterator[ox.Quad]:
    """Yield the quads, calling ``progress`` with the count done every ``every`` quads."""
    for done, quad in enumerate(quads, 1):
        yield quad
        if progress and done % every == 0:
            progress(done)
    if progress:
        progress(len(quads))


def provenance_of_build(used: list[Path]) -> list[ox.Quad]:
    """Describe the build itself (PROV-O): when, by which software version, from which files."""
    graph = ox.NamedNode(graph_iri("provenance"))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    triples = [
        (BUILD, RDF_TYPE, ox.NamedNode(PROV + "Activity")),
        (BUILD, ox.NamedNode(PROV + "endedAtTime"), ox.Literal(now, datatype=ox.NamedNode(XSD + "dateTime"))),
        (BUILD, ox.NamedNode("http://schema.org/softwareVersion"), ox.Literal(__version__)),
    ]
    triples += [(BUILD, ox.NamedNode(PROV + "used"), ox.Literal(f"{p.parent.name}/{p.name}")) for p in used]
    return [ox.Quad(s, p, o, graph) for s, p, o in triples]
