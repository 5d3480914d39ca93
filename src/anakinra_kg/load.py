"""``load --into``: upload the built dataset, graph by graph in batches, to a remote SPARQL store; resumable.

Each named graph of the current build is cut into batches of about N triples (never cutting the triples of a
blank node apart, since a blank node is scoped to one request) and sent by the Graph Store Protocol (POST of
N-Triples) or SPARQL Update. A small state file, keyed on the build and the target, records the batches done,
so a run after an interruption resumes where it stopped; the end verifies the triple count of every graph.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import requests
from requests.auth import AuthBase

from .backends.embedded import EmbeddedBackend
from .backends.remote import RemoteBackend, RemoteError, check_url

Progress = Callable[[str, int, int], None]  # graph, batches done, batches in the graph
CUT = 2  # how graphs are cut into batches (Batches); a state file of another cut is not resumed


class LoadError(Exception):
    """The upload failed, or the remote counts do not match the build's."""


@dataclass(frozen=True)
class Target:
    """Where to load: the update (or Graph Store Protocol) endpoint, and the query endpoint to verify with."""

    update_url: str
    query_url: str
    gsp_url: str | None = None
    auth: AuthBase | None = field(default=None, repr=False)

    def key(self) -> str:
        """A short stable name for the target (the state file's name; no credentials in it)."""
        return hashlib.sha256(f"{self.update_url} {self.gsp_url}".encode()).hexdigest()[:12]


@dataclass
class Report:
    """What a load did: graphs loaded now, graphs already done, and the verified counts."""

    version: str
    loaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


class RemoteWriter:
    """Writes graphs to a remote store, with the credentials given (from the environment)."""

    def __init__(self, target: Target, timeout: float = 300.0) -> None:
        self.target = target
        self.timeout = timeout
        self.session = requests.Session()
        self.session.auth = target.auth

    def drop(self, graph: str) -> None:
        """Empty a named graph on the remote (DROP SILENT GRAPH)."""
        self._send(self.target.update_url, data={"update": f"DROP SILENT GRAPH <{graph}>"})

    def insert(self, graph: str, triples: list[ox.Triple]) -> None:
        """Add a batch of triples to a named graph: GSP POST if configured, else SPARQL Update."""
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        if self.target.gsp_url:
            headers = {"Content-Type": "application/n-triples"}
            self._send(self.target.gsp_url, params={"graph": graph}, data=body, headers=headers)
            return
        blank = any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples)
        text = body.decode("utf-8")
        # INSERT DATA may not hold blank nodes on some engines (Virtuoso SP031); INSERT ... WHERE {} may.
        update = (
            f"INSERT {{ GRAPH <{graph}> {{\n{text}}} }} WHERE {{}}"
            if blank
            else (f"INSERT DATA {{ GRAPH <{graph}> {{\n{text}}} }}")
        )
        self._send(self.target.update_url, data={"update": update})

    def _send(self, url: str, **kwargs: object) -> None:
        """POST and raise LoadError (status and the server's first words; never the credentials) on failure."""
        try:
            response = self.session.post(url, timeout=(5.0, self.timeout), **kwargs)
        except requests.RequestException as error:
            raise LoadError(f"{url} did not answer: {type(error).__name__}") from None
        if response.status_code >= 300:
            raise LoadError(f"{url} answered {response.status_code}: {response.text.strip()[:500]}")


def _linked(triple: ox.Triple) -> bool:
    """Whether a triple has a blank node (so it must travel with the other triples of that node)."""
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)


class Batches:
    """The batches of one graph, cut without holding the graph in memory.

    Triples without blank nodes stream from the store in its (stable) order, ``size`` to a batch; only the
    triples with blank nodes are held, grouped so that all triples linked through blank nodes share a batch.
    The ground batches come first, then the linked ones; the numbering is the same in every run on one
    build, which is what resuming relies on.
    """

    def __init__(self, triples: Callable[[], Iterable[ox.Triple]], size: int) -> None:
        self._triples, self.size = triples, size
        self.ground, linked = 0, []
        for triple in triples():
            if _linked(triple):
                linked.append(triple)
            else:
                self.ground += 1
        self._ground_batches = -(-self.ground // size)
        self.linked = _group(linked, size)

    def __len__(self) -> int:
        return self._ground_batches + len(self.linked)

    def starting_at(self, first: int) -> Iterator[list[ox.Triple]]:
        """Yield the batches from number ``first`` on (skipping the earlier ground triples as they stream)."""
        if first < self._ground_batches:
            ground = itertools.islice((t for t in self._triples() if not _linked(t)), first * self.size, None)
            for _ in range(first, self._ground_batches):
                yield list(itertools.islice(ground, self.size))
        yield from self.linked[max(0, first - self._ground_batches) :]


def _group(triples: list[ox.Triple], size: int) -> list[list[ox.Triple]]:
    """Pack triples with blank nodes into batches of about ``size``, never parting triples linked by one."""
    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def root(node: ox.BlankNode) -> ox.BlankNode:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for t in triples:
        blanks = [term for term in (t.subject, t.object) if isinstance(term, ox.BlankNode)]
        for other in blanks[1:]:
            parent[root(other)] = root(blanks[0])
    groups: dict[ox.BlankNode, list[ox.Triple]] = {}
    for t in triples:
        blank = t.subject if isinstance(t.subject, ox.BlankNode) else t.object
        groups.setdefault(root(blank), []).append(t)
    out: list[list[ox.Triple]] = []
    for group in groups.values():
        if out and len(out[-1]) + len(group) <= size:
            out[-1].extend(group)
        else:
            out.append(list(group))
    return out


class State:
    """The state file: which batches of which graph are on the remote, for one build and one target."""

    def __init__(self, path: Path, version: str, target: Target) -> None:
        self.path, self.version = path, version
        saved = json.loads(path.read_text()) if path.exists() else {}
        mine = {"version": version, "update_url": target.update_url, "cut": CUT}
        same = all(saved.get(key) == value for key, value in mine.items())
        self.fresh = not same
        self.data = saved if same else {**mine, "graphs": {}}

    def graph(self, iri: str) -> dict[str, int] | None:
        """The record of one graph (batches done, batches, triples done), or None if not started."""
        return self.data["graphs"].get(iri)

    def record(self, iri: str, done: int, total: int, triples: int) -> None:
        """Record progress on one graph and write the file atomically."""
        self.data["graphs"][iri] = {"done": done, "batches": total, "triples": triples}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True))
        os.replace(tmp, self.path)


def load(
    build: Path, target: Target, state_path: Path, *, batch_size: int = 2000, progress: Progress | None = None
) -> Report:
    """Upload every named graph of the build to the target, resuming from the state file, then verify counts."""
    local = EmbeddedBackend(build)
    remote = RemoteBackend(target.query_url, auth=target.auth, timeout=300.0)
    writer = RemoteWriter(target)
    state = State(state_path, local.version(), target)
    report = Report(state.version)
    graphs = local.named_graphs()
    try:
        if state.fresh:
            for stale in set(remote.stored_graphs()) - set(graphs):
                writer.drop(stale)  # the remote mirrors the build: graphs of older builds go
        for graph in graphs:
            cut = Batches(functools.partial(local.triples, graph), batch_size)
            if _load_graph(graph, cut, state, remote, writer, progress):
                report.loaded.append(graph)
            else:
                report.skipped.append(graph)
        report.counts = _verify(local, remote, graphs)
    except RemoteError as error:
        raise LoadError(str(error)) from None
    return report


def _load_graph(graph: str, cut: Batches, state: State, remote: RemoteBackend, writer: RemoteWriter, progress) -> bool:
    """Send the batches of one graph not yet done; return False if the graph was already complete."""
    record = state.graph(graph)
    if record is not None and record["done"] == record["batches"]:
        return False  # complete (whatever the batch size then): the final verification checks it
    if record is not None and record["batches"] == len(cut) and remote.count(graph) == record["triples"]:
        done, sent = record["done"], record["triples"]  # the remote holds exactly the batches recorded: resume
    else:
        writer.drop(graph)  # not started, or a batch landed unrecorded: this graph starts over
        done, sent = 0, 0
        state.record(graph, done, len(cut), sent)
    for index, batch in enumerate(cut.starting_at(done), start=done):
        writer.insert(graph, batch)
        sent += len(batch)
        state.record(graph, index + 1, len(cut), sent)
        if progress:
            progress(graph, index + 1, len(cut))
    return True


def _verify(local: EmbeddedBackend, remote: RemoteBackend, graphs: list[str]) -> dict[str, int]:
    """Compare the triple count of every graph on the remote with the build's; raise listing every mismatch."""
    want = local.graph_counts()
    got = {graph: remote.count(graph) for graph in graphs}
    extra = sorted(set(remote.stored_graphs()) - set(graphs))
    wrong = [f"  {g}: remote {got[g]}, build {want.get(g, 0)}" for g in graphs if got[g] != want.get(g, 0)]
    wrong += [f"  {g}: on the remote but not in the build" for g in extra]
    if wrong:
        raise LoadError("the remote store does not match the build after loading:\n" + "\n".join(wrong))
    return got


def target_from(into: str, *, query_url: str | None, gsp_url: str | None, auth: AuthBase | None) -> Target:
    """Build the target of ``--into URL`` (the update endpoint; it also answers the verifying queries by default)."""
    update = check_url(into, "--into")
    return Target(
        update_url=update,
        query_url=check_url(query_url, "the query URL") if query_url else update,
        gsp_url=check_url(gsp_url, "the Graph Store Protocol URL") if gsp_url else None,
        auth=auth,
    )
