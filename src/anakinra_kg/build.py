"""The build: sources -> in-memory store -> derived graphs, checks -> bulk-written to a new disk store, swapped in."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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
    """What a build wrote: the store folder, the number of quads per named graph, and the seconds of each step."""

    folder: Path
    graphs: dict[str, int]
    steps: dict[str, float] = field(default_factory=dict)

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
    steps: dict[str, float] = {}
    found = sources.discover(ontology_dir, data_dir)
    mapping_file = data_dir / mappings.FILE_NAME
    work = ox.Store()  # in memory: parsing, rules and counts run here, the disk store is written once at the end
    with _timed(steps, "parse the sources"):
        sources.load_into(work, found, progress)
        work.extend(provenance_of_build([s.path for s in found] + ([mapping_file] if mapping_file.exists() else [])))
    for step in (mappings.derive(data_dir), *derive):
        with _timed(steps, f"derive: {_name(step)}"):
            step(work)
    with store.new_build(link) as new:
        with _timed(steps, "copy to the disk store (the statistics and checks run beside it)"):
            with store.copying(work, new) as dumped:
                with _timed(steps, "statistics"):
                    described = describe(work) if describe else []
                dumped()  # the work store has been read in full: it may change again
                work.extend(described)
                for check in checks:
                    with _timed(steps, f"check: {_name(check)}"):
                        check(work)
                counts = {row["g"].value: int(row["n"].value) for row in work.query(COUNTS)}
            new.extend(described)
        closing = time.perf_counter()  # leaving the block compacts the new store and swaps it in
    steps["compaction and swap"] = round(time.perf_counter() - closing, 2)
    return BuildReport(store.current_build(link), counts, steps)


@contextmanager
def _timed(steps: dict[str, float], name: str) -> Iterator[None]:
    """Record the seconds the block took as the step ``name`` (only when it ends without an error)."""
    started = time.perf_counter()
    yield
    steps[name] = round(time.perf_counter() - started, 2)


def _name(step: Callable) -> str:
    """A step's name for the report: its module and function (a closure by the function that made it)."""
    qualname = getattr(step, "__qualname__", type(step).__name__).split(".<locals>")[0]
    return f"{step.__module__.rsplit('.', 1)[-1]}.{qualname}"


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
