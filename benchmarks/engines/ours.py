"""Our endpoint: `anakinra-kg build` into a store, then `anakinra-kg serve` (granian) on it.

Set ANAKINRA_KG_BENCH_COMMAND to benchmark another checkout's command (e.g. "/path/to/.venv/bin/anakinra-kg").
The endpoint is expected to honour ``ANAKINRA_KG_RESULT_CACHE=0`` (no result cache: every query runs)
and, with the cache on, to answer a repeated GET with an ETag and a conditional one (If-None-Match)
with 304. The benchmark runs both variants: "cache off" and "cache on, repeated queries".
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .base import Client, Dataset, HttpClient, ServedEngine, free_port, run_checked


def command() -> list[str]:
    """Return the `anakinra-kg` command: $ANAKINRA_KG_BENCH_COMMAND, else the one next to this Python or on PATH."""
    if os.environ.get("ANAKINRA_KG_BENCH_COMMAND"):
        return shlex.split(os.environ["ANAKINRA_KG_BENCH_COMMAND"])
    beside = Path(sys.executable).parent / "anakinra-kg"
    return [str(beside) if beside.exists() else (shutil.which("anakinra-kg") or "anakinra-kg")]


@functools.cache
def help_text(name: str) -> str | None:
    """Return the help of `anakinra-kg NAME` (None when the subcommand does not exist in this checkout)."""
    try:
        done = subprocess.run([*command(), name, "--help"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def has_subcommand(name: str) -> bool:
    """Tell whether `anakinra-kg NAME` exists."""
    return help_text(name) is not None


def build_store(dataset: Dataset, store: Path) -> float:
    """Run `anakinra-kg build` for the dataset's project folder into ``store``; return seconds.

    Validation is timed on its own (`anakinra-kg validate`), so the build runs with --no-validate
    where the command has that flag: the load figure compares with `oxigraph load`.
    """
    argv = [*command(), "--project-dir", str(dataset.project_dir), "--store", str(store), "build"]
    if "--no-validate" in (help_text("build") or ""):
        argv.append("--no-validate")
    return run_checked(argv)


def validate_store(dataset: Dataset, store: Path) -> tuple[float, str]:
    """Run `anakinra-kg validate` on the built store; return seconds and a one-line outcome."""
    argv = [*command(), "--project-dir", str(dataset.project_dir), "--store", str(store), "validate"]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    last = (done.stdout.strip() or done.stderr.strip()).splitlines()[-1:] or [""]
    return seconds, ("conforms" if done.returncode == 0 else f"exit {done.returncode}: {last[0][:120]}")


class AnakinraEndpoint(ServedEngine):
    """`anakinra-kg serve --host 127.0.0.1 --port P` on a store built by `anakinra-kg build`."""

    def __init__(self, *, cache: bool) -> None:
        self.cache = cache
        self.name = "anakinra-kg serve" + (" (cache on, repeated)" if cache else " (cache off)")

    def skip_reason(self, dataset: Dataset) -> str | None:
        """Skip (with the reason in the table) while `anakinra-kg serve` does not exist yet."""
        return None if has_subcommand("serve") else "`anakinra-kg serve` not available in this checkout"

    def load(self, dataset: Dataset, workdir: Path) -> float | None:
        """Build the store once per dataset (shared by both cache variants); time the first build."""
        self.workdir = workdir
        self.store = workdir / "anakinra-store"
        if self.store.exists():
            return None
        return build_store(dataset, self.store)

    def start(self) -> float:
        """Start the endpoint on a free loopback port; return seconds until it answers."""
        port = free_port()
        env = {"ANAKINRA_KG_STORE_DIR": str(self.store), "ANAKINRA_KG_RESULT_CACHE": "1" if self.cache else "0"}
        argv = [*command(), "--store", str(self.store), "serve", "--host", "127.0.0.1", "--port", str(port)]
        log = self.workdir / f"anakinra-serve-{int(self.cache)}.log"
        return self.serve(argv, log, f"http://127.0.0.1:{port}/sparql", env)

    def client(self) -> Client:
        """An HTTP client; with the cache on it revalidates with If-None-Match."""
        return HttpClient(self.url, conditional=self.cache)
