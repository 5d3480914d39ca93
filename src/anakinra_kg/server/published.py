"""What the endpoint publishes of each build besides query answers: the dump files, the JSON-LD context and
the VoID + DCAT description.

Each is made once per build, not per request: the dump files are written (atomically) into a folder inside
the build's own folder, shared by every server process and removed with the build; the context and the VoID
triples are kept in memory, keyed on the build folder. A new build (the store link moves) gives new ones.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from flask import current_app

from .. import export, jsonld, metadata, store
from ..settings import Settings

FOLDER = "published"  # inside the build folder; RocksDB ignores what it did not write


class NoBuildError(Exception):
    """No store has been built yet."""


@dataclass(frozen=True)
class Published:
    """One published document: its bytes on disk (or in memory), strong ETag and the time of its build."""

    etag: str
    size: int
    last_modified: dt.datetime
    path: Path | None = None
    data: bytes | None = None

    def read(self) -> bytes:
        """The document's bytes."""
        return self.data if self.data is not None else self.path.read_bytes()  # type: ignore[union-attr]


def etag_of(data: bytes) -> str:
    """A strong entity tag naming the content (a SHA-256 prefix), the same in every process and restart."""
    return "sha256-" + hashlib.sha256(data).hexdigest()


class Publisher:
    """The published documents of the current build, made on first demand and then reused."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._build: Path | None = None
        self._store: ox.Store | None = None
        self._memo: dict[str, Published] = {}
        self._void: list[ox.Triple] = []

    def build(self) -> Path:
        """The current build folder (the link is read on every call, so a new build is picked up)."""
        folder = store.current_build(self.settings.store_path)
        if folder is None:
            raise NoBuildError("no store has been built yet: run `anakinra-kg build`")
        return folder

    def dump(self, dump: export.Dump) -> Published:
        """A dump file of the current build, written once (by whichever server process asks first)."""
        return self._get(dump.filename, lambda db: export.dump_bytes(db, dump), on_disk=True)

    def context(self) -> Published:
        """The JSON-LD @context of the current build (the ontology's terms), as a document."""
        return self._get("context.jsonld", jsonld.context_document, on_disk=False)

    def void(self) -> list[ox.Triple]:
        """The VoID + DCAT description of the current build: the triples of its metadata graph."""
        with self._lock:
            self._switch(self.build())
            if not self._void:
                quads = self._store.quads_for_pattern(None, None, None, metadata.GRAPH)  # type: ignore[union-attr]
                self._void = sorted((ox.Triple(q.subject, q.predicate, q.object) for q in quads), key=str)
            return self._void

    def _get(self, name: str, produce, *, on_disk: bool) -> Published:
        """Return a memoised document of the current build, producing it if needed."""
        with self._lock:
            build = self._switch(self.build())
            if name not in self._memo:
                modified = _built_at(build)
                if on_disk:
                    path = self._write_once(build, name, produce)
                    data = path.read_bytes()
                    self._memo[name] = Published(etag_of(data), len(data), modified, path=path)
                else:
                    data = produce(self._store)
                    self._memo[name] = Published(etag_of(data), len(data), modified, data=data)
            return self._memo[name]

    def _switch(self, build: Path) -> Path:
        """Forget what was made for an older build and open the new one read-only (once per build)."""
        if build != self._build:
            self._store = ox.Store.read_only(str(build))
            self._build, self._memo, self._void = build, {}, []
        return build

    def _write_once(self, build: Path, name: str, produce) -> Path:
        """The file ``name`` of this build, written under a cross-process lock if no process has yet."""
        folder = _folder(build)
        target = folder / name
        with (folder / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not target.exists():
                data = produce(self._store)
                export.write_file(target, lambda stream: stream.write(data))
        return target


def _folder(build: Path) -> Path:
    """Where this build's files go: inside the build folder, or a per-build temporary folder if it is read-only."""
    inside = build / FOLDER
    try:
        inside.mkdir(exist_ok=True)
        writable = os.access(inside, os.W_OK)
    except OSError:  # a read-only build folder: fall back to a temporary folder below
        writable = False
    if writable:
        return inside
    key = hashlib.sha256(str(build).encode()).hexdigest()[:16]
    elsewhere = Path(tempfile.gettempdir()) / f"anakinra-kg-published-{os.getuid()}" / key
    elsewhere.mkdir(parents=True, exist_ok=True)
    return elsewhere


def _built_at(build: Path) -> dt.datetime:
    """When the build was completed (its marker file's time), for Last-Modified."""
    marker = build / store.COMPLETE
    stamp = (marker if marker.exists() else build).stat().st_mtime
    return dt.datetime.fromtimestamp(int(stamp), dt.UTC)


_create_lock = threading.Lock()


def publisher() -> Publisher:
    """The publisher of this application (one per server process)."""
    with _create_lock:
        extensions = current_app.extensions
        if "anakinra_kg.published" not in extensions:
            extensions["anakinra_kg.published"] = Publisher(current_app.config["SETTINGS"])
        return extensions["anakinra_kg.published"]
