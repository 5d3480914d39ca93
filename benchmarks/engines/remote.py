"""Our endpoint on the remote backend: `anakinra-kg serve --backend URL` over a private Virtuoso.

The dataset reaches Virtuoso the way README.md's "Running at scale" says: `anakinra-kg load --into` (Graph
Store Protocol POSTs of 20,000 triples through Virtuoso's digest-protected endpoints, counts verified per
graph), timed as this engine's load. ``BENCH_REMOTE_LOAD=bulk`` uses Virtuoso's bulk loader on the
N-Quads dump instead (what the README advises for very large loads). The endpoint then runs with the
result cache off, so every query goes to Virtuoso; the answers are those of Virtuoso 7.2
(tests/test_remote_virtuoso.py lists where they differ).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .base import Dataset, ServedEngine, free_port, run_checked
from .ours import command, has_subcommand
from .virtuoso import Virtuoso, unavailable


class AnakinraOverVirtuoso(ServedEngine):
    """`anakinra-kg serve --backend http://127.0.0.1:P/sparql` (cache off) over Virtuoso loaded by our `load`."""

    name = "anakinra-kg serve on Virtuoso (remote backend, cache off)"

    def __init__(self) -> None:
        self.virtuoso: Virtuoso | None = None

    def skip_reason(self, dataset: Dataset) -> str | None:
        """Skip without `anakinra-kg load` or where Virtuoso cannot be installed."""
        if not has_subcommand("load"):
            return "`anakinra-kg load` not available in this checkout"
        return unavailable()

    def load(self, dataset: Dataset, workdir: Path) -> float:
        """Start Virtuoso on a fresh database and upload our build to it; return the upload's seconds."""
        self.workdir, self.store = workdir, workdir / "anakinra-store"
        memory = int(os.environ.get("BENCH_VIRTUOSO_MB", "4096"))
        self.virtuoso = Virtuoso(workdir / "virtuoso", memory_mb=memory)
        self.virtuoso.start()
        if os.environ.get("BENCH_REMOTE_LOAD") == "bulk":
            return self.virtuoso.load(dataset.files)
        base = self.virtuoso.sparql_url.rsplit("/", 1)[0]
        argv = [*command(), "--store", str(self.store), "load", "--into", f"{base}/sparql-auth"]
        argv += ["--gsp-url", f"{base}/sparql-graph-crud-auth", "--batch-size", "20000"]
        argv += ["--state", str(workdir / "load-state")]
        secret = self.virtuoso.password_file.read_text()
        credentials = {"ANAKINRA_KG_REMOTE_USER": "dba", "ANAKINRA_KG_REMOTE_PASSWORD": secret}
        return run_checked(argv, env={**os.environ, **credentials, "ANAKINRA_KG_REMOTE_AUTH": "digest"})

    def start(self) -> float:
        """Start our endpoint over Virtuoso's anonymous /sparql; return seconds until it answers."""
        port = free_port()
        argv = [*command(), "--store", str(self.store), "serve", "--backend", self.virtuoso.sparql_url]
        argv += ["--host", "127.0.0.1", "--port", str(port)]
        log = self.workdir / "anakinra-serve-remote.log"
        return self.serve(argv, log, f"http://127.0.0.1:{port}/sparql", {"ANAKINRA_KG_RESULT_CACHE": "0"})

    def pids(self) -> list[int]:
        """Our server's main process (workers are its children) and Virtuoso's."""
        pid = self.virtuoso.pid() if self.virtuoso else None
        return [*super().pids(), pid] if pid else super().pids()

    def stop(self) -> None:
        """Stop our endpoint and Virtuoso, and delete Virtuoso's database."""
        super().stop()
        if self.virtuoso:
            self.virtuoso.close()
            shutil.rmtree(self.virtuoso.workdir, ignore_errors=True)
