"""Oxigraph server (the `oxigraph` command of the PyPI package `oxigraph`): on RocksDB or in memory."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import requests

from .base import Dataset, ServedEngine, free_port, run_checked

MEDIA = {".ttl": "text/turtle", ".nt": "application/n-triples", ".nq": "application/n-quads"}


def oxigraph_command() -> str | None:
    """Return the path of the `oxigraph` command (next to this Python first), or None."""
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.exists() else shutil.which("oxigraph")


class OxigraphServer(ServedEngine):
    """`oxigraph load` into a RocksDB folder, then `oxigraph serve-read-only --union-default-graph`."""

    name = "Oxigraph server (RocksDB)"

    def skip_reason(self, dataset: Dataset) -> str | None:
        """Skip when the `oxigraph` command is not installed."""
        return None if oxigraph_command() else "`oxigraph` command not found (pip install oxigraph)"

    def load(self, dataset: Dataset, workdir: Path) -> float:
        """Bulk load every file with `oxigraph load` (files are loaded in parallel by Oxigraph)."""
        self.location, self.workdir = workdir / "oxigraph-db", workdir
        shutil.rmtree(self.location, ignore_errors=True)
        argv = [oxigraph_command(), "load", "--location", str(self.location), "--file", *map(str, dataset.files)]
        return run_checked(argv)

    def start(self) -> float:
        """Serve the loaded folder read-only on a free loopback port."""
        port = free_port()
        argv = [oxigraph_command(), "serve-read-only", "--location", str(self.location)]
        argv += ["--bind", f"127.0.0.1:{port}", "--union-default-graph"]
        return self.serve(argv, self.workdir / "oxigraph-server.log", f"http://127.0.0.1:{port}/query")


class OxigraphMemoryServer(OxigraphServer):
    """`oxigraph serve` with no location (in memory); the data is POSTed to /store after start."""

    name = "Oxigraph server (in memory)"

    def load(self, dataset: Dataset, workdir: Path) -> float:
        """Start the empty server, then POST each file to the graph store endpoint (timed)."""
        self.workdir, self.dataset = workdir, dataset
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        argv = [oxigraph_command(), "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
        self.start_seconds = self.serve(argv, workdir / "oxigraph-memory.log", f"{self.base}/query")
        started = time.perf_counter()
        for path in dataset.files:
            target = f"{self.base}/store" + ("" if path.suffix == ".nq" else "?default")
            with path.open("rb") as body:
                response = requests.post(target, data=body, headers={"Content-Type": MEDIA[path.suffix]}, timeout=3600)
            if response.status_code >= 300:
                raise RuntimeError(f"POST {path} to {target}: {response.status_code} {response.text[:300]}")
        return time.perf_counter() - started

    def start(self) -> float:
        """Already started by load (an in-memory server starts empty)."""
        return self.start_seconds
