"""The build: sources -> in-memory store -> derived graphs, checks -> bulk-written to a new disk store, swapped in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from . import __version__, mappings, sources, store
from .prefixes import STANDARD, graph_iri

PROV, XSD = STANDARD["prov"], STANDARD["xsd"]
RDF_TYPE = ox.NamedNode(STANDARD["rdf"] + "type")
BUILD = ox.NamedNode(graph_iri("provenance") + "#build")

Progress = Callable[[int], None]  # bytes of source files loaded so far
Check = Callable[[ox.Store], None]  # raises to stop the build (e.g. SHACL violations)
Derive = Callable[[ox.Store], None]  # adds quads to the store (inferred, mappings)
Describe = Callable[[ox.Store], list[ox.Quad]]  # reads the store, returns its description (metadata)
COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


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
    describe: Describe | None = None,
) -> BuildReport:
    """Load every source into a store, add derived quads, run the checks, and write it as a new store swapped in.

    The mapping set of ``data_dir`` (SSSOM) is always the first derive step; the given ``derive`` steps run
    after it in order, each seeing the store so far, the description of the build included. Then the store is
    written to disk by the bulk loader in the background (no index is updated quad by quad) while ``describe``
    (metadata: it counts everything written) and the ``checks`` run beside it; the checks see the description
    too, and it is added to the disk store last. Any error (bad syntax, a failed check, an interruption)
    removes the new store and leaves the previous one in place.
    """
    found = sources.discover(ontology_dir, data_dir)
    mapping_file = data_dir / mappings.FILE_NAME
    work = ox.Store()  # in memory: parsing, rules and counts run here, the disk store is written once at the end
    sources.load_into(work, found, progress)
    work.extend(provenance_of_build([s.path for s in found] + ([mapping_file] if mapping_file.exists() else [])))
    for step in (mappings.derive(data_dir), *derive):
        step(work)
    with store.new_build(link) as new:
        with store.copying(work, new) as dumped:
            described = describe(work) if describe else []
            dumped()  # the work store has been read in full: it may change again
            work.extend(described)
            for check in checks:
                check(work)
            counts = {row["g"].value: int(row["n"].value) for row in work.query(COUNTS)}
        new.extend(described)
    return BuildReport(store.current_build(link), counts)


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
