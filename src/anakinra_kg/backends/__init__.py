"""The store behind one small interface: the embedded pyoxigraph store, or any remote SPARQL 1.1 service.

Everything that reads the store (the endpoint's query workers, ``load``) goes through ``Backend``; which
one is used is a setting (``backend``), not a code path of its own.
"""

from __future__ import annotations

import os
from typing import Protocol

from ..query import Results
from ..settings import Settings
from ..store import StoreMissingError


class Backend(Protocol):
    """A read-only SPARQL dataset: queries with the project prefixes, its named graphs, counts, a version."""

    def query(
        self,
        text: str,
        *,
        union_default_graph: bool = True,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        timeout: float | None = None,
    ) -> Results:
        """Run a query; the default graph is the union of the named graphs unless a dataset is given."""
        ...

    def named_graphs(self) -> list[str]:
        """The IRIs of the dataset's named graphs, sorted."""
        ...

    def count(self, graph: str | None) -> int:
        """Triples in one named graph, or in the union default graph (None)."""
        ...

    def version(self) -> str:
        """A string that changes whenever the data change (a key for caches)."""
        ...


def is_remote(location: str) -> bool:
    """Tell whether a backend location is a remote SPARQL endpoint URL (else a store folder)."""
    return location.startswith(("http://", "https://"))


def location(settings: Settings) -> str | None:
    """Where the configured backend is: the remote query URL, or the current build folder (None if unbuilt)."""
    if settings.backend == "remote":
        return settings.remote_query_url
    return _resolved(str(settings.store_path))


_last_resolved: tuple[str, str, str] | None = None  # (link, its target, the resolved folder)


def _resolved(link: str) -> str | None:
    """The build folder a store link points to; one readlink per call while the link keeps its target."""
    global _last_resolved
    try:
        target = os.readlink(link)
    except OSError:  # not a link (a plain store folder) or missing
        return os.path.realpath(link) if os.path.exists(link) else None
    last = _last_resolved
    if last is not None and last[0] == link and last[1] == target:
        return last[2]
    if not os.path.exists(link):
        return None
    _last_resolved = (link, target, os.path.realpath(link))
    return _last_resolved[2]


def open_location(where: str, *, copy_up_to_bytes: int = 0) -> Backend:
    """Open the backend at a location given by ``location()`` (a build folder or a query URL); a store folder
    of at most ``copy_up_to_bytes`` is served from an in-memory copy."""
    if is_remote(where):
        from .remote import RemoteBackend

        return RemoteBackend(where)
    from .embedded import EmbeddedBackend

    return EmbeddedBackend(where, copy_up_to_bytes=copy_up_to_bytes)


def open_backend(settings: Settings) -> Backend:
    """Open the backend the settings choose; raise StoreMissingError before the first build."""
    where = location(settings)
    if where is None:
        raise StoreMissingError(f"no store at {settings.store_path}: run `anakinra-kg build` first")
    return open_location(where)
