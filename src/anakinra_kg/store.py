"""The on-disk pyoxigraph store, and its atomic replacement by a new build."""

from __future__ import annotations

import datetime as dt
import gc
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

KEEP_PREVIOUS = 1  # older builds kept beside the current one, for servers still reading them
COMPLETE = "BUILD-COMPLETE"  # marker written last into a finished build folder


class StoreMissingError(Exception):
    """No store has been built yet at the given path."""


def builds_dir(link: Path) -> Path:
    """Return the folder that holds the builds the store link points into."""
    return link.parent / f"{link.name}.builds"


def open_read_only(link: Path) -> ox.Store:
    """Open the current build read-only (many readers may do so at once)."""
    if not link.exists():
        raise StoreMissingError(f"no store at {link}: run `anakinra-kg build` first")
    return ox.Store.read_only(str(link.resolve()))


def current_build(link: Path) -> Path | None:
    """Return the folder of the current build, or None before the first build."""
    return link.resolve() if link.exists() else None


@contextmanager
def new_build(link: Path) -> Iterator[ox.Store]:
    """Yield an empty store in a new folder; on success swap the link to it atomically.

    If the body raises (or the process is interrupted), the half-written folder is removed
    and the link still points at the previous build.
    """
    root = builds_dir(link)
    root.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%f")
    folder = root / f"build-{stamp}-{os.getpid()}"
    folder.mkdir()
    store = None
    try:
        store = ox.Store(str(folder))
        yield store
        store.flush()
        store.optimize()
        (folder / COMPLETE).write_text(time.strftime("%Y-%m-%dT%H:%M:%S%z") + "\n")
        _swap_link(link, folder)
    except BaseException:
        del store  # close the store (the caller dropped its references) before deleting its folder
        gc.collect()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _prune(root, keep=folder)


def copy(source: ox.Store, target: ox.Store, scratch: Path) -> None:
    """Write every quad of ``source`` (in memory) into the empty on-disk ``target`` with the bulk loader.

    The quads go through an N-Quads file in ``scratch`` (parsed leniently: pyoxigraph wrote it)
    rather than through Python objects, so the copy runs in Rust end to end.
    """
    with tempfile.NamedTemporaryFile(suffix=".nq", dir=scratch) as dump:
        source.dump(dump, ox.RdfFormat.N_QUADS)
        dump.flush()
        target.bulk_load(path=dump.name, format=ox.RdfFormat.N_QUADS, lenient=True)


def _swap_link(link: Path, target: Path) -> None:
    """Point ``link`` at ``target`` with an atomic rename of a fresh symbolic link."""
    if link.exists() and not link.is_symlink():
        raise FileExistsError(f"{link} exists and is not a store link; move it away")
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(os.path.relpath(target, link.parent))
    os.replace(tmp, link)


def _prune(root: Path, keep: Path) -> None:
    """Delete old builds and leftovers of interrupted ones, keeping the newest few."""
    complete = sorted(
        (p for p in root.iterdir() if (p / COMPLETE).exists()),
        key=lambda p: (p / COMPLETE).stat().st_mtime_ns,
        reverse=True,
    )
    for old in complete[1 + KEEP_PREVIOUS :]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for unfinished in root.iterdir():
        if unfinished.is_dir() and not (unfinished / COMPLETE).exists() and not _live(unfinished):
            shutil.rmtree(unfinished, ignore_errors=True)


def _live(folder: Path) -> bool:
    """Tell whether an unfinished build folder belongs to a build process still running."""
    pid = folder.name.rsplit("-", 1)[-1]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
